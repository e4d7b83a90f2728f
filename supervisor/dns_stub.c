// SPDX-License-Identifier: GPL-2.0-or-later
/* dns_stub.c - the DNS stub CMD resolves through
 *
 * Theory of operation
 *
 * Names in the policy only mean something if the supervisor knows which
 * names an address was given for.  CMD's resolver is pointed at this stub
 * (resolv.conf, see resolvconf.c), and every connect or send of CMD to port
 * 53 of any address is redirected here by netcall.c, so every answer CMD
 * can use passes through it.
 *
 * A query (UDP, or TCP with its length prefix) is parsed; a name that no
 * rule could allow is answered here (NXDOMAIN with an SOA and an Extended
 * DNS Error "Blocked", or NODATA when a name below it is allowed) and never
 * leaves the container, whatever its type: no TXT tunnel through a denied
 * domain (in audit mode it is forwarded like an allowed one and logged with
 * verdict "audit", so that the connects that follow are decided by name).
 * An allowed name is forwarded as it is to the upstream resolvers
 * with c-ares (which retries over TCP when an answer is truncated), or
 * answered from a small cache of positive answers (dns_cache.c).  The
 * answer's A/AAAA records and SVCB/HTTPS address hints are recorded in the
 * IP-to-names table under the query name and every name of its CNAME chain
 * *before* the answer is sent on; `ech` parameters are stripped (ECH would
 * hide the SNI that TLS rules check); a UDP answer larger than the client
 * accepts is truncated with TC so the client retries over TCP.
 *
 * Queries in flight and TCP connections live in fixed tables; a query whose
 * client went away is answered into the void.  Upstream failure gives
 * SERVFAIL, never a hang.
 *
 * TCP connection states: READING (collecting a length-prefixed query) ->
 * closed on EOF, error, an oversized query or idleness.  Answers are written
 * whole or the connection is closed.
 */

#include <ares.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dns_cache.h"
#include "dns_msg.h"
#include "dns_stub.h"
#include "dns_table.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "util.h"
#include "verdict.h"

#define DNS_QUERIES_MAX		1024
#define DNS_TCP_MAX		64
#define DNS_TCP_IDLE_MS		10000
#define DNS_TABLE_MAX		65536
#define DNS_NEG_TTL		60
#define DNS_LOG_ANSWERS		16
#define DNS_CACHE_SETS		1024	/* 4096 answers, about 5 MiB */

enum dns_origin {
	DNS_ORIGIN_UDP,
	DNS_ORIGIN_TCP,
	DNS_ORIGIN_SELF,	/* the supervisor's own (dns_stub_resolve()) */
};

#define DNS_SELF_MAX		256
#define DNS_SELF_ADDRS		16

/* A query of the supervisor's own, waiting for its answer */
struct dns_self {
	bool used;
	uint32_t gen;
	dns_resolve_cb cb;
	dns_answer_fn answer_cb;
	void *arg;
	uint32_t cb_gen;
};

/**
 * struct dns_inflight - a query forwarded upstream, waiting for its answer
 * @used:	slot taken
 * @gen:	generation, to recognize a late callback for a reused slot
 * @q:		the client's query (id, name, type, EDNS size)
 * @origin:	UDP or TCP
 * @from:	UDP: the client's address
 * @conn:	TCP: index of the connection, and its generation
 * @audit:	audit mode forwarded a name the policy denies: the reason
 *		to log with verdict "audit", else NULL
 */
struct dns_inflight {
	bool used;
	uint32_t gen;
	const char *audit;
	struct dns_query q;
	enum dns_origin origin;
	struct sockaddr_storage from;
	socklen_t fromlen;
	unsigned int conn;
	uint32_t conn_gen;
};

struct dns_conn {
	int fd;
	uint32_t gen;
	size_t len;
	uint64_t last_ms;
	uint8_t buf[2 + DNS_MSG_MAX];
};

