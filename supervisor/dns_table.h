/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns_table.h - the IP-to-names table the DNS stub fills and decisions read
 *
 * A pair (address, name) is recorded for every address an allowed answer
 * gave for a name.  An address may have many names and a name many
 * addresses; adding never replaces other pairs.
 *
 * Life of a pair: it is live until max(added + clamp(ttl), last use +
 * grace), where clamp(ttl) = max(min(ttl, max_ttl), min_ttl) and a use is a
 * dns_table_lookup() that returned it.  Adding a pair again extends it the
 * same way, never shortens it.
 *
 * Memory is fixed at dns_table_init(): when the table is full, expired
 * pairs go first, then the least recently used (added or looked up) pair.
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are the IPv4 address: the
 * kernel sends them as IPv4, so they must find the same names.
 */
#ifndef DNS_TABLE_H
#define DNS_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct dns_table;

/**
 * struct dns_table_stats - counters for logs and tests
 * @pairs:	pairs stored (live or not yet expired by dns_table_expire())
 * @addrs:	distinct addresses stored
 * @names:	distinct names stored
 * @capacity:	max_entries given to dns_table_init()
 * @evicted:	live pairs evicted because the table was full
 * @expired:	pairs removed because their life ended
 */
struct dns_table_stats {
	size_t pairs;
	size_t addrs;
	size_t names;
	size_t capacity;
	uint64_t evicted;
	uint64_t expired;
};

struct dns_table *dns_table_init(size_t max_entries, uint32_t min_ttl,
				 uint32_t max_ttl, uint32_t grace);
void dns_table_free(struct dns_table *t);
int dns_table_add(struct dns_table *t, int family, const void *addr,
		  const char *name, uint32_t ttl, uint64_t now_ms);
int dns_table_lookup(struct dns_table *t, int family, const void *addr,
		     uint64_t now_ms, const char **names, size_t max);
size_t dns_table_expire(struct dns_table *t, uint64_t now_ms);
void dns_table_stats(const struct dns_table *t, struct dns_table_stats *s);

#endif /* DNS_TABLE_H */
