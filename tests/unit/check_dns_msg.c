// SPDX-License-Identifier: GPL-2.0-or-later
/* check_dns_msg.c - unit tests of the DNS wire-format parser and builder */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_msg.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A message under construction, built by hand the way a server would */
struct msgb {
	uint8_t b[8192];
	size_t n;
};

static void put8(struct msgb *m, unsigned int v)
{
	ck_assert_uint_lt(m->n, sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msgb *m, unsigned int v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msgb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void putbytes(struct msgb *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->n + n, sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* Labels of a dotted name, without the final zero ("" writes nothing) */
static void putlabels(struct msgb *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, (unsigned int)l);
		putbytes(m, name, l);
		name += l + (dot ? 1 : 0);
	}
}

/* A full name; returns its offset so later names can point to it */
static size_t putname(struct msgb *m, const char *name)
{
	size_t off = m->n;

	putlabels(m, name);
	put8(m, 0);
	return off;
}

/* Labels, then a compression pointer to @target */
static size_t putname_ptr(struct msgb *m, const char *labels, size_t target)
{
	size_t off = m->n;

	putlabels(m, labels);
	put16(m, 0xc000 | (unsigned int)target);
	return off;
}

static void hdr(struct msgb *m, unsigned int id, unsigned int flags,
		unsigned int qd, unsigned int an, unsigned int ns,
		unsigned int ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* Type, class, TTL and a placeholder RDLENGTH; returns where it is */
static size_t rr_head(struct msgb *m, unsigned int type, uint32_t ttl)
{
	size_t at;

	put16(m, type);
	put16(m, DNS_CLASS_IN);
	put32(m, ttl);
	at = m->n;
	put16(m, 0);
	return at;
}

static void rr_end(struct msgb *m, size_t at)
{
	size_t len = m->n - at - 2;

	m->b[at] = (uint8_t)(len >> 8);
	m->b[at + 1] = len & 0xff;
}

static void opt_rr(struct msgb *m, unsigned int udp, bool dnssec_ok)
{
	put8(m, 0);
	put16(m, DNS_TYPE_OPT);
	put16(m, udp);
	put32(m, dnssec_ok ? 0x8000 : 0);
	put16(m, 0);
}

/* A standard query for @name/@type, with an OPT RR if @udp */
static void query(struct msgb *m, unsigned int id, const char *name,
		  unsigned int type, unsigned int udp)
{
	hdr(m, id, DNS_FLAG_RD, 1, 0, 0, udp ? 1 : 0);
	putname(m, name);
	put16(m, type);
	put16(m, DNS_CLASS_IN);
	if (udp)
		opt_rr(m, udp, false);
}

static void put_a(struct msgb *m, const char *addr)
{
	uint8_t a[4];

	ck_assert_int_eq(inet_pton(AF_INET, addr, a), 1);
	put16(m, 4);
	putbytes(m, a, 4);
}

static void put_aaaa(struct msgb *m, const char *addr)
{
	uint8_t a[16];

	ck_assert_int_eq(inet_pton(AF_INET6, addr, a), 1);
	put16(m, 16);
	putbytes(m, a, 16);
}

static const char *addr_str(const struct dns_addr *a, char *buf)
{
	return inet_ntop(a->family, a->addr, buf, INET6_ADDRSTRLEN);
}

/* -------------------------------------------------------------- queries */

START_TEST(test_dns_msg_query_basic)
{
	struct dns_query q;
	struct msgb m;

	query(&m, 0x1234, "WWW.Example.COM", DNS_TYPE_AAAA, 0);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	ck_assert_uint_eq(q.id, 0x1234);
	ck_assert_uint_eq(q.opcode, 0);
	ck_assert(q.flags & DNS_FLAG_RD);
	ck_assert_str_eq(q.qname, "www.example.com");
	ck_assert_uint_eq(q.qname_len, 15);
	ck_assert_uint_eq(q.qtype, DNS_TYPE_AAAA);
	ck_assert_uint_eq(q.qclass, DNS_CLASS_IN);
	ck_assert(!q.edns);
	/* the wire form keeps the case the client chose (DNS 0x20) */
	ck_assert_uint_eq(q.qname_wire_len, 17);
	ck_assert_mem_eq(q.qname_wire, "\3WWW\7Example\3COM", 17);
	ck_assert_uint_eq(dns_msg_udp_limit(&q), 512);
}
END_TEST

START_TEST(test_dns_msg_query_edns)
{
	static const struct {
		unsigned int udp;
		bool dnssec_ok;
		unsigned int want_size;
	} t[] = {
		{ 4096, true, 4096 },
		{ 1232, false, 1232 },
		{ 100, false, 512 },	/* below 512 counts as 512 */
		{ 512, true, 512 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		struct dns_query q;
		struct msgb m;

		hdr(&m, 7, 0, 1, 0, 0, 1);
		putname(&m, "example.org");
		put16(&m, DNS_TYPE_A);
		put16(&m, DNS_CLASS_IN);
		opt_rr(&m, t[i].udp, t[i].dnssec_ok);
		ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
		ck_assert(q.edns);
		ck_assert_uint_eq(q.edns_udp_size, t[i].want_size);
		ck_assert_int_eq(q.edns_do, t[i].dnssec_ok);
		ck_assert_uint_eq(q.edns_version, 0);
		ck_assert_uint_eq(dns_msg_udp_limit(&q), t[i].want_size);
	}
}
END_TEST

START_TEST(test_dns_msg_query_edns_options)
{
	struct dns_query q;
	struct msgb m;
	size_t at;

	/* OPT with a cookie option and EDNS version 1 */
	hdr(&m, 7, 0, 1, 0, 0, 1);
	putname(&m, "example.org");
	put16(&m, DNS_TYPE_TXT);
	put16(&m, DNS_CLASS_IN);
	put8(&m, 0);
	put16(&m, DNS_TYPE_OPT);
	put16(&m, 1400);
	put32(&m, 0x00010000);
	at = m.n;
	put16(&m, 0);
	put16(&m, 10);	/* COOKIE */
	put16(&m, 8);
	putbytes(&m, "01234567", 8);
	rr_end(&m, at);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	ck_assert(q.edns);
	ck_assert_uint_eq(q.edns_version, 1);
	ck_assert_uint_eq(q.qtype, DNS_TYPE_TXT);
}
END_TEST

START_TEST(test_dns_msg_query_root_and_limits)
{
	char label63[64], name253[300];
	struct dns_query q;
	struct msgb m;

	query(&m, 1, "", DNS_TYPE_NS, 0);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	ck_assert_str_eq(q.qname, ".");
	ck_assert_uint_eq(q.qname_wire_len, 1);

	memset(label63, 'a', 63);
	label63[63] = '\0';
	query(&m, 1, label63, DNS_TYPE_A, 0);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	ck_assert_str_eq(q.qname, label63);

	/* 63.63.63.61 = 253 characters, 255 bytes on the wire */
	snprintf(name253, sizeof(name253), "%s.%s.%s.%.61s", label63, label63,
		 label63, label63);
	ck_assert_uint_eq(strlen(name253), 253);
	query(&m, 1, name253, DNS_TYPE_A, 0);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	ck_assert_str_eq(q.qname, name253);
	ck_assert_uint_eq(q.qname_len, 253);
	ck_assert_uint_eq(q.qname_wire_len, 255);

	/* one more character is a 256-byte name */
	name253[252] = '\0';
	strcat(name253, "bc");
	query(&m, 1, name253, DNS_TYPE_A, 0);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), -EBADMSG);
}
END_TEST

/* Label bytes a policy could misread: refused, but still answerable */
START_TEST(test_dns_msg_query_refused_chars)
{
	static const char *const bad[] = {
		"\x0a" "github.com" "\x04" "evil",	/* a dot inside */
		"\x03" "a b" "\x03" "com",
		"\x03" "a\0b" "\x03" "com",
		"\x01" "*" "\x03" "com",
		"\x03" "\xc3\xa9t" "\x03" "com",
	};
	static const size_t len[] = { 16, 8, 8, 6, 8 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint8_t out[512];
		struct dns_query q;
		struct msgb m;
		ssize_t n;

		hdr(&m, 0xbeef, DNS_FLAG_RD, 1, 0, 0, 0);
		putbytes(&m, bad[i], len[i]);
		put8(&m, 0);
		put16(&m, DNS_TYPE_A);
		put16(&m, DNS_CLASS_IN);
		ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), -EINVAL);
		ck_assert_uint_eq(q.id, 0xbeef);
		ck_assert_str_eq(q.qname, "");
		ck_assert_uint_eq(q.qname_wire_len, len[i] + 1);
		ck_assert_uint_eq(q.qtype, DNS_TYPE_A);

		n = dns_msg_build_denial(&q, DNS_DENY_REFUSED, 5, NULL, out,
					 sizeof(out));
		ck_assert_int_gt(n, 0);
		/* question echoed byte for byte */
		ck_assert_mem_eq(out + 12, m.b + 12, len[i] + 1 + 4);
		ck_assert_uint_eq(out[3] & 0xf, DNS_RCODE_REFUSED);
	}
}
END_TEST

