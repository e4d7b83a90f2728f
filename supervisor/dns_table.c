// SPDX-License-Identifier: GPL-2.0-or-later
/* dns_table.c - the IP-to-names table the DNS stub fills and decisions read
 *
 * Three fixed arrays, sized at init, each with a free list:
 *
 *   addrs  one per distinct address; heads the list of its pairs
 *   names  one per distinct name, reference counted by its pairs
 *   pairs  one per (address, name); on its address's sibling list, on the
 *          global LRU list (head = most recently used) and in a hash of
 *          (address index, name index) so adding again finds it in O(1)
 *
 * Three hash tables of chain heads (power-of-two buckets, at least one per
 * slot) find an address, a name, a pair.  Keys are hashed with SipHash-2-4
 * under a random key: the answers that fill the table come from name
 * servers a hostile target may run, so chains must not be steerable.
 *
 * Every address and name in use has at least one pair, so neither array
 * can run out before the pair array; a full pair array evicts one pair
 * before a new one is taken.  Slots are taken from a high-water mark
 * before the free list, so memory that was never used is never touched.
 *
 * Expiry is lazy for lookups (a pair past its life is invisible at once)
 * and eager in dns_table_expire(), which skips its scan unless
 * @next_expire, a lower bound of every pair's end of life, has passed.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "dns_msg.h"
#include "dns_table.h"

#define NIL		UINT32_MAX
#define DNS_TABLE_CAP_MAX	(1U << 24)

/**
 * struct dns_taddr - one distinct address
 * @hnext:	next in its hash chain, or in the free list
 * @head:	first pair of this address (sibling list)
 * @npairs:	pairs on the sibling list; 0 if the slot is free
 * @family:	AF_INET or AF_INET6
 * @addr:	4 or 16 bytes, the rest zero
 */
struct dns_taddr {
	uint32_t hnext;
	uint32_t head;
	uint32_t npairs;
	uint8_t family;
	uint8_t addr[16];
};

/**
 * struct dns_tname - one distinct name
 * @hnext:	next in its hash chain, or in the free list
 * @refs:	pairs using it; 0 if the slot is free
 * @len:	strlen(@text)
 * @text:	lowercase name
 */
struct dns_tname {
	uint32_t hnext;
	uint32_t refs;
	uint8_t len;
	char text[DNS_NAME_MAX + 1];
};

/**
 * struct dns_tpair - one (address, name) pair
 * @expire_ms:	end of life; live while now < @expire_ms
 * @addr:	index in addrs, NIL if the slot is free
 * @name:	index in names
 * @hnext:	next in its hash chain, or in the free list
 * @sib_prev:	previous pair of the same address
 * @sib_next:	next pair of the same address
 * @lru_prev:	more recently used pair
 * @lru_next:	less recently used pair
 */
struct dns_tpair {
	uint64_t expire_ms;
	uint32_t addr;
	uint32_t name;
	uint32_t hnext;
	uint32_t sib_prev;
	uint32_t sib_next;
	uint32_t lru_prev;
	uint32_t lru_next;
};

/**
 * struct dns_table - see the top of this file
 * @cap:	slots in each array
 * @mask:	buckets - 1 in each hash
 * @min_ttl:	floor of a pair's life, seconds
 * @max_ttl:	ceiling of the TTL part of a pair's life, seconds
 * @grace:	life after the last lookup, seconds
 * @key:	SipHash key
 * @pairs:	pair slots
 * @addrs:	address slots
 * @names:	name slots
 * @pair_h:	pair hash chain heads
 * @addr_h:	address hash chain heads
 * @name_h:	name hash chain heads
 * @pair_hw:	pair slots ever used (high-water mark)
 * @addr_hw:	address slots ever used
 * @name_hw:	name slots ever used
 * @pair_free:	free pair slots below the mark
 * @addr_free:	free address slots below the mark
 * @name_free:	free name slots below the mark
 * @lru_head:	most recently used pair
 * @lru_tail:	least recently used pair
 * @npairs:	pairs in use
 * @naddrs:	addresses in use
 * @nnames:	names in use
 * @next_expire: no pair ends its life before this
 * @evicted:	live pairs evicted
 * @expired:	pairs expired
 */
