// SPDX-License-Identifier: GPL-2.0-or-later
/* lookup.c - name lookups for the LD_PRELOAD shim, over a unix socket
 *
 * Theory of operation
 *
 * libegress-shim.so answers getaddrinfo() and friends in CMD by asking us
 * here instead of sending DNS queries to the stub: one message each way on
 * a unix socket the process keeps, instead of a notified connect, a socket,
 * a resolv.conf read and two datagrams per lookup.  What it may learn is
 * exactly what a DNS query could: each request names one exact name and
 * the record types (A, AAAA) it wants, and each type becomes one query of
 * dns_stub_query() (PTR too, for getnameinfo()), which takes the stub's
 * path - the policy's name
 * verdict, the cache, upstream, the IP-to-names table and the "dns" log
 * line.  The answer goes back parsed (shim_proto.h).  Search lists,
 * /etc/hosts and the assembly of the result stay in the shim, as glibc
 * does them.
 *
 * Who may talk to us: we listen on an abstract name given to CMD in its
 * environment.  A connect() of CMD to it is notified like every connect;
 * netcall.c hands it to lookup_connect(), which connects CMD's socket to
 * our listener itself and accepts that connection at once, in the same
 * turn of the loop, so the connection is known to be the one we arranged
 * for that process (its SO_PEERCRED shows our own pid: we made it).  A
 * connection that arrives any other way - a process outside the filter in
 * the same network namespace - is refused and logged.  CMD never reaches
 * the listener on its own: every path to it is a notified connect.
 *
 * Connection states: IDLE (waiting for a request) -> BUSY (queries in
 * flight; a second request is a protocol error) -> IDLE once the response
 * is written, or closed.  A malformed or oversized message, EOF, an error
 * or a full socket buffer closes the connection; the shim then falls back
 * to libc.  Connections are bounded per process and in all.
 */

#include <fcntl.h>
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <strings.h>
#include <sys/un.h>

#include "../shim/shim_proto.h"
#include "dns_msg.h"
#include "dns_stub.h"
#include "log.h"
#include "lookup.h"
#include "util.h"

#define LOOKUP_CONNS_MAX	256
#define LOOKUP_PER_PROCESS	8
#define LOOKUP_ACCEPTS		16	/* queued strangers drained per connect */
#define LOOKUP_IFA_MAX		256	/* interface addresses we keep */
#define LOOKUP_LINKS_MAX	64
#define LOOKUP_IFA_MS		1000	/* how long they are reused */

enum lookup_state {
	LOOKUP_IDLE,	/* waiting for a request */
	LOOKUP_BUSY,	/* queries in flight */
};

/**
 * struct lookup_conn - one connection of a shim
 * @fd:		our end
 * @gen:	generation, to recognize answers for a reused slot
 * @tgid:	the process it was arranged for
 * @comm:	its command name, for logs
 * @state:	enum lookup_state
 * @waiting:	SHIM_Q_* types whose answer is still outstanding
 * @req:	the request being answered
 * @resp:	its response, filled as answers arrive
 */
struct lookup_conn {
	int fd;
	uint32_t gen;
	pid_t tgid;
	char comm[16];
	enum lookup_state state;
	uint32_t waiting;
	struct shim_req req;
	struct shim_resp resp;
};

/* One address of ours, as glibc's __check_pf() sees it (IPv4 mapped) */
struct lookup_ifa {
	uint8_t addr[16];
	uint8_t flags;		/* SHIM_SRC_* */
	uint8_t prefixlen;
	uint32_t index;
};

static struct {
	uint64_t when_ms;
	bool valid;
	bool seen_ipv4, seen_ipv6;
	size_t n;
	struct lookup_ifa a[LOOKUP_IFA_MAX];
	size_t nlinks;
	struct {
		uint32_t index;
		bool native;
	} link[LOOKUP_LINKS_MAX];
	int udp4, udp6;		/* for the route lookups */
} ifs = { .udp4 = -1, .udp6 = -1 };

static struct {
	int fd;
	struct sockaddr_un addr;
	socklen_t addrlen;
	char name[64];
	struct lookup_conn *conn[LOOKUP_CONNS_MAX];
	uint32_t gen;
} lk = { .fd = -1 };

/**
 * lookup_init() - listen on a fresh abstract name
 *
 * The name carries our pid and 64 random bits; it is no secret (the
 * supervisor refuses connections it did not arrange), only unlikely to be
 * taken.
 *
 * Return: 0 or -errno
 */