/* Malformed queries, one per row */
static const struct {
	const char *what;
	const uint8_t *msg;
	size_t len;
	int want;
} bad_queries[] = {
#define Q(what, want, ...)                                                    \
	{ what, (const uint8_t[]){ __VA_ARGS__ },                             \
	  sizeof((const uint8_t[]){ __VA_ARGS__ }), want }
	Q("short header", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0),
	Q("no question", -EBADMSG, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	Q("two questions", -EBADMSG, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
	  1, 0, 1, 0, 0, 1, 0, 1),
	Q("response bit", -EPROTO, 0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
	  1, 0, 1),
	Q("name runs off the end", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0,
	  0, 5, 'a', 'b'),
	Q("no terminating label", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
	  1, 'a'),
	Q("missing qtype", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a',
	  0, 0),
	Q("label type 0x40", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41,
	  'a', 0, 0, 1, 0, 1),
	Q("label type 0x80", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x81,
	  'a', 0, 0, 1, 0, 1),
	Q("pointer into header", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
	  0xc0, 4, 0, 1, 0, 1),
	Q("pointer to itself", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
	  0xc0, 12, 0, 1, 0, 1),
	Q("pointer forward", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0,
	  14, 1, 'a', 0, 0, 1, 0, 1),
	Q("truncated pointer", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
	  0xc0),
	Q("answer count beyond message", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 5, 0, 0,
	  0, 0, 1, 'a', 0, 0, 1, 0, 1),
	Q("additional count beyond message", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0,
	  0, 0, 0xff, 0xff, 1, 'a', 0, 0, 1, 0, 1),
	Q("truncated OPT", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 'a',
	  0, 0, 1, 0, 1, 0, 0, 41, 0x10, 0),
	Q("OPT rdata beyond message", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0,
	  1, 1, 'a', 0, 0, 1, 0, 1, 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 9, 0, 0),
	Q("OPT option overruns", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1,
	  1, 'a', 0, 0, 1, 0, 1, 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 4, 0, 10, 0,
	  8),
	Q("OPT not owned by the root", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
	  0, 1, 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 41, 0x10, 0, 0, 0, 0, 0, 0,
	  0),
	Q("two OPT", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 1, 'a', 0, 0,
	  1, 0, 1, 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 0x10, 0, 0, 0,
	  0, 0, 0, 0),
	Q("OPT in answer section", -EBADMSG, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0,
	  1, 'a', 0, 0, 1, 0, 1, 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0),
#undef Q
};

START_TEST(test_dns_msg_query_malformed)
{
	struct dns_query q;
	int ret;

	ret = dns_msg_parse_query(bad_queries[_i].msg, bad_queries[_i].len,
				  &q);
	ck_assert_msg(ret == bad_queries[_i].want, "%s: got %d, want %d",
		      bad_queries[_i].what, ret, bad_queries[_i].want);
}
END_TEST

START_TEST(test_dns_msg_query_name_too_long)
{
	struct dns_query q;
	struct msgb m;
	unsigned int i;

	/* 128 one-character labels: 256 bytes before the final zero */
	hdr(&m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 128; i++) {
		put8(&m, 1);
		put8(&m, 'a');
	}
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), -EBADMSG);
}
END_TEST

START_TEST(test_dns_msg_query_trailing_bytes)
{
	struct dns_query q;
	struct msgb m;

	query(&m, 9, "example.com", DNS_TYPE_A, 0);
	putbytes(&m, "junk", 4);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	ck_assert_str_eq(q.qname, "example.com");
}
END_TEST

/* ------------------------------------------------------------ responses */

/*
 * www.Example.com A?  www.example.com CNAME cdn.example.net (compressed
 * into the question), cdn.example.net A 192.0.2.1, AAAA 2001:db8::1, both
 * owners pointing into the CNAME's RDATA.
 */
static void build_cname_response(struct msgb *m)
{
	size_t q, cdn, at;

	hdr(m, 0x4242, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, 1, 3, 0, 0);
	q = putname(m, "www.Example.com");
	put16(m, DNS_TYPE_A);
	put16(m, DNS_CLASS_IN);

	put16(m, 0xc000 | (unsigned int)q);
	at = rr_head(m, DNS_TYPE_CNAME, 300);
	cdn = putname(m, "cdn.example.net");
	rr_end(m, at);

	put16(m, 0xc000 | (unsigned int)cdn);
	rr_head(m, DNS_TYPE_A, 60);
	m->n -= 2;
	put_a(m, "192.0.2.1");

	putname_ptr(m, "", cdn);
	rr_head(m, DNS_TYPE_AAAA, 30);
	m->n -= 2;
	put_aaaa(m, "2001:db8::1");
}

START_TEST(test_dns_msg_response_compression)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	char buf[INET6_ADDRSTRLEN];
	struct msgb m;

	build_cname_response(&m);
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	ck_assert_uint_eq(r->id, 0x4242);
	ck_assert_uint_eq(r->rcode, DNS_RCODE_NOERROR);
	ck_assert(!r->tc);
	ck_assert_str_eq(r->qname, "www.example.com");
	ck_assert_uint_eq(r->qtype, DNS_TYPE_A);
	ck_assert_uint_eq(r->ancount, 3);
	ck_assert_uint_eq(r->nrr, 3);
	ck_assert_uint_eq(r->dropped, 0);

	ck_assert_uint_eq(r->rr[0].type, DNS_TYPE_CNAME);
	ck_assert_str_eq(r->names[r->rr[0].owner], "www.example.com");
	ck_assert_str_eq(r->names[r->rr[0].target], "cdn.example.net");
	ck_assert_uint_eq(r->rr[0].ttl, 300);

	ck_assert_uint_eq(r->rr[1].type, DNS_TYPE_A);
	ck_assert_str_eq(r->names[r->rr[1].owner], "cdn.example.net");
	ck_assert_uint_eq(r->rr[1].ttl, 60);
	ck_assert_uint_eq(r->rr[1].addr_count, 1);
	ck_assert_str_eq(addr_str(&r->addrs[r->rr[1].addr_first], buf),
			 "192.0.2.1");

	ck_assert_uint_eq(r->rr[2].type, DNS_TYPE_AAAA);
	ck_assert_str_eq(r->names[r->rr[2].owner], "cdn.example.net");
	ck_assert_str_eq(addr_str(&r->addrs[r->rr[2].addr_first], buf),
			 "2001:db8::1");
	ck_assert_uint_eq(r->nnames, 2);
	free(r);
}
END_TEST

START_TEST(test_dns_msg_response_compressed_suffix)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	struct msgb m;
	size_t q, at;

	hdr(&m, 1, DNS_FLAG_QR, 1, 1, 0, 0);
	q = putname(&m, "a.example.com");
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc000 | (unsigned int)q);
	at = rr_head(&m, DNS_TYPE_CNAME, 10);
	putname_ptr(&m, "b.c", q + 2);		/* b.c + example.com */
	rr_end(&m, at);
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	ck_assert_str_eq(r->names[r->rr[0].target], "b.c.example.com");
	free(r);
}
END_TEST