static struct {
	int udp_fd;
	int tcp_fd;
	struct sockaddr_in addr;
	ares_channel ch;
	struct dns_table *table;
	struct dns_cache *cache;
	struct dns_inflight q[DNS_QUERIES_MAX];
	struct dns_conn *conn[DNS_TCP_MAX];
	uint8_t buf[DNS_MSG_MAX];
	struct dns_response resp;
	struct dns_chain chain;
	struct dns_self self[DNS_SELF_MAX];
	struct dns_response self_resp;
	struct dns_chain self_chain;
} stub = { .udp_fd = -1, .tcp_fd = -1 };

const struct sockaddr_in *dns_stub_addr(void)
{
	return &stub.addr;
}

/* Is the stub listening?  If not, queries must not be redirected */
bool dns_stub_up(void)
{
	return stub.udp_fd >= 0 && stub.tcp_fd >= 0;
}

struct dns_table *dns_stub_table(void)
{
	return stub.table;
}

/**
 * dns_stub_names() - the live names an address was answered for
 * @family:	AF_INET or AF_INET6
 * @addr:	4 or 16 bytes
 * @names:	filled with pointers valid until the next table change
 * @max:	size of @names
 *
 * Return: number of names
 */
int dns_stub_names(int family, const uint8_t *addr, const char **names,
		   size_t max)
{
	int n;

	if (!stub.table)
		return 0;
	n = dns_table_lookup(stub.table, family, addr, loop_now_ms(), names,
			     max);
	/* the table counts every live name, even those that did not fit */
	return n < 0 ? 0 : (int)MIN((size_t)n, max);
}

/* ------------------------------------------------------------------ */
/* answers                                                             */

static void dns_conn_close(unsigned int i)
{
	struct dns_conn *c = stub.conn[i];

	if (!c)
		return;
	loop_del(c->fd);
	close(c->fd);
	free(c);
	stub.conn[i] = NULL;
}

static void dns_self_reply(unsigned int i, uint32_t gen, const uint8_t *msg,
			   size_t len)
{
	struct dns_response *r = &stub.self_resp;
	struct dns_chain *c = &stub.self_chain;
	struct sa_dest a[DNS_SELF_ADDRS];
	struct dns_self s;
	size_t n = 0, k;

	if (i >= DNS_SELF_MAX || !stub.self[i].used || stub.self[i].gen != gen)
		return;
	s = stub.self[i];
	stub.self[i].used = false;
	if (s.answer_cb) {
		/* the whole answer, denials and failures included */
		if (len && !dns_msg_parse_response(msg, len, r) &&
		    !dns_msg_chain(r, c))
			s.answer_cb(s.arg, s.cb_gen, r, c);
		else
			s.answer_cb(s.arg, s.cb_gen, NULL, NULL);
		return;
	}
	if (len && !dns_msg_parse_response(msg, len, r) && !r->rcode &&
	    !dns_msg_chain(r, c)) {
		for (k = 0; k < c->naddrs && n < DNS_SELF_ADDRS; k++) {
			const struct dns_addr *da = &r->addrs[c->addr[k].addr];
			struct sa_dest *d = &a[n++];

			memset(d, 0, sizeof(*d));
			d->kind = SA_ADDR;
			d->family = da->family;
			memcpy(d->addr, da->addr, da->family == AF_INET ? 4 : 16);
			if (da->family == AF_INET) {
				struct sockaddr_in *sin = (void *)&d->emu;

				sin->sin_family = AF_INET;
				memcpy(&sin->sin_addr, da->addr, 4);
				d->emu_len = sizeof(*sin);
			} else {
				struct sockaddr_in6 *sin6 = (void *)&d->emu;

				sin6->sin6_family = AF_INET6;
				memcpy(&sin6->sin6_addr, da->addr, 16);
				d->emu_len = sizeof(*sin6);
			}
		}
	}
	s.cb(s.arg, s.cb_gen, n ? 0 : -ENOENT, a, n);
}

