// SPDX-License-Identifier: GPL-2.0-or-later
/* ingress_sock.c - attach and lock ingress filters, count what they drop
 *
 * Theory of operation
 *
 * With an ingress section in the policy, CMD's listen() and bind() reach
 * the supervisor (filter.c), which performs them itself on its duplicate
 * of the socket (netcall.c), so the socket that gets our filter is the
 * socket that listens, whatever CMD does with its fd numbers meanwhile.
 * Before performing the call, ingress_sock_prepare():
 *
 * 1. builds the socket's program (ingress.c): a TCP socket about to listen
 *    gets the rules that cover its bound port (all of them, the port
 *    tested per packet, when listen() picks the port); a UDP socket about
 *    to bind to a port some rule covers gets every UDP rule, the port
 *    tested per packet, so that a bind that fails (EADDRINUSE) and is
 *    retried on another port finds the same program already in place.
 *    TCP sockets that only bind (clients choosing a source) and UDP
 *    sockets that bind to port 0 (likewise: the kernel picks the port,
 *    the answers of their own flows arrive there) get no filter;
 * 2. looks at the filter the socket already has (SO_GET_FILTER,
 *    SO_LOCK_FILTER): ours (it begins with our program's prefix: a
 *    second listen, a retried bind) is kept; CMD's own classic filter is
 *    run after ours (ingress_compose()); a locked filter of CMD's, or an
 *    eBPF one (which cannot be read back), makes the call fail with EPERM,
 *    since our rules could not be enforced;
 * 3. attaches, locks, and reads the filter back: another thread of CMD
 *    could have attached its own between our attach and our lock, and the
 *    lock would then protect theirs;
 * 4. logs one "ingress" line, and remembers the socket's inode.
 *
 * The kernel then drops refused packets itself and counts them in the
 * socket's sk_drops (the socket filter's drops, and any for a full queue).
 * Every DROPS_PERIOD_MS, while filtered sockets exist, one sock_diag dump
 * per family and transport (INET_DIAG_SKMEMINFO) reads those counters, and
 * a socket whose count grew gets an "ingress_drops" line.  The dump is a
 * request to the kernel, answered at once: it does not wait on any target.
 */

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ingress.h"
#include "ingress_sock.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "util.h"
#include "verdict.h"

#ifndef SO_LOCK_FILTER
#define SO_LOCK_FILTER	44
#endif
#ifndef SO_GET_FILTER
#define SO_GET_FILTER	SO_ATTACH_FILTER
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP	262
#endif

#define TRACK_MAX	1024
#define DROPS_PERIOD_MS	2000

/* The program being attached, and what a socket carries: one at a time */
static struct ingress_prog prog;
static struct sock_filter have[BPF_MAXINSNS];

/**
 * struct tracked - a filtered socket whose drops we report
 * @ino:	its inode (the key sock_diag reports)
 * @pid:	who asked for the filter (0: --listen, until CMD runs)
 * @comm:	its command name
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @port:	local port, from the last dump
 * @addr:	local address as logged
 * @drops:	the count last reported
 * @misses:	dumps in a row that did not list it
 * @seen:	listed by the current round of dumps
 * @cur:	its count in the current round
 */
struct tracked {
	ino_t ino;
	pid_t pid;
	char comm[16];
	int proto;
	uint16_t port;
	char addr[INET6_ADDRSTRLEN];
	uint32_t drops;
	unsigned int misses;
	bool seen;
	uint32_t cur;
};

static struct tracked tracked[TRACK_MAX];
static unsigned int n_tracked;
static int diag_fd = -1;

static const char *const human[][2] = {
	{ "mptcp", "the kernel cannot filter MPTCP sockets" },
	{ "locked_filter", "the socket has a locked filter of its own, so "
			   "the ingress filter cannot be attached" },
	{ "ebpf_filter", "the socket has an eBPF filter (SO_ATTACH_BPF) "
			 "the ingress filter cannot be combined with" },
	{ "filter_too_large", "its own filter and the ingress filter "
			      "together exceed 4096 instructions" },
	{ "filter_replaced", "its filter was replaced while the ingress "
			     "filter was being attached" },
	{ "attach_failed", "the ingress filter could not be attached" },
	{ "would_filter", "the ingress filter would be attached (audit "
			  "mode)" },
};

