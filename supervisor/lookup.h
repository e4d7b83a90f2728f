/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lookup.h - name lookups for the LD_PRELOAD shim, over a unix socket */
#ifndef LOOKUP_H
#define LOOKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "sockaddr.h"
#include "target.h"

int lookup_init(void);
const char *lookup_socket_name(void);
bool lookup_is_socket(const struct sa_dest *d);
int lookup_connect(struct target *t, int dup, int flags);
void lookup_handler(union loop_ref ref, uint32_t events);

#endif /* LOOKUP_H */