static void dns_reply(enum dns_origin origin, const struct sockaddr *from,
		      socklen_t fromlen, unsigned int conn, uint32_t conn_gen,
		      const uint8_t *msg, size_t len)
{
	if (origin == DNS_ORIGIN_SELF) {
		dns_self_reply(conn, conn_gen, msg, len);
		return;
	}
	if (origin == DNS_ORIGIN_UDP) {
		sendto(stub.udp_fd, msg, len, MSG_DONTWAIT, from, fromlen);
		return;
	}
	if (conn < DNS_TCP_MAX && stub.conn[conn] &&
	    stub.conn[conn]->gen == conn_gen) {
		uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
		struct iovec iov[2] = { { hdr, 2 }, { (void *)msg, len } };
		ssize_t n = writev(stub.conn[conn]->fd, iov, 2);

		if (n != (ssize_t)len + 2)
			dns_conn_close(conn);
	}
}

static void dns_log(const struct dns_query *q, const char *verdict,
		    unsigned int rcode, const char *reason,
		    const struct dns_response *r, const struct dns_chain *c)
{
	const char *answers[DNS_LOG_ANSWERS];
	char text[DNS_LOG_ANSWERS][INET6_ADDRSTRLEN];
	char tbuf[16];
	struct log_line l;
	size_t n = 0, i;

	log_begin(&l, "dns");
	log_str(&l, "verdict", verdict);
	log_str(&l, "qname", q->qname);
	log_str(&l, "qtype", dns_type_str(q->qtype, tbuf, sizeof(tbuf)));
	log_str(&l, "rcode", dns_rcode_str(rcode));
	log_str(&l, "reason", reason);
	metrics_dns(verdict, dns_rcode_str(rcode), q->qname);
	if (r && c) {
		const char *names[DNS_LOG_ANSWERS];
		size_t nn = MIN(c->nnames, DNS_LOG_ANSWERS);

		for (i = 0; i < c->naddrs && n < DNS_LOG_ANSWERS; i++) {
			const struct dns_addr *a = &r->addrs[c->addr[i].addr];

			inet_ntop(a->family, a->addr, text[n],
				  sizeof(text[n]));
			answers[n] = text[n];
			n++;
		}
		log_strv(&l, "answers", answers, n);
		for (i = 0; i < nn; i++)
			names[i] = r->names[c->name[i]];
		if (nn > 1)
			log_strv(&l, "chain", names, nn);
	}
	log_end(&l);
}

/* ------------------------------------------------------------------ */
/* the supervisor's own queries                                       */

static void dns_query(const uint8_t *msg, size_t len, enum dns_origin origin,
		      const struct sockaddr *from, socklen_t fromlen,
		      unsigned int conn, uint32_t conn_gen);

/*
 * dns_self_start() - send a query of the supervisor's own through the stub
 *
 * The query takes the path of CMD's queries: the policy's name verdict,
 * the cache, upstream, and the table learns the answer.  Exactly one of
 * @cb and @answer_cb is set; it is called exactly once, possibly before
 * this returns.
 *
 * Return: 0, or -errno (then no callback)
 */
static int dns_self_start(const char *name, uint16_t qtype, dns_resolve_cb cb,
			  dns_answer_fn answer_cb, void *arg, uint32_t gen)
{
	static uint32_t self_gen;
	uint8_t msg[DNS_HDR_LEN + DNS_WIRE_NAME_MAX + 4] = { 0 };
	size_t len = DNS_HDR_LEN, i;
	const char *p = name;

	if (!dns_stub_up())
		return -ENETDOWN;
	for (i = 0; i < DNS_SELF_MAX && stub.self[i].used; i++)
		;
	if (i == DNS_SELF_MAX)
		return -EAGAIN;

	msg[0] = (uint8_t)(self_gen >> 8);
	msg[1] = (uint8_t)self_gen;
	msg[2] = 0x01;		/* RD */
	msg[5] = 1;		/* QDCOUNT */
	while (*p) {
		size_t l = strcspn(p, ".");

		if (!l || l > 63 || len + 1 + l + 5 > sizeof(msg))
			return -EINVAL;
		msg[len++] = (uint8_t)l;
		memcpy(msg + len, p, l);
		len += l;
		p += l;
		if (*p)
			p++;
	}
	msg[len++] = 0;
	msg[len++] = (uint8_t)(qtype >> 8);
	msg[len++] = (uint8_t)qtype;
	msg[len++] = 0;
	msg[len++] = 1;		/* IN */

	stub.self[i] = (struct dns_self){
		.used = true,
		.gen = ++self_gen,
		.cb = cb,
		.answer_cb = answer_cb,
		.arg = arg,
		.cb_gen = gen,
	};
	dns_query(msg, len, DNS_ORIGIN_SELF, NULL, 0, (unsigned int)i,
		  stub.self[i].gen);
	return 0;
}

