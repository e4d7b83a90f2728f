// SPDX-License-Identifier: GPL-2.0-or-later
/* quic_gate.c - datagrams to quic-only destinations wait for their SNI
 *
 * Theory of operation
 *
 * A UDP destination that only a `quic` rule allows is not allowed on the
 * address alone: the ClientHello in the client's Initial packets must name
 * a server the policy allows, and that name must be one the DNS stub gave
 * this address (no domain fronting on shared addresses).  netcall.c sends
 * every datagram of such a destination here, before it is sent.
 *
 * A flow is CMD's socket (the inode of our duplicate) and the destination.
 * Its states, and what each allows:
 *
 *   HOLD	the ClientHello is not complete: nothing is sent.  Each send
 *		is kept (at most QG_HOLD_MSGS sends, QG_HOLD_BYTES bytes) and
 *		answered as sent: the client's QUIC stack goes on, and would
 *		retransmit anything lost.  When the ClientHello completes, it
 *		is decided; allowed, the held sends go out in their order,
 *		then the one that completed it.
 *   OPEN	allowed: datagrams go out as they come.  Datagrams that
 *		start with a long header are still parsed (quic_flow_feed()
 *		checks that retransmitted CRYPTO bytes repeat the ClientHello
 *		that was decided), and an Initial that does not decrypt with
 *		the flow's keys is a new connection on the same socket: back
 *		to HOLD, decided anew.  Short-header datagrams only cost a
 *		lookup.
 *   PASS	audit mode, for a flow that could not be parsed: logged once
 *		as audit, then sent without inspection.
 *
 * A denial frees the flow, and the send that caused it fails with the
 * policy's errno and one log line with the reason (quic_sni_denied,
 * quic_sni_mismatch, quic_not_initial, ...).  Later datagrams on the same
 * flow start a new one: a short-header datagram is quic_not_initial.
 *
 * The datagrams checked must be the datagrams sent:
 *  - UDP GSO (UDP_SEGMENT, by cmsg or socket option) cuts one send into
 *    several datagrams: each segment is parsed as its own datagram, and
 *    the send is made with an explicit UDP_SEGMENT cmsg of the size that
 *    was parsed, so another thread changing the socket option in between
 *    changes nothing;
 *  - MSG_MORE (and UDP_CORK, which the filter refuses) would let bytes
 *    we never saw, sent without an address and so never notified, join
 *    the datagram: a send with MSG_MORE is denied (quic_cork).
 *
 * Connected sockets: a connect() to a quic-only destination is denied in
 * verdict.c (quic_connected_socket), because the sends that follow carry
 * no address and never reach the supervisor.
 *
 * Memory: QG_FLOWS flows in all, QG_PER_TGID of one process (a process at
 * its share loses its own least recently used flow; a full table loses
 * the least recently used of all).  A flow holds its parser (about 10 KiB,
 * quic_initial.h) and, while in HOLD, its held sends.  A HOLD flow older
 * than QG_HOLD_MS and an OPEN flow idle for QG_IDLE_MS are the first to
 * go.  Nothing is allocated per datagram.
 */

#include <assert.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "metrics.h"
#include "loop.h"
#include "policy.h"
#include "privs.h"
#include "quic_gate.h"
#include "quic_initial.h"
#include "util.h"
#include "verdict.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif
#ifndef SOL_UDP
#define SOL_UDP		17
#endif

#define QG_FLOWS	1024
#define QG_PER_TGID	256
#define QG_BUCKETS	2048	/* a power of two */
#define QG_HOLD_MSGS	8
#define QG_HOLD_BYTES	(16 * 1024)
#define QG_HOLD_CTL	512
#define QG_HOLD_MS	10000
#define QG_IDLE_MS	(10 * 60 * 1000)
#define QG_NONE		(-1)

const char *const quic_gate_verdict_str[QUIC_GATE_VERDICT_NUM] = {
	[QUIC_GATE_SEND] = "send",
	[QUIC_GATE_HOLD] = "hold",
	[QUIC_GATE_DENY] = "deny",
};
static_assert(ARRAY_SIZE(quic_gate_verdict_str) == QUIC_GATE_VERDICT_NUM,
	      "quic_gate_verdict_str must name every verdict");