/*
 * a.test CNAME b.test CNAME c.test A 192.0.2.7, in scrambled order, plus
 * an address for a name outside the chain, which must not be attributed.
 */
START_TEST(test_dns_msg_response_cname_chain)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	char buf[INET6_ADDRSTRLEN];
	struct dns_chain c;
	struct msgb m;
	size_t at;
	unsigned int i;

	hdr(&m, 2, DNS_FLAG_QR, 1, 5, 0, 0);
	putname(&m, "a.test");
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);

	putname(&m, "c.test");
	rr_head(&m, DNS_TYPE_A, 3600);
	m.n -= 2;
	put_a(&m, "192.0.2.7");

	putname(&m, "b.test");
	at = rr_head(&m, DNS_TYPE_CNAME, 100);
	putname(&m, "c.test");
	rr_end(&m, at);

	putname(&m, "github.com");			/* not in the chain */
	rr_head(&m, DNS_TYPE_A, 3600);
	m.n -= 2;
	put_a(&m, "203.0.113.66");

	putname(&m, "a.test");
	at = rr_head(&m, DNS_TYPE_CNAME, 50);
	putname(&m, "b.test");
	rr_end(&m, at);

	putname(&m, "c.test");
	rr_head(&m, DNS_TYPE_AAAA, 20);
	m.n -= 2;
	put_aaaa(&m, "2001:db8::7");

	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	ck_assert_int_eq(dns_msg_chain(r, &c), 0);
	ck_assert_uint_eq(c.nnames, 3);
	ck_assert_str_eq(r->names[c.name[0]], "a.test");
	ck_assert_str_eq(r->names[c.name[1]], "b.test");
	ck_assert_str_eq(r->names[c.name[2]], "c.test");

	ck_assert_uint_eq(c.naddrs, 2);
	ck_assert_str_eq(addr_str(&r->addrs[c.addr[0].addr], buf),
			 "192.0.2.7");
	/* the smallest TTL along the way */
	ck_assert_uint_eq(c.addr[0].ttl, 50);
	ck_assert_str_eq(addr_str(&r->addrs[c.addr[1].addr], buf),
			 "2001:db8::7");
	ck_assert_uint_eq(c.addr[1].ttl, 20);
	for (i = 0; i < c.naddrs; i++)
		ck_assert_str_ne(addr_str(&r->addrs[c.addr[i].addr], buf),
				 "203.0.113.66");
	free(r);
}
END_TEST

START_TEST(test_dns_msg_response_cname_loop)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	struct dns_chain c;
	struct msgb m;
	size_t at;

	hdr(&m, 3, DNS_FLAG_QR, 1, 2, 0, 0);
	putname(&m, "x.test");
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	putname(&m, "x.test");
	at = rr_head(&m, DNS_TYPE_CNAME, 5);
	putname(&m, "y.test");
	rr_end(&m, at);
	putname(&m, "y.test");
	at = rr_head(&m, DNS_TYPE_CNAME, 5);
	putname(&m, "x.test");
	rr_end(&m, at);
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	ck_assert_int_eq(dns_msg_chain(r, &c), 0);
	ck_assert_uint_eq(c.nnames, 2);
	ck_assert_uint_eq(c.naddrs, 0);
	free(r);
}
END_TEST

/*
 * example.com HTTPS 1 . alpn=h2,h3 ech=... ipv4hint=192.0.2.1,192.0.2.2
 * ipv6hint=2001:db8::1; then svc.example.com written in full (after the
 * ech bytes) with an A record, and a CNAME whose owner and target point at
 * that name: stripping ech moves it, so both pointers must follow.
 */
static void build_https_response(struct msgb *m, size_t *ech_len)
{
	static const uint8_t alpn[] = { 2, 'h', '2', 2, 'h', '3' };
	static const uint8_t ech[] = { 0x00, 0x45, 0xfe, 0x0d, 1, 2, 3, 4,
				       5, 6, 7, 8, 9, 10 };
	uint8_t a4[8], a6[16];
	size_t q, at, svc;

	inet_pton(AF_INET, "192.0.2.1", a4);
	inet_pton(AF_INET, "192.0.2.2", a4 + 4);
	inet_pton(AF_INET6, "2001:db8::1", a6);

	hdr(m, 0x5151, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, 1, 3, 0, 1);
	q = putname(m, "example.com");
	put16(m, DNS_TYPE_HTTPS);
	put16(m, DNS_CLASS_IN);

	put16(m, 0xc000 | (unsigned int)q);
	at = rr_head(m, DNS_TYPE_HTTPS, 300);
	put16(m, 1);
	put8(m, 0);				/* TargetName "." */
	put16(m, 1);				/* alpn */
	put16(m, sizeof(alpn));
	putbytes(m, alpn, sizeof(alpn));
	put16(m, DNS_SVC_KEY_IPV4HINT);
	put16(m, sizeof(a4));
	putbytes(m, a4, sizeof(a4));
	put16(m, DNS_SVC_KEY_ECH);
	put16(m, sizeof(ech));
	putbytes(m, ech, sizeof(ech));
	put16(m, DNS_SVC_KEY_IPV6HINT);
	put16(m, sizeof(a6));
	putbytes(m, a6, sizeof(a6));
	rr_end(m, at);
	*ech_len = 4 + sizeof(ech);

	svc = putname_ptr(m, "svc", q);
	rr_head(m, DNS_TYPE_A, 60);
	m->n -= 2;
	put_a(m, "198.51.100.9");

	put16(m, 0xc000 | (unsigned int)svc);
	at = rr_head(m, DNS_TYPE_CNAME, 60);
	putname_ptr(m, "alias", svc);
	rr_end(m, at);

	opt_rr(m, 1232, false);
}

START_TEST(test_dns_msg_response_https)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	char buf[INET6_ADDRSTRLEN];
	struct dns_chain c;
	struct msgb m;
	size_t ech_len;

	build_https_response(&m, &ech_len);
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	ck_assert(r->edns);
	ck_assert_uint_eq(r->edns_udp_size, 1232);
	ck_assert_uint_eq(r->nrr, 3);
	ck_assert_uint_eq(r->rr[0].type, DNS_TYPE_HTTPS);
	ck_assert_uint_eq(r->rr[0].svc_priority, 1);
	ck_assert_str_eq(r->names[r->rr[0].target], ".");
	ck_assert(r->rr[0].has_ech);
	ck_assert_uint_eq(r->rr[0].addr_count, 3);
	ck_assert_str_eq(addr_str(&r->addrs[r->rr[0].addr_first], buf),
			 "192.0.2.1");
	ck_assert_str_eq(addr_str(&r->addrs[r->rr[0].addr_first + 1], buf),
			 "192.0.2.2");
	ck_assert_str_eq(addr_str(&r->addrs[r->rr[0].addr_first + 2], buf),
			 "2001:db8::1");
	ck_assert_str_eq(r->names[r->rr[1].owner], "svc.example.com");
	ck_assert_str_eq(r->names[r->rr[2].target], "alias.svc.example.com");

	/* hints count for the query name */
	ck_assert_int_eq(dns_msg_chain(r, &c), 0);
	ck_assert_uint_eq(c.nnames, 1);
	ck_assert_uint_eq(c.naddrs, 3);
	free(r);
}
END_TEST