/**
 * dns_stub_resolve() - resolve a name for the supervisor itself
 * @name:	the name (the relay's SNI or Host)
 * @family:	AF_INET (A) or AF_INET6 (AAAA)
 * @cb:		called with the addresses, possibly before this returns
 * @arg, @gen:	passed to @cb
 *
 * The query takes the path of CMD's queries: the policy's name verdict,
 * the cache, upstream, and the table learns the answer.
 *
 * Return: 0 (then @cb is called exactly once), or -errno
 */
int dns_stub_resolve(const char *name, int family, dns_resolve_cb cb,
		     void *arg, uint32_t gen)
{
	return dns_self_start(name, family == AF_INET ? 1 : 28, cb, NULL, arg,
			      gen);
}

/**
 * dns_stub_query() - ask the stub for one name and type on CMD's behalf
 * @name:	dotted name, no final dot
 * @qtype:	record type
 * @cb:		called with the answer as CMD would have seen it, possibly
 *		before this returns
 * @arg, @gen:	passed to @cb
 *
 * For the shim's lookups (lookup.c): the same verdict, cache, upstream,
 * table learning and "dns" log line as a query to port 53.
 *
 * Return: 0 (then @cb is called exactly once), or -errno
 */
int dns_stub_query(const char *name, uint16_t qtype, dns_answer_fn cb,
		   void *arg, uint32_t gen)
{
	return dns_self_start(name, qtype, NULL, cb, arg, gen);
}

/* ------------------------------------------------------------------ */
/* upstream                                                            */

/* Record every address of the answer's chain under every name of it;
 * called before the answer is sent, for fresh and cached answers alike */
static void dns_learn(const struct dns_response *r, const struct dns_chain *c,
		      uint64_t now)
{
	size_t i, j;

	for (i = 0; i < c->naddrs; i++) {
		const struct dns_addr *a = &r->addrs[c->addr[i].addr];

		for (j = 0; j < c->nnames; j++)
			dns_table_add(stub.table, a->family, a->addr,
				      r->names[c->name[j]], c->addr[i].ttl,
				      now);
	}
}

/* How long an answer may be served from the cache: its smallest TTL */
static uint32_t dns_answer_ttl(const struct dns_response *r)
{
	uint32_t ttl = policy_dns_max_ttl(verdict_policy());
	unsigned int i;

	for (i = 0; i < r->nrr; i++)
		ttl = MIN(ttl, r->rr[i].ttl);
	return ttl;
}

