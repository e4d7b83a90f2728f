// SPDX-License-Identifier: GPL-2.0-or-later
/* dns_cache.c - answers the stub has already had from upstream
 *
 * A set-associative cache of whole answers, keyed by query name (lower
 * case), type and the DO bit.  Only positive answers that fit in a small
 * buffer are kept, for the smallest TTL of their records (capped by the
 * caller).  TTLs inside a cached answer are not decremented: clients may
 * cache it a little longer than upstream meant, never beyond max_ttl of the
 * policy.  A hit gets the client's id and the client's spelling of the name
 * (DNS 0x20).  Memory is fixed at init: sets * DNS_CACHE_WAYS entries.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_cache.h"

#define DNS_CACHE_WAYS		4
#define DNS_CACHE_MSG_MAX	1232	/* one EDNS UDP answer */

struct dns_cache_entry {
	bool used;
	uint16_t qtype;
	bool dobit;
	uint64_t expires_ms;
	uint64_t used_ms;
	char qname[DNS_NAME_SIZE];
	size_t len;
	uint8_t msg[DNS_CACHE_MSG_MAX];
};

struct dns_cache {
	size_t sets;
	struct dns_cache_entry *e;
};

/**
 * dns_cache_init() - a cache of @sets * 4 answers
 */
struct dns_cache *dns_cache_init(size_t sets)
{
	struct dns_cache *c = calloc(1, sizeof(*c));

	if (!c || !sets)
		goto fail;
	c->sets = sets;
	c->e = calloc(sets * DNS_CACHE_WAYS, sizeof(*c->e));
	if (!c->e)
		goto fail;
	return c;
fail:
	free(c);
	return NULL;
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	free(c->e);
	free(c);
}

/* FNV-1a over the key */
static size_t dns_cache_set(const struct dns_cache *c,
			    const struct dns_query *q)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < q->qname_len; i++) {
		h ^= (uint8_t)q->qname[i];
		h *= 0x100000001b3ULL;
	}
	h ^= q->qtype;
	h *= 0x100000001b3ULL;
	h ^= q->edns_do;
	h *= 0x100000001b3ULL;
	return (size_t)(h % c->sets);
}

static bool dns_cache_match(const struct dns_cache_entry *e,
			    const struct dns_query *q)
{
	return e->used && e->qtype == q->qtype && e->dobit == q->edns_do &&
	       !strcmp(e->qname, q->qname);
}

/**
 * dns_cache_put() - keep an answer
 * @c:		cache
 * @q:		the query it answers
 * @msg:	the answer as sent to clients (ech already stripped)
 * @len:	its length; longer than DNS_CACHE_MSG_MAX: not kept
 * @ttl:	seconds it may be served; 0: not kept
 * @now_ms:	monotonic clock
 */
void dns_cache_put(struct dns_cache *c, const struct dns_query *q,
		   const uint8_t *msg, size_t len, uint32_t ttl,
		   uint64_t now_ms)
{
	struct dns_cache_entry *set, *victim = NULL;
	size_t i;

	if (!c || !ttl || len > DNS_CACHE_MSG_MAX || len < DNS_HDR_LEN)
		return;
	set = &c->e[dns_cache_set(c, q) * DNS_CACHE_WAYS];
	/* the same key, else a free or expired way, else the least used */
	for (i = 0; i < DNS_CACHE_WAYS && !victim; i++) {
		if (dns_cache_match(&set[i], q))
			victim = &set[i];
	}
	for (i = 0; i < DNS_CACHE_WAYS && !victim; i++) {
		if (!set[i].used || set[i].expires_ms <= now_ms)
			victim = &set[i];
	}
	if (!victim) {
		victim = &set[0];
		for (i = 1; i < DNS_CACHE_WAYS; i++) {
			if (set[i].used_ms < victim->used_ms)
				victim = &set[i];
		}
	}

	victim->used = true;
	victim->qtype = q->qtype;
	victim->dobit = q->edns_do;
	victim->expires_ms = now_ms + (uint64_t)ttl * 1000;
	victim->used_ms = now_ms;
	memcpy(victim->qname, q->qname, q->qname_len + 1);
	memcpy(victim->msg, msg, len);
	victim->len = len;
}

/**
 * dns_cache_get() - a live cached answer for @q, made out to the client
 * @c:		cache
 * @q:		the client's query (id and name spelling are copied in)
 * @out:	buffer
 * @size:	its size
 * @now_ms:	monotonic clock
 *
 * Return: length of the answer in @out, or -ENOENT
 */
ssize_t dns_cache_get(struct dns_cache *c, const struct dns_query *q,
		      uint8_t *out, size_t size, uint64_t now_ms)
{
	struct dns_cache_entry *set;
	size_t i;

	if (!c)
		return -ENOENT;
	set = &c->e[dns_cache_set(c, q) * DNS_CACHE_WAYS];
	for (i = 0; i < DNS_CACHE_WAYS; i++) {
		struct dns_cache_entry *e = &set[i];
		size_t qn = q->qname_wire_len;

		if (!dns_cache_match(e, q))
			continue;
		if (e->expires_ms <= now_ms) {
			e->used = false;
			return -ENOENT;
		}
		if (e->len > size)
			return -ENOENT;
		e->used_ms = now_ms;
		memcpy(out, e->msg, e->len);
		dns_msg_set_id(out, e->len, q->id);
		/* The question as the client spelled it, if it is there as
		 * an uncompressed name of the same length */
		if (e->len >= DNS_HDR_LEN + qn &&
		    !strncasecmp((char *)out + DNS_HDR_LEN,
				 (const char *)q->qname_wire, qn))
			memcpy(out + DNS_HDR_LEN, q->qname_wire, qn);
		return (ssize_t)e->len;
	}
	return -ENOENT;
}