int lookup_init(void)
{
	uint8_t rnd[8];
	int fd, ret;
	size_t len;

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		return -EIO;
	snprintf(lk.name, sizeof(lk.name),
		 "egress-supervise/%d/%02x%02x%02x%02x%02x%02x%02x%02x",
		 getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
		 rnd[6], rnd[7]);
	len = strlen(lk.name);
	lk.addr.sun_family = AF_UNIX;
	memcpy(lk.addr.sun_path + 1, lk.name, len);
	lk.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				 len);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&lk.addr, lk.addrlen) ||
	    listen(fd, 64)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = loop_add(fd, EPOLLIN,
		       (union loop_ref){ .type = LOOP_SHIM_LISTEN, .fd = fd });
	if (ret) {
		close(fd);
		return ret;
	}
	lk.fd = fd;
	return 0;
}

/* The abstract name CMD is told (SHIM_ENV_SOCKET), or NULL if not up */
const char *lookup_socket_name(void)
{
	return lk.fd >= 0 ? lk.name : NULL;
}

/* Is @d our listener?  Abstract names compare by their exact length. */
bool lookup_is_socket(const struct sa_dest *d)
{
	return lk.fd >= 0 && d->kind == SA_UNIX && d->emu_len == lk.addrlen &&
	       !memcmp(&d->emu, &lk.addr, lk.addrlen);
}

static void lookup_close(unsigned int i)
{
	struct lookup_conn *c = lk.conn[i];

	if (!c)
		return;
	loop_del(c->fd);
	close(c->fd);
	free(c);
	lk.conn[i] = NULL;
}

/* A connection we did not arrange: log who it was, and close it */
static void lookup_refuse(int fd)
{
	struct ucred cr = { .pid = -1 };
	socklen_t sl = sizeof(cr);

	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl);
	log_warn("refused a connection to the lookup socket from pid %d "
		 "uid %d: not arranged by a connect of CMD", (int)cr.pid,
		 (int)cr.uid);
	close(fd);
}

/* Take the connection we just made out of the listener's queue */
static int lookup_accept_ours(void)
{
	int i;

	for (i = 0; i < LOOKUP_ACCEPTS; i++) {
		struct ucred cr;
		socklen_t sl = sizeof(cr);
		int fd;

		fd = accept4(lk.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) &&
		    cr.pid == getpid())
			return fd;
		lookup_refuse(fd);
	}
	return -EAGAIN;
}

static void lookup_log(struct target *t, const char *verdict,
		       const char *reason, int err)
{
	struct log_line l;
	char dst[sizeof(lk.name) + 1];

	snprintf(dst, sizeof(dst), "@%s", lk.name);
	log_begin(&l, "connect");
	log_str(&l, "verdict", verdict);
	log_int(&l, "pid", t->pid);
	log_str(&l, "comm", t->comm);
	log_str(&l, "proto", "unix");
	log_str(&l, "dst", dst);
	/* every decision line has the same keys; a unix name has no port */
	log_int(&l, "port", 0);
	log_str(&l, "rule", "shim");
	log_str(&l, "reason", reason);
	if (err)
		log_str(&l, "errno", util_errno_name(err));
	log_end(&l);
}

/**
 * lookup_connect() - connect CMD's socket to our listener, arranged
 * @t:		the target that called connect()
 * @dup:	our duplicate of its socket
 * @flags:	its file status flags (restored before we return)
 *
 * Return: 0, or -errno for CMD's connect (EAGAIN when out of slots: the
 * shim then uses libc)
 */