static void dns_answer_cb(void *arg, int status, int timeouts, unsigned char *abuf,
			  int alen)
{
	uintptr_t v = (uintptr_t)arg;
	struct dns_inflight *f = &stub.q[v & 0xffff];
	uint32_t gen = (uint32_t)(v >> 16);
	struct dns_response *r = &stub.resp;
	struct dns_chain *c = &stub.chain;
	uint64_t now = loop_now_ms();
	ssize_t len;

	(void)timeouts;
	if (!f->used || (f->gen & 0xffffffff) != gen)
		return;
	f->used = false;

	if (status != ARES_SUCCESS || !abuf || alen < DNS_HDR_LEN ||
	    (size_t)alen > sizeof(stub.buf)) {
		len = dns_msg_build_servfail(&f->q, stub.buf, sizeof(stub.buf));
		dns_log(&f->q, f->audit ? "audit" : "allow",
			DNS_RCODE_SERVFAIL, f->audit ? f->audit :
			ares_strerror(status), NULL, NULL);
		goto send;
	}

	memcpy(stub.buf, abuf, (size_t)alen);
	/* What the client will see: ech stripped, then parsed again */
	len = dns_msg_strip_ech(stub.buf, (size_t)alen);
	if (len < 0 || dns_msg_parse_response(stub.buf, (size_t)len, r) ||
	    dns_msg_chain(r, c)) {
		len = dns_msg_build_servfail(&f->q, stub.buf, sizeof(stub.buf));
		dns_log(&f->q, f->audit ? "audit" : "allow",
			DNS_RCODE_SERVFAIL, f->audit ? f->audit :
			"malformed upstream answer", NULL, NULL);
		goto send;
	}

	dns_learn(r, c, now);
	dns_log(&f->q, f->audit ? "audit" : "allow", r->rcode,
		f->audit ? f->audit : "forwarded", r, c);
	if (!r->rcode && !r->tc && c->naddrs)
		dns_cache_put(stub.cache, &f->q, stub.buf, (size_t)len,
			      dns_answer_ttl(r), now);

	dns_msg_set_id(stub.buf, (size_t)len, f->q.id);
	if (f->origin == DNS_ORIGIN_UDP) {
		size_t max = dns_msg_udp_limit(&f->q);

		if ((size_t)len > max)
			len = dns_msg_truncate(stub.buf, (size_t)len, max);
	}
send:
	if (len > 0)
		dns_reply(f->origin, (struct sockaddr *)&f->from, f->fromlen,
			  f->conn, f->conn_gen, stub.buf, (size_t)len);
}

static void dns_sock_state_cb(void *data, ares_socket_t fd, int readable,
			      int writable)
{
	union loop_ref ref = { .type = LOOP_DNS_UPSTREAM, .fd = fd };
	uint32_t ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	(void)data;
	if (!ev) {
		loop_del(fd);
		return;
	}
	if (loop_mod(fd, ev, ref) == -ENOENT)
		loop_add(fd, ev, ref);
}

/* ------------------------------------------------------------------ */
/* queries                                                             */

static enum dns_deny dns_deny_kind(enum policy_name_verdict nv)
{
	if (nv == POLICY_NAME_DENY_NODATA)
		return DNS_DENY_NODATA;
	switch (policy_dns_deny_answer(verdict_policy())) {
	case POLICY_DNS_DENY_NODATA:
		return DNS_DENY_NODATA;
	case POLICY_DNS_DENY_REFUSED:
		return DNS_DENY_REFUSED;
	case POLICY_DNS_DENY_NXDOMAIN:
	case POLICY_DNS_DENY_NUM:
		break;
	}
	return DNS_DENY_NXDOMAIN;
}