static const char *human_reason(const char *reason)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(human); i++)
		if (!strcmp(human[i][0], reason))
			return human[i][1];
	return reason;
}

/* Address and port of a sockaddr_in/_in6, for the log */
static uint16_t sa_text(const struct sockaddr_storage *ss, socklen_t len,
			char *buf, size_t size)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	snprintf(buf, size, "*");
	if (ss->ss_family == AF_INET6 && len >= sizeof(*s6)) {
		inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)size);
		return ntohs(s6->sin6_port);
	}
	if (len >= sizeof(*s4)) {
		/* AF_INET, or AF_UNSPEC with INADDR_ANY on IPv4 sockets */
		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)size);
		return ntohs(s4->sin_port);
	}
	return 0;
}

/**
 * ingress_log() - one "ingress" line, and a human line unless allowed
 * @c:		the call
 * @proto:	"tcp" or "udp"
 * @addr:	local address
 * @port:	local port (0: the kernel picks it)
 * @verdict:	"allow", "audit" or "deny"
 * @reason:	machine-readable reason
 * @filter:	"attached", "composed", "kept" or "none"
 */
static void ingress_log(const struct ingress_call *c, const char *proto,
			const char *addr, uint16_t port, const char *verdict,
			const char *reason, const char *filter)
{
	pid_t pid = c->t ? c->t->pid : getpid();
	const char *comm = c->t ? c->t->comm : "egress-supervise";
	bool v6 = strchr(addr, ':') != NULL;
	struct log_line l;

	log_begin(&l, "ingress");
	log_str(&l, "verdict", verdict);
	log_int(&l, "pid", pid);
	log_str(&l, "comm", comm);
	log_str(&l, "call", c->call);
	if (c->fd >= 0)
		log_int(&l, "fd", c->fd);
	log_str(&l, "proto", proto);
	log_str(&l, "family", c->family == AF_INET ? "ipv4" : "ipv6");
	log_str(&l, "dst", addr);
	log_int(&l, "port", port);
	log_str(&l, "rule", "ingress");
	log_str(&l, "reason", reason);
	log_str(&l, "filter", filter);
	log_int(&l, "rules", prog.rules);
	log_int(&l, "insns", prog.len);
	if (!strcmp(verdict, "deny"))
		log_str(&l, "errno", "EPERM");
	log_end(&l);
	if (!strcmp(verdict, "allow"))
		return;
	log_human("%s %s %s %s%s%s:%u pid %d (%s): %s",
		  !strcmp(verdict, "audit") ? "AUDIT" : "DENY", c->call, proto,
		  v6 ? "[" : "", addr, v6 ? "]" : "", port, pid, comm,
		  human_reason(reason));
}

/**
 * filter_have() - the classic filter a socket carries, into have[]
 * @fd:		the socket
 * @n:		its length (0: none)
 * @locked:	SO_LOCK_FILTER is set
 *
 * SO_GET_FILTER counts in instructions, not bytes; it fails with EACCES
 * for an eBPF program (nothing to read back).
 *
 * Return: 0 or -errno
 */
static int filter_have(int fd, unsigned int *n, bool *locked)
{
	socklen_t len = sizeof(int);
	int lk = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &lk, &len))
		return -errno;
	*locked = lk;
	len = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &len))
		return -errno;
	*n = len;
	if (!len)
		return 0;
	if (len > BPF_MAXINSNS)
		return -E2BIG;
	len = BPF_MAXINSNS;
	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, have, &len))
		return -errno;
	*n = len;
	return 0;
}

/**
 * filter_attach() - attach prog to @fd, lock it, and check it stayed ours
 * @fd:		the socket
 * @filter:	set to "attached", "composed" or "kept"
 *
 * Return: NULL, or the reason the socket cannot be filtered
 */