START_TEST(test_dns_msg_strip_ech)
{
	struct dns_response *before = calloc(1, sizeof(*before));
	struct dns_response *after = calloc(1, sizeof(*after));
	struct msgb m;
	size_t ech_len, len;
	ssize_t n;
	unsigned int i;

	build_https_response(&m, &ech_len);
	len = m.n;
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, before), 0);

	n = dns_msg_strip_ech(m.b, m.n);
	ck_assert_int_eq(n, (ssize_t)(len - ech_len));
	ck_assert_int_eq(dns_msg_set_id(m.b, (size_t)n, 0x0a0b), 0);
	ck_assert_int_eq(dns_msg_parse_response(m.b, (size_t)n, after), 0);
	ck_assert_uint_eq(after->id, 0x0a0b);
	ck_assert(!after->rr[0].has_ech);
	ck_assert(after->edns);

	/* everything else reads the same, including moved pointers */
	ck_assert_uint_eq(after->nrr, before->nrr);
	ck_assert_uint_eq(after->naddrs, before->naddrs);
	ck_assert_mem_eq(after->addrs, before->addrs,
			 before->naddrs * sizeof(before->addrs[0]));
	ck_assert_uint_eq(after->nnames, before->nnames);
	for (i = 0; i < before->nnames; i++)
		ck_assert_str_eq(after->names[i], before->names[i]);
	for (i = 0; i < before->nrr; i++) {
		ck_assert_uint_eq(after->rr[i].type, before->rr[i].type);
		ck_assert_uint_eq(after->rr[i].owner, before->rr[i].owner);
		ck_assert_uint_eq(after->rr[i].target, before->rr[i].target);
		ck_assert_uint_eq(after->rr[i].ttl, before->rr[i].ttl);
	}

	/* a second pass has nothing left to do */
	ck_assert_int_eq(dns_msg_strip_ech(m.b, (size_t)n), n);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_dns_msg_strip_ech_noop)
{
	uint8_t copy[8192];
	struct msgb m;

	build_cname_response(&m);
	memcpy(copy, m.b, m.n);
	ck_assert_int_eq(dns_msg_strip_ech(m.b, m.n), (ssize_t)m.n);
	ck_assert_mem_eq(m.b, copy, m.n);
}
END_TEST

/* A pointer into the ech bytes cannot be kept: refuse, change nothing */
START_TEST(test_dns_msg_strip_ech_pointer_into_removed)
{
	uint8_t copy[8192];
	struct msgb m;
	size_t q, at, ech_at;

	hdr(&m, 1, DNS_FLAG_QR, 1, 2, 0, 0);
	q = putname(&m, "example.com");
	put16(&m, DNS_TYPE_HTTPS);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc000 | (unsigned int)q);
	at = rr_head(&m, DNS_TYPE_HTTPS, 300);
	put16(&m, 1);
	put8(&m, 0);
	put16(&m, DNS_SVC_KEY_ECH);
	put16(&m, 5);
	ech_at = m.n;
	putbytes(&m, "\3abc\0", 5);		/* looks like a name */
	rr_end(&m, at);
	put16(&m, 0xc000 | (unsigned int)ech_at);
	rr_head(&m, DNS_TYPE_A, 1);
	m.n -= 2;
	put_a(&m, "192.0.2.1");

	memcpy(copy, m.b, m.n);
	ck_assert_int_eq(dns_msg_strip_ech(m.b, m.n), -EBADMSG);
	ck_assert_mem_eq(m.b, copy, m.n);
}
END_TEST

/*
 * After the ech bytes: an MX whose exchange name is then used, through a
 * pointer, as the owner of an A record; and a pointer into the A record's
 * RDATA, which no rewrite can follow, in a second message.
 */
START_TEST(test_dns_msg_strip_ech_rdata_pointers)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	uint8_t copy[8192];
	struct msgb m;
	size_t q, at, mx, a_rdata, len;
	ssize_t n;

	hdr(&m, 1, DNS_FLAG_QR, 1, 3, 0, 0);
	q = putname(&m, "example.com");
	put16(&m, DNS_TYPE_HTTPS);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc000 | (unsigned int)q);
	at = rr_head(&m, DNS_TYPE_HTTPS, 300);
	put16(&m, 1);
	put8(&m, 0);
	put16(&m, DNS_SVC_KEY_ECH);
	put16(&m, 8);
	putbytes(&m, "ECHCONFG", 8);
	rr_end(&m, at);
	put16(&m, 0xc000 | (unsigned int)q);
	at = rr_head(&m, DNS_TYPE_MX, 300);
	put16(&m, 10);
	mx = putname_ptr(&m, "mail", q);
	rr_end(&m, at);
	put16(&m, 0xc000 | (unsigned int)mx);
	rr_head(&m, DNS_TYPE_A, 300);
	m.n -= 2;
	put_a(&m, "192.0.2.25");

	len = m.n;
	n = dns_msg_strip_ech(m.b, m.n);
	ck_assert_int_eq(n, (ssize_t)(len - 12));
	ck_assert_int_eq(dns_msg_parse_response(m.b, (size_t)n, r), 0);
	ck_assert_uint_eq(r->nrr, 3);
	ck_assert_str_eq(r->names[r->rr[2].owner], "mail.example.com");
	ck_assert(!r->rr[0].has_ech);

	/* the same, plus a record whose owner points into A RDATA bytes */
	hdr(&m, 1, DNS_FLAG_QR, 1, 2, 0, 0);
	q = putname(&m, "example.com");
	put16(&m, DNS_TYPE_HTTPS);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc000 | (unsigned int)q);
	rr_head(&m, DNS_TYPE_A, 300);
	m.n -= 2;
	a_rdata = m.n + 2;
	put16(&m, 4);
	putbytes(&m, "\1x\0\0", 4);		/* "x." in disguise */
	put16(&m, 0xc000 | (unsigned int)a_rdata);
	at = rr_head(&m, DNS_TYPE_HTTPS, 300);
	put16(&m, 1);
	put8(&m, 0);
	put16(&m, DNS_SVC_KEY_ECH);
	put16(&m, 1);
	put8(&m, 0);
	rr_end(&m, at);
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	memcpy(copy, m.b, m.n);
	ck_assert_int_eq(dns_msg_strip_ech(m.b, m.n), -EBADMSG);
	ck_assert_mem_eq(m.b, copy, m.n);
	free(r);
}
END_TEST

/* Malformed responses, one per row: each is a valid prefix plus a flaw */
enum resp_flaw {
	FLAW_RDLEN_BEYOND,
	FLAW_A_RDLEN,
	FLAW_AAAA_RDLEN,
	FLAW_ANCOUNT_BEYOND,
	FLAW_NSCOUNT_BEYOND,
	FLAW_CNAME_OVERRUNS_RDATA,
	FLAW_CNAME_SHORT_OF_RDATA,
	FLAW_SVCB_KEYS_UNORDERED,
	FLAW_SVCB_HINT_LEN,
	FLAW_SVCB_PARAM_OVERRUNS,
	FLAW_SVCB_TOO_SHORT,
	FLAW_OWNER_POINTER_LOOP,
	FLAW_OWNER_POINTER_FORWARD,
	FLAW_QR_CLEAR,
	FLAW_TWO_QUESTIONS,
	FLAW_TRUNCATED_RR_HEADER,
	FLAW_LONG_LABEL,
	FLAW_POINTER_PAST_ITSELF,
	FLAW_OPT_IN_ANSWER,
	FLAW_NS_RDATA_SHORT,
	FLAW_NUM
};