static void dns_query(const uint8_t *msg, size_t len, enum dns_origin origin,
		      const struct sockaddr *from, socklen_t fromlen,
		      unsigned int conn, uint32_t conn_gen)
{
	static uint32_t gen_counter;
	static struct dns_query q;
	enum policy_name_verdict nv;
	const char *audit = NULL;
	struct dns_inflight *f = NULL;
	uint8_t out[1024];
	ssize_t n;
	size_t i;
	int ret;

	ret = dns_msg_parse_query(msg, len, &q);
	if (ret == -EINVAL) {
		/* Parsed, but a name we refuse (odd bytes in labels) */
		n = dns_msg_build_denial(&q, DNS_DENY_REFUSED, 0, NULL, out,
					 sizeof(out));
		dns_log(&q, "deny", DNS_RCODE_REFUSED, "invalid name", NULL,
			NULL);
		goto reply;
	}
	if (ret) {
		n = dns_msg_build_formerr(msg, len, out, sizeof(out));
		metrics_dns("deny", dns_rcode_str(DNS_RCODE_FORMERR),
			    "(malformed query)");
		goto reply;
	}
	if (q.edns && q.edns_version) {
		metrics_dns("deny", dns_rcode_str(DNS_RCODE_BADVERS), q.qname);
		n = dns_msg_build_rcode(&q, DNS_RCODE_BADVERS, false, 0, -1,
					NULL, out, sizeof(out));
		goto reply;
	}
	if (q.opcode || q.qclass != DNS_CLASS_IN) {
		unsigned int rcode = q.opcode ? DNS_RCODE_NOTIMP
					      : DNS_RCODE_REFUSED;

		n = dns_msg_build_rcode(&q, rcode, false, 0, -1, NULL, out,
					sizeof(out));
		dns_log(&q, "deny", rcode, "opcode or class", NULL, NULL);
		goto reply;
	}

	nv = policy_name_verdict(verdict_policy(), q.qname);
	if (nv != POLICY_NAME_ALLOW &&
	    policy_mode(verdict_policy()) == POLICY_MODE_AUDIT) {
		/* Audit: forward it like an allowed name, so the program
		 * goes on and its connects are decided (and logged) by
		 * name; the answer is logged with verdict "audit" */
		audit = nv == POLICY_NAME_DENY_NODATA ?
				"only names below it are allowed" :
				"no rule allows this name";
		log_human("AUDIT dns %s (%s)", q.qname, audit);
	} else if (nv != POLICY_NAME_ALLOW) {
		enum dns_deny kind = dns_deny_kind(nv);

		n = dns_msg_build_denial(&q, kind, DNS_NEG_TTL, NULL, out,
					 sizeof(out));
		dns_log(&q, "deny", kind == DNS_DENY_NXDOMAIN ?
					    DNS_RCODE_NXDOMAIN :
				    kind == DNS_DENY_REFUSED ?
					    DNS_RCODE_REFUSED : DNS_RCODE_NOERROR,
			nv == POLICY_NAME_DENY_NODATA ?
				"only names below it are allowed" :
				"no rule allows this name", NULL, NULL);
		log_human("DENY dns %s (%s)", q.qname, dns_deny_str[kind]);
		goto reply;
	}

	n = dns_cache_get(stub.cache, &q, stub.buf, sizeof(stub.buf),
			  loop_now_ms());
	if (n > 0 && !dns_msg_parse_response(stub.buf, (size_t)n, &stub.resp) &&
	    !dns_msg_chain(&stub.resp, &stub.chain)) {
		dns_learn(&stub.resp, &stub.chain, loop_now_ms());
		dns_log(&q, audit ? "audit" : "allow", stub.resp.rcode,
			audit ? audit : "cached", &stub.resp, &stub.chain);
		if (origin == DNS_ORIGIN_UDP &&
		    (size_t)n > dns_msg_udp_limit(&q))
			n = dns_msg_truncate(stub.buf, (size_t)n,
					     dns_msg_udp_limit(&q));
		if (n > 0)
			dns_reply(origin, from, fromlen, conn, conn_gen,
				  stub.buf, (size_t)n);
		return;
	}

	for (i = 0; i < DNS_QUERIES_MAX; i++) {
		if (!stub.q[i].used) {
			f = &stub.q[i];
			break;
		}
	}
	if (!f) {
		n = dns_msg_build_servfail(&q, out, sizeof(out));
		dns_log(&q, "allow", DNS_RCODE_SERVFAIL,
			"too many queries in flight", NULL, NULL);
		goto reply;
	}
	f->used = true;
	f->gen = ++gen_counter & 0xffffffff;
	f->audit = audit;
	f->q = q;
	f->origin = origin;
	if (origin == DNS_ORIGIN_UDP) {
		memcpy(&f->from, from, fromlen);
		f->fromlen = fromlen;
	}
	f->conn = conn;
	f->conn_gen = conn_gen;
	ares_send(stub.ch, msg, (int)len, dns_answer_cb,
		  (void *)(uintptr_t)((uint64_t)(f - stub.q) |
				      ((uint64_t)f->gen << 16)));
	return;
reply:
	if (n <= 0 && origin == DNS_ORIGIN_SELF)
		dns_self_reply(conn, conn_gen, NULL, 0);	/* no answer */
	if (n > 0)
		dns_reply(origin, from, fromlen, conn, conn_gen, out,
			  (size_t)n);
}

static void dns_udp_handler(void)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint8_t buf[DNS_MSG_MAX];
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n;

		fromlen = sizeof(from);
		n = recvfrom(stub.udp_fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		dns_query(buf, (size_t)n, DNS_ORIGIN_UDP,
			  (struct sockaddr *)&from, fromlen, 0, 0);
	}
}