static const char *filter_attach(int fd, const char **filter)
{
	struct sock_fprog fp;
	unsigned int n = 0;	/* set by filter_have(); scan-build */
	bool locked = true;
	int one = 1, ret;

	ret = filter_have(fd, &n, &locked);
	if (ret == -EACCES)
		return "ebpf_filter";
	if (ret)
		return "attach_failed";
	if (locked && n && ingress_has_prefix(&prog, have, n)) {
		*filter = "kept";
		return NULL;
	}
	if (locked)
		return "locked_filter";
	*filter = "attached";
	if (n) {
		if (ingress_compose(&prog, have, n))
			return "filter_too_large";
		*filter = "composed";
	}
	fp.len = (unsigned short)prog.len;
	fp.filter = prog.insns;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)))
		return errno == EPERM ? "locked_filter" : "attach_failed";
	if (setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)))
		return "attach_failed";
	if (filter_have(fd, &n, &locked) || !locked || n != prog.len ||
	    memcmp(have, prog.insns, n * sizeof(*have)))
		return "filter_replaced";
	return NULL;
}

/* Remember a filtered socket for the drop counters */
static void track(const struct ingress_call *c, int proto, const char *addr,
		  uint16_t port)
{
	struct tracked *tr = NULL;
	struct stat st;
	size_t i;

	if (fstat(c->dup, &st))
		return;
	for (i = 0; i < TRACK_MAX; i++) {
		if (tracked[i].ino == st.st_ino) {
			tr = &tracked[i];
			break;
		}
		if (!tr && !tracked[i].ino)
			tr = &tracked[i];
	}
	if (!tr) {
		static bool warned;

		if (!warned)
			log_warn("ingress: more than %d filtered sockets; the "
				 "drops of the others are not reported",
				 TRACK_MAX);
		warned = true;
		return;
	}
	if (tr->ino != st.st_ino) {
		memset(tr, 0, sizeof(*tr));
		n_tracked++;
	}
	tr->ino = st.st_ino;
	tr->pid = c->t ? c->t->pid : 0;
	snprintf(tr->comm, sizeof(tr->comm), "%s", c->t ? c->t->comm : "");
	tr->proto = proto;
	tr->port = port;
	snprintf(tr->addr, sizeof(tr->addr), "%s", addr);
}

/* Any rule covers UDP @port? */
static bool udp_covered(const struct policy *p, uint16_t port)
{
	const struct policy_ingress_rule *r;
	size_t n = policy_ingress(p, &r), i;

	for (i = 0; i < n; i++)
		if (policy_ingress_covers(&r[i], POLICY_TRANSPORT_UDP, port))
			return true;
	return false;
}

/**
 * ingress_sock_prepare() - filter a socket before it listens or binds
 * @c:		the call: who, which socket, bind's address
 *
 * Does nothing without an ingress section, for sockets other than TCP
 * (listen) and UDP (bind), and for calls the kernel will refuse anyway (a
 * second bind, listen on a connected socket).  A socket no rule covers
 * gets no filter.  In audit mode nothing is attached.
 *
 * Return: 0 to perform the call, or -EPERM (logged) to refuse it: the
 * rules could not be enforced on this socket.
 */
