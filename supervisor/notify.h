/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify.h - the seccomp listener: receive, answer, and calls in flight */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "target.h"

int notify_init(int listener);
int notify_add(int listener);
void notify_handler(union loop_ref ref, uint32_t events);
void notify_pending_handler(union loop_ref ref, uint32_t events);
void notify_timer(void);
void notify_unpark(pid_t tgid);
void notify_resume(void);

int notify_respond(uint64_t id, int64_t val, int err);
int notify_continue(uint64_t id);
bool notify_valid(uint64_t id);
int notify_addfd(uint64_t id, int srcfd, bool cloexec);

int notify_pend_connect(const struct seccomp_notif *req, struct target *t,
			int dupfd, int saved_flags);
int notify_pend_rerun(const struct seccomp_notif *req, struct target *t,
		      int dupfd);

#endif /* NOTIFY_H */