static void build_flawed(struct msgb *m, enum resp_flaw f)
{
	unsigned int an = f == FLAW_ANCOUNT_BEYOND ? 3 : 1;
	size_t q, at, p;

	hdr(m, 1, f == FLAW_QR_CLEAR ? 0 : DNS_FLAG_QR,
	    f == FLAW_TWO_QUESTIONS ? 2 : 1, an,
	    f == FLAW_NSCOUNT_BEYOND ? 1 : 0,
	    f == FLAW_POINTER_PAST_ITSELF ? 1 : 0);
	q = putname(m, "example.com");
	put16(m, DNS_TYPE_A);
	put16(m, DNS_CLASS_IN);

	switch (f) {
	case FLAW_RDLEN_BEYOND:
		put16(m, 0xc000 | (unsigned int)q);
		rr_head(m, DNS_TYPE_A, 1);
		m->n -= 2;
		put16(m, 40);
		put32(m, 0x01020304);
		break;
	case FLAW_A_RDLEN:
		put16(m, 0xc000 | (unsigned int)q);
		rr_head(m, DNS_TYPE_A, 1);
		m->n -= 2;
		put16(m, 5);
		putbytes(m, "12345", 5);
		break;
	case FLAW_AAAA_RDLEN:
		put16(m, 0xc000 | (unsigned int)q);
		rr_head(m, DNS_TYPE_AAAA, 1);
		m->n -= 2;
		put_a(m, "192.0.2.1");
		break;
	case FLAW_ANCOUNT_BEYOND:
	case FLAW_NSCOUNT_BEYOND:
	case FLAW_QR_CLEAR:
	case FLAW_TWO_QUESTIONS:
		put16(m, 0xc000 | (unsigned int)q);
		rr_head(m, DNS_TYPE_A, 1);
		m->n -= 2;
		put_a(m, "192.0.2.1");
		break;
	case FLAW_CNAME_OVERRUNS_RDATA:
		put16(m, 0xc000 | (unsigned int)q);
		rr_head(m, DNS_TYPE_CNAME, 1);
		m->n -= 2;
		put16(m, 4);
		putname(m, "abcdef.example");
		break;
	case FLAW_CNAME_SHORT_OF_RDATA:
		put16(m, 0xc000 | (unsigned int)q);
		at = rr_head(m, DNS_TYPE_CNAME, 1);
		putname(m, "x.example");
		put16(m, 0);
		rr_end(m, at);
		break;
	case FLAW_SVCB_KEYS_UNORDERED:
	case FLAW_SVCB_HINT_LEN:
	case FLAW_SVCB_PARAM_OVERRUNS:
		put16(m, 0xc000 | (unsigned int)q);
		at = rr_head(m, DNS_TYPE_HTTPS, 1);
		put16(m, 1);
		put8(m, 0);
		if (f == FLAW_SVCB_KEYS_UNORDERED) {
			put16(m, DNS_SVC_KEY_IPV6HINT);
			put16(m, 16);
			putbytes(m, "0123456789abcdef", 16);
			put16(m, DNS_SVC_KEY_IPV4HINT);
			put16(m, 4);
			put32(m, 0xc0000201);
		} else if (f == FLAW_SVCB_HINT_LEN) {
			put16(m, DNS_SVC_KEY_IPV4HINT);
			put16(m, 5);
			putbytes(m, "12345", 5);
		} else {
			put16(m, DNS_SVC_KEY_ECH);
			put16(m, 50);
			put32(m, 0);
		}
		rr_end(m, at);
		break;
	case FLAW_SVCB_TOO_SHORT:
		put16(m, 0xc000 | (unsigned int)q);
		at = rr_head(m, DNS_TYPE_SVCB, 1);
		put16(m, 1);
		rr_end(m, at);
		break;
	case FLAW_OWNER_POINTER_LOOP:
		/* a label, then a pointer back to that label */
		p = m->n;
		put8(m, 1);
		put8(m, 'a');
		put16(m, 0xc000 | (unsigned int)p);
		rr_head(m, DNS_TYPE_A, 1);
		m->n -= 2;
		put_a(m, "192.0.2.1");
		break;
	case FLAW_OWNER_POINTER_FORWARD:
		put16(m, 0xc000 | (unsigned int)(m->n + 2));
		putname(m, "a");
		rr_head(m, DNS_TYPE_A, 1);
		m->n -= 2;
		put_a(m, "192.0.2.1");
		break;
	case FLAW_TRUNCATED_RR_HEADER:
		put16(m, 0xc000 | (unsigned int)q);
		put16(m, DNS_TYPE_A);
		put16(m, DNS_CLASS_IN);
		break;
	case FLAW_LONG_LABEL:
		/* 0x40: a 64-byte label is not a length */
		put8(m, 64);
		for (p = 0; p < 64; p++)
			put8(m, 'a');
		put8(m, 0);
		rr_head(m, DNS_TYPE_A, 1);
		m->n -= 2;
		put_a(m, "192.0.2.1");
		break;
	case FLAW_POINTER_PAST_ITSELF:
		/*
		 * The shape of a fuzz finding: an additional record's owner
		 * points into an earlier A record's RDATA, whose first byte
		 * read as a label length runs over the pointer itself and
		 * its record into bytes after the last record.  Cutting
		 * those (as dns_msg_strip_ech() does) broke the name.
		 */
		put16(m, 0xc000 | (unsigned int)q);
		rr_head(m, DNS_TYPE_A, 1);
		m->n -= 2;
		put16(m, 4);
		p = m->n;
		put8(m, 0);	/* the label length, set below */
		putbytes(m, "abc", 3);
		put16(m, 0xc000 | (unsigned int)p);
		rr_head(m, DNS_TYPE_A, 1);
		m->n -= 2;
		put_a(m, "192.0.2.1");
		putbytes(m, "xyz", 3);	/* "trailing" bytes */
		m->b[p] = (uint8_t)(m->n - p - 1);
		put8(m, 0);
		break;
	case FLAW_OPT_IN_ANSWER:
		/* RFC 6891 6.1.1: OPT only in the additional section */
		opt_rr(m, 1232, false);
		break;
	case FLAW_NS_RDATA_SHORT:
		/* an NS whose name does not fill its RDATA */
		put16(m, 0xc000 | (unsigned int)q);
		at = rr_head(m, DNS_TYPE_NS, 1);
		putname(m, "ns.example");
		put8(m, 0);
		rr_end(m, at);
		break;
	case FLAW_NUM:
		break;
	}
}

START_TEST(test_dns_msg_response_malformed)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	int want = _i == FLAW_QR_CLEAR ? -EPROTO : -EBADMSG;
	uint8_t copy[8192];
	struct msgb m;
	int ret;

	build_flawed(&m, (enum resp_flaw)_i);
	ret = dns_msg_parse_response(m.b, m.n, r);
	ck_assert_msg(ret == want, "flaw %d: got %d", _i, ret);
	/* the rewriter refuses it too, and leaves it alone: both use
	 * dns_msg_check(); only QR is the parser's own business */
	if (_i != FLAW_QR_CLEAR) {
		memcpy(copy, m.b, m.n);
		ck_assert_int_eq(dns_msg_strip_ech(m.b, m.n), -EBADMSG);
		ck_assert_mem_eq(m.b, copy, m.n);
	}
	free(r);
}
END_TEST

START_TEST(test_dns_msg_response_bounded_arrays)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	struct dns_chain c;
	struct msgb m;
	unsigned int i;

	/* 100 A records: 64 kept, the rest checked and counted */
	hdr(&m, 1, DNS_FLAG_QR, 1, 100, 0, 0);
	putname(&m, "many.test");
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	for (i = 0; i < 100; i++) {
		put16(&m, 0xc00c);
		rr_head(&m, DNS_TYPE_A, 60);
		m.n -= 2;
		put16(&m, 4);
		put32(&m, 0xc0000200 + i);
	}
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	ck_assert_uint_eq(r->nrr, DNS_RESP_MAX_RR);
	ck_assert_uint_eq(r->dropped, 100 - DNS_RESP_MAX_RR);
	ck_assert_int_eq(dns_msg_chain(r, &c), 0);
	ck_assert_uint_eq(c.naddrs, DNS_RESP_MAX_RR);

	/* the 101st record is malformed: still refused */
	m.b[7] = 101;
	put16(&m, 0xc00c);
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), -EBADMSG);

	/* an HTTPS record with 200 hints: 128 addresses kept */
	hdr(&m, 1, DNS_FLAG_QR, 1, 1, 0, 0);
	putname(&m, "hints.test");
	put16(&m, DNS_TYPE_HTTPS);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc00c);
	{
		size_t at = rr_head(&m, DNS_TYPE_HTTPS, 60);

		put16(&m, 1);
		put8(&m, 0);
		put16(&m, DNS_SVC_KEY_IPV4HINT);
		put16(&m, 800);
		for (i = 0; i < 200; i++)
			put32(&m, 0x0a000000 + i);
		rr_end(&m, at);
	}
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	ck_assert_uint_eq(r->naddrs, DNS_RESP_MAX_ADDRS);
	ck_assert_uint_eq(r->dropped, 200 - DNS_RESP_MAX_ADDRS);
	free(r);
}
END_TEST

