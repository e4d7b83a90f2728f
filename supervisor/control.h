/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control.h - the exec channel: more supervised processes on request */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "loop.h"
#include "spawn.h"

const char *control_default_path(char *buf, size_t size);

int control_init(const char *path, const struct spawn_opts *tmpl);
void control_handler(union loop_ref ref, uint32_t events);
void control_reaped(pid_t pid, int wstatus);
void control_timer(void);
void control_exit(void);
bool control_is_socket(int fd);

int control_filters(pid_t pid);
int exec_client_main(int argc, char **argv);

#endif /* CONTROL_H */