int lookup_connect(struct target *t, int dup, int flags)
{
	struct lookup_conn *c;
	unsigned int i, free_slot = LOOKUP_CONNS_MAX, mine = 0;
	int fd, ret;

	for (i = 0; i < LOOKUP_CONNS_MAX; i++) {
		if (!lk.conn[i]) {
			if (free_slot == LOOKUP_CONNS_MAX)
				free_slot = i;
		} else if (lk.conn[i]->tgid == t->tgid) {
			mine++;
		}
	}
	if (free_slot == LOOKUP_CONNS_MAX || mine >= LOOKUP_PER_PROCESS) {
		lookup_log(t, "deny", "too many lookup connections", EAGAIN);
		return -EAGAIN;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;

	/* A full backlog would block: EAGAIN instead */
	if (!(flags & O_NONBLOCK))
		fcntl(dup, F_SETFL, flags | O_NONBLOCK);
	ret = connect(dup, (struct sockaddr *)&lk.addr, lk.addrlen) ? -errno
								    : 0;
	if (!(flags & O_NONBLOCK))
		fcntl(dup, F_SETFL, flags);
	fd = ret ? ret : lookup_accept_ours();
	if (fd < 0) {
		free(c);
		lookup_log(t, "deny", "lookup socket unavailable", -fd);
		return fd;
	}

	c->fd = fd;
	c->gen = ++lk.gen;
	c->tgid = t->tgid;
	snprintf(c->comm, sizeof(c->comm), "%s", t->comm);
	c->state = LOOKUP_IDLE;
	ret = loop_add(fd, EPOLLIN | EPOLLRDHUP,
		       (union loop_ref){ .type = LOOP_SHIM, .fd = fd,
					 .idx = free_slot });
	if (ret) {
		close(fd);
		free(c);
		return ret;
	}
	lk.conn[free_slot] = c;
	lookup_log(t, "allow", "lookup socket", 0);
	return 0;
}


/* ------------------------------------------------------------------ */
/* source addresses: what glibc's getaddrinfo() sorts by              */

static void ifs_v4mapped(uint8_t *out, const uint8_t *v4)
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

static void ifs_addr(const struct nlmsghdr *nh)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	const struct rtattr *rta = IFA_RTA(ifa);
	int len = (int)IFA_PAYLOAD(nh);
	const uint8_t *local = NULL, *address = NULL;
	struct lookup_ifa *e;

	if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    ifs.n == LOOKUP_IFA_MAX)
		return;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t want = ifa->ifa_family == AF_INET ? 4 : 16;

		if (RTA_PAYLOAD(rta) < want)
			continue;
		if (rta->rta_type == IFA_LOCAL)
			local = RTA_DATA(rta);
		else if (rta->rta_type == IFA_ADDRESS && !address)
			address = RTA_DATA(rta);
	}
	/* as __check_pf(): IFA_ADDRESS if present, else IFA_LOCAL */
	if (!address)
		address = local;
	if (!address)
		return;
	e = &ifs.a[ifs.n++];
	if (ifa->ifa_family == AF_INET) {
		static const uint8_t lo[4] = { 127, 0, 0, 1 };

		if (memcmp(address, lo, 4))
			ifs.seen_ipv4 = true;
		ifs_v4mapped(e->addr, address);
	} else {
		if (!IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)address))
			ifs.seen_ipv6 = true;
		memcpy(e->addr, address, 16);
	}
	e->flags = (ifa->ifa_flags & (IFA_F_DEPRECATED | IFA_F_OPTIMISTIC) ?
			    SHIM_SRC_DEPRECATED : 0) |
		   (ifa->ifa_flags & IFA_F_HOMEADDRESS ? SHIM_SRC_HOME : 0);
	e->prefixlen = ifa->ifa_prefixlen;
	e->index = ifa->ifa_index;
}

static void ifs_link(const struct nlmsghdr *nh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);

	if (ifs.nlinks == LOOKUP_LINKS_MAX)
		return;
	ifs.link[ifs.nlinks].index = (uint32_t)ifi->ifi_index;
	/* glibc's __check_native(): tunnels are not native */
	ifs.link[ifs.nlinks].native = ifi->ifi_type != ARPHRD_TUNNEL &&
				      ifi->ifi_type != ARPHRD_TUNNEL6 &&
				      ifi->ifi_type != ARPHRD_SIT;
	ifs.nlinks++;
}

/* One netlink dump of @type, each message to @fn.  The kernel fills a
 * dump while we read it, so MSG_DONTWAIT never waits. */
static int ifs_dump(uint16_t type, void (*fn)(const struct nlmsghdr *))
{
	struct {
		struct nlmsghdr nh;
		struct rtgenmsg g;
		uint8_t pad[3];
	} req = { .nh = { .nlmsg_len = sizeof(req), .nlmsg_type = type,
			  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			  .nlmsg_seq = 1 },
		  .g = { .rtgen_family = AF_UNSPEC } };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	cleanup_close int fd = -1;
	static uint8_t buf[32768];
	int rounds;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	for (rounds = 0; rounds < 1024; rounds++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		const struct nlmsghdr *nh = (const void *)buf;
		size_t len;

		if (n < 0)
			return -errno;
		len = (size_t)n;
		for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return -EIO;
			if (nh->nlmsg_type == RTM_NEWADDR &&
			    type == RTM_GETADDR)
				fn(nh);
			else if (nh->nlmsg_type == RTM_NEWLINK &&
				 type == RTM_GETLINK)
				fn(nh);
		}
	}
	return -EIO;
}