static void dns_accept_handler(void)
{
	static uint32_t gen_counter;
	struct dns_conn *c;
	unsigned int i;
	int fd;

	fd = accept4(stub.tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < DNS_TCP_MAX && stub.conn[i]; i++)
		;
	if (i == DNS_TCP_MAX || !(c = malloc(sizeof(*c)))) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->gen = ++gen_counter;
	c->len = 0;
	c->last_ms = loop_now_ms();
	stub.conn[i] = c;
	if (loop_add(fd, EPOLLIN | EPOLLRDHUP,
		     (union loop_ref){ .type = LOOP_DNS_TCP, .fd = fd,
				       .idx = i }))
		dns_conn_close(i);
}

static void dns_tcp_handler(unsigned int i, int fd)
{
	struct dns_conn *c = i < DNS_TCP_MAX ? stub.conn[i] : NULL;
	ssize_t n;

	if (!c || c->fd != fd)
		return;
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n <= 0) {
		dns_conn_close(i);
		return;
	}
	c->len += (size_t)n;
	c->last_ms = loop_now_ms();
	while (c->len >= 2) {
		size_t mlen = (size_t)c->buf[0] << 8 | c->buf[1];

		if (c->len < 2 + mlen)
			break;
		dns_query(c->buf + 2, mlen, DNS_ORIGIN_TCP, NULL, 0, i,
			  c->gen);
		if (!stub.conn[i])
			return;	/* closed by a failed reply */
		memmove(c->buf, c->buf + 2 + mlen, c->len - 2 - mlen);
		c->len -= 2 + mlen;
	}
}

void dns_stub_handler(union loop_ref ref, uint32_t events)
{
	switch ((enum loop_type)ref.type) {
	case LOOP_DNS_UDP:
		dns_udp_handler();
		break;
	case LOOP_DNS_TCP_LISTEN:
		dns_accept_handler();
		break;
	case LOOP_DNS_TCP:
		dns_tcp_handler(ref.idx, ref.fd);
		break;
	case LOOP_DNS_UPSTREAM:
		ares_process_fd(stub.ch,
				events & (EPOLLIN | EPOLLERR | EPOLLHUP) ?
					ref.fd : ARES_SOCKET_BAD,
				events & EPOLLOUT ? ref.fd : ARES_SOCKET_BAD);
		break;
	case LOOP_NONE:
	case LOOP_NOTIFY:
	case LOOP_SIGNAL:
	case LOOP_RELAY_LISTEN:
	case LOOP_RELAY:
	case LOOP_PENDING:
	case LOOP_SHIM_LISTEN:
	case LOOP_SHIM:
			break;
	case LOOP_METRICS_LISTEN:
	case LOOP_METRICS_CONN:
	case LOOP_CONTROL_LISTEN:
	case LOOP_CONTROL:
	case LOOP_CONTROL_SPAWN:
	case LOOP_TYPE_NUM:
		break;
	}
}

/**
 * dns_stub_timeout_ms() - how long the loop may sleep for c-ares' sake
 */
