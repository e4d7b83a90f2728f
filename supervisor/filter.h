/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filter.h - the seccomp filter CMD runs under */
#ifndef FILTER_H
#define FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

void filter_allow_userns(bool allow);
void filter_notify_ingress(bool on);
void filter_notify_unix_sockets(bool notify);
int filter_build(pid_t supervisor, struct sock_fprog *prog);
void filter_free(struct sock_fprog *prog);
int filter_install(const struct sock_fprog *prog);
int filter_dump(FILE *out);

#endif /* FILTER_H */