enum qg_state {
	QG_FREE,
	QG_HOLD,	/* ClientHello incomplete: sends are held */
	QG_OPEN,	/* decided and allowed: sends go out */
	QG_PASS,	/* audit mode, not parsable: sends go out unparsed */
};

/**
 * struct qg_held - one send kept while the ClientHello is incomplete
 * @off:	payload offset in the flow's hold buffer
 * @len:	payload length
 * @coff:	ancillary data offset in the hold buffer
 * @clen:	ancillary data length
 * @gso:	the segment size it was parsed with
 * @flags:	its send flags
 */
struct qg_held {
	uint32_t off;
	uint32_t len;
	uint32_t coff;
	uint32_t clen;
	uint16_t gso;
	int flags;
};

/**
 * struct qg_flow - one socket's datagrams to one destination
 * @state:	see enum qg_state
 * @ino:	inode of CMD's socket
 * @dev:	its device (sockfs)
 * @tgid:	the process that sent first, whose share it counts in
 * @family:	destination family
 * @addr:	destination address
 * @port:	destination port
 * @start_ms:	when the current connection's ClientHello began
 * @last_ms:	last datagram
 * @hnext:	next flow in the hash bucket
 * @lprev:	more recently used flow
 * @lnext:	less recently used flow
 * @qf:		the Initial parser
 * @hold:	QG_HOLD_BYTES of payload then QG_HOLD_CTL of ancillary data,
 *		while HOLD; NULL otherwise
 * @hold_len:	payload bytes used
 * @hold_clen:	ancillary bytes used
 * @nheld:	sends held
 * @held:	the sends held, in order
 */
struct qg_flow {
	enum qg_state state;
	uint64_t ino;
	uint64_t dev;
	pid_t tgid;
	int family;
	uint8_t addr[16];
	uint16_t port;
	uint64_t start_ms;
	uint64_t last_ms;
	int hnext;
	int lprev;
	int lnext;
	struct quic_flow *qf;
	uint8_t *hold;
	size_t hold_len;
	size_t hold_clen;
	unsigned int nheld;
	struct qg_held held[QG_HOLD_MSGS];
};

static struct qg_flow *flows;
static int buckets[QG_BUCKETS];
static int lru_head = QG_NONE, lru_tail = QG_NONE, free_head = QG_NONE;
static size_t n_flows;

int quic_gate_init(void)
{
	int i;

	flows = calloc(QG_FLOWS, sizeof(*flows));
	if (!flows)
		return -ENOMEM;
	for (i = 0; i < QG_BUCKETS; i++)
		buckets[i] = QG_NONE;
	/* the free list is threaded through lnext */
	for (i = QG_FLOWS - 1; i >= 0; i--) {
		flows[i].lnext = free_head;
		free_head = i;
	}
	return 0;
}

size_t quic_gate_flows(void)
{
	return n_flows;
}

static unsigned int qg_hash(uint64_t ino, const struct sa_dest *d)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull;
	size_t i, n = d->family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ d->addr[i]) * 0x100000001b3ull;
	h = (h ^ d->port) * 0x100000001b3ull;
	return (unsigned int)(h >> 32) & (QG_BUCKETS - 1);
}

static bool qg_match(const struct qg_flow *f, uint64_t ino, uint64_t dev,
		     const struct sa_dest *d)
{
	return f->ino == ino && f->dev == dev && f->family == d->family &&
	       f->port == d->port &&
	       !memcmp(f->addr, d->addr, d->family == AF_INET ? 4 : 16);
}

static void lru_unlink(int i)
{
	struct qg_flow *f = &flows[i];

	if (f->lprev != QG_NONE)
		flows[f->lprev].lnext = f->lnext;
	else
		lru_head = f->lnext;
	if (f->lnext != QG_NONE)
		flows[f->lnext].lprev = f->lprev;
	else
		lru_tail = f->lprev;
	f->lprev = f->lnext = QG_NONE;
}

