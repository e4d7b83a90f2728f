/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reaper.h - init duties: signals to CMD, reaping, CMD's exit status */
#ifndef REAPER_H
#define REAPER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

int reaper_init(sigset_t *old_mask);
void reaper_set_cmd(pid_t pid);
void reaper_handler(void);
bool reaper_done(int *status);
void reaper_on_hup(void (*cb)(void));
void reaper_on_child(void (*cb)(pid_t pid, int wstatus));

#endif /* REAPER_H */
