/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netcall.h - the notified socket calls, decided and performed by us */
#ifndef NETCALL_H
#define NETCALL_H

#include <linux/seccomp.h>

int netcall_init(void);
int netcall_thread_init(void);
void netcall_dispatch(const struct seccomp_notif *req);

#endif /* NETCALL_H */