int ingress_sock_prepare(const struct ingress_call *c)
{
	const struct policy *p = verdict_policy();
	const struct policy_ingress_rule *rules;
	struct ingress_sock s = { .family = c->family };
	char addr[INET6_ADDRSTRLEN];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *proto, *reason, *filter = "none";
	uint16_t port, bound = 0;
	size_t n;

	prog.len = prog.rules = 0;
	if (c->family != AF_INET && c->family != AF_INET6)
		return 0;
	if (c->type == SOCK_STREAM && c->proto == IPPROTO_TCP) {
		s.transport = POLICY_TRANSPORT_TCP;
		proto = "tcp";
	} else if (c->type == SOCK_DGRAM && c->proto == IPPROTO_UDP) {
		s.transport = POLICY_TRANSPORT_UDP;
		proto = "udp";
	} else if (c->type == SOCK_STREAM && c->proto == IPPROTO_MPTCP &&
		   policy_has_ingress(p)) {
		bool audit = policy_mode(p) == POLICY_MODE_AUDIT;

		snprintf(addr, sizeof(addr), "*");
		ingress_log(c, "mptcp", addr, 0, audit ? "audit" : "deny",
			    "mptcp", filter);
		return audit ? 0 : -EPERM;
	} else {
		return 0;
	}
	/* zeroed: scan-build cannot see getsockname() fill it */
	memset(&ss, 0, sizeof(ss));
	if (!getsockname(c->dup, (struct sockaddr *)&ss, &sl))
		bound = sa_text(&ss, sl, addr, sizeof(addr));
	if (c->addr) {
		/* TCP is filtered when it listens: a client that binds
		 * before it connects must get its server's answers */
		if (s.transport != POLICY_TRANSPORT_UDP || bound)
			return 0;	/* (bound already: EINVAL) */
		port = sa_text(c->addr, c->addrlen, addr, sizeof(addr));
		/* Port 0: the kernel picks one, as for a client that sends
		 * without bind (a source address chosen, QUIC): the answers
		 * of its own flows arrive there, no service does */
		if (!port)
			return 0;
	} else {
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);

		if (s.transport != POLICY_TRANSPORT_TCP)
			return 0;	/* EOPNOTSUPP */
		if (getsockopt(c->dup, IPPROTO_TCP, TCP_INFO, &ti, &tl) ||
		    (ti.tcpi_state != TCP_CLOSE && ti.tcpi_state != TCP_LISTEN))
			return 0;	/* connected: EINVAL */
		port = bound;
		if (!bound)
			snprintf(addr, sizeof(addr),
				 c->family == AF_INET ? "0.0.0.0" : "::");
	}
	if (!policy_has_ingress(p)) {
		if (!c->t)	/* --listen: say what was made */
			ingress_log(c, proto, addr, port, "allow",
				    "no_ingress", filter);
		return 0;
	}

	/* UDP: the port per packet (see above), unless it is not covered */
	s.port = s.transport == POLICY_TRANSPORT_TCP ? port : 0;
	n = policy_ingress(p, &rules);
	if ((s.transport == POLICY_TRANSPORT_UDP && !udp_covered(p, port)) ||
	    ingress_build(rules, n, &s, &prog) || !prog.len) {
		prog.len = prog.rules = 0;
		ingress_log(c, proto, addr, port, "allow", "not_covered",
			    filter);
		return 0;
	}
	if (policy_mode(p) == POLICY_MODE_AUDIT) {
		ingress_log(c, proto, addr, port, "audit", "would_filter",
			    filter);
		return 0;
	}
	reason = filter_attach(c->dup, &filter);
	if (reason) {
		ingress_log(c, proto, addr, port, "deny", reason, "none");
		return -EPERM;
	}
	ingress_log(c, proto, addr, port, "allow", "filter_attached", filter);
	track(c, s.transport == POLICY_TRANSPORT_TCP ? IPPROTO_TCP :
						       IPPROTO_UDP,
	      addr, port);
	return 0;
}

/**
 * ingress_sock_probe() - warn when TCP sockets cannot be filtered here
 * @p:		the policy
 *
 * Since Linux commit 5d39580f68e6 (seen on 6.18), a filter on a TCP
 * socket needs CAP_NET_ADMIN in the socket's network namespace; UDP
 * sockets need nothing.  Without it every TCP listen on a covered port is
 * refused (fail closed), so say so once, at start, with the remedy.
 */
void ingress_sock_probe(const struct policy *p)
{
	struct sock_filter ret = BPF_STMT(BPF_RET | BPF_K, INGRESS_ACCEPT);
	struct sock_fprog fp = { .len = 1, .filter = &ret };
	const struct policy_ingress_rule *r;
	size_t n = policy_ingress(p, &r), i;
	int fd;

	for (i = 0; i < n && r[i].proto == POLICY_PROTO_UDP; i++)
		;
	if (i == n || policy_mode(p) == POLICY_MODE_AUDIT)
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) &&
	    errno == EPERM)
		log_warn("WARNING: this kernel lets only CAP_NET_ADMIN filter "
			 "TCP sockets, and the supervisor lacks it: every TCP "
			 "listen on a port the ingress rules cover will fail "
			 "with EPERM. Give the container CAP_NET_ADMIN (CMD "
			 "never gets it).");
	close(fd);
}

/* --listen sockets belong to CMD once it runs */
void ingress_sock_set_owner(pid_t pid, const char *comm)
{
	const char *base = strrchr(comm, '/');
	size_t i;

	comm = base ? base + 1 : comm;
	for (i = 0; i < TRACK_MAX; i++) {
		if (!tracked[i].ino || tracked[i].pid)
			continue;
		tracked[i].pid = pid;
		snprintf(tracked[i].comm, sizeof(tracked[i].comm), "%s", comm);
	}
}

static struct tracked *track_find(ino_t ino)
{
	size_t i;