/* Our addresses and links, read again at most once a second */
static void ifs_refresh(void)
{
	uint64_t now = loop_now_ms();

	if (ifs.valid && now - ifs.when_ms < LOOKUP_IFA_MS)
		return;
	ifs.n = ifs.nlinks = 0;
	ifs.seen_ipv4 = ifs.seen_ipv6 = false;
	ifs.valid = !ifs_dump(RTM_GETADDR, ifs_addr) &&
		    !ifs_dump(RTM_GETLINK, ifs_link);
	ifs.when_ms = now;
}

/**
 * lookup_source() - the source address the kernel picks for @addr
 * @family:	AF_INET or AF_INET6
 * @addr:	destination
 * @s:		filled in
 *
 * glibc's getaddrinfo() sorts by it (RFC 6724) and learns it by connecting
 * a UDP socket; CMD's connect would be notified and decided, ours is not:
 * connecting a UDP socket sends nothing.  The address's flags, prefix and
 * interface come from our netlink dump, as glibc takes them from its own.
 */
static void lookup_source(int family, const uint8_t *addr, struct shim_src *s)
{
	int *fdp = family == AF_INET ? &ifs.udp4 : &ifs.udp6;
	struct sockaddr_storage dst = { 0 }, src;
	socklen_t sl = sizeof(src), dl;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	uint8_t key[16];
	size_t i;

	memset(s, 0, sizeof(*s));
	s->index = 0xffffffff;
	if (*fdp < 0)
		*fdp = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (*fdp < 0)
		return;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)&dst;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		dl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (void *)&dst;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		dl = sizeof(*sin6);
	}
	connect(*fdp, &unspec, sizeof(unspec));
	if (connect(*fdp, (struct sockaddr *)&dst, dl) ||
	    getsockname(*fdp, (struct sockaddr *)&src, &sl))
		return;
	s->ok = 1;
	s->family = (uint8_t)family;
	if (family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((struct sockaddr_in *)&src)
					   ->sin_addr;
		static const uint8_t lo[4] = { 127, 0, 0, 1 };

		memcpy(s->addr, a, 4);
		/* as glibc: any 127/8 source is looked up as 127.0.0.1 */
		ifs_v4mapped(key, a[0] == 127 ? lo : a);
	} else {
		memcpy(s->addr, &((struct sockaddr_in6 *)&src)->sin6_addr, 16);
		memcpy(key, s->addr, 16);
	}
	ifs_refresh();
	for (i = 0; i < ifs.n; i++) {
		size_t k;

		if (memcmp(ifs.a[i].addr, key, 16))
			continue;
		s->flags = ifs.a[i].flags;
		s->prefixlen = ifs.a[i].prefixlen;
		s->index = ifs.a[i].index;
		for (k = 0; k < ifs.nlinks; k++)
			if (ifs.link[k].index == s->index)
				s->native = ifs.link[k].native;
		break;
	}
}

/* SOURCES: the source of each destination of the request */
static void lookup_sources(struct lookup_conn *c)
{
	uint32_t i, n = MIN(c->req.naddrs, (uint32_t)SHIM_ADDRS_MAX);

	for (i = 0; i < n; i++) {
		int f = c->req.families[i];

		if (f == AF_INET || f == AF_INET6)
			lookup_source(f, c->req.addrs[i], &c->resp.a.src[i]);
	}
	c->resp.a.naddrs = (uint16_t)n;
	c->resp.a.status = SHIM_ST_ANSWER;
}

static void lookup_seen(struct lookup_conn *c)
{
	ifs_refresh();
	c->resp.seen_ipv4 = ifs.seen_ipv4;
	c->resp.seen_ipv6 = ifs.seen_ipv6;
}

/* ------------------------------------------------------------------ */
/* requests and answers                                               */

