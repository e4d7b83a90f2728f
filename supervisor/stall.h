/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stall.h - a call that blocks on one target stalls only that target */
#ifndef STALL_H
#define STALL_H

#include <stdbool.h>
#include <sys/types.h>

struct target;

int stall_init(int (*thread_init)(void), void (*loop)(void),
	       void (*unpark)(pid_t tgid), void (*resume)(void));
void stall_idle(void);
bool stall_runner(void);
void stall_lock(void);
void stall_unlock(void);
int stall_begin(struct target *t);
int stall_begin_fs(struct target *t);
void stall_end(struct target *t);
bool stall_stuck(pid_t tgid);
bool stall_any(void);

#endif /* STALL_H */