static void lru_push(int i)
{
	struct qg_flow *f = &flows[i];

	f->lprev = QG_NONE;
	f->lnext = lru_head;
	if (lru_head != QG_NONE)
		flows[lru_head].lprev = i;
	lru_head = i;
	if (lru_tail == QG_NONE)
		lru_tail = i;
}

static void qg_hold_drop(struct qg_flow *f)
{
	free(f->hold);
	f->hold = NULL;
	f->hold_len = f->hold_clen = 0;
	f->nheld = 0;
}

/* Unhash, free and put back on the free list */
static void qg_free(int i)
{
	struct qg_flow *f = &flows[i];
	unsigned int b;
	int *p;
	struct sa_dest d = { .family = f->family, .port = f->port };

	memcpy(d.addr, f->addr, sizeof(d.addr));
	b = qg_hash(f->ino, &d);
	for (p = &buckets[b]; *p != QG_NONE; p = &flows[*p].hnext) {
		if (*p == i) {
			*p = f->hnext;
			break;
		}
	}
	lru_unlink(i);
	qg_hold_drop(f);
	if (f->qf) {
		quic_flow_free(f->qf);
		free(f->qf);
	}
	memset(f, 0, sizeof(*f));
	f->state = QG_FREE;
	f->hnext = f->lprev = QG_NONE;
	f->lnext = free_head;
	free_head = i;
	n_flows--;
}

static bool qg_stale(const struct qg_flow *f, uint64_t now)
{
	if (f->state == QG_HOLD)
		return now - f->start_ms > QG_HOLD_MS;
	return now - f->last_ms > QG_IDLE_MS;
}

/**
 * qg_make_room() - free a slot for a new flow of @tgid
 *
 * Stale flows go first, then @tgid's least recently used flow when it has
 * its share, then the least recently used flow of all.
 */
static void qg_make_room(pid_t tgid, uint64_t now)
{
	int i, own = QG_NONE;
	unsigned int n = 0;

	while (lru_tail != QG_NONE && qg_stale(&flows[lru_tail], now))
		qg_free(lru_tail);
	for (i = lru_tail; i != QG_NONE; i = flows[i].lprev) {
		if (flows[i].tgid != tgid)
			continue;
		if (own == QG_NONE)
			own = i;
		n++;
	}
	if (n >= QG_PER_TGID) {
		qg_free(own);
		return;
	}
	if (free_head == QG_NONE && lru_tail != QG_NONE) {
		log_warn("quic: %d flows: forgetting the least recently used "
			 "one (its next datagram starts a new flow)",
			 QG_FLOWS);
		qg_free(lru_tail);
	}
}

static int qg_parser_new(struct qg_flow *f)
{
	int ret;

	if (f->qf)
		quic_flow_free(f->qf);
	else
		f->qf = malloc(sizeof(*f->qf));
	if (!f->qf)
		return -ENOMEM;
	ret = quic_flow_init(f->qf);
	if (ret) {
		free(f->qf);
		f->qf = NULL;
	}
	return ret;
}

/* Enter HOLD for a new connection on the flow */
static int qg_begin(struct qg_flow *f, uint64_t now)
{
	int ret = qg_parser_new(f);

	if (ret)
		return ret;
	qg_hold_drop(f);
	f->hold = malloc(QG_HOLD_BYTES + QG_HOLD_CTL);
	if (!f->hold)
		return -ENOMEM;
	f->state = QG_HOLD;
	f->start_ms = now;
	return 0;
}

static int qg_lookup(uint64_t ino, uint64_t dev, const struct sa_dest *d)
{
	int i;

	for (i = buckets[qg_hash(ino, d)]; i != QG_NONE; i = flows[i].hnext)
		if (qg_match(&flows[i], ino, dev, d))
			return i;
	return QG_NONE;
}