int dns_stub_timeout_ms(int max)
{
	struct timeval tv = { .tv_sec = max / 1000,
			      .tv_usec = (max % 1000) * 1000 };
	struct timeval *t;

	if (!stub.ch)
		return max;
	t = ares_timeout(stub.ch, &tv, &tv);
	return (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
}

/**
 * dns_stub_timer() - upstream timeouts, idle TCP clients, table expiry
 */
void dns_stub_timer(void)
{
	static uint64_t last_expire;
	uint64_t now = loop_now_ms();
	unsigned int i;

	if (!stub.ch)
		return;
	ares_process_fd(stub.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	if (now - last_expire < 1000)
		return;
	last_expire = now;
	for (i = 0; i < DNS_TCP_MAX; i++) {
		if (stub.conn[i] && now - stub.conn[i]->last_ms >
				    DNS_TCP_IDLE_MS)
			dns_conn_close(i);
	}
	dns_table_expire(stub.table, now);
}

/* ------------------------------------------------------------------ */
/* setup                                                               */

static int dns_listen(int type)
{
	int one = 1, fd, ret;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&stub.addr, sizeof(stub.addr)) ||
	    (type == SOCK_STREAM && listen(fd, 64))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* c-ares' CSV wants IPv6 in brackets when a port follows; we pass addresses
 * as the policy and the command line give them (IP, [IPv6]:port, IP:port) */
static int dns_upstream_csv(const char *const *up, size_t n, char *out,
			    size_t size)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		struct in_addr a4;
		int w;

		/* never forward to ourselves */
		if (inet_pton(AF_INET, up[i], &a4) == 1 &&
		    a4.s_addr == stub.addr.sin_addr.s_addr)
			continue;
		w = snprintf(out + len, size - len, "%s%s", len ? "," : "",
			     up[i]);
		if (w < 0 || (size_t)w >= size - len)
			return -ENAMETOOLONG;
		len += (size_t)w;
	}
	return len ? 0 : -ENOENT;
}

/**
 * dns_stub_init() - listen, and set up the upstream resolver
 * @listen:	IPv4 address to listen on, port 53
 * @upstream:	upstream servers (IP, IP:PORT or [IPv6]:PORT)
 * @n_upstream:	how many; 0: every query gets SERVFAIL
 *
 * Return: 0 or -errno
 */
int dns_stub_init(const char *listen, const char *const *upstream,
		  size_t n_upstream)
{
	const struct policy *p = verdict_policy();
	struct ares_options o = { 0 };
	char csv[2048];
	int ret;

	stub.addr.sin_family = AF_INET;
	stub.addr.sin_port = htons(53);
	if (inet_pton(AF_INET, listen, &stub.addr.sin_addr) != 1)
		return -EINVAL;

	stub.table = dns_table_init(DNS_TABLE_MAX, policy_dns_min_ttl(p),
				    policy_dns_max_ttl(p), policy_dns_grace(p));
	stub.cache = dns_cache_init(DNS_CACHE_SETS);
	if (!stub.table || !stub.cache)
		return -ENOMEM;

	ret = ares_library_init(ARES_LIB_INIT_ALL);
	if (ret)
		return -ENOMEM;
	o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_STAYOPEN;
	o.sock_state_cb = dns_sock_state_cb;
	o.timeout = 1500;	/* x2 tries with backoff: 4.5 s, under glibc's 5 s */
	o.tries = 2;
	o.ndomains = 0;
	o.domains = NULL;
	ret = ares_init_options(&stub.ch, &o,
				ARES_OPT_FLAGS | ARES_OPT_SOCK_STATE_CB |
				ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
				ARES_OPT_DOMAINS);
	if (ret)
		return -ENOMEM;
	ret = dns_upstream_csv(upstream, n_upstream, csv, sizeof(csv));
	if (!ret && ares_set_servers_ports_csv(stub.ch, csv) != ARES_SUCCESS)
		return -EINVAL;
	if (ret == -ENOENT) {
		log_warn("no upstream DNS server: every allowed name will get "
			 "SERVFAIL");
		ares_set_servers_ports_csv(stub.ch, "");
	} else if (ret) {
		return ret;
	}

	stub.udp_fd = dns_listen(SOCK_DGRAM);
	if (stub.udp_fd < 0)
		return stub.udp_fd;
	stub.tcp_fd = dns_listen(SOCK_STREAM);
	if (stub.tcp_fd < 0) {
		ret = stub.tcp_fd;
		close(stub.udp_fd);
		stub.udp_fd = -1;
		return ret;
	}
	ret = loop_add(stub.udp_fd, EPOLLIN,
		       (union loop_ref){ .type = LOOP_DNS_UDP,
					 .fd = stub.udp_fd });
	if (!ret)
		ret = loop_add(stub.tcp_fd, EPOLLIN,
			       (union loop_ref){ .type = LOOP_DNS_TCP_LISTEN,
						 .fd = stub.tcp_fd });
	return ret;
}