	for (i = 0; i < TRACK_MAX; i++)
		if (tracked[i].ino == ino)
			return &tracked[i];
	return NULL;
}

/* One sock_diag message: note the socket's drops if we track it */
static void diag_msg(const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *a;
	struct tracked *tr;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return;
	tr = track_find(m->idiag_inode);
	if (!tr)
		return;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == INET_DIAG_SKMEMINFO &&
		    RTA_PAYLOAD(a) >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) {
			const uint32_t *mi = RTA_DATA(a);

			tr->seen = true;
			tr->cur = mi[SK_MEMINFO_DROPS];
			tr->port = ntohs(m->id.idiag_sport);
		}
	}
}

/**
 * diag_dump() - one sock_diag dump with the sockets' memory counters
 * @family:	AF_INET or AF_INET6
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @states:	TCP states to list (a bit per state)
 *
 * Return: 0, or -errno (this round's counts are then not used)
 */
static int diag_dump(int family, int proto, uint32_t states)
{
	static uint32_t seq;
	static uint32_t buf[8192];	/* aligned for nlmsghdr */
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = ++seq,
		},
		.r = {
			.sdiag_family = (uint8_t)family,
			.sdiag_protocol = (uint8_t)proto,
			.idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1),
			.idiag_states = states,
		},
	};
	unsigned int rounds;

	if (diag_fd < 0) {
		diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC |
						     SOCK_NONBLOCK,
				 NETLINK_SOCK_DIAG);
		if (diag_fd < 0)
			return -errno;
	}
	if (send(diag_fd, &req, sizeof(req), 0) < 0)
		return -errno;
	/* The kernel fills each reply as we read: never EAGAIN mid-dump */
	for (rounds = 0; rounds < 4096; rounds++) {
		ssize_t n = recv(diag_fd, buf, sizeof(buf), MSG_DONTWAIT);
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		int left = (int)n;

		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -EIO;
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
				diag_msg(h);
		}
	}
	return -EIO;
}

static void drops_log(const struct tracked *tr)
{
	struct log_line l;

	log_begin(&l, "ingress_drops");
	log_str(&l, "verdict", "deny");
	log_int(&l, "pid", tr->pid);
	log_str(&l, "comm", tr->comm);
	log_str(&l, "proto", tr->proto == IPPROTO_TCP ? "tcp" : "udp");
	log_str(&l, "dst", tr->addr);
	log_int(&l, "port", tr->port);
	log_str(&l, "rule", "ingress");
	log_str(&l, "reason", "ingress_drops");
	log_int(&l, "drops", tr->cur);
	log_int(&l, "new", (long long)tr->cur - tr->drops);
	log_end(&l);
}

/**
 * ingress_sock_timer() - report the drops of filtered sockets
 *
 * Called about once a second from the loop; works every DROPS_PERIOD_MS
 * while some filtered socket exists.  A socket no dump lists twice in a
 * row is gone (closed, or a bind that failed) and forgotten.
 */
void ingress_sock_timer(void)
{
	static uint64_t last;
	size_t i;

	if (!n_tracked || loop_now_ms() - last < DROPS_PERIOD_MS)
		return;
	last = loop_now_ms();
	for (i = 0; i < TRACK_MAX; i++)
		tracked[i].seen = false;
	if (diag_dump(AF_INET, IPPROTO_TCP, 1U << TCP_LISTEN) ||
	    diag_dump(AF_INET6, IPPROTO_TCP, 1U << TCP_LISTEN) ||
	    diag_dump(AF_INET, IPPROTO_UDP, ~0U) ||
	    diag_dump(AF_INET6, IPPROTO_UDP, ~0U))
		return;
	for (i = 0; i < TRACK_MAX; i++) {
		struct tracked *tr = &tracked[i];

		if (!tr->ino)
			continue;
		if (!tr->seen) {
			if (++tr->misses >= 2) {
				memset(tr, 0, sizeof(*tr));
				n_tracked--;
			}
			continue;
		}
		tr->misses = 0;
		if (tr->cur != tr->drops) {
			drops_log(tr);
			tr->drops = tr->cur;
		}
	}
}