START_TEST(test_dns_msg_response_extended_rcode)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	struct msgb m;

	hdr(&m, 1, DNS_FLAG_QR, 1, 0, 0, 1);
	putname(&m, "example.com");
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put8(&m, 0);
	put16(&m, DNS_TYPE_OPT);
	put16(&m, 4096);
	put32(&m, 0x01000000);		/* extended rcode 1 -> 16 */
	put16(&m, 0);
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	ck_assert_uint_eq(r->rcode, DNS_RCODE_BADVERS);
	ck_assert_str_eq(dns_rcode_str(r->rcode), "BADVERS");
	free(r);
}
END_TEST

START_TEST(test_dns_msg_response_ttl_high_bit)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	struct msgb m;

	hdr(&m, 1, DNS_FLAG_QR, 1, 1, 0, 0);
	putname(&m, "example.com");
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc00c);
	rr_head(&m, DNS_TYPE_A, 0x80000001);
	m.n -= 2;
	put_a(&m, "192.0.2.1");
	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, r), 0);
	ck_assert_uint_eq(r->rr[0].ttl, 0);	/* RFC 2181 8 */
	free(r);
}
END_TEST

/* ---------------------------------------------------------- synthesized */

/**
 * struct built - a synthesized answer, read back by hand
 */
struct built {
	uint16_t flags;
	uint16_t qd, an, ns, ar;
	bool soa;
	uint32_t soa_ttl, soa_minimum;
	char soa_owner[DNS_NAME_SIZE];
	bool opt;
	uint16_t opt_udp;
	uint32_t opt_ttl;
	int ede_code;
	char ede_text[DNS_EDE_TEXT_MAX + 1];
	size_t end;
};

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t g32(const uint8_t *p)
{
	return (uint32_t)g16(p) << 16 | g16(p + 2);
}

/* Read back what dns_msg_build_rcode() writes; independent of its code */
static void read_built(const uint8_t *b, size_t len, const struct dns_query *q,
		       struct built *o)
{
	size_t off;

	memset(o, 0, sizeof(*o));
	o->ede_code = -1;
	ck_assert_uint_ge(len, 12);
	o->flags = g16(b + 2);
	o->qd = g16(b + 4);
	o->an = g16(b + 6);
	o->ns = g16(b + 8);
	o->ar = g16(b + 10);
	ck_assert_uint_eq(o->qd, 1);
	ck_assert_mem_eq(b + 12, q->qname_wire, q->qname_wire_len);
	off = 12 + q->qname_wire_len;
	ck_assert_uint_eq(g16(b + off), q->qtype);
	ck_assert_uint_eq(g16(b + off + 2), q->qclass);
	off += 4;
	ck_assert_uint_eq(o->an, 0);
	if (o->ns) {
		size_t rdlen;

		ck_assert_uint_eq(o->ns, 1);
		ck_assert_uint_eq(g16(b + off), 0xc00c);
		ck_assert_uint_eq(g16(b + off + 2), DNS_TYPE_SOA);
		ck_assert_uint_eq(g16(b + off + 4), DNS_CLASS_IN);
		o->soa = true;
		o->soa_ttl = g32(b + off + 6);
		rdlen = g16(b + off + 10);
		off += 12;
		ck_assert_uint_le(off + rdlen, len);
		o->soa_minimum = g32(b + off + rdlen - 4);
		off += rdlen;
	}
	if (o->ar) {
		size_t rdlen, end;

		ck_assert_uint_eq(o->ar, 1);
		ck_assert_uint_eq(b[off], 0);
		ck_assert_uint_eq(g16(b + off + 1), DNS_TYPE_OPT);
		o->opt = true;
		o->opt_udp = g16(b + off + 3);
		o->opt_ttl = g32(b + off + 5);
		rdlen = g16(b + off + 9);
		off += 11;
		end = off + rdlen;
		ck_assert_uint_le(end, len);
		while (off < end) {
			uint16_t code = g16(b + off), olen = g16(b + off + 2);

			ck_assert_uint_le(off + 4 + olen, end);
			if (code == DNS_EDNS_OPT_EDE) {
				ck_assert_uint_ge(olen, 2);
				o->ede_code = g16(b + off + 4);
				memcpy(o->ede_text, b + off + 6, olen - 2u);
				o->ede_text[olen - 2] = '\0';
			}
			off += 4 + olen;
		}
	}
	o->end = off;
	ck_assert_uint_eq(o->end, len);
}

static const struct {
	enum dns_deny kind;
	unsigned int rcode;
	bool soa;
} deny_kinds[] = {
	{ DNS_DENY_NXDOMAIN, DNS_RCODE_NXDOMAIN, true },
	{ DNS_DENY_NODATA, DNS_RCODE_NOERROR, true },
	{ DNS_DENY_REFUSED, DNS_RCODE_REFUSED, false },
};

/* Each denial kind, with and without EDNS, DO on and off: field by field */
START_TEST(test_dns_msg_denial_fields)
{
	unsigned int k = (unsigned int)_i % ARRAY_SIZE(deny_kinds);
	unsigned int variant = (unsigned int)_i / ARRAY_SIZE(deny_kinds);
	bool edns = variant > 0, dnssec_ok = variant == 2;
	struct dns_response *r = calloc(1, sizeof(*r));
	struct dns_query q;
	struct built o;
	uint8_t out[512];
	struct msgb m;
	ssize_t n;

	hdr(&m, 0xa1b2, DNS_FLAG_RD | DNS_FLAG_CD, 1, 0, 0, edns ? 1 : 0);
	putname(&m, "Tunnel.Evil.Example");
	put16(&m, DNS_TYPE_TXT);
	put16(&m, DNS_CLASS_IN);
	if (edns)
		opt_rr(&m, 4096, dnssec_ok);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);

	n = dns_msg_build_denial(&q, deny_kinds[k].kind, 5, NULL, out,
				 sizeof(out));
	ck_assert_int_gt(n, 0);
	read_built(out, (size_t)n, &q, &o);

	ck_assert_uint_eq(g16(out), 0xa1b2);
	ck_assert(o.flags & DNS_FLAG_QR);
	ck_assert(o.flags & DNS_FLAG_RD);
	ck_assert(o.flags & DNS_FLAG_CD);
	ck_assert(o.flags & DNS_FLAG_RA);
	ck_assert(!(o.flags & DNS_FLAG_TC));
	ck_assert_uint_eq(DNS_OPCODE(o.flags), 0);
	ck_assert_uint_eq(DNS_RCODE(o.flags), deny_kinds[k].rcode);
	ck_assert_int_eq(o.soa, deny_kinds[k].soa);
	if (o.soa) {
		ck_assert_uint_eq(o.soa_ttl, 5);
		ck_assert_uint_eq(o.soa_minimum, 5);
	}
	/* EDE only when the query had EDNS (RFC 6891 7) */
	ck_assert_int_eq(o.opt, edns);
	if (edns) {
		ck_assert_int_eq(o.ede_code, DNS_EDE_BLOCKED);
		ck_assert_str_eq(o.ede_text,
				 "egress-supervise: denied by policy");
		ck_assert_uint_eq(!!(o.opt_ttl & 0x8000), dnssec_ok);
		ck_assert_uint_eq(o.opt_ttl >> 24, 0);
		ck_assert_uint_ge(o.opt_udp, 512);
	} else {
		ck_assert_int_eq(o.ede_code, -1);
	}

	/* and our own parser reads it back the same way */
	ck_assert_int_eq(dns_msg_parse_response(out, (size_t)n, r), 0);
	ck_assert_uint_eq(r->id, 0xa1b2);
	ck_assert_uint_eq(r->rcode, deny_kinds[k].rcode);
	ck_assert_str_eq(r->qname, "tunnel.evil.example");
	ck_assert_uint_eq(r->qtype, DNS_TYPE_TXT);
	ck_assert_uint_eq(r->nrr, 0);
	ck_assert_int_eq(r->edns, edns);
	ck_assert_uint_le((size_t)n, dns_msg_udp_limit(&q));
	free(r);
}
END_TEST