static void lookup_send(unsigned int i)
{
	struct lookup_conn *c = lk.conn[i];
	ssize_t n;

	n = send(c->fd, &c->resp, sizeof(c->resp), MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n != (ssize_t)sizeof(c->resp)) {
		/* a shim that does not read its answers: gone */
		lookup_close(i);
		return;
	}
	c->state = LOOKUP_IDLE;
}

/* glibc's canonical name: the last CNAME target before the first address
 * record of the asked type, else that record's owner */
static const char *lookup_canon(const struct dns_response *r, uint16_t qtype,
				bool *cname)
{
	const char *canon = NULL;
	unsigned int i;

	*cname = false;
	for (i = 0; i < r->nrr; i++) {
		const struct dns_rr *rr = &r->rr[i];

		if (rr->rclass != DNS_CLASS_IN)
			continue;
		if (rr->type == DNS_TYPE_CNAME && rr->target != DNS_NO_NAME) {
			*cname = true;
			canon = r->names[rr->target];
		} else if (rr->type == qtype) {
			return canon ? canon : r->names[rr->owner];
		}
	}
	return canon;
}

/* glibc's reading of a PTR answer: CNAMEs move the name looked for, the
 * first PTR record owned by it gives the host name */
static const char *lookup_ptr(const struct dns_response *r, bool *cname)
{
	const char *tname = r->qname;
	unsigned int i;

	*cname = false;
	for (i = 0; i < r->nrr; i++) {
		const struct dns_rr *rr = &r->rr[i];

		if (rr->rclass != DNS_CLASS_IN)
			continue;
		if (rr->type == DNS_TYPE_CNAME && rr->target != DNS_NO_NAME) {
			*cname = true;
			tname = r->names[rr->target];
		} else if (rr->type == DNS_TYPE_PTR &&
			   !strcasecmp(r->names[rr->owner], tname)) {
			return rr->target != DNS_NO_NAME ? r->names[rr->target]
							 : NULL;
		}
	}
	return NULL;
}

static void lookup_fill(struct shim_answer *a, uint16_t qtype,
			const struct dns_response *r, const struct dns_chain *c,
			bool sources)
{
	int family = qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
	const char *canon;
	bool cname;
	unsigned int k;

	if (!r) {
		a->status = SHIM_ST_NOANSWER;
		return;
	}
	a->status = SHIM_ST_ANSWER;
	a->rcode = (uint8_t)MIN(r->rcode, 255);
	a->ancount = r->ancount;
	if (qtype == DNS_TYPE_PTR) {
		canon = lookup_ptr(r, &cname);
		a->cname = cname;
		if (canon)
			snprintf(a->canon, sizeof(a->canon), "%s", canon);
		return;
	}
	for (k = 0; k < c->naddrs && a->naddrs < SHIM_ADDRS_MAX; k++) {
		const struct dns_addr *da = &r->addrs[c->addr[k].addr];

		if (da->family != family)
			continue;
		memcpy(a->addrs[a->naddrs++], da->addr,
		       family == AF_INET ? 4 : 16);
	}
	for (k = 0; k < c->nnames && k < SHIM_CHAIN_MAX; k++)
		snprintf(a->chain[k], sizeof(a->chain[k]), "%s",
			 r->names[c->name[k]]);
	a->nchain = (uint8_t)k;
	canon = lookup_canon(r, qtype, &cname);
	a->cname = cname;
	if (canon)
		snprintf(a->canon, sizeof(a->canon), "%s", canon);
	for (k = 0; sources && k < a->naddrs; k++)
		lookup_source(family, a->addrs[k], &a->src[k]);
}

/* dns_answer_fn: @arg packs the slot and the SHIM_Q_* type */
static void lookup_answer(void *arg, uint32_t gen,
			  const struct dns_response *r,
			  const struct dns_chain *ch)
{
	uintptr_t v = (uintptr_t)arg;
	unsigned int i = (unsigned int)(v & 0xffff);
	uint32_t type = (uint32_t)(v >> 16);
	struct lookup_conn *c = i < LOOKUP_CONNS_MAX ? lk.conn[i] : NULL;

	if (!c || c->gen != gen || c->state != LOOKUP_BUSY ||
	    !(c->waiting & type))
		return;		/* the connection went away meanwhile */
	c->waiting &= ~type;
	if (type == SHIM_Q_AAAA)
		lookup_fill(&c->resp.aaaa, DNS_TYPE_AAAA, r, ch,
			    c->req.flags & SHIM_F_SOURCES);
	else
		lookup_fill(&c->resp.a,
			    type == SHIM_Q_A ? DNS_TYPE_A : DNS_TYPE_PTR, r, ch,
			    c->req.flags & SHIM_F_SOURCES);
	if (!c->waiting)
		lookup_send(i);
}