/* A new flow in HOLD, or QG_NONE when memory is short */
static int qg_new(pid_t tgid, uint64_t ino, uint64_t dev,
		  const struct sa_dest *d, uint64_t now)
{
	unsigned int b = qg_hash(ino, d);
	struct qg_flow *f;
	int i;

	qg_make_room(tgid, now);
	if (free_head == QG_NONE)
		return QG_NONE;
	i = free_head;
	f = &flows[i];
	free_head = f->lnext;
	memset(f, 0, sizeof(*f));
	f->ino = ino;
	f->dev = dev;
	f->tgid = tgid;
	f->family = d->family;
	memcpy(f->addr, d->addr, d->family == AF_INET ? 4 : 16);
	f->port = d->port;
	f->last_ms = now;
	f->hnext = buckets[b];
	buckets[b] = i;
	f->lprev = f->lnext = QG_NONE;
	lru_push(i);
	n_flows++;
	if (qg_begin(f, now)) {
		qg_free(i);
		return QG_NONE;
	}
	return i;
}

/**
 * qg_ctl_gso() - make the ancillary data say how to cut the payload
 * @ctl:	ancillary data (already checked by netcall.c)
 * @clen:	its length, updated
 * @cap:	room in @ctl
 * @gso:	segment size, 0 for one datagram
 *
 * Every UDP_SEGMENT cmsg gets @gso; without one, one is appended.  The
 * kernel takes the cmsg over the socket option (udp_cmsg_send()), and a
 * size of 0 means no segmentation.
 *
 * Return: 0, or -ENOBUFS when there is no room to append.
 */
static int qg_ctl_gso(uint8_t *ctl, size_t *clen, size_t cap, uint16_t gso)
{
	struct msghdr m = { .msg_control = ctl, .msg_controllen = *clen };
	struct cmsghdr *c;
	bool found = false;
	size_t at;

	for (c = *clen ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT &&
		    c->cmsg_len == CMSG_LEN(sizeof(uint16_t))) {
			memcpy(CMSG_DATA(c), &gso, sizeof(gso));
			found = true;
		}
	}
	if (found)
		return 0;
	at = CMSG_ALIGN(*clen);
	if (at + CMSG_SPACE(sizeof(uint16_t)) > cap)
		return -ENOBUFS;
	memset(ctl + *clen, 0, at + CMSG_SPACE(sizeof(uint16_t)) - *clen);
	c = (struct cmsghdr *)(ctl + at);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	memcpy(CMSG_DATA(c), &gso, sizeof(gso));
	*clen = at + CMSG_SPACE(sizeof(uint16_t));
	return 0;
}

/**
 * qg_gso() - the segment size the kernel would cut this send into
 *
 * The last UDP_SEGMENT cmsg wins, as in udp_cmsg_send(); else the socket
 * option; a kernel without UDP GSO has neither.
 */
static uint16_t qg_gso(const struct quic_gate_msg *m)
{
	struct msghdr h = { .msg_control = m->ctl, .msg_controllen = m->clen };
	struct cmsghdr *c;
	socklen_t sl = sizeof(int);
	uint16_t gso = 0;
	bool found = false;
	int v = 0;

	for (c = m->clen ? CMSG_FIRSTHDR(&h) : NULL; c; c = CMSG_NXTHDR(&h, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT &&
		    c->cmsg_len == CMSG_LEN(sizeof(uint16_t))) {
			memcpy(&gso, CMSG_DATA(c), sizeof(gso));
			found = true;
		}
	}
	if (found)
		return gso;
	if (getsockopt(m->sock, SOL_UDP, UDP_SEGMENT, &v, &sl) || v < 0 ||
	    v > UINT16_MAX)
		return 0;
	return (uint16_t)v;
}

/* @qf is NULL when a new parser could not be made (qg_parser_new()) */
static const char *qg_error_reason(int err, const struct quic_flow *qf)
{
	switch (err) {
	case -EBADMSG:
	case -EKEYREJECTED:
		return qf && qf->packets ? "quic_malformed" :
					   "quic_not_initial";
	case -EPROTONOSUPPORT:
		return "quic_version";
	case -E2BIG:
		return "quic_hello_too_big";
	case -EINVAL:
		return "quic_sni_invalid";
	case -EPROTO:
		return "quic_sni_changed";
	default:
		return "quic_internal";
	}
}