struct dns_table {
	uint32_t cap;
	uint32_t mask;
	uint32_t min_ttl;
	uint32_t max_ttl;
	uint32_t grace;
	uint64_t key[2];
	struct dns_tpair *pairs;
	struct dns_taddr *addrs;
	struct dns_tname *names;
	uint32_t *pair_h;
	uint32_t *addr_h;
	uint32_t *name_h;
	uint32_t pair_hw, addr_hw, name_hw;
	uint32_t pair_free, addr_free, name_free;
	uint32_t lru_head;
	uint32_t lru_tail;
	uint32_t npairs, naddrs, nnames;
	uint64_t next_expire;
	uint64_t evicted;
	uint64_t expired;
};

#define ROTL64(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND							\
	do {								\
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0;		\
		v0 = ROTL64(v0, 32);					\
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2;		\
		v2 = ROTL64(v2, 32);					\
	} while (0)

/**
 * dns_table_hash() - SipHash-2-4 of a key under the table's secret
 * @t:		table
 * @in:		bytes
 * @len:	their number
 *
 * Return: 64-bit hash
 */
static uint64_t dns_table_hash(const struct dns_table *t, const void *in,
			       size_t len)
{
	uint64_t v0 = t->key[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = t->key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = t->key[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = t->key[1] ^ 0x7465646279746573ULL;
	const uint8_t *p = in;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		int j;

		m = 0;
		for (j = 7; j >= 0; j--)
			m = m << 8 | p[i + (size_t)j];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (m = 0; left; left--)
		m = m << 8 | p[i + left - 1];
	b |= m;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/**
 * dns_table_init() - make an empty table
 * @max_entries:	pairs it can hold, 1 to 2^24
 * @min_ttl:		a pair lives at least this long (seconds), even for
 *			TTL 0: the client connects right after resolving
 * @max_ttl:		TTLs above this count as this (seconds)
 * @grace:		a pair lives this long after its last lookup (seconds)
 *
 * Memory is reserved for @max_entries pairs, as many addresses and as many
 * names (about 330 bytes per entry); pages are touched as they fill.
 *
 * Return: the table, or NULL with errno (EINVAL, ENOMEM)
 */
struct dns_table *dns_table_init(size_t max_entries, uint32_t min_ttl,
				 uint32_t max_ttl, uint32_t grace)
{
	struct dns_table *t;
	size_t buckets = 1;

	if (!max_entries || max_entries > DNS_TABLE_CAP_MAX ||
	    min_ttl > max_ttl) {
		errno = EINVAL;
		return NULL;
	}
	while (buckets < max_entries)
		buckets <<= 1;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap = (uint32_t)max_entries;
	t->mask = (uint32_t)buckets - 1;
	t->min_ttl = min_ttl;
	t->max_ttl = max_ttl;
	t->grace = grace;
	t->pairs = calloc(max_entries, sizeof(*t->pairs));
	t->addrs = calloc(max_entries, sizeof(*t->addrs));
	t->names = calloc(max_entries, sizeof(*t->names));
	t->pair_h = malloc(buckets * sizeof(*t->pair_h));
	t->addr_h = malloc(buckets * sizeof(*t->addr_h));
	t->name_h = malloc(buckets * sizeof(*t->name_h));
	if (!t->pairs || !t->addrs || !t->names || !t->pair_h ||
	    !t->addr_h || !t->name_h) {
		dns_table_free(t);
		errno = ENOMEM;
		return NULL;
	}
	memset(t->pair_h, 0xff, buckets * sizeof(*t->pair_h));
	memset(t->addr_h, 0xff, buckets * sizeof(*t->addr_h));
	memset(t->name_h, 0xff, buckets * sizeof(*t->name_h));
	t->pair_free = t->addr_free = t->name_free = NIL;
	t->lru_head = t->lru_tail = NIL;
	t->next_expire = UINT64_MAX;

	if (getrandom(t->key, sizeof(t->key), GRND_NONBLOCK) !=
	    sizeof(t->key)) {
		/* No entropy yet (early boot): weaker, still per process */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t->key[0] = (uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec;
		t->key[1] = (uint64_t)(uintptr_t)t ^ 0x9e3779b97f4a7c15ULL;
	}
	return t;
}

/**
 * dns_table_free() - release a table
 * @t:		table, or NULL
 */
void dns_table_free(struct dns_table *t)
{
	if (!t)
		return;
	free(t->pairs);
	free(t->addrs);
	free(t->names);
	free(t->pair_h);
	free(t->addr_h);
	free(t->name_h);
	free(t);
}

/**
 * dns_table_canon() - the address as the table stores it
 * @family:	AF_INET or AF_INET6
 * @addr:	4 or 16 bytes
 * @a:		set: family and 16 bytes, zero-padded; a v4-mapped IPv6
 *		address becomes IPv4
 *
 * Return: 0 or -EAFNOSUPPORT
 */
static int dns_table_canon(int family, const void *addr, struct dns_taddr *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	memset(a, 0, sizeof(*a));
	switch (family) {
	case AF_INET:
		a->family = AF_INET;
		memcpy(a->addr, addr, 4);
		return 0;
	case AF_INET6:
		if (!memcmp(addr, mapped, sizeof(mapped))) {
			a->family = AF_INET;
			memcpy(a->addr, (const uint8_t *)addr + 12, 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->addr, addr, 16);
		}
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

static uint32_t dns_addr_bucket(const struct dns_table *t,
				const struct dns_taddr *a)
{
	uint8_t k[17];

	k[0] = a->family;
	memcpy(k + 1, a->addr, 16);
	return (uint32_t)dns_table_hash(t, k, sizeof(k)) & t->mask;
}

static uint32_t dns_pair_bucket(const struct dns_table *t, uint32_t addr,
				uint32_t name)
{
	uint32_t k[2] = { addr, name };

	return (uint32_t)dns_table_hash(t, k, sizeof(k)) & t->mask;
}

static uint32_t dns_addr_find(const struct dns_table *t,
			      const struct dns_taddr *a, uint32_t bucket)
{
	uint32_t i;

	for (i = t->addr_h[bucket]; i != NIL; i = t->addrs[i].hnext)
		if (t->addrs[i].family == a->family &&
		    !memcmp(t->addrs[i].addr, a->addr, 16))
			return i;
	return NIL;
}

static uint32_t dns_name_find(const struct dns_table *t, const char *name,
			      size_t len, uint32_t bucket)
{
	uint32_t i;

	for (i = t->name_h[bucket]; i != NIL; i = t->names[i].hnext)
		if (t->names[i].len == len &&
		    !memcmp(t->names[i].text, name, len))
			return i;
	return NIL;
}

static uint32_t dns_pair_find(const struct dns_table *t, uint32_t addr,
			      uint32_t name)
{
	uint32_t i;

	for (i = t->pair_h[dns_pair_bucket(t, addr, name)]; i != NIL;
	     i = t->pairs[i].hnext)
		if (t->pairs[i].addr == addr && t->pairs[i].name == name)
			return i;
	return NIL;
}

/* Take a slot: free list first, else the next never-used one */
static uint32_t dns_slot_take(uint32_t *free_head, uint32_t *hw,
			      uint32_t *next_of_head)
{
	uint32_t i = *free_head;

	if (i != NIL) {
		*free_head = *next_of_head;
		return i;
	}
	return (*hw)++;
}

/* Remove slot @i from a singly linked hash chain */
#define DNS_HASH_UNLINK(head, arr, i)					\
	do {								\
		uint32_t *pp_ = (head);					\
		while (*pp_ != (i))					\
			pp_ = &(arr)[*pp_].hnext;			\
		*pp_ = (arr)[i].hnext;					\
	} while (0)

static void dns_lru_unlink(struct dns_table *t, uint32_t i)
{
	struct dns_tpair *p = &t->pairs[i];

	if (p->lru_prev != NIL)
		t->pairs[p->lru_prev].lru_next = p->lru_next;
	else
		t->lru_head = p->lru_next;
	if (p->lru_next != NIL)
		t->pairs[p->lru_next].lru_prev = p->lru_prev;
	else
		t->lru_tail = p->lru_prev;
}

static void dns_lru_push(struct dns_table *t, uint32_t i)
{
	struct dns_tpair *p = &t->pairs[i];

	p->lru_prev = NIL;
	p->lru_next = t->lru_head;
	if (t->lru_head != NIL)
		t->pairs[t->lru_head].lru_prev = i;
	else
		t->lru_tail = i;
	t->lru_head = i;
}

static void dns_lru_touch(struct dns_table *t, uint32_t i)
{
	if (t->lru_head == i)
		return;
	dns_lru_unlink(t, i);
	dns_lru_push(t, i);
}

/**
 * dns_pair_remove() - drop a pair, and its address and name if unused
 * @t:		table
 * @i:		pair index
 */
static void dns_pair_remove(struct dns_table *t, uint32_t i)
{
	struct dns_tpair *p = &t->pairs[i];
	struct dns_taddr *a = &t->addrs[p->addr];
	struct dns_tname *n = &t->names[p->name];

	DNS_HASH_UNLINK(&t->pair_h[dns_pair_bucket(t, p->addr, p->name)],
			t->pairs, i);
	dns_lru_unlink(t, i);

	if (p->sib_prev != NIL)
		t->pairs[p->sib_prev].sib_next = p->sib_next;
	else
		a->head = p->sib_next;
	if (p->sib_next != NIL)
		t->pairs[p->sib_next].sib_prev = p->sib_prev;

	if (!--a->npairs) {
		DNS_HASH_UNLINK(&t->addr_h[dns_addr_bucket(t, a)], t->addrs,
				p->addr);
		a->hnext = t->addr_free;
		t->addr_free = p->addr;
		t->naddrs--;
	}
	if (!--n->refs) {
		uint32_t b = (uint32_t)dns_table_hash(t, n->text, n->len) &
			     t->mask;

		DNS_HASH_UNLINK(&t->name_h[b], t->names, p->name);
		n->hnext = t->name_free;
		t->name_free = p->name;
		t->nnames--;
	}

	p->addr = NIL;
	p->hnext = t->pair_free;
	t->pair_free = i;
	t->npairs--;
}

/**
 * dns_table_expire() - remove every pair whose life has ended
 * @t:		table
 * @now_ms:	monotonic clock, milliseconds
 *
 * Cost: nothing while no pair can have ended, else one walk of the pairs
 * in use.  Calling it about once a second from the loop's timer keeps
 * adds cheap; lookups never return ended pairs either way.
 *
 * Return: number of pairs removed
 */
size_t dns_table_expire(struct dns_table *t, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;
	size_t n = 0;
	uint32_t i, prev;

	if (now_ms < t->next_expire)
		return 0;
	for (i = t->lru_tail; i != NIL; i = prev) {
		prev = t->pairs[i].lru_prev;
		if (t->pairs[i].expire_ms <= now_ms) {
			dns_pair_remove(t, i);
			n++;
		} else if (t->pairs[i].expire_ms < next) {
			next = t->pairs[i].expire_ms;
		}
	}
	t->next_expire = next;
	t->expired += n;
	return n;
}

/**
 * dns_table_life() - the end of life a TTL gives from now
 * @t:		table
 * @ttl:	seconds, as in the answer
 * @now_ms:	clock
 *
 * Return: now + max(min(ttl, max_ttl), min_ttl) seconds, in milliseconds
 */
static uint64_t dns_table_life(const struct dns_table *t, uint32_t ttl,
			       uint64_t now_ms)
{
	if (ttl > t->max_ttl)
		ttl = t->max_ttl;
	if (ttl < t->min_ttl)
		ttl = t->min_ttl;
	return now_ms + (uint64_t)ttl * 1000;
}

/**
 * dns_table_add() - record that @name resolves to @addr
 * @t:		table
 * @family:	AF_INET or AF_INET6
 * @addr:	4 or 16 bytes, network order
 * @name:	name as the answer gave it (stored lowercase), 1 to 253
 *		printable characters, no trailing dot
 * @ttl:	TTL of the record, seconds
 * @now_ms:	monotonic clock, milliseconds
 *
 * An existing pair keeps the later of its end of life and the new one.
 * A new pair in a full table first evicts: expired pairs if any, else
 * the least recently used pair.
 *
 * Return: 1 if the pair is new, 0 if it was refreshed, -EAFNOSUPPORT,
 * -EINVAL for a name we do not store
 */
int dns_table_add(struct dns_table *t, int family, const void *addr,
		  const char *name, uint32_t ttl, uint64_t now_ms)
{
	char text[DNS_NAME_MAX + 1];
	struct dns_taddr key;
	uint32_t ab, nb, ai, ni, pi;
	uint64_t end = dns_table_life(t, ttl, now_ms);
	struct dns_tpair *p;
	size_t len;
	int ret;

	ret = dns_table_canon(family, addr, &key);
	if (ret)
		return ret;
	len = strnlen(name, DNS_NAME_MAX + 1);
	if (!len || len > DNS_NAME_MAX || name[len - 1] == '.')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= 0x20 || c >= 0x7f)
			return -EINVAL;
		text[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	text[len] = '\0';

	ab = dns_addr_bucket(t, &key);
	nb = (uint32_t)dns_table_hash(t, text, len) & t->mask;
	ai = dns_addr_find(t, &key, ab);
	ni = dns_name_find(t, text, len, nb);
	if (ai != NIL && ni != NIL) {
		pi = dns_pair_find(t, ai, ni);
		if (pi != NIL) {
			if (end > t->pairs[pi].expire_ms)
				t->pairs[pi].expire_ms = end;
			dns_lru_touch(t, pi);
			return 0;
		}
	}

	if (t->npairs >= t->cap) {
		dns_table_expire(t, now_ms);
		if (t->npairs >= t->cap) {
			dns_pair_remove(t, t->lru_tail);
			t->evicted++;
		}
		/* that may have freed the address or the name */
		ai = dns_addr_find(t, &key, ab);
		ni = dns_name_find(t, text, len, nb);
	}

	if (ai == NIL) {
		ai = dns_slot_take(&t->addr_free, &t->addr_hw,
				   t->addr_free != NIL ?
					   &t->addrs[t->addr_free].hnext :
					   NULL);
		t->addrs[ai] = key;
		t->addrs[ai].head = NIL;
		t->addrs[ai].npairs = 0;
		t->addrs[ai].hnext = t->addr_h[ab];
		t->addr_h[ab] = ai;
		t->naddrs++;
	}
	if (ni == NIL) {
		ni = dns_slot_take(&t->name_free, &t->name_hw,
				   t->name_free != NIL ?
					   &t->names[t->name_free].hnext :
					   NULL);
		memcpy(t->names[ni].text, text, len + 1);
		t->names[ni].len = (uint8_t)len;
		t->names[ni].refs = 0;
		t->names[ni].hnext = t->name_h[nb];
		t->name_h[nb] = ni;
		t->nnames++;
	}

	pi = dns_slot_take(&t->pair_free, &t->pair_hw,
			   t->pair_free != NIL ?
				   &t->pairs[t->pair_free].hnext : NULL);
	p = &t->pairs[pi];
	p->expire_ms = end;
	p->addr = ai;
	p->name = ni;
	p->hnext = t->pair_h[dns_pair_bucket(t, ai, ni)];
	t->pair_h[dns_pair_bucket(t, ai, ni)] = pi;
	p->sib_prev = NIL;
	p->sib_next = t->addrs[ai].head;
	if (p->sib_next != NIL)
		t->pairs[p->sib_next].sib_prev = pi;
	t->addrs[ai].head = pi;
	t->addrs[ai].npairs++;
	t->names[ni].refs++;
	dns_lru_push(t, pi);
	t->npairs++;
	if (end < t->next_expire)
		t->next_expire = end;
	return 1;
}

/**
 * dns_table_lookup() - the live names of an address, marking them used
 * @t:		table
 * @family:	AF_INET or AF_INET6
 * @addr:	4 or 16 bytes
 * @now_ms:	monotonic clock, milliseconds
 * @names:	filled with up to @max names, most recently added first;
 *		the strings stay valid until the next add or expire
 * @max:	room in @names
 *
 * Each live pair found lives on until at least now + grace, and becomes
 * the most recently used.  Cost: the number of pairs of that address.
 *
 * Return: the number of live names, which may exceed @max (then @names
 * holds the first @max); 0 if none; -EAFNOSUPPORT
 */
int dns_table_lookup(struct dns_table *t, int family, const void *addr,
		     uint64_t now_ms, const char **names, size_t max)
{
	uint64_t grace_end = now_ms + (uint64_t)t->grace * 1000;
	struct dns_taddr key;
	uint32_t ai, i;
	int ret, n = 0;

	ret = dns_table_canon(family, addr, &key);
	if (ret)
		return ret;
	ai = dns_addr_find(t, &key, dns_addr_bucket(t, &key));
	if (ai == NIL)
		return 0;

	for (i = t->addrs[ai].head; i != NIL; i = t->pairs[i].sib_next) {
		struct dns_tpair *p = &t->pairs[i];

		if (p->expire_ms <= now_ms)
			continue;
		if (grace_end > p->expire_ms)
			p->expire_ms = grace_end;
		dns_lru_touch(t, i);
		if ((size_t)n < max)
			names[n] = t->names[p->name].text;
		n++;
	}
	return n;
}

/**
 * dns_table_stats() - counters
 * @t:		table
 * @s:		filled in
 */
void dns_table_stats(const struct dns_table *t, struct dns_table_stats *s)
{
	s->pairs = t->npairs;
	s->addrs = t->naddrs;
	s->names = t->nnames;
	s->capacity = t->cap;
	s->evicted = t->evicted;
	s->expired = t->expired;
}