/**
 * parse_listen() - "[ADDR]:PORT[/udp]" as --listen takes it
 * @spec:	PORT, :PORT, ADDR:PORT or [ADDR6]:PORT, then /tcp or /udp
 * @ss:		the address (no ADDR: [::])
 * @len:	its length
 * @udp:	/udp was given
 * @any:	no ADDR: dual-stack, IPv4 if the kernel has no IPv6
 *
 * Return: 0, or -EINVAL after saying why
 */
static int parse_listen(const char *spec, struct sockaddr_storage *ss,
			socklen_t *len, bool *udp, bool *any)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char buf[128], *host = NULL, *port, *p, *end;
	unsigned long v;

	memset(ss, 0, sizeof(*ss));
	*udp = *any = false;
	if (strlen(spec) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", spec);
	p = strrchr(buf, '/');
	if (p) {
		if (!strcmp(p + 1, "udp"))
			*udp = true;
		else if (strcmp(p + 1, "tcp"))
			goto bad;
		*p = '\0';
	}
	if (buf[0] == '[') {
		p = strchr(buf, ']');
		if (!p || p[1] != ':')
			goto bad;
		*p = '\0';
		host = buf + 1;
		port = p + 2;
	} else if ((p = strrchr(buf, ':'))) {
		if (strchr(buf, ':') != p)
			goto bad;	/* IPv6 without brackets */
		*p = '\0';
		host = buf;
		port = p + 1;
	} else {
		port = buf;
	}
	errno = 0;
	v = strtoul(port, &end, 10);
	if (!*port || *end || errno || !v || v > 65535 || *port < '0' ||
	    *port > '9')
		goto bad;
	if (!host || !*host) {
		*any = true;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)v);
		*len = sizeof(*s6);
	} else if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)v);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)v);
		*len = sizeof(*s6);
	} else {
		goto bad;
	}
	return 0;
bad:
	log_warn("--listen '%s': expected [ADDR]:PORT[/udp] (PORT 1-65535; "
		 "ADDR an IPv4 address, or an IPv6 one in brackets: "
		 "[::1]:8080)", spec);
	return -EINVAL;
}

/**
 * ingress_listen_open() - a socket for --listen, filtered before CMD runs
 * @spec:	"[ADDR]:PORT[/udp]"
 * @fd:		the socket: a bound, listening TCP socket, or a bound UDP
 *		socket, filtered and locked by the policy's ingress rules
 *
 * Without ADDR the socket is IPv6 and dual-stack (IPV6_V6ONLY off), or
 * IPv4 when the kernel has no IPv6.  TCP sockets get SO_REUSEADDR, so a
 * restarted supervisor can listen at once.  The filter goes on before a
 * UDP socket binds and before a TCP socket listens: nothing unfiltered is
 * ever queued.
 *
 * Return: 0, or -errno after saying why
 */
int ingress_listen_open(const char *spec, int *fd)
{
	struct ingress_call c = { .call = "--listen", .fd = -1 };
	cleanup_close int s = -1;
	struct sockaddr_storage ss;
	int one = 1, zero = 0, ret;
	socklen_t len;
	bool udp, any;

	ret = parse_listen(spec, &ss, &len, &udp, &any);
	if (ret)
		return ret;
	c.family = ss.ss_family;
	c.type = udp ? SOCK_DGRAM : SOCK_STREAM;
	c.proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
	s = socket(c.family, c.type | SOCK_CLOEXEC, c.proto);
	if (s < 0 && any && errno == EAFNOSUPPORT) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;

		memset(&ss, 0, sizeof(ss));
		s4->sin_family = AF_INET;
		s4->sin_port = port;
		len = sizeof(*s4);
		c.family = AF_INET;
		s = socket(c.family, c.type | SOCK_CLOEXEC, c.proto);
	}
	if (s < 0)
		goto fail;
	c.dup = s;
	if (c.family == AF_INET6 && any &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		goto fail;
	if (!udp && setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (udp) {
		c.addr = &ss;
		c.addrlen = len;
		if (ingress_sock_prepare(&c))
			return -EPERM;
	}
	if (bind(s, (struct sockaddr *)&ss, len))
		goto fail;
	if (!udp) {
		if (ingress_sock_prepare(&c))
			return -EPERM;
		if (listen(s, SOMAXCONN))
			goto fail;
	}
	*fd = steal_fd(&s);
	return 0;
fail:
	ret = -errno;
	log_warn("--listen '%s': %s", spec, strerror(-ret));
	return ret;
}