START_TEST(test_dns_msg_denial_custom_text)
{
	char longtext[300];
	struct dns_query q;
	struct built o;
	uint8_t out[1024];
	struct msgb m;
	ssize_t n;

	query(&m, 1, "example.com", DNS_TYPE_A, 1232);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	n = dns_msg_build_denial(&q, DNS_DENY_NXDOMAIN, 30, "rule 3", out,
				 sizeof(out));
	ck_assert_int_gt(n, 0);
	read_built(out, (size_t)n, &q, &o);
	ck_assert_str_eq(o.ede_text, "rule 3");
	ck_assert_uint_eq(o.soa_ttl, 30);

	/* text is cut at DNS_EDE_TEXT_MAX */
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	n = dns_msg_build_denial(&q, DNS_DENY_NXDOMAIN, 30, longtext, out,
				 sizeof(out));
	ck_assert_int_gt(n, 0);
	read_built(out, (size_t)n, &q, &o);
	ck_assert_uint_eq(strlen(o.ede_text), DNS_EDE_TEXT_MAX);
}
END_TEST

START_TEST(test_dns_msg_denial_nospace)
{
	struct dns_query q;
	uint8_t out[512];
	struct msgb m;
	ssize_t n, full;

	query(&m, 1, "example.com", DNS_TYPE_A, 1232);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	full = dns_msg_build_denial(&q, DNS_DENY_NXDOMAIN, 5, NULL, out,
				    sizeof(out));
	ck_assert_int_gt(full, 0);
	for (n = 0; n < full; n++)
		ck_assert_int_eq(dns_msg_build_denial(&q, DNS_DENY_NXDOMAIN, 5,
						      NULL, out, (size_t)n),
				 -ENOSPC);
	ck_assert_int_eq(dns_msg_build_denial(&q, DNS_DENY_NUM, 5, NULL, out,
					      sizeof(out)),
			 -EINVAL);
}
END_TEST

START_TEST(test_dns_msg_servfail)
{
	static const bool edns[] = { false, true };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(edns); i++) {
		struct dns_query q;
		struct built o;
		uint8_t out[512];
		struct msgb m;
		ssize_t n;

		query(&m, 77, "up.example", DNS_TYPE_AAAA, edns[i] ? 1400 : 0);
		ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
		n = dns_msg_build_servfail(&q, out, sizeof(out));
		ck_assert_int_gt(n, 0);
		read_built(out, (size_t)n, &q, &o);
		ck_assert_uint_eq(g16(out), 77);
		ck_assert_uint_eq(DNS_RCODE(o.flags), DNS_RCODE_SERVFAIL);
		ck_assert(!o.soa);
		ck_assert_int_eq(o.opt, edns[i]);
		ck_assert_int_eq(o.ede_code,
				 edns[i] ? DNS_EDE_NETWORK_ERROR : -1);
	}
}
END_TEST

START_TEST(test_dns_msg_badvers)
{
	struct dns_query q;
	struct built o;
	uint8_t out[512];
	struct msgb m;
	ssize_t n;

	query(&m, 1, "example.com", DNS_TYPE_A, 0);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	ck_assert_int_eq(dns_msg_build_rcode(&q, DNS_RCODE_BADVERS, false, 0,
					     -1, NULL, out, sizeof(out)),
			 -EINVAL);

	query(&m, 1, "example.com", DNS_TYPE_A, 1232);
	ck_assert_int_eq(dns_msg_parse_query(m.b, m.n, &q), 0);
	n = dns_msg_build_rcode(&q, DNS_RCODE_BADVERS, false, 0, -1, NULL, out,
				sizeof(out));
	ck_assert_int_gt(n, 0);
	read_built(out, (size_t)n, &q, &o);
	ck_assert_uint_eq(DNS_RCODE(o.flags), 0);
	ck_assert_uint_eq(o.opt_ttl >> 24, 1);
	ck_assert_int_eq(o.ede_code, -1);
}
END_TEST

START_TEST(test_dns_msg_formerr)
{
	uint8_t out[64];
	struct msgb m;

	hdr(&m, 0x7777, DNS_FLAG_RD, 3, 0, 0, 0);	/* 3 questions */
	putbytes(&m, "\xff\xff\xff", 3);
	ck_assert_int_eq(dns_msg_build_formerr(m.b, m.n, out, sizeof(out)), 12);
	ck_assert_uint_eq(g16(out), 0x7777);
	ck_assert(g16(out + 2) & DNS_FLAG_QR);
	ck_assert_uint_eq(DNS_RCODE(g16(out + 2)), DNS_RCODE_FORMERR);
	ck_assert_uint_eq(g16(out + 4), 0);

	ck_assert_int_eq(dns_msg_build_formerr(m.b, 11, out, sizeof(out)),
			 -EBADMSG);
	ck_assert_int_eq(dns_msg_build_formerr(m.b, m.n, out, 11), -ENOSPC);
	m.b[2] |= 0x80;
	ck_assert_int_eq(dns_msg_build_formerr(m.b, m.n, out, sizeof(out)),
			 -EPROTO);
}
END_TEST

/*
 * Whatever the message, the parser and the rewriter agree: what one calls
 * malformed the other refuses, and what the rewriter returns parses as
 * the original did (same result, also -EINVAL for a refused byte) and is
 * a fixed point of the rewrite.
 */
static void assert_strip_parse_agree(const uint8_t *msg, size_t len)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	uint8_t *buf = malloc(len ? len : 1);
	ssize_t n;
	int ret;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, msg, len);
	ret = dns_msg_parse_response(msg, len, r);
	n = dns_msg_strip_ech(buf, len);
	if (n < 0) {
		ck_assert_mem_eq(buf, msg, len);
	} else {
		ck_assert_msg(ret != -EBADMSG, "strip took what parse refused");
		ck_assert_int_eq(dns_msg_parse_response(buf, (size_t)n, r),
				 ret);
		ck_assert_int_eq(dns_msg_strip_ech(buf, (size_t)n), n);
	}
	if (ret == -EBADMSG)
		ck_assert_int_eq(n, -EBADMSG);
	free(buf);
	free(r);
}

/* tests/fuzz/corpus/dns/r-bad-pointer-past-itself, found by fuzz_dns_msg */
static const uint8_t fuzz_pointer_past_itself[] = {
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x77, 0x77, 0x77, 0x06, 0x67, 0x69, 0x74, 0x68, 0x75,
	0x62, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0,
	0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x17,
	0x06, 0x67, 0x69, 0x74, 0x68, 0x75, 0x62, 0x03, 0x6d, 0x61, 0x70,
	0x06, 0x66, 0x61, 0x73, 0x74, 0x6c, 0x79, 0x03, 0x6e, 0x65, 0x74,
	0x00, 0xc0, 0x2c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e,
	0x00, 0x04, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00,
	0x01, 0x00, 0x00, 0x0a, 0x10, 0x00, 0x17, 0x06, 0x67, 0x69, 0x74,
	0x68, 0x75, 0x62, 0x03, 0x6d, 0x61, 0x70, 0x06, 0x66, 0x61, 0x73,
	0x74, 0x6c, 0x79, 0x03, 0x6e, 0x65, 0x2c, 0x00, 0xc0, 0x74, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x04, 0xb9, 0xc7,
	0x6c, 0xb9, 0xc7, 0x6c, 0x85, 0xc0, 0x2c, 0x40, 0x01, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x1e, 0x00, 0x04, 0xb9, 0xc7, 0x6d, 0x85, 0x00,
	0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/*
 * The fuzz finding: the additional record's owner points into the middle
 * of a CNAME's last label ("ne,", a byte the parser refuses), whose length
 * byte read from there runs past the pointer into bytes after the last
 * record.  The parser said -EINVAL, the rewriter cut the trailing bytes
 * and returned a message whose name no longer ended (a second rewrite
 * said -EBADMSG).  Now both say -EBADMSG: a pointer leads to a name that
 * ends before the pointer.
 */
START_TEST(test_dns_msg_strip_parse_agree_fuzz)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	uint8_t buf[sizeof(fuzz_pointer_past_itself)];

	memcpy(buf, fuzz_pointer_past_itself, sizeof(buf));
	ck_assert_int_eq(dns_msg_parse_response(buf, sizeof(buf), r),
			 -EBADMSG);
	ck_assert_int_eq(dns_msg_strip_ech(buf, sizeof(buf)), -EBADMSG);
	assert_strip_parse_agree(fuzz_pointer_past_itself, sizeof(buf));

	/* the same with a byte the parser takes: still malformed */
	buf[0x74] = 't';
	ck_assert_int_eq(dns_msg_parse_response(buf, sizeof(buf), r),
			 -EBADMSG);
	assert_strip_parse_agree(buf, sizeof(buf));
	free(r);
}
END_TEST