static bool lookup_req_valid(const struct shim_req *q)
{
	size_t len;

	if (q->magic != SHIM_MAGIC || q->version != SHIM_VERSION ||
	    (q->flags & ~(uint32_t)SHIM_F_SOURCES))
		return false;
	if (q->op == SHIM_OP_SOURCES)
		return q->naddrs <= SHIM_ADDRS_MAX;
	if (q->op != SHIM_OP_HOST || !q->qtypes ||
	    ((q->qtypes & ~(uint32_t)(SHIM_Q_A | SHIM_Q_AAAA)) &&
	     q->qtypes != SHIM_Q_PTR))
		return false;
	len = strnlen(q->name, sizeof(q->name));
	return len > 0 && len <= DNS_NAME_MAX;
}

static void lookup_request(unsigned int i)
{
	static const struct {
		uint32_t bit;
		uint16_t qtype;
	} types[] = { { SHIM_Q_A, DNS_TYPE_A }, { SHIM_Q_AAAA, DNS_TYPE_AAAA },
		      { SHIM_Q_PTR, DNS_TYPE_PTR } };
	struct lookup_conn *c = lk.conn[i];
	uint32_t gen = c->gen;
	size_t t;

	memset(&c->resp, 0, sizeof(c->resp));
	c->resp.magic = SHIM_MAGIC;
	c->resp.version = SHIM_VERSION;
	c->resp.op = c->req.op;
	c->resp.id = c->req.id;
	c->resp.a.status = SHIM_ST_UNASKED;
	c->resp.aaaa.status = SHIM_ST_UNASKED;
	c->state = LOOKUP_BUSY;
	if (c->req.op == SHIM_OP_SOURCES || c->req.flags & SHIM_F_SOURCES)
		lookup_seen(c);
	if (c->req.op == SHIM_OP_SOURCES) {
		lookup_sources(c);
		lookup_send(i);
		return;
	}
	c->waiting = c->req.qtypes;

	for (t = 0; t < ARRAY_SIZE(types); t++) {
		struct shim_answer *a = types[t].bit == SHIM_Q_AAAA ?
						&c->resp.aaaa : &c->resp.a;
		int ret;

		if (!(c->req.qtypes & types[t].bit))
			continue;
		ret = dns_stub_query(c->req.name, types[t].qtype, lookup_answer,
				     (void *)(uintptr_t)(i | types[t].bit << 16),
				     gen);
		/* the answer may have come, and the connection gone, by now */
		if (lk.conn[i] != c || c->gen != gen)
			return;
		if (ret) {
			/* out of slots, or a name the stub cannot ask for */
			a->status = ret == -EINVAL ? SHIM_ST_NOANSWER
						   : SHIM_ST_BUSY;
			c->waiting &= ~types[t].bit;
			if (!c->waiting)
				lookup_send(i);
		}
	}
}

static void lookup_conn_handler(unsigned int i, int fd)
{
	struct lookup_conn *c = i < LOOKUP_CONNS_MAX ? lk.conn[i] : NULL;
	struct shim_req q;
	ssize_t n;

	if (!c || c->fd != fd)
		return;
	/* MSG_TRUNC: a longer message is cut, and told by its length */
	n = recv(fd, &q, sizeof(q), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(q) || c->state != LOOKUP_IDLE ||
	    !lookup_req_valid(&q)) {
		if (n > 0)
			log_warn("pid %d (%s): malformed lookup request; "
				 "closing its lookup connection",
				 (int)c->tgid, c->comm);
		lookup_close(i);
		return;
	}
	c->req = q;
	lookup_request(i);
}

void lookup_handler(union loop_ref ref, uint32_t events)
{
	(void)events;
	if (ref.type == LOOP_SHIM_LISTEN) {
		int fd;

		/* Ours are accepted in lookup_connect(): anything queued
		 * here came another way */
		while ((fd = accept4(lk.fd, NULL, NULL,
				     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
			lookup_refuse(fd);
		return;
	}
	lookup_conn_handler(ref.idx, ref.fd);
}
