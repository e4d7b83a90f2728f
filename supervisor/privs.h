/* SPDX-License-Identifier: GPL-2.0-or-later */
/* privs.h - perform CMD's calls without the supervisor's capabilities */
#ifndef PRIVS_H
#define PRIVS_H

#include <stdint.h>

int privs_init(void);
void privs_drop(void);
void privs_drop_keep(uint64_t keep);
void privs_raise(void);

#endif /* PRIVS_H */
