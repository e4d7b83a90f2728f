/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns_cache.h - answers the stub has already had from upstream */
#ifndef DNS_CACHE_H
#define DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dns_msg.h"

struct dns_cache;

struct dns_cache *dns_cache_init(size_t sets);
void dns_cache_free(struct dns_cache *c);
void dns_cache_put(struct dns_cache *c, const struct dns_query *q,
		   const uint8_t *msg, size_t len, uint32_t ttl,
		   uint64_t now_ms);
ssize_t dns_cache_get(struct dns_cache *c, const struct dns_query *q,
		      uint8_t *out, size_t size, uint64_t now_ms);

#endif /* DNS_CACHE_H */