/* For the human line */
static const char *qg_human(const char *reason)
{
	static const struct {
		const char *reason, *human;
	} r[] = {
		{ "quic_sni_denied", "no rule allows the QUIC server name" },
		{ "quic_no_sni", "QUIC ClientHello without a server name, and "
				 "no rule allows the address itself" },
		{ "quic_sni_mismatch", "the QUIC server name does not belong "
				       "to this address (domain fronting?)" },
		{ "quic_sni_invalid", "the QUIC server name is not a DNS name" },
		{ "quic_sni_changed", "a second ClientHello names another "
				      "server" },
		{ "quic_not_initial", "not a QUIC Initial packet on a "
				      "destination only a quic rule allows" },
		{ "quic_malformed", "malformed QUIC Initial packets" },
		{ "quic_version", "a QUIC version that cannot be inspected "
				  "(only v1 and v2 can)" },
		{ "quic_hello_too_big", "QUIC ClientHello larger than "
					"inspection allows" },
		{ "quic_hold_full", "too many datagrams before the QUIC "
				    "ClientHello was complete" },
		{ "quic_cork", "MSG_MORE to a quic-only destination (the "
			       "datagram must be what was inspected)" },
		{ "quic_internal", "the supervisor could not inspect QUIC "
				   "(out of memory)" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(r); i++)
		if (!strcmp(reason, r[i].reason))
			return r[i].human;
	return reason;
}

/* One line per decision of a flow; one human line per denial */
static void qg_log(struct target *t, const struct quic_gate_msg *m,
		   const struct qg_flow *f, enum policy_verdict verdict,
		   const char *rule, const char *reason, int err)
{
	const struct tls_hello_info *hi =
		f && f->qf && f->qf->ret == QUIC_FLOW_DONE ? &f->qf->hello :
							     NULL;
	char dst[INET6_ADDRSTRLEN];
	struct log_line l;

	sockaddr_ntop(m->dst, dst, sizeof(dst));
	log_begin(&l, "quic");
	log_str(&l, "verdict", policy_verdict_str[verdict]);
	log_int(&l, "pid", t->pid);
	log_str(&l, "comm", t->comm);
	log_str(&l, "proto", "quic");
	log_str(&l, "dst", dst);
	log_int(&l, "port", m->dst->port);
	if (hi && hi->has_sni)
		log_str(&l, "sni", hi->sni);
	if (f && f->qf && f->qf->keyed)
		log_str(&l, "version", f->qf->version == QUIC_VERSION_2 ?
					       "2" : "1");
	if (f && f->nheld)
		log_int(&l, "held", f->nheld);
	log_str(&l, "rule", rule ? rule : "default");
	log_str(&l, "reason", reason);
	if (verdict == POLICY_VERDICT_DENY)
		log_str(&l, "errno", util_errno_name(err));
	log_end(&l);
	metrics_decision(policy_verdict_str[verdict], reason, "quic", dst,
			 m->dst->port, hi && hi->has_sni ? hi->sni : NULL);
	if (verdict == POLICY_VERDICT_ALLOW)
		return;
	log_human("%s quic %s%s%s:%u%s%s pid %d (%s): %s",
		  verdict == POLICY_VERDICT_AUDIT ? "AUDIT" : "DENY",
		  m->dst->family == AF_INET6 ? "[" : "", dst,
		  m->dst->family == AF_INET6 ? "]" : "", m->dst->port,
		  hi && hi->has_sni ? " name " : "",
		  hi && hi->has_sni ? hi->sni : "", t->pid, t->comm,
		  qg_human(reason));
}

/**
 * qg_send_held() - send what a flow held, in order, then forget it
 *
 * Errors are not reported to anyone: the sends were answered already,
 * and the client retransmits what is lost, as it would on the network.
 */
static void qg_send_held(struct qg_flow *f, const struct quic_gate_msg *m)
{
	uint8_t ctl[QG_HOLD_CTL + CMSG_SPACE(sizeof(uint16_t))];
	unsigned int i;

	for (i = 0; i < f->nheld; i++) {
		const struct qg_held *h = &f->held[i];
		struct iovec iov = { .iov_base = f->hold + h->off,
				     .iov_len = h->len };
		struct msghdr mh = {
			.msg_name = (void *)&m->dst->emu,
			.msg_namelen = m->dst->emu_len,
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl,
		};
		size_t clen = h->clen;
		ssize_t n;

		memcpy(ctl, f->hold + QG_HOLD_BYTES + h->coff, h->clen);
		if (qg_ctl_gso(ctl, &clen, sizeof(ctl), h->gso))
			continue;
		mh.msg_controllen = clen;
		privs_drop();
		n = sendmsg(m->sock, &mh,
			    h->flags | MSG_DONTWAIT | MSG_NOSIGNAL);
		privs_raise();
		(void)n;
	}
	qg_hold_drop(f);
}

/* Keep a send while the ClientHello is incomplete */
static int qg_hold(struct qg_flow *f, const struct quic_gate_msg *m,
		   uint16_t gso)
{
	struct qg_held *h;

	if (f->nheld == QG_HOLD_MSGS || m->len > QG_HOLD_BYTES - f->hold_len ||
	    m->clen > QG_HOLD_CTL - f->hold_clen)
		return -ENOBUFS;
	h = &f->held[f->nheld++];
	h->off = (uint32_t)f->hold_len;
	h->len = (uint32_t)m->len;
	h->coff = (uint32_t)f->hold_clen;
	h->clen = (uint32_t)m->clen;
	h->gso = gso;
	h->flags = m->flags;
	memcpy(f->hold + f->hold_len, m->buf, m->len);
	memcpy(f->hold + QG_HOLD_BYTES + f->hold_clen, m->ctl, m->clen);
	f->hold_len += m->len;
	f->hold_clen += m->clen;
	return 0;
}

/**
 * qg_decide() - the ClientHello is complete: may the flow open?
 * @t:		who
 * @m:		the send that completed it
 * @f:		the flow, in HOLD with its parser DONE
 *
 * The SNI is decided like an address's names: it must be allowed for UDP
 * to this port, and when a name rule allowed it, the stub must know it as
 * a name of this address.  No SNI: only a rule for the address itself
 * allows it.  Unlike the TLS relay, which moves a mismatched flow to the
 * name's own address, a datagram's destination is not ours to change.
 *
 * Return: true when the flow may open (allowed, or audit mode)
 */
static bool qg_decide(struct target *t, const struct quic_gate_msg *m,
		      struct qg_flow *f, int err)
{
	const struct tls_hello_info *hi = &f->qf->hello;
	struct policy_decision pd;
	const char *reason;

	verdict_decide_name_udp(hi->has_sni ? hi->sni : NULL, m->dst, &pd);
	if (pd.verdict != POLICY_VERDICT_ALLOW) {
		reason = hi->has_sni ? "quic_sni_denied" : "quic_no_sni";
	} else if (pd.name && !verdict_name_maps(hi->sni, m->dst)) {
		reason = "quic_sni_mismatch";
		pd.verdict = policy_mode(verdict_policy()) ==
					     POLICY_MODE_AUDIT ?
				     POLICY_VERDICT_AUDIT :
				     POLICY_VERDICT_DENY;
	} else {
		reason = hi->has_sni ? (pd.name ? "quic_sni" :
						  "quic_sni_address") :
				       "quic_no_sni_address";
	}
	qg_log(t, m, f, pd.verdict, pd.rule ? pd.rule : m->rule, reason, err);
	return pd.verdict != POLICY_VERDICT_DENY;
}

/**
 * qg_feed() - parse each datagram of a send; decide when the hello is in
 * @t:		who
 * @m:		the send
 * @f:		its flow (HOLD or OPEN)
 * @gso:	segment size
 * @err:	the policy's errno, for the log
 *
 * Return: QUIC_GATE_SEND, QUIC_GATE_HOLD, or a negative errno of the
 * parser (or -EACCES when the decision denied it: already logged).
 */
static int qg_feed(struct target *t, const struct quic_gate_msg *m,
		   struct qg_flow *f, uint16_t gso, int err)
{
	size_t seg = gso ? gso : m->len, off = 0;
	uint64_t now = loop_now_ms();
	int ret;

	do {
		const uint8_t *p = m->buf + off;
		size_t n = MIN(seg, m->len - off);

		off += n;
		/* a short header only continues the connection we know */
		if (f->state == QG_OPEN && n && !(p[0] & 0x80))
			continue;
		ret = quic_flow_feed(f->qf, p, n);
		if (ret == -EKEYREJECTED && f->state == QG_OPEN) {
			/* a new connection on the same socket: decide it */
			ret = qg_begin(f, now);
			if (ret)
				return ret;
			ret = quic_flow_feed(f->qf, p, n);
		}
		if (ret < 0)
			return ret;
		if (ret == QUIC_FLOW_DONE && f->state == QG_HOLD) {
			if (!qg_decide(t, m, f, err))
				return -EACCES;
			f->state = QG_OPEN;
			qg_send_held(f, m);
		}
	} while (off < m->len);
	return f->state == QG_HOLD ? QUIC_GATE_HOLD : QUIC_GATE_SEND;
}

/**
 * quic_gate_check() - may this send to a quic-only destination go out?
 * @t:		who
 * @m:		the send; on QUIC_GATE_SEND its ancillary data now pins the
 *		datagram boundaries that were checked
 * @err:	in: the policy's errno; out: the errno to answer on DENY
 *
 * Return: what to do with the send; every DENY has been logged.
 */
enum quic_gate_verdict quic_gate_check(struct target *t,
				       struct quic_gate_msg *m, int *err)
{
	uint64_t now = loop_now_ms();
	const char *reason;
	struct qg_flow *f = NULL;
	struct stat st;
	uint16_t gso = 0;
	int i, ret;
	bool audit = policy_mode(verdict_policy()) == POLICY_MODE_AUDIT;

	if (m->flags & MSG_MORE) {
		reason = "quic_cork";
		goto deny;
	}
	if (fstat(m->sock, &st)) {
		reason = "quic_internal";
		goto deny;
	}
	gso = qg_gso(m);
	i = qg_lookup((uint64_t)st.st_ino, (uint64_t)st.st_dev, m->dst);
	if (i == QG_NONE)
		i = qg_new(t->tgid, (uint64_t)st.st_ino, (uint64_t)st.st_dev,
			   m->dst, now);
	if (i == QG_NONE) {
		reason = "quic_internal";
		goto deny;
	}
	f = &flows[i];
	f->last_ms = now;
	lru_unlink(i);
	lru_push(i);

	if (f->state == QG_PASS)
		ret = QUIC_GATE_SEND;
	else
		ret = qg_feed(t, m, f, gso, *err);
	if (ret == -EACCES) {
		qg_free(i);
		return QUIC_GATE_DENY;
	}
	if (ret < 0) {
		reason = qg_error_reason(ret, f->qf);
		goto deny;
	}
	if (ret == QUIC_GATE_HOLD) {
		if (!qg_hold(f, m, gso))
			return QUIC_GATE_HOLD;
		reason = "quic_hold_full";
		goto deny;
	}
	if (qg_ctl_gso(m->ctl, &m->clen, m->ctl_cap, gso)) {
		reason = "quic_internal";
		goto deny;
	}
	return QUIC_GATE_SEND;

deny:
	qg_log(t, m, f, audit ? POLICY_VERDICT_AUDIT : POLICY_VERDICT_DENY,
	       m->rule, reason, *err);
	if (audit && f && strcmp(reason, "quic_internal")) {
		/* audit: send it, and stop inspecting this flow */
		if (f->state == QG_HOLD)
			qg_send_held(f, m);
		f->state = QG_PASS;
		if (!qg_ctl_gso(m->ctl, &m->clen, m->ctl_cap, gso))
			return QUIC_GATE_SEND;
	} else if (audit && !f && !strcmp(reason, "quic_cork")) {
		return QUIC_GATE_SEND;
	}
	if (f)
		qg_free((int)(f - flows));
	return QUIC_GATE_DENY;
}