/* Every flawed response of the table, and its valid prefix cut anywhere */
START_TEST(test_dns_msg_strip_parse_agree)
{
	struct msgb m;
	size_t cut;

	build_flawed(&m, (enum resp_flaw)_i);
	for (cut = 0; cut <= m.n; cut++)
		assert_strip_parse_agree(m.b, cut);
}
END_TEST

/* A response too big for UDP keeps its question and OPT, and says TC */
START_TEST(test_dns_msg_truncate)
{
	struct dns_response *r = calloc(1, sizeof(*r));
	static const bool with_opt[] = { false, true };
	unsigned int i, j;

	for (j = 0; j < ARRAY_SIZE(with_opt); j++) {
		struct msgb m;
		ssize_t n;

		hdr(&m, 5, DNS_FLAG_QR | DNS_FLAG_RD, 1, 60, 0,
		    with_opt[j] ? 1 : 0);
		putname(&m, "big.example.com");
		put16(&m, DNS_TYPE_A);
		put16(&m, DNS_CLASS_IN);
		for (i = 0; i < 60; i++) {
			put16(&m, 0xc00c);
			rr_head(&m, DNS_TYPE_A, 60);
			m.n -= 2;
			put16(&m, 4);
			put32(&m, 0xc6336400 + i);
		}
		if (with_opt[j])
			opt_rr(&m, 1232, false);
		ck_assert_uint_gt(m.n, 512);

		/* fits already: untouched */
		ck_assert_int_eq(dns_msg_truncate(m.b, m.n, m.n), (ssize_t)m.n);

		n = dns_msg_truncate(m.b, m.n, 512);
		ck_assert_int_gt(n, 0);
		ck_assert_int_le(n, 512);
		ck_assert_int_eq(dns_msg_parse_response(m.b, (size_t)n, r), 0);
		ck_assert(r->tc);
		ck_assert_uint_eq(r->ancount, 0);
		ck_assert_str_eq(r->qname, "big.example.com");
		ck_assert_uint_eq(r->qtype, DNS_TYPE_A);
		ck_assert_int_eq(r->edns, with_opt[j]);
		ck_assert_uint_eq(r->id, 5);
	}

	/* even the question does not fit */
	{
		struct msgb m;

		query(&m, 1, "example.com", DNS_TYPE_A, 0);
		m.b[2] |= 0x80;
		ck_assert_int_eq(dns_msg_truncate(m.b, m.n, 20), -ENOSPC);
	}
	free(r);
}
END_TEST

START_TEST(test_dns_msg_type_str)
{
	char buf[16];

	ck_assert_str_eq(dns_type_str(DNS_TYPE_HTTPS, buf, sizeof(buf)),
			 "HTTPS");
	ck_assert_str_eq(dns_type_str(DNS_TYPE_A, buf, sizeof(buf)), "A");
	ck_assert_str_eq(dns_type_str(4242, buf, sizeof(buf)), "TYPE4242");
	ck_assert_str_eq(dns_rcode_str(DNS_RCODE_NXDOMAIN), "NXDOMAIN");
	ck_assert_str_eq(dns_rcode_str(4000), "RCODE?");
	ck_assert_str_eq(dns_deny_str[DNS_DENY_NODATA], "nodata");
}
END_TEST

/* PTR targets are kept for the shim's reverse lookups; a target that is
 * no host name is dropped, and the answer still parses */
START_TEST(test_dns_msg_response_ptr_target)
{
	struct dns_response r;
	struct msgb m;
	size_t q, at;

	hdr(&m, 7, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, 1, 2, 0, 0);
	q = putname(&m, "10.100.51.198.in-addr.arpa");
	put16(&m, DNS_TYPE_PTR);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc000 | (unsigned int)q);
	at = rr_head(&m, DNS_TYPE_PTR, 300);
	putname(&m, "Host.Example.test");
	rr_end(&m, at);
	put16(&m, 0xc000 | (unsigned int)q);
	at = rr_head(&m, DNS_TYPE_PTR, 300);
	putname(&m, "bad name.example.test");
	rr_end(&m, at);

	ck_assert_int_eq(dns_msg_parse_response(m.b, m.n, &r), 0);
	ck_assert_uint_eq(r.nrr, 2);
	ck_assert_uint_eq(r.rr[0].type, DNS_TYPE_PTR);
	ck_assert_uint_ne(r.rr[0].target, DNS_NO_NAME);
	ck_assert_str_eq(r.names[r.rr[0].target], "host.example.test");
	ck_assert_uint_eq(r.rr[1].target, DNS_NO_NAME);
}
END_TEST

static Suite *dns_msg_suite(void)
{
	Suite *s = suite_create("dns_msg");
	TCase *tc = tcase_create("query");

	tcase_add_test(tc, test_dns_msg_query_basic);
	tcase_add_test(tc, test_dns_msg_query_edns);
	tcase_add_test(tc, test_dns_msg_query_edns_options);
	tcase_add_test(tc, test_dns_msg_query_root_and_limits);
	tcase_add_test(tc, test_dns_msg_query_refused_chars);
	tcase_add_loop_test(tc, test_dns_msg_query_malformed, 0,
			    (int)ARRAY_SIZE(bad_queries));
	tcase_add_test(tc, test_dns_msg_query_name_too_long);
	tcase_add_test(tc, test_dns_msg_query_trailing_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_add_test(tc, test_dns_msg_response_compression);
	tcase_add_test(tc, test_dns_msg_response_compressed_suffix);
	tcase_add_test(tc, test_dns_msg_response_cname_chain);
	tcase_add_test(tc, test_dns_msg_response_cname_loop);
	tcase_add_test(tc, test_dns_msg_response_https);
	tcase_add_loop_test(tc, test_dns_msg_response_malformed, 0, FLAW_NUM);
	tcase_add_test(tc, test_dns_msg_response_bounded_arrays);
	tcase_add_test(tc, test_dns_msg_response_extended_rcode);
	tcase_add_test(tc, test_dns_msg_response_ttl_high_bit);
	suite_add_tcase(s, tc);

	tc = tcase_create("rewrite");
	tcase_add_test(tc, test_dns_msg_strip_ech);
	tcase_add_test(tc, test_dns_msg_strip_ech_noop);
	tcase_add_test(tc, test_dns_msg_strip_ech_pointer_into_removed);
	tcase_add_test(tc, test_dns_msg_strip_ech_rdata_pointers);
	tcase_add_test(tc, test_dns_msg_strip_parse_agree_fuzz);
	tcase_add_loop_test(tc, test_dns_msg_strip_parse_agree, 0, FLAW_NUM);
	tcase_add_test(tc, test_dns_msg_truncate);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_loop_test(tc, test_dns_msg_denial_fields, 0,
			    3 * (int)ARRAY_SIZE(deny_kinds));
	tcase_add_test(tc, test_dns_msg_denial_custom_text);
	tcase_add_test(tc, test_dns_msg_denial_nospace);
	tcase_add_test(tc, test_dns_msg_servfail);
	tcase_add_test(tc, test_dns_msg_badvers);
	tcase_add_test(tc, test_dns_msg_formerr);
	tcase_add_test(tc, test_dns_msg_type_str);
	tcase_add_test(tc, test_dns_msg_response_ptr_target);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dns_msg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
