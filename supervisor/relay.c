// SPDX-License-Identifier: GPL-2.0-or-later
/* relay.c - inspected TCP: CMD's socket connected to us, us to upstream
 *
 * Theory of operation
 *
 * A connect whose rule needs inspection (https/tls: the ClientHello SNI;
 * http: every request's Host and path; ftp: passive replies; ssh with
 * verify_banner: the server's banner) never reaches its destination from
 * CMD's socket.  Instead, in relay_connect():
 *
 *   1. we open our own upstream socket and start its connect to the
 *      decided destination;
 *   2. we connect CMD's socket (our pidfd_getfd duplicate) to one of our
 *      loopback listeners, and remember the local address the kernel gave
 *      it: that is the peer address accept() will report, the key that
 *      makes this an arranged connection.  An accepted connection with no
 *      arrangement is closed and logged (CMD cannot reach the listeners
 *      anyway: connects to their ports are denied in verdict.c);
 *   3. a blocking connect is answered only after the upstream connect has
 *      completed, with its result: ECONNREFUSED reaches CMD as such.  A
 *      non-blocking connect is answered at once (EINPROGRESS or 0, as the
 *      loopback connect gives), and an upstream failure later reaches CMD
 *      as a reset of its connection.
 *
 * Then the flow is peeked (the first bytes of the side that speaks first
 * are read into a buffer and parsed), decided with the policy of the
 * moment, and either denied in the protocol's own words (a TLS alert, an
 * HTTP 403) or opened: the peeked bytes are written upstream unchanged and
 * both directions are spliced through pipes, with half-close (EOF becomes
 * shutdown(SHUT_WR)), resets passed on (SO_LINGER 0), and backpressure
 * (a direction reads only after it has written what it holds).  A flow
 * gets RELAY_BUDGET bytes per turn; one that has more waits for the next
 * loop iteration, so a fast transfer cannot starve notifications.
 *
 * TLS: the SNI must be allowed and belong to the destination address (the
 * DNS stub learned the address for that name).  When it does not, the
 * name is resolved again through the stub and the flow goes to one of the
 * name's own addresses, never to the one CMD chose.  No SNI: allowed only
 * when the address alone is (a CIDR rule).
 *
 * Fidelity: CMD's getpeername() is answered with the original destination
 * (relay_peer_of(), see netcall.c); its getsockname() shows the loopback
 * address.  Nothing here blocks: every socket and pipe is non-blocking and
 * registered edge-triggered.
 *
 * TLS interception (an https rule with path rules, or intercept: true):
 * once the ClientHello is decided as above, the flow is not spliced.  The
 * relay finishes the handshake with CMD as the server the SNI names (a leaf
 * certificate from our CA, ca.c), and one with the server as a client that
 * verifies it (mitm.c), both in FLOW_HANDSHAKE.  Then every request CMD
 * sends inside TLS goes through the same reading and deciding as on an
 * http flow (http_pump(), whose reads and writes go through the TLS
 * sessions instead of the sockets), and the server's bytes are copied
 * from one session to the other (tls_pump_down()).  A Host other than the
 * SNI must be allowed and map to the address like an http Host; a server
 * whose certificate fails verification gets no request: CMD's first one
 * is answered 502 with X-Egress-Denied: upstream_tls.  At most
 * RELAY_TLS_FLOWS flows are intercepted at once.
 *
 * Flow states:	FREE -> ARRANGED -> PEEK -> [RESOLVE ->] [HANDSHAKE ->]
 *		OPEN -> FREE
 */

#include <arpa/inet.h>
#include <assert.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dns_stub.h"
#include "ftp_ctl.h"
#include "http_req.h"
#include "log.h"
#include "metrics.h"
#include "mitm.h"
#include "notify.h"
#include "policy.h"
#include "relay.h"
#include "ssh_banner.h"
#include "tls_hello.h"
#include "util.h"
#include "verdict.h"

#define RELAY_FLOWS		16384
#define RELAY_PEEK_MAX		(TLS_HELLO_HDR_LEN + TLS_HELLO_MAX + 4096)
#define RELAY_FTP_BUF		4096
#define RELAY_FTP_EXPECT	64	/* passive data connects awaited */
#define RELAY_FTP_EXPECT_MS	30000
#define RELAY_SSH_PEEK		8192
#define RELAY_CHUNK		(256 * 1024)
#define RELAY_BUDGET		(1024 * 1024)
#define RELAY_ACCEPT_MS		10000	/* arranged, but never accepted */
#define RELAY_PEEK_MS		30000	/* accepted, but nothing to decide on */
#define RELAY_PENDING_MAX	1024	/* held connects per process */
#define RELAY_SPARE_PIPES	256
#define INO_BUCKETS		4096
#define RELAY_TLS_FLOWS		1024	/* intercepted at once */
#define RELAY_TLS_BUF		16384	/* server to CMD: one record */

const char *const relay_kind_str[RELAY_KIND_NUM] = {
	[RELAY_NONE] = "none", [RELAY_TLS] = "tls", [RELAY_HTTP] = "http",
	[RELAY_FTP] = "ftp", [RELAY_SSH] = "ssh",
	[RELAY_TLS_INTERCEPT] = "tls_intercept",
};
static_assert(ARRAY_SIZE(relay_kind_str) == RELAY_KIND_NUM,
	      "relay_kind_str out of sync with enum relay_kind");

enum flow_state {
	FLOW_FREE,
	FLOW_ARRANGED,	/* waiting for the upstream connect or our accept */
	FLOW_PEEK,	/* reading the first bytes */
	FLOW_RESOLVE,	/* the SNI's own addresses are being resolved */
	FLOW_HANDSHAKE,	/* intercepted: TLS handshakes with CMD and upstream */
	FLOW_OPEN,	/* decided: peeked bytes go upstream, then splice */
};

/**
 * struct relay_tls - the TLS sessions of an intercepted flow
 * @c:		toward CMD (we are the server)
 * @u:		toward the server (we are the client)
 * @c_done:	@c's handshake is complete
 * @u_done:	@u's handshake is complete
 * @u_failed:	@u's handshake failed (@err says why): CMD gets a 502
 * @c_unclean:	CMD's side ended without close_notify (passed on as such)
 * @u_unclean:	the server's side likewise
 * @cached:	the leaf came from the cache
 * @verify:	the server's certificate is verified
 * @has_sni:	the ClientHello named the server
 * @in_upgrade:	upgrade_pump() reads the server's answer to an upgrade
 * @sni:	the name of the ClientHello (or the address without one)
 * @err:	the handshake failure, for the log and the 502
 */
struct relay_tls {
	SSL *c, *u;
	bool c_done, u_done, u_failed;
	bool c_unclean, u_unclean;
	bool cached, verify, has_sni;
	bool in_upgrade;
	char sni[TLS_SNI_SIZE];
	char err[MITM_ERR_SIZE];
};

/**
 * struct relay_dir - one direction of a flow
 * @pipe:	splice pipe, -1 when none (taken from the spare pool)
 * @inpipe:	bytes in the pipe
 * @bytes:	bytes delivered
 * @up:		CMD to the destination (c2u), else the other way
 * @eof:	the source said EOF
 * @shut:	the EOF was passed on (shutdown(SHUT_WR))
 */
struct relay_dir {
	int pipe[2];
	size_t inpipe;
	uint64_t bytes;
	bool up;
	bool eof;
	bool shut;
};

/* count bytes delivered, in the flow and in the exported metrics */
static void dir_moved(struct relay_dir *d, size_t n)
{
	d->bytes += (uint64_t)n;
	if (d->up)
		metrics_relay_bytes((uint64_t)n, 0);
	else
		metrics_relay_bytes(0, (uint64_t)n);
}

struct relay_flow {
	enum flow_state state;
	uint32_t gen;
	enum relay_kind kind;
	pid_t pid, tgid;
	char comm[16];
	struct sa_dest dst;		/* where CMD connected */
	struct sa_dest up;		/* where we connect */
	/* CMD's end, as our listener sees it */
	int key_family;
	uint8_t key_addr[16];
	uint16_t key_port;
	uint32_t key_next;		/* port hash chain: index + 1 */
	ino_t ino;			/* CMD's socket, for getpeername */
	dev_t dev;
	uint32_t ino_next;
	int cfd;			/* accepted: CMD's side */
	int ufd;			/* upstream */
	bool up_connected;
	/* A blocking connect, answered when upstream is up */
	bool answer_pending;
	struct seccomp_notif req;
	struct target *t;
	int dupfd;
	int saved_flags;
	int sock_family;		/* of CMD's socket */
	/* Peeked bytes, not yet written on (upstream; to CMD if @buf_down) */
	uint8_t *buf;
	size_t blen, boff;
	bool buf_down;
	struct tls_hello *hello;
	/* http: requests are read, decided and forwarded one by one */
	struct http_body *hbody;
	size_t hscan;			/* bytes of buf approved to send */
	bool in_body;			/* hscan is inside a request body */
	bool hraw;			/* after an upgrade: spliced */
	bool upgrade_wait;		/* upgrade asked: the answer decides */
	size_t ucheck;			/* bytes of ubuf checked, to send */
	unsigned int requests;
	/* tls_intercept: the two sessions */
	struct relay_tls *tls;
	/* ftp: server replies are followed (never changed) */
	struct ftp_ctl *ftp;
	uint8_t *ubuf;
	size_t ulen, uoff;
	char host[TLS_SNI_SIZE];
	char rule[96];
	const char *reason;
	const char *verdict;
	struct relay_dir c2u, u2c;
	uint64_t start_ms;
	uint64_t active_ms;		/* last time bytes moved */
	bool queued;
	uint32_t next_ready;		/* ready list: index + 1 */
	uint32_t next_free;
};

static struct {
	int lfd4, lfd6;
	int reserve;			/* see relay_reserve() */
	bool starved;			/* listeners unwatched: no fd */
	struct sockaddr_in addr4;
	struct sockaddr_in6 addr6;
	struct relay_flow *flows;
	uint32_t free_head;		/* index + 1 */
	uint32_t ready_head;		/* index + 1 */
	unsigned int used;
	unsigned int n_tls;		/* intercepted flows */
	uint64_t idle_ms;		/* 0: no idle timeout */
	uint32_t port_hash[65536];	/* by key port: index + 1 */
	uint32_t ino_hash[INO_BUCKETS];
	int spare[RELAY_SPARE_PIPES][2];
	unsigned int n_spare;
	struct {
		int family;
		uint8_t addr[16];
		uint16_t port;
		uint64_t until_ms;
	} expect[RELAY_FTP_EXPECT];
} relay = { .lfd4 = -1, .lfd6 = -1, .reserve = -1 };

static void flow_step(struct relay_flow *f);

/* ------------------------------------------------------------------ */
/* setup                                                              */

/* Watch the listeners for connections to accept, or stop watching */
static void listeners_watch(bool on)
{
	union loop_ref ref = { .type = LOOP_RELAY_LISTEN };

	ref.fd = relay.lfd4;
	if (relay.lfd4 >= 0)
		loop_mod(relay.lfd4, on ? EPOLLIN : 0, ref);
	ref.fd = relay.lfd6;
	if (relay.lfd6 >= 0)
		loop_mod(relay.lfd6, on ? EPOLLIN : 0, ref);
}

/**
 * relay_reserve() - have the reserve fd open
 *
 * One fd is kept open so that a connection we arranged can be accepted
 * even when the fd table is full: accept() finding it full closes the
 * reserve and tries again.  Until the reserve can be reopened, new flows
 * are refused (CMD gets ENOBUFS), and if accept() finds the table full
 * again the listeners are not watched, so that a full table does not spin
 * the loop; reopening (when a flow ends) watches them again.
 *
 * Return: 0, or -errno (EMFILE: no fd for it)
 */
static int relay_reserve(void)
{
	if (relay.reserve >= 0)
		return 0;
	relay.reserve = eventfd(0, EFD_CLOEXEC);
	if (relay.reserve < 0)
		return -errno;
	if (relay.starved) {
		relay.starved = false;
		listeners_watch(true);
	}
	return 0;
}

static int relay_listen(int family)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		sl = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, SOMAXCONN) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	if (family == AF_INET)
		memcpy(&relay.addr4, &ss, sizeof(relay.addr4));
	else
		memcpy(&relay.addr6, &ss, sizeof(relay.addr6));
	return fd;
}

/**
 * relay_init() - listen on loopback, IPv4 and (where it exists) IPv6
 * @idle_s:	close open flows that moved nothing for this long; 0: never
 *
 * Return: 0 or -errno (IPv4 is required, IPv6 optional)
 */
int relay_init(unsigned int idle_s)
{
	union loop_ref ref = { .type = LOOP_RELAY_LISTEN };
	uint32_t i;
	int ret;

	relay.idle_ms = (uint64_t)idle_s * 1000;
	relay.flows = calloc(RELAY_FLOWS, sizeof(*relay.flows));
	if (!relay.flows)
		return -ENOMEM;
	for (i = RELAY_FLOWS; i > 0; i--) {
		relay.flows[i - 1].next_free = relay.free_head;
		relay.flows[i - 1].cfd = relay.flows[i - 1].ufd = -1;
		relay.free_head = i;
	}

	ret = relay_reserve();
	if (ret)
		return ret;
	relay.lfd4 = relay_listen(AF_INET);
	if (relay.lfd4 < 0)
		return relay.lfd4;
	ref.fd = relay.lfd4;
	ret = loop_add(relay.lfd4, EPOLLIN, ref);
	if (ret)
		return ret;

	relay.lfd6 = relay_listen(AF_INET6);
	if (relay.lfd6 >= 0) {
		ref.fd = relay.lfd6;
		ret = loop_add(relay.lfd6, EPOLLIN, ref);
		if (ret)
			return ret;
	}
	return 0;
}

bool relay_is_listener(const struct sa_dest *d)
{
	static const uint8_t zero[16];

	if (d->kind != SA_ADDR || relay.lfd4 < 0)
		return false;
	if (d->family == AF_INET) {
		if (d->port != ntohs(relay.addr4.sin_port))
			return false;
		return d->addr[0] == 127 || !memcmp(d->addr, zero, 4);
	}
	if (relay.lfd6 < 0 || d->port != ntohs(relay.addr6.sin6_port))
		return false;
	return !memcmp(d->addr, zero, 15) && (d->addr[15] <= 1);
}

/* ------------------------------------------------------------------ */
/* flows: allocation, hashes, the ready list                          */

static uint32_t flow_idx(const struct relay_flow *f)
{
	return (uint32_t)(f - relay.flows);
}

static struct relay_flow *flow_alloc(void)
{
	struct relay_flow *f;
	uint32_t gen;

	if (!relay.free_head)
		return NULL;
	f = &relay.flows[relay.free_head - 1];
	relay.free_head = f->next_free;
	gen = f->gen;
	memset(f, 0, sizeof(*f));
	f->gen = gen + 1;
	f->cfd = f->ufd = f->dupfd = -1;
	f->c2u.pipe[0] = f->c2u.pipe[1] = -1;
	f->u2c.pipe[0] = f->u2c.pipe[1] = -1;
	f->c2u.up = true;
	f->start_ms = loop_now_ms();
	f->verdict = "allow";
	f->reason = "rule";
	relay.used++;
	return f;
}

static void key_unlink(struct relay_flow *f)
{
	uint32_t *p = &relay.port_hash[f->key_port];

	if (!f->key_family)
		return;
	while (*p) {
		struct relay_flow *c = &relay.flows[*p - 1];

		if (c == f) {
			*p = f->key_next;
			break;
		}
		p = &c->key_next;
	}
	f->key_family = 0;
}

/* The key of an address: IPv4 for v4-mapped, as accept() reports them */
static void key_of(const struct sockaddr_storage *ss, int *family,
		   uint8_t addr[16], uint16_t *port)
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		*family = AF_INET;
		memcpy(addr, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
		return;
	}
	{
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			*family = AF_INET;
			memcpy(addr, a->sin6_addr.s6_addr + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, &a->sin6_addr, 16);
		}
		*port = ntohs(a->sin6_port);
	}
}

static void key_link(struct relay_flow *f, const struct sockaddr_storage *ss)
{
	key_of(ss, &f->key_family, f->key_addr, &f->key_port);
	f->key_next = relay.port_hash[f->key_port];
	relay.port_hash[f->key_port] = flow_idx(f) + 1;
}

/* The arranged flow whose CMD end is @ss, not accepted yet */
static struct relay_flow *key_find(const struct sockaddr_storage *ss)
{
	uint8_t addr[16];
	uint16_t port;
	int family;
	uint32_t i;

	key_of(ss, &family, addr, &port);
	for (i = relay.port_hash[port]; i; i = relay.flows[i - 1].key_next) {
		struct relay_flow *f = &relay.flows[i - 1];

		if (f->key_family == family && f->cfd < 0 &&
		    !memcmp(f->key_addr, addr, 16))
			return f;
	}
	return NULL;
}

static void ino_link(struct relay_flow *f)
{
	uint32_t b = (uint32_t)(f->ino % INO_BUCKETS);

	f->ino_next = relay.ino_hash[b];
	relay.ino_hash[b] = flow_idx(f) + 1;
}

static void ino_unlink(struct relay_flow *f)
{
	uint32_t *p = &relay.ino_hash[f->ino % INO_BUCKETS];

	while (*p) {
		struct relay_flow *c = &relay.flows[*p - 1];

		if (c == f) {
			*p = f->ino_next;
			return;
		}
		p = &c->ino_next;
	}
}

int relay_peer_of(ino_t ino, dev_t dev, struct sockaddr_storage *ss,
		  socklen_t *len)
{
	uint32_t i;

	if (!relay.flows)
		return -ENOENT;
	for (i = relay.ino_hash[ino % INO_BUCKETS]; i;
	     i = relay.flows[i - 1].ino_next) {
		struct relay_flow *f = &relay.flows[i - 1];

		if (f->ino != ino || f->dev != dev || f->state == FLOW_FREE)
			continue;
		memset(ss, 0, sizeof(*ss));
		memcpy(ss, &f->dst.emu, f->dst.emu_len);
		*len = f->dst.emu_len;
		return 0;
	}
	return -ENOENT;
}

static void flow_queue(struct relay_flow *f)
{
	if (f->queued)
		return;
	f->queued = true;
	f->next_ready = relay.ready_head;
	relay.ready_head = flow_idx(f) + 1;
}

bool relay_busy(void)
{
	return relay.ready_head != 0;
}

void relay_run(void)
{
	uint32_t i = relay.ready_head;

	relay.ready_head = 0;
	while (i) {
		struct relay_flow *f = &relay.flows[i - 1];

		i = f->next_ready;
		f->queued = false;
		if (f->state != FLOW_FREE)
			flow_step(f);
	}
}

/* ------------------------------------------------------------------ */
/* pipes                                                              */

static int pipe_get(struct relay_dir *d)
{
	if (d->pipe[0] >= 0)
		return 0;
	if (relay.n_spare) {
		relay.n_spare--;
		d->pipe[0] = relay.spare[relay.n_spare][0];
		d->pipe[1] = relay.spare[relay.n_spare][1];
		return 0;
	}
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	/* A larger pipe moves more per splice; not an error if refused */
	fcntl(d->pipe[1], F_SETPIPE_SZ, RELAY_CHUNK);
	return 0;
}

/* An empty pipe goes back to the pool: idle flows hold no pipes */
static void pipe_put(struct relay_dir *d)
{
	if (d->pipe[0] < 0)
		return;
	if (!d->inpipe && relay.n_spare < RELAY_SPARE_PIPES) {
		relay.spare[relay.n_spare][0] = d->pipe[0];
		relay.spare[relay.n_spare][1] = d->pipe[1];
		relay.n_spare++;
	} else {
		close(d->pipe[0]);
		close(d->pipe[1]);
	}
	d->pipe[0] = d->pipe[1] = -1;
	d->inpipe = 0;
}

/* ------------------------------------------------------------------ */
/* ending a flow                                                      */

static void sock_reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* The relay's sockets are its own (never duplicated): closing the last
 * reference also takes them out of the epoll set */
static void fd_drop(int *fd)
{
	if (*fd < 0)
		return;
	close(*fd);
	*fd = -1;
}

static void flow_log_close(const struct relay_flow *f)
{
	char dst[INET6_ADDRSTRLEN], up[INET6_ADDRSTRLEN];
	struct log_line l;

	sockaddr_ntop(&f->dst, dst, sizeof(dst));
	log_begin(&l, "close");
	log_str(&l, "verdict", f->verdict);
	log_int(&l, "pid", f->pid);
	log_str(&l, "comm", f->comm);
	log_str(&l, "proto", relay_kind_str[f->kind]);
	log_str(&l, "dst", dst);
	log_int(&l, "port", f->dst.port);
	if (f->up.kind == SA_ADDR &&
	    (f->up.family != f->dst.family ||
	     memcmp(f->up.addr, f->dst.addr, f->dst.family == AF_INET ? 4 : 16)))
		log_str(&l, "upstream", sockaddr_ntop(&f->up, up, sizeof(up)));
	if (f->tls)
		log_str(&l, "sni", f->tls->sni);
	if (f->host[0] && (!f->tls || strcmp(f->host, f->tls->sni)))
		log_str(&l, f->kind == RELAY_TLS ? "sni" : "host", f->host);
	if (f->rule[0])
		log_str(&l, "rule", f->rule);
	log_str(&l, "reason", f->reason);
	if (f->tls && f->tls->err[0])
		log_str(&l, "tls_error", f->tls->err);
	if (f->kind == RELAY_TLS_INTERCEPT)
		log_int(&l, "requests", f->requests);
	log_int(&l, "bytes_up", (long long)f->c2u.bytes);
	log_int(&l, "bytes_down", (long long)f->u2c.bytes);
	log_int(&l, "duration_ms", (long long)(loop_now_ms() - f->start_ms));
	log_end(&l);
}

/**
 * flow_end() - log the flow, close it, free it
 * @f:		the flow
 * @reset:	close both sockets with a reset instead of a FIN
 */
static void flow_end(struct relay_flow *f, bool reset)
{
	if (f->answer_pending) {
		/* CMD is still waiting in connect(): it gets the reason */
		if (f->dupfd >= 0)
			fcntl(f->dupfd, F_SETFL, f->saved_flags);
		fd_drop(&f->dupfd);
		notify_respond(f->req.id, 0, ECONNREFUSED);
		target_pending_put(f->t);
		f->answer_pending = false;
	}
	flow_log_close(f);
	if (reset) {
		sock_reset(f->cfd);
		sock_reset(f->ufd);
	}
	fd_drop(&f->cfd);
	fd_drop(&f->ufd);
	fd_drop(&f->dupfd);
	pipe_put(&f->c2u);
	pipe_put(&f->u2c);
	if (relay.reserve < 0)
		relay_reserve();	/* fds are free again */
	key_unlink(f);
	if (f->ino)
		ino_unlink(f);
	free(f->buf);
	free(f->hello);
	free(f->hbody);
	free(f->ftp);
	free(f->ubuf);
	if (f->tls) {
		mitm_session_free(f->tls->c);
		mitm_session_free(f->tls->u);
		free(f->tls);
		f->tls = NULL;
		relay.n_tls--;
	}
	f->buf = NULL;
	f->hello = NULL;
	f->hbody = NULL;
	f->ftp = NULL;
	f->ubuf = NULL;
	f->state = FLOW_FREE;
	f->next_free = relay.free_head;
	relay.free_head = flow_idx(f) + 1;
	relay.used--;
}

/* ------------------------------------------------------------------ */
/* connecting                                                         */

static int flow_register(struct relay_flow *f, int fd)
{
	union loop_ref ref = {
		.type = LOOP_RELAY,
		.idx = flow_idx(f),
		.fd = fd,
	};

	return loop_add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, ref);
}

/* Start our connect to f->up; 0, or -errno when it failed at once */
static int flow_connect_up(struct relay_flow *f)
{
	int fd, one = 1, ret;

	fd = socket(f->up.family == AF_INET ? AF_INET : AF_INET6,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&f->up.emu, f->up.emu_len) &&
	    errno != EINPROGRESS) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = flow_register(f, fd);
	if (ret) {
		close(fd);
		return ret;
	}
	f->ufd = fd;
	f->up_connected = false;
	return 0;
}

/**
 * up_check() - has our upstream connect completed?
 *
 * Return: 1 connected, 0 still connecting, -errno failed
 */
static int up_check(struct relay_flow *f)
{
	struct pollfd p = { .fd = f->ufd, .events = POLLOUT };
	socklen_t sl = sizeof(int);
	int err = 0;

	if (f->up_connected)
		return 1;
	if (f->ufd < 0)
		return 0;
	if (poll(&p, 1, 0) != 1)
		return 0;
	if (getsockopt(f->ufd, SOL_SOCKET, SO_ERROR, &err, &sl))
		err = errno;
	if (err)
		return -err;
	f->up_connected = true;
	return 1;
}

/* Where CMD's socket connects to reach us */
static int relay_addr_for(int family, struct sockaddr_storage *ss,
			  socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		memcpy(ss, &relay.addr4, sizeof(relay.addr4));
		*len = sizeof(relay.addr4);
		return 0;
	}
	if (relay.lfd6 >= 0) {
		memcpy(ss, &relay.addr6, sizeof(relay.addr6));
		*len = sizeof(relay.addr6);
		return 0;
	}
	/* No ::1: the IPv4 listener, v4-mapped (fails on V6ONLY sockets) */
	{
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = relay.addr4.sin_port;
		a->sin6_addr.s6_addr[10] = a->sin6_addr.s6_addr[11] = 0xff;
		memcpy(a->sin6_addr.s6_addr + 12, &relay.addr4.sin_addr, 4);
		*len = sizeof(*a);
	}
	return 0;
}

/**
 * flow_attach() - connect CMD's socket to us, and answer its connect
 * @f:		the flow; f->dupfd is CMD's socket (closed here)
 * @req:	the notification
 * @t:		its target
 */
static void flow_attach(struct relay_flow *f, const struct seccomp_notif *req,
			struct target *t)
{
	struct sockaddr_storage to, me;
	socklen_t tolen, melen = sizeof(me);
	struct pollfd p = { .fd = f->dupfd, .events = POLLOUT };
	socklen_t sl;
	int ret;

	memset(&me, 0, sizeof(me));	/* as in relay_accept() */
	relay_addr_for(f->sock_family, &to, &tolen);
	if (!(f->saved_flags & O_NONBLOCK))
		fcntl(f->dupfd, F_SETFL, f->saved_flags | O_NONBLOCK);
	ret = connect(f->dupfd, (struct sockaddr *)&to, tolen) ? -errno : 0;
	if (ret == -EINPROGRESS && poll(&p, 1, 0) == 1) {
		int err = 0;

		sl = sizeof(err);
		getsockopt(f->dupfd, SOL_SOCKET, SO_ERROR, &err, &sl);
		ret = -err;
	}
	if ((!ret || ret == -EINPROGRESS) &&
	    !getsockname(f->dupfd, (struct sockaddr *)&me, &melen))
		key_link(f, &me);
	else if (!ret || ret == -EINPROGRESS)
		ret = -errno;

	if (ret == -EINPROGRESS && !(f->saved_flags & O_NONBLOCK)) {
		/* Our listener is slow to answer: wait like any connect */
		ret = notify_pend_connect(req, t, f->dupfd, f->saved_flags);
		if (!ret) {
			f->dupfd = -1;
			return;
		}
		ret = -EAGAIN;
	}
	fcntl(f->dupfd, F_SETFL, f->saved_flags);
	close(f->dupfd);
	f->dupfd = -1;
	notify_respond(req->id, 0, -ret);
	if (ret && ret != -EINPROGRESS)
		flow_end(f, true);
}

void relay_connect(const struct seccomp_notif *req, struct target *t, int dup,
		   int family, int flags, const struct sa_dest *d,
		   enum relay_kind kind, const char *rule)
{
	struct relay_flow *f;
	struct stat st;
	int ret;

	f = flow_alloc();
	if (!f) {
		log_warn("relay: %d flows, no room for another", RELAY_FLOWS);
		close(dup);
		notify_respond(req->id, 0, ENOBUFS);
		return;
	}
	f->state = FLOW_ARRANGED;
	f->kind = kind;
	f->pid = t->pid;
	f->tgid = t->tgid;
	memcpy(f->comm, t->comm, sizeof(f->comm));
	f->dst = *d;
	f->up = *d;
	f->dupfd = dup;
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->sock_family = family;
	f->saved_flags = flags;
	if (!fstat(dup, &st)) {
		f->ino = st.st_ino;
		f->dev = st.st_dev;
		ino_link(f);
	}

	ret = relay_reserve();
	if (!ret)
		ret = flow_connect_up(f);
	if (ret) {
		/* ENETUNREACH and friends: CMD's connect fails the same way;
		 * our own shortage of fds is ENOBUFS */
		f->reason = "upstream_connect";
		fd_drop(&f->dupfd);
		notify_respond(req->id, 0, log_errno_ours(-ret));
		flow_end(f, false);
		return;
	}

	ret = flags & O_NONBLOCK ? 0 : up_check(f);
	if (ret < 0) {
		/* refused before we answered: CMD gets the refusal itself */
		f->reason = "upstream_refused";
		fd_drop(&f->dupfd);
		notify_respond(req->id, 0, -ret);
		flow_end(f, false);
		return;
	}
	if (!(flags & O_NONBLOCK) && ret == 0) {
		if (!target_pending_get(t, RELAY_PENDING_MAX)) {
			log_warn("pid %d: too many connects in flight", t->pid);
			fd_drop(&f->dupfd);
			notify_respond(req->id, 0, EAGAIN);
			flow_end(f, false);
			return;
		}
		f->answer_pending = true;
		f->req = *req;
		f->t = t;
		return;
	}
	flow_attach(f, req, t);
}

/* Our connect completed (or failed) while CMD waits in connect() */
static void flow_answer(struct relay_flow *f, int up)
{
	struct seccomp_notif req = f->req;
	struct target *t = f->t;

	f->answer_pending = false;
	if (up < 0) {
		fcntl(f->dupfd, F_SETFL, f->saved_flags);
		fd_drop(&f->dupfd);
		notify_respond(req.id, 0, -up);
		target_pending_put(t);
		f->reason = "upstream_refused";
		f->verdict = "allow";
		flow_end(f, false);
		return;
	}
	flow_attach(f, &req, t);
	target_pending_put(t);
}

/* ------------------------------------------------------------------ */
/* accepting                                                          */

static void relay_accept(int lfd)
{
	struct sockaddr_storage peer;
	socklen_t pl;
	int fd, one = 1;

	/* The kernel fills it; zeroed so that scan-build, which cannot see
	 * that through the casts of key_of(), finds nothing undefined */
	memset(&peer, 0, sizeof(peer));

	for (;;) {
		struct relay_flow *f;
		char who[INET6_ADDRSTRLEN] = "?";

		pl = sizeof(peer);
		fd = accept4(lfd, (struct sockaddr *)&peer, &pl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EMFILE && errno != ENFILE)
				return;
			log_errno_ours(errno);
			if (relay.reserve >= 0) {
				fd_drop(&relay.reserve);
				continue;
			}
			relay.starved = true;
			listeners_watch(false);
			return;
		}
		f = key_find(&peer);
		if (!f || f->state == FLOW_FREE) {
			struct log_line l;

			if (peer.ss_family == AF_INET)
				inet_ntop(AF_INET,
					  &((struct sockaddr_in *)&peer)->sin_addr,
					  who, sizeof(who));
			else
				inet_ntop(AF_INET6,
					  &((struct sockaddr_in6 *)&peer)->sin6_addr,
					  who, sizeof(who));
			log_begin(&l, "relay");
			log_str(&l, "verdict", "deny");
			log_str(&l, "peer", who);
			log_str(&l, "reason", "not_arranged");
			log_end(&l);
			sock_reset(fd);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (flow_register(f, fd)) {
			close(fd);
			flow_end(f, true);
			continue;
		}
		f->cfd = fd;
		key_unlink(f);
		/* http and ftp decide as the stream goes; tls and ssh first
		 * read the side that speaks first */
		f->state = f->kind == RELAY_HTTP || f->kind == RELAY_FTP ?
				   FLOW_OPEN : FLOW_PEEK;
		flow_step(f);
	}
}

/* ------------------------------------------------------------------ */
/* deciding                                                           */

static void flow_log_decision(struct relay_flow *f, const char *event,
			      const struct policy_decision *pd,
			      const char *reason)
{
	char dst[INET6_ADDRSTRLEN];
	const char *verdict = policy_verdict_str[pd->verdict];
	struct log_line l;

	sockaddr_ntop(&f->dst, dst, sizeof(dst));
	log_begin(&l, event);
	log_str(&l, "verdict", verdict);
	log_int(&l, "pid", f->pid);
	log_str(&l, "comm", f->comm);
	log_str(&l, "proto", relay_kind_str[f->kind]);
	log_str(&l, "dst", dst);
	log_int(&l, "port", f->dst.port);
	if (f->host[0])
		log_str(&l, f->kind == RELAY_TLS || f->kind ==
				    RELAY_TLS_INTERCEPT ? "sni" : "host",
			f->host);
	log_str(&l, "rule", pd->rule ? pd->rule : "default");
	log_str(&l, "reason", reason);
	log_end(&l);
	metrics_decision(verdict, reason, event, dst, f->dst.port,
			 f->host[0] ? f->host : NULL);

	snprintf(f->rule, sizeof(f->rule), "%s", pd->rule ? pd->rule : "default");
	f->reason = reason;
	f->verdict = verdict;
	if (pd->verdict == POLICY_VERDICT_ALLOW)
		return;
	log_human("%s %s %s%s%s:%u%s%s pid %d (%s): %s",
		  pd->verdict == POLICY_VERDICT_AUDIT ? "AUDIT" : "DENY",
		  relay_kind_str[f->kind], f->dst.family == AF_INET6 ? "[" : "",
		  dst, f->dst.family == AF_INET6 ? "]" : "", f->dst.port,
		  f->host[0] ? " name " : "", f->host, f->pid, f->comm,
		  verdict_relay_reason(reason));
}

/* Does the stub know @name as a name of @d's address? */
static bool flow_name_maps(const struct sa_dest *d, const char *name)
{
	const char *names[16];
	int i, n;

	n = dns_stub_names(d->family, d->addr, names, ARRAY_SIZE(names));
	for (i = 0; i < n; i++)
		if (!strcasecmp(names[i], name))
			return true;
	return false;
}

/* Write what we hold to the client, then end the flow */
static void flow_deny(struct relay_flow *f, const uint8_t *msg, size_t len)
{
	if (len && f->cfd >= 0) {
		ssize_t n = send(f->cfd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		(void)n;
		shutdown(f->cfd, SHUT_WR);
	}
	flow_end(f, false);
}

/* Write to CMD through its TLS session, as much as goes now */
static void tls_write_now(struct relay_flow *f, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = mitm_write(f->tls->c, p, len);

		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
		dir_moved(&f->u2c, (size_t)n);
	}
}

/**
 * flow_http_answer() - answer CMD's request ourselves and end the flow
 * @f:		an http flow, or an intercepted one past its handshake
 * @status:	"403 Forbidden", "502 Bad Gateway"
 * @reason:	machine-readable, the X-Egress-Denied header
 * @detail:	for people, the one-line body
 *
 * What the server already answered goes first; then the answer, then the
 * end of the stream (close_notify inside TLS).  Best effort: a client that
 * does not read gets what fits in its socket buffer.
 */
static void flow_http_answer(struct relay_flow *f, const char *status,
			     const char *reason, const char *detail)
{
	char msg[1024], body[512];
	int len, blen;

	blen = snprintf(body, sizeof(body), "egress-supervise: %s (%s)\n",
			detail, reason);
	if (blen < 0 || (size_t)blen >= sizeof(body))
		blen = snprintf(body, sizeof(body), "egress-supervise: %s\n",
				reason);
	len = snprintf(msg, sizeof(msg),
		       "HTTP/1.1 %s\r\n"
		       "X-Egress-Denied: %s\r\n"
		       "Content-Type: text/plain\r\n"
		       "Content-Length: %d\r\n"
		       "Connection: close\r\n\r\n%s",
		       status, reason, blen, body);
	if (len < 0)
		len = 0;
	len = (int)MIN((size_t)len, sizeof(msg) - 1);
	if (f->tls) {
		if (f->ubuf && f->uoff < f->ulen)
			tls_write_now(f, f->ubuf + f->uoff, f->ulen - f->uoff);
		tls_write_now(f, (const uint8_t *)msg, (size_t)len);
		mitm_shutdown(f->tls->c);
		shutdown(f->cfd, SHUT_WR);
		flow_end(f, false);
		return;
	}
	if (f->u2c.inpipe)
		splice(f->u2c.pipe[0], NULL, f->cfd, NULL, f->u2c.inpipe,
		       SPLICE_F_NONBLOCK);
	flow_deny(f, (const uint8_t *)msg, (size_t)len);
}

/**
 * flow_reject() - deny the flow in its protocol's own words
 * @f:		the flow, decided (flow_log_decision() was called)
 * @reason:	machine-readable reason, sent to HTTP clients
 */
static void flow_reject(struct relay_flow *f, const char *reason)
{
	if (f->kind == RELAY_HTTP ||
	    (f->kind == RELAY_TLS_INTERCEPT && f->tls && f->tls->c_done)) {
		flow_http_answer(f, "403 Forbidden", reason,
				 verdict_relay_reason(reason));
		return;
	}
	switch (f->kind) {
	case RELAY_TLS:
	case RELAY_TLS_INTERCEPT: {
		uint8_t alert[TLS_ALERT_LEN];
		ssize_t alen;

		alen = tls_hello_alert_denied(alert, sizeof(alert),
					      f->hello ?
						      f->hello->info.record_version :
						      0x0303);
		flow_deny(f, alert, alen > 0 ? (size_t)alen : 0);
		return;
	}
	case RELAY_NONE:
	case RELAY_HTTP:
	case RELAY_FTP:
	case RELAY_SSH:
	case RELAY_KIND_NUM:
		break;
	}
	flow_end(f, true);
}

static void flow_open(struct relay_flow *f)
{
	f->state = FLOW_OPEN;
	free(f->hello);
	f->hello = NULL;
}

static void flow_resolved(void *arg, uint32_t gen, int status,
			  const struct sa_dest *addrs, size_t n);
static void flow_handshake(struct relay_flow *f);

/**
 * flow_intercept() - an allowed ClientHello whose rule intercepts: start
 * the TLS sessions
 * @f:		the flow; f->buf holds the ClientHello, f->hello its parse
 * @verify:	verify the server's certificate
 */
static void flow_intercept(struct relay_flow *f, bool verify)
{
	struct policy_decision pd = { .verdict = POLICY_VERDICT_DENY };
	const struct tls_hello_info *hi = &f->hello->info;
	struct relay_tls *t = NULL;
	const char *why = NULL;
	char rule[sizeof(f->rule)];

	if (!mitm_ready())
		why = "no_ca";
	else if (relay.n_tls >= RELAY_TLS_FLOWS ||
		 !(t = calloc(1, sizeof(*t))))
		why = "intercept_busy";
	if (why) {
		snprintf(rule, sizeof(rule), "%s", f->rule);
		pd.rule = rule;
		if (policy_mode(verdict_policy()) == POLICY_MODE_AUDIT)
			pd.verdict = POLICY_VERDICT_AUDIT;
		f->kind = RELAY_TLS;
		flow_log_decision(f, "tls", &pd, why);
		if (pd.verdict == POLICY_VERDICT_AUDIT)
			flow_open(f);
		else
			flow_reject(f, why);
		return;
	}
	relay.n_tls++;
	f->tls = t;
	t->verify = verify;
	t->has_sni = hi->has_sni;
	if (hi->has_sni)
		snprintf(t->sni, sizeof(t->sni), "%s", hi->sni);
	else
		sockaddr_ntop(&f->dst, t->sni, sizeof(t->sni));
	t->c = mitm_client_new(f->cfd, t->sni, f->buf, f->blen, &t->cached);
	free(f->buf);
	free(f->hello);
	f->buf = NULL;
	f->hello = NULL;
	f->blen = f->boff = 0;
	if (!t->c) {
		log_warn("relay: cannot start TLS toward pid %d for %s",
			 f->pid, t->sni);
		f->reason = "intercept_failed";
		flow_end(f, true);
		return;
	}
	f->state = FLOW_HANDSHAKE;
	flow_handshake(f);
}

/**
 * flow_tls_allowed() - the ClientHello is allowed: splice or intercept
 * @f:		the flow
 * @pd:		the decision (allow or audit)
 * @reason:	for the log
 */
static void flow_tls_allowed(struct relay_flow *f,
			     const struct policy_decision *pd,
			     const char *reason)
{
	bool icpt = pd->verdict == POLICY_VERDICT_ALLOW &&
		    policy_rule_intercepts(pd->match);

	f->kind = icpt ? RELAY_TLS_INTERCEPT : RELAY_TLS;
	flow_log_decision(f, "tls", pd, reason);
	if (icpt)
		flow_intercept(f, !policy_rule_skip_tls_verify(pd->match));
	else
		flow_open(f);
}

/**
 * flow_decide_tls() - the ClientHello is complete: allow, move, or deny
 */
static void flow_decide_tls(struct relay_flow *f)
{
	const struct tls_hello_info *hi = &f->hello->info;
	struct policy_decision pd;
	const char *reason;

	snprintf(f->host, sizeof(f->host), "%s", hi->sni);
	verdict_decide_name(hi->has_sni ? hi->sni : NULL, &f->dst, &pd);
	if (pd.verdict == POLICY_VERDICT_DENY) {
		reason = hi->has_sni ? "sni_denied" : "no_sni";
		goto deny;
	}
	if (pd.name && !flow_name_maps(&f->up, hi->sni)) {
		/* Allowed name, someone else's address: go to its own.
		 * The answer may come before dns_stub_resolve() returns. */
		f->state = FLOW_RESOLVE;
		if (dns_stub_resolve(hi->sni, f->dst.family, flow_resolved, f,
				     f->gen)) {
			f->state = FLOW_PEEK;
			reason = "sni_mismatch";
			goto deny;
		}
		return;
	}
	flow_tls_allowed(f, &pd,
			 hi->has_sni ? (pd.name ? "sni" : "sni_address")
				     : "no_sni_address");
	return;
deny:
	if (pd.verdict == POLICY_VERDICT_AUDIT) {
		f->kind = RELAY_TLS;	/* audit: never intercepted */
		flow_log_decision(f, "tls", &pd, reason);
		flow_open(f);
		return;
	}
	flow_log_decision(f, "tls", &pd, reason);
	flow_reject(f, reason);
}

/**
 * flow_resolved() - the SNI's addresses, for a flow whose destination
 * was not one of them
 */
static void flow_resolved(void *arg, uint32_t gen, int status,
			  const struct sa_dest *addrs, size_t n)
{
	struct relay_flow *f = arg;
	struct policy_decision pd = { .verdict = POLICY_VERDICT_DENY };
	size_t i;

	if (f->gen != gen || f->state != FLOW_RESOLVE)
		return;
	for (i = 0; !status && i < n; i++) {
		struct sa_dest a = addrs[i];

		sockaddr_set_port(&a, f->dst.port);
		verdict_decide_name(f->host, &a, &pd);
		if (pd.verdict == POLICY_VERDICT_ALLOW)
			break;
	}
	if (status || i == n) {
		const char *why = f->kind == RELAY_HTTP ? "host_mismatch"
							: "sni_mismatch";

		flow_log_decision(f, relay_kind_str[f->kind], &pd, why);
		flow_reject(f, why);
		return;
	}
	f->up = addrs[i];
	sockaddr_set_port(&f->up, f->dst.port);
	fd_drop(&f->ufd);
	if (flow_connect_up(f)) {
		f->reason = "upstream_connect";
		flow_end(f, true);
		return;
	}
	if (f->kind != RELAY_HTTP) {
		flow_tls_allowed(f, &pd, "sni_redirected");
		if (f->state != FLOW_OPEN)
			return;	/* intercepted (or gone): handshakes next */
	} else {
		/* the request is decided again, now at the name's address */
		f->state = FLOW_OPEN;
	}
	flow_step(f);
}

/* ------------------------------------------------------------------ */
/* moving bytes                                                       */

enum pump {
	PUMP_WAIT,	/* EAGAIN somewhere: the next event continues */
	PUMP_DONE,	/* this direction has ended */
	PUMP_BUDGET,	/* more to do, another turn */
	PUMP_RESET,	/* a side failed: reset the flow */
	PUMP_GONE,	/* the flow was denied and ended */
};

/**
 * dir_pump() - splice one direction until it would block
 * @d:		the direction
 * @from:	source socket
 * @to:		destination socket
 * @budget:	bytes this turn may still move, decremented
 */
static enum pump dir_pump(struct relay_dir *d, int from, int to,
			  size_t *budget)
{
	ssize_t n;

	for (;;) {
		if (d->inpipe) {
			n = splice(d->pipe[0], NULL, to, NULL, d->inpipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0) {
				if (errno == EAGAIN)
					return PUMP_WAIT;
				if (errno == EINTR)
					continue;
				return PUMP_RESET;
			}
			d->inpipe -= (size_t)n;
			dir_moved(d, (size_t)n);
			*budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
			continue;
		}
		if (d->eof) {
			if (!d->shut) {
				shutdown(to, SHUT_WR);
				d->shut = true;
			}
			pipe_put(d);
			return PUMP_DONE;
		}
		if (!*budget)
			return PUMP_BUDGET;
		if (pipe_get(d))
			return PUMP_RESET;
		n = splice(from, NULL, d->pipe[1], NULL, RELAY_CHUNK,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0) {
			if (errno == EAGAIN) {
				pipe_put(d);
				return PUMP_WAIT;
			}
			if (errno == EINTR)
				continue;
			return PUMP_RESET;
		}
		if (!n)
			d->eof = true;
		d->inpipe += (size_t)n;
	}
}

/* Write the peeked bytes on; 1 when all are out, 0 wait, -errno */
static int flow_flush(struct relay_flow *f)
{
	int to = f->buf_down ? f->cfd : f->ufd;
	struct relay_dir *d = f->buf_down ? &f->u2c : &f->c2u;

	while (f->boff < f->blen) {
		ssize_t n = send(to, f->buf + f->boff, f->blen - f->boff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		f->boff += (size_t)n;
		dir_moved(d, (size_t)n);
	}
	free(f->buf);
	f->buf = NULL;
	f->blen = f->boff = 0;
	return 1;
}

/* Read what the client sent into the peek buffer: bytes read, 0 on EOF,
 * -EAGAIN, or -errno */
static ssize_t flow_peek_read(struct relay_flow *f)
{
	ssize_t n;

	if (!f->buf) {
		f->buf = malloc(RELAY_PEEK_MAX);
		if (!f->buf)
			return -ENOMEM;
	}
	if (f->blen == RELAY_PEEK_MAX)
		return -E2BIG;
	do
		n = recv(f->cfd, f->buf + f->blen, RELAY_PEEK_MAX - f->blen, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	f->blen += (size_t)n;
	return n;
}

static void flow_peek_tls(struct relay_flow *f)
{
	struct policy_decision pd = { .verdict = POLICY_VERDICT_DENY };

	if (!f->hello) {
		f->hello = malloc(sizeof(*f->hello));
		if (!f->hello) {
			flow_end(f, true);
			return;
		}
		tls_hello_init(f->hello);
	}
	for (;;) {
		size_t before = f->blen;
		ssize_t n = flow_peek_read(f);
		int ret;

		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			/* EOF or error before a ClientHello: nothing sent */
			f->reason = n ? "client_error" : "client_eof";
			f->verdict = "none";
			flow_end(f, n != 0);
			return;
		}
		ret = tls_hello_feed(f->hello, f->buf + before, (size_t)n);
		if (ret == TLS_HELLO_NEED_MORE)
			continue;
		if (ret == TLS_HELLO_DONE) {
			flow_decide_tls(f);
			return;
		}
		/* Not TLS, or a ClientHello we refuse to read */
		if (pd.verdict == POLICY_VERDICT_AUDIT)
			f->kind = RELAY_TLS;
		flow_log_decision(f, "tls", &pd,
				  ret == -EINVAL ? "sni_invalid" : "not_tls");
		if (pd.verdict == POLICY_VERDICT_AUDIT)
			flow_open(f);
		else
			flow_deny(f, NULL, 0);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* http: every request decided before it is forwarded                  */

/* Log one request's decision */
static void http_log(struct relay_flow *f, const struct http_req *r,
		     const struct policy_decision *pd, enum policy_verdict v,
		     const char *reason)
{
	char dst[INET6_ADDRSTRLEN];
	struct log_line l;

	sockaddr_ntop(&f->up, dst, sizeof(dst));
	log_begin(&l, "http");
	log_str(&l, "verdict", policy_verdict_str[v]);
	log_int(&l, "pid", f->pid);
	log_str(&l, "comm", f->comm);
	log_str(&l, "proto", relay_kind_str[f->kind]);
	log_str(&l, "dst", dst);
	log_int(&l, "port", f->dst.port);
	if (f->tls)
		log_str(&l, "sni", f->tls->sni);
	log_str(&l, "host", r->host);
	log_str(&l, "method", r->method);
	log_str(&l, "path", r->path);
	log_str(&l, "rule", pd->rule ? pd->rule : "default");
	log_str(&l, "reason", reason);
	if (f->tls && f->tls->u_failed)
		log_str(&l, "tls_error", f->tls->err);
	log_end(&l);
	metrics_decision(policy_verdict_str[v], reason, "http", dst,
			 f->dst.port, r->host[0] ? r->host : NULL);
	snprintf(f->host, sizeof(f->host), "%s", r->host);
	snprintf(f->rule, sizeof(f->rule), "%s", pd->rule ? pd->rule : "default");
	f->reason = reason;
	f->verdict = policy_verdict_str[v];
	if (v == POLICY_VERDICT_ALLOW)
		return;
	log_human("%s %s %s %s%s pid %d (%s): %s%s%s",
		  v == POLICY_VERDICT_AUDIT ? "AUDIT" : "DENY",
		  f->tls ? "https" : "http", r->method,
		  r->host[0] ? r->host : dst, r->path, f->pid, f->comm,
		  verdict_relay_reason(reason),
		  f->tls && f->tls->u_failed ? ": " : "",
		  f->tls && f->tls->u_failed ? f->tls->err : "");
}

/* @path with every %2F as a '/' and repeated slashes as one (the path
 * part only: the query stays as it is) */
static void http_path_decode_slash(const char *path, char *out, size_t size)
{
	size_t o = 0;
	bool query = false;

	while (*path && o + 1 < size) {
		char c = *path;

		if (!query && c == '%' && path[1] == '2' &&
		    (path[2] == 'F' || path[2] == 'f')) {
			c = '/';
			path += 3;
		} else {
			query |= c == '?';
			path++;
		}
		if (!query && c == '/' && o && out[o - 1] == '/')
			continue;
		out[o++] = c;
	}
	out[o] = '\0';
}

/**
 * http_decide() - decide one complete request head
 *
 * Return: 1 forward it, 0 wait (its Host is being resolved), -1 denied
 * (answered, the flow is gone)
 */
static int http_decide(struct relay_flow *f, const struct http_req *r)
{
	struct policy_decision pd = { .verdict = POLICY_VERDICT_DENY };
	enum policy_verdict v;
	const char *reason = "rule";

	if (r->connect) {
		v = POLICY_VERDICT_DENY;
		reason = "connect_method";
		if (policy_mode(verdict_policy()) == POLICY_MODE_AUDIT)
			v = POLICY_VERDICT_AUDIT;
		goto out;
	}
	verdict_decide_name(r->host[0] ? r->host : NULL, &f->up, &pd);
	v = pd.verdict;
	if (v == POLICY_VERDICT_DENY) {
		reason = r->host[0] ? "host_denied" : "no_host";
		goto out;
	}
	if (pd.name && !flow_name_maps(&f->up, r->host) &&
	    !(f->tls && f->tls->has_sni && !strcmp(r->host, f->tls->sni))) {
		/* (inside TLS, the SNI's address was settled by the
		 * ClientHello's decision; another Host must map) */
		if (!f->tls && !f->requests && !f->c2u.bytes) {
			/* the first request: go to the name's own address */
			snprintf(f->host, sizeof(f->host), "%s", r->host);
			f->state = FLOW_RESOLVE;
			if (!dns_stub_resolve(r->host, f->dst.family,
					      flow_resolved, f, f->gen))
				return 0;
			f->state = FLOW_OPEN;
		}
		v = POLICY_VERDICT_DENY;
		if (policy_mode(verdict_policy()) == POLICY_MODE_AUDIT)
			v = POLICY_VERDICT_AUDIT;
		reason = "host_mismatch";
		goto out;
	}
	v = policy_http_verdict(verdict_policy(), pd.match, r->method, r->path,
				&reason);
	if (v != POLICY_VERDICT_ALLOW)
		goto out;
	if (r->encoded_slash) {
		/* Servers differ on %2F: decided both ways, the stricter
		 * answer wins */
		char alt[HTTP_PATH_SIZE];
		const char *why;

		http_path_decode_slash(r->path, alt, sizeof(alt));
		if (policy_http_verdict(verdict_policy(), pd.match, r->method,
					alt, &why) != POLICY_VERDICT_ALLOW) {
			v = policy_mode(verdict_policy()) == POLICY_MODE_AUDIT ?
				    POLICY_VERDICT_AUDIT : POLICY_VERDICT_DENY;
			reason = why;
			goto out;
		}
	}
	if (r->upgrade && pd.match && policy_rule_has_paths(pd.match)) {
		/* after an upgrade the stream is opaque: path rules could
		 * no longer be applied to what follows */
		v = policy_mode(verdict_policy()) == POLICY_MODE_AUDIT ?
			    POLICY_VERDICT_AUDIT : POLICY_VERDICT_DENY;
		reason = "upgrade";
	}
	if (v != POLICY_VERDICT_DENY && f->tls && f->tls->u_failed) {
		/* allowed, but the server cannot be trusted (or reached):
		 * nothing to forward, in any mode */
		v = POLICY_VERDICT_DENY;
		reason = "upstream_tls";
	}
out:
	http_log(f, r, &pd, v, reason);
	f->requests++;
	if (v == POLICY_VERDICT_DENY && !strcmp(reason, "upstream_tls")) {
		char detail[MITM_ERR_SIZE + 64];

		snprintf(detail, sizeof(detail), "upstream TLS failed: %s",
			 f->tls->err);
		flow_http_answer(f, "502 Bad Gateway", reason, detail);
		return -1;
	}
	if (v == POLICY_VERDICT_DENY) {
		flow_reject(f, reason);
		return -1;
	}
	return 1;
}

/**
 * flow_recv() - bytes from one side (through TLS when intercepted)
 * @f:		the flow
 * @server:	from the server, else from CMD
 *
 * Return: n, 0 at EOF (also TLS without close_notify, noted), or -errno
 */
static ssize_t flow_recv(struct relay_flow *f, bool server, void *buf,
			 size_t len)
{
	ssize_t n;

	if (f->tls) {
		n = mitm_read(server ? f->tls->u : f->tls->c, buf, len);
		if (n != -EPIPE)
			return n;
		if (server)
			f->tls->u_unclean = true;	/* no close_notify */
		else
			f->tls->c_unclean = true;
		return 0;
	}
	do
		n = recv(server ? f->ufd : f->cfd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* To one side (through TLS when intercepted): n, or -errno */
static ssize_t flow_send(struct relay_flow *f, bool server, const void *buf,
			 size_t len)
{
	ssize_t n;

	if (f->tls)
		return mitm_write(server ? f->tls->u : f->tls->c, buf, len);
	do
		n = send(server ? f->ufd : f->cfd, buf, len,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/**
 * flow_send_all() - write buf[*off, end) on, as far as it goes now
 * @f:		the flow
 * @up:		to the server (else to CMD); the bytes count in that direction
 * @buf:	the bytes
 * @off:	how far they were written, advanced
 * @end:	where they end
 * @budget:	the turn's budget, decremented, or NULL
 *
 * Return: PUMP_DONE when all are out, PUMP_WAIT, or PUMP_RESET
 */
static enum pump flow_send_all(struct relay_flow *f, bool up,
			       const uint8_t *buf, size_t *off, size_t end,
			       size_t *budget)
{
	struct relay_dir *d = up ? &f->c2u : &f->u2c;

	while (*off < end) {
		ssize_t n = flow_send(f, up, buf + *off, end - *off);

		if (n == -EAGAIN)
			return PUMP_WAIT;
		if (n < 0)
			return PUMP_RESET;
		*off += (size_t)n;
		dir_moved(d, (size_t)n);
		if (budget)
			*budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
	}
	return PUMP_DONE;
}

/* CMD's EOF, passed on: close_notify first when CMD sent one */
static int flow_u_shut(struct relay_flow *f)
{
	if (f->tls && f->tls->u && f->tls->u_done && !f->tls->c_unclean &&
	    mitm_shutdown(f->tls->u) == -EAGAIN)
		return -EAGAIN;
	shutdown(f->ufd, SHUT_WR);
	return 0;
}

/**
 * http_pump() - client to server of an http flow: read, decide, forward
 *
 * The buffer holds [0, boff) sent, [boff, hscan) approved, [hscan, blen)
 * not yet looked at.  A request head is parsed only from the start of the
 * buffer, so everything before it has been sent first.
 */
static enum pump http_pump(struct relay_flow *f, size_t *budget)
{
	struct http_req r;
	ssize_t n;
	int ret;

	if (!f->hbody) {
		f->hbody = calloc(1, sizeof(*f->hbody));
		if (!f->hbody)
			return PUMP_RESET;
	}
	if (!f->buf) {
		f->buf = malloc(RELAY_PEEK_MAX);
		if (!f->buf)
			return PUMP_RESET;
	}
	for (;;) {
		ret = flow_send_all(f, true, f->buf, &f->boff, f->hscan, budget);
		if (ret != PUMP_DONE)
			return (enum pump)ret;
		if (f->boff) {
			memmove(f->buf, f->buf + f->boff, f->blen - f->boff);
			f->blen -= f->boff;
			f->hscan -= f->boff;
			f->boff = 0;
		}
		if (f->upgrade_wait)
			return PUMP_WAIT;	/* no request before the answer */
		if (f->hraw && !f->blen && !f->tls)
			return dir_pump(&f->c2u, f->cfd, f->ufd, budget);
		if (f->hraw && f->blen) {
			f->hscan = f->blen;	/* the upgraded stream */
			continue;
		}

		if (f->hscan < f->blen) {
			if (f->in_body) {
				bool done = false;

				n = http_body_consume(f->hbody,
						      f->buf + f->hscan,
						      f->blen - f->hscan, &done);
				if (n < 0)
					return PUMP_RESET;
				f->hscan += (size_t)n;
				if (done)
					f->in_body = false;
				continue;
			}
			ret = http_req_parse(f->buf, f->blen, &r);
			if (ret < 0) {
				struct policy_decision pd = { 0 };

				pd.verdict = POLICY_VERDICT_DENY;
				snprintf(r.host, sizeof(r.host), "-");
				snprintf(r.method, sizeof(r.method), "-");
				snprintf(r.path, sizeof(r.path), "-");
				http_log(f, &r, &pd, POLICY_VERDICT_DENY,
					 ret == -E2BIG ? "head_too_large"
						       : "not_http");
				flow_reject(f, f->reason);
				return PUMP_GONE;
			}
			if (ret == 1) {
				ret = http_decide(f, &r);
				if (ret < 0)
					return PUMP_GONE;
				if (!ret)
					return PUMP_WAIT;
				f->hscan = r.head_len;
				http_body_init(f->hbody, &r);
				f->in_body = r.body != HTTP_BODY_NONE;
				/* Only the server's 101 makes what follows
				 * opaque (upgrade_pump()); until then the
				 * client's next bytes wait */
				if (r.upgrade)
					f->upgrade_wait = true;
				continue;
			}
		}
		if (f->c2u.eof) {
			if (!f->c2u.shut) {
				if (flow_u_shut(f) == -EAGAIN)
					return PUMP_WAIT;
				f->c2u.shut = true;
			}
			return PUMP_DONE;
		}
		if (!*budget)
			return PUMP_BUDGET;
		if (f->blen == RELAY_PEEK_MAX)
			return PUMP_RESET;	/* cannot happen: heads are
						   smaller, bodies approved */
		n = flow_recv(f, false, f->buf + f->blen, RELAY_PEEK_MAX - f->blen);
		if (n == -EAGAIN) {
			if (!f->blen) {
				/* idle keep-alive: no buffer held */
				free(f->buf);
				f->buf = NULL;
			}
			return PUMP_WAIT;
		}
		if (n < 0)
			return PUMP_RESET;
		if (!n)
			f->c2u.eof = true;
		f->blen += (size_t)n;
		if (f->in_body || f->hraw)
			continue;
	}
}

/**
 * upgrade_pump() - server to client after an upgrade request
 *
 * The response head is read before it is forwarded: 1xx interim answers
 * pass, a 101 turns the flow into a spliced stream, any other status
 * puts the client's side back to reading requests.
 */
static enum pump upgrade_pump(struct relay_flow *f, size_t *budget)
{
	size_t head_len;
	int status, ret;
	enum pump sent;
	ssize_t n;

	if (!f->ubuf) {
		f->ubuf = malloc(HTTP_HEAD_MAX);
		if (!f->ubuf)
			return PUMP_RESET;
		f->ulen = f->uoff = f->ucheck = 0;
	}
	for (;;) {
		sent = flow_send_all(f, false, f->ubuf, &f->uoff, f->ucheck,
				     budget);
		if (sent != PUMP_DONE)
			return sent;
		if (!f->upgrade_wait) {
			/* decided and forwarded: back to splicing, and the
			 * client side gets another turn */
			free(f->ubuf);
			f->ubuf = NULL;
			f->ulen = f->uoff = f->ucheck = 0;
			flow_queue(f);
			return PUMP_WAIT;
		}
		memmove(f->ubuf, f->ubuf + f->uoff, f->ulen - f->uoff);
		f->ulen -= f->uoff;
		f->ucheck -= f->uoff;
		f->uoff = 0;

		ret = http_resp_head(f->ubuf, f->ulen, &status, &head_len);
		if (ret < 0)
			return PUMP_RESET;
		if (ret == 1) {
			if (status >= 100 && status < 200 && status != 101) {
				f->ucheck = head_len;	/* interim */
				continue;
			}
			f->upgrade_wait = false;
			f->hraw = status == 101;
			f->ucheck = f->ulen;
			continue;
		}
		if (f->ulen == HTTP_HEAD_MAX)
			return PUMP_RESET;
		n = flow_recv(f, true, f->ubuf + f->ulen, HTTP_HEAD_MAX - f->ulen);
		if (n == -EAGAIN)
			return PUMP_WAIT;
		if (n < 0)
			return PUMP_RESET;
		if (!n) {
			/* no answer at all: what came goes on, then EOF */
			f->upgrade_wait = false;
			f->ucheck = f->ulen;
			continue;
		}
		f->ulen += (size_t)n;
	}
}

/* ------------------------------------------------------------------ */
/* tls_intercept: handshakes, then the server's bytes to CMD           */

/* The handshakes are done (or the server's failed): one line says so */
static void flow_log_intercept(struct relay_flow *f)
{
	struct relay_tls *t = f->tls;
	char dst[INET6_ADDRSTRLEN], alpn[32];
	struct log_line l;

	sockaddr_ntop(&f->up, dst, sizeof(dst));
	mitm_alpn(t->c, alpn, sizeof(alpn));
	log_begin(&l, "intercept");
	log_str(&l, "verdict", t->u_failed ? "deny" : "allow");
	log_int(&l, "pid", f->pid);
	log_str(&l, "comm", f->comm);
	log_str(&l, "proto", relay_kind_str[f->kind]);
	log_str(&l, "dst", dst);
	log_int(&l, "port", f->dst.port);
	log_str(&l, "sni", t->sni);
	log_str(&l, "rule", f->rule);
	log_str(&l, "reason", t->u_failed ? "upstream_tls" : "intercept");
	log_str(&l, "leaf", t->cached ? "cached" : "minted");
	log_str(&l, "tls_client", mitm_version(t->c));
	if (t->u_done)
		log_str(&l, "tls_upstream", mitm_version(t->u));
	log_str(&l, "alpn", alpn[0] ? alpn : "none");
	log_bool(&l, "verify", t->verify);
	if (t->u_failed)
		log_str(&l, "tls_error", t->err);
	log_int(&l, "intercepted", relay.n_tls);
	log_end(&l);
}

/* CMD refused our side of TLS: most likely it does not trust the CA */
static void flow_client_tls_failed(struct relay_flow *f, const char *err)
{
	struct relay_tls *t = f->tls;

	snprintf(t->err, sizeof(t->err), "%s", err);
	f->reason = "client_tls";
	log_human("TLS interception of %s for pid %d (%s) failed: the client "
		  "refused our side (%s); does it trust the CA? "
		  "(egress-supervise ca export)", t->sni, f->pid, f->comm,
		  err);
	flow_end(f, false);
}

/**
 * flow_handshake() - advance both handshakes; open the flow when CMD's is
 * done and the server's is done or failed
 */
static void flow_handshake(struct relay_flow *f)
{
	struct relay_tls *t = f->tls;
	char err[MITM_ERR_SIZE] = "";
	int ret;

	if (!t->c_done) {
		ret = mitm_handshake(t->c, err, sizeof(err));
		if (ret == -EPROTO) {
			flow_client_tls_failed(f, err);
			return;
		}
		t->c_done = ret == 1;
	}
	ret = up_check(f);
	if (ret < 0) {
		f->reason = "upstream_refused";
		flow_end(f, true);
		return;
	}
	if (ret && !t->u_done && !t->u_failed) {
		if (!t->u) {
			char ip[INET6_ADDRSTRLEN];

			sockaddr_ntop(&f->up, ip, sizeof(ip));
			t->u = mitm_upstream_new(f->ufd,
						 t->has_sni ? t->sni : NULL, ip,
						 t->verify);
			if (!t->u) {
				snprintf(t->err, sizeof(t->err),
					 "cannot start TLS");
				t->u_failed = true;
			}
		}
		if (t->u) {
			ret = mitm_handshake(t->u, t->err, sizeof(t->err));
			t->u_done = ret == 1;
			t->u_failed = ret == -EPROTO;
		}
	}
	if (!t->c_done || (!t->u_done && !t->u_failed))
		return;
	flow_log_intercept(f);
	f->state = FLOW_OPEN;
	f->active_ms = loop_now_ms();
}

/* upgrade_pump() holds f->ubuf until it has decided and sent the answer */
static enum pump tls_upgrade(struct relay_flow *f, size_t *budget)
{
	enum pump r = upgrade_pump(f, budget);

	if (!f->ubuf)
		f->tls->in_upgrade = false;
	return r;
}

/* server to CMD of an intercepted flow: decrypt, re-encrypt */
static enum pump tls_pump_down(struct relay_flow *f, size_t *budget)
{
	struct relay_tls *t = f->tls;
	ssize_t n;

	if (t->in_upgrade)
		return tls_upgrade(f, budget);
	for (;;) {
		enum pump sent = flow_send_all(f, false, f->ubuf, &f->uoff,
					       f->ulen, NULL);

		if (sent != PUMP_DONE)
			return sent;
		if (f->upgrade_wait) {
			/* the answer to an upgrade is read first (as on
			 * http flows): upgrade_pump() through the sessions,
			 * with its own buffer, until it has decided */
			free(f->ubuf);
			f->ubuf = NULL;
			f->uoff = f->ulen = 0;
			t->in_upgrade = true;
			return tls_upgrade(f, budget);
		}
		if (f->u2c.eof) {
			if (!f->u2c.shut) {
				if (!t->u_unclean &&
				    mitm_shutdown(t->c) == -EAGAIN)
					return PUMP_WAIT;
				shutdown(f->cfd, SHUT_WR);
				f->u2c.shut = true;
			}
			free(f->ubuf);
			f->ubuf = NULL;
			return PUMP_DONE;
		}
		if (!*budget)
			return PUMP_BUDGET;
		if (!f->ubuf) {
			f->ubuf = malloc(RELAY_TLS_BUF);
			if (!f->ubuf)
				return PUMP_RESET;
		}
		f->uoff = f->ulen = 0;
		n = flow_recv(f, true, f->ubuf, RELAY_TLS_BUF);
		if (n == -EAGAIN) {
			/* idle: no buffer held */
			free(f->ubuf);
			f->ubuf = NULL;
			return PUMP_WAIT;
		}
		if (n == 0) {
			f->u2c.eof = true;	/* u_unclean: by flow_recv() */
			continue;
		}
		if (n < 0)
			return PUMP_RESET;
		f->ulen = (size_t)n;
		*budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
	}
}

/* ------------------------------------------------------------------ */
/* ftp: passive replies open one data connect each                     */

static void ftp_expect(struct relay_flow *f, const struct ftp_pasv *p)
{
	struct policy_decision pd = { .verdict = POLICY_VERDICT_ALLOW };
	char where[INET6_ADDRSTRLEN + 8];
	struct log_line l;
	size_t i, slot = 0;

	if (p->code == 227 &&
	    (f->up.family != AF_INET || memcmp(p->addr, f->up.addr, 4))) {
		/* An address that is not the server's is never followed.  A
		 * server behind NAT names its inside address, and clients
		 * (curl, Python's ftplib) then connect to the control
		 * connection's peer instead: that one is still expected.
		 */
		pd.verdict = POLICY_VERDICT_DENY;
		pd.rule = f->rule;
		flow_log_decision(f, "ftp", &pd, "ftp_bounce");
	}
	for (i = 0; i < RELAY_FTP_EXPECT; i++) {
		if (relay.expect[i].until_ms < relay.expect[slot].until_ms)
			slot = i;
	}
	relay.expect[slot].family = f->up.family;
	memcpy(relay.expect[slot].addr, f->up.addr, 16);
	relay.expect[slot].port = p->port;
	relay.expect[slot].until_ms = loop_now_ms() + RELAY_FTP_EXPECT_MS;

	sockaddr_ntop(&f->up, where, sizeof(where));
	log_begin(&l, "ftp");
	log_str(&l, "verdict", "allow");
	log_int(&l, "pid", f->pid);
	log_str(&l, "comm", f->comm);
	log_str(&l, "dst", where);
	log_int(&l, "port", p->port);
	log_int(&l, "reply", p->code);
	log_str(&l, "reason", "ftp_passive");
	log_end(&l);
}

bool relay_ftp_expected(const struct sa_dest *d, pid_t tgid)
{
	uint64_t now = loop_now_ms();
	size_t i;

	(void)tgid;
	if (d->kind != SA_ADDR)
		return false;
	for (i = 0; i < RELAY_FTP_EXPECT; i++) {
		if (relay.expect[i].until_ms <= now ||
		    relay.expect[i].port != d->port ||
		    relay.expect[i].family != d->family ||
		    memcmp(relay.expect[i].addr, d->addr,
			   d->family == AF_INET ? 4 : 16))
			continue;
		relay.expect[i].until_ms = 0;	/* once */
		return true;
	}
	return false;
}

/* server to client of an ftp control flow: read, follow, forward */
static enum pump ftp_pump(struct relay_flow *f, size_t *budget)
{
	struct ftp_pasv pasv[4];
	size_t k, np, off;
	enum pump sent;
	ssize_t n, used;

	if (!f->ubuf) {
		f->ubuf = malloc(RELAY_FTP_BUF);
		f->ftp = malloc(sizeof(*f->ftp));
		if (!f->ubuf || !f->ftp)
			return PUMP_RESET;
		ftp_ctl_init(f->ftp);
	}
	for (;;) {
		sent = flow_send_all(f, false, f->ubuf, &f->uoff, f->ulen,
				     NULL);
		if (sent != PUMP_DONE)
			return sent;
		if (f->u2c.eof) {
			if (!f->u2c.shut) {
				shutdown(f->cfd, SHUT_WR);
				f->u2c.shut = true;
			}
			return PUMP_DONE;
		}
		if (!*budget)
			return PUMP_BUDGET;
		n = recv(f->ufd, f->ubuf, RELAY_FTP_BUF, 0);
		if (n < 0) {
			if (errno == EAGAIN)
				return PUMP_WAIT;
			if (errno == EINTR)
				continue;
			return PUMP_RESET;
		}
		f->uoff = 0;
		f->ulen = (size_t)n;
		if (!n) {
			f->u2c.eof = true;
			continue;
		}
		*budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
		/* ftp_ctl_feed() stops early when pasv[] is full */
		for (off = 0; off < (size_t)n; off += (size_t)used) {
			used = ftp_ctl_feed(f->ftp, f->ubuf + off,
					    (size_t)n - off, pasv,
					    ARRAY_SIZE(pasv), &np);
			if (used < 0) {
				f->reason = "not_ftp";
				f->verdict = "deny";
				flow_end(f, true);
				return PUMP_GONE;
			}
			for (k = 0; k < np; k++)
				ftp_expect(f, &pasv[k]);
		}
	}
}

/* ------------------------------------------------------------------ */
/* ssh: the server must say it is one before the client says anything  */

static void flow_peek_ssh(struct relay_flow *f)
{
	struct policy_decision pd = { .verdict = POLICY_VERDICT_ALLOW };
	ssize_t n;
	int ret;

	if (!f->up_connected)
		return;
	if (!f->buf) {
		f->buf = malloc(RELAY_SSH_PEEK);
		if (!f->buf) {
			flow_end(f, true);
			return;
		}
	}
	for (;;) {
		n = f->blen < RELAY_SSH_PEEK ?
			    recv(f->ufd, f->buf + f->blen,
				 RELAY_SSH_PEEK - f->blen, 0) :
			    0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0) {
			f->blen += (size_t)n;
			ret = ssh_banner_check(f->buf, f->blen);
			if (!ret)
				continue;
		} else {
			ret = -EBADMSG;
		}
		pd.rule = f->rule;
		if (ret < 0) {
			pd.verdict = policy_mode(verdict_policy()) ==
						     POLICY_MODE_AUDIT ?
					     POLICY_VERDICT_AUDIT :
					     POLICY_VERDICT_DENY;
			flow_log_decision(f, "ssh", &pd, "not_ssh");
			if (pd.verdict == POLICY_VERDICT_DENY) {
				flow_end(f, true);
				return;
			}
		} else {
			flow_log_decision(f, "ssh", &pd, "ssh_banner");
		}
		f->buf_down = true;
		flow_open(f);
		return;
	}
}

/* One turn of an open flow */
static void flow_pump(struct relay_flow *f)
{
	size_t budget = RELAY_BUDGET;
	enum pump a, b;
	int ret;

	ret = up_check(f);
	if (ret < 0) {
		f->reason = "upstream_refused";
		flow_end(f, true);
		return;
	}
	if (!ret)
		return;
	if (f->buf && (f->kind == RELAY_TLS || f->kind == RELAY_SSH)) {
		/* the peeked bytes (http keeps its undecided requests in
		 * f->buf: never flushed as a whole) */
		ret = flow_flush(f);
		if (ret < 0) {
			f->reason = "upstream_error";
			flow_end(f, true);
			return;
		}
		if (!ret)
			return;
	}
	if (f->kind == RELAY_HTTP || f->kind == RELAY_TLS_INTERCEPT)
		a = http_pump(f, &budget);
	else
		a = dir_pump(&f->c2u, f->cfd, f->ufd, &budget);
	if (a == PUMP_GONE || f->state != FLOW_OPEN)
		return;		/* denied, or waiting for a name */
	if (f->kind == RELAY_FTP) {
		b = ftp_pump(f, &budget);
		if (b == PUMP_GONE)
			return;
	}
	else if (f->kind == RELAY_HTTP && (f->upgrade_wait || f->ubuf))
		b = upgrade_pump(f, &budget);
	else if (f->kind == RELAY_TLS_INTERCEPT)
		b = f->tls->u_failed ? PUMP_DONE : tls_pump_down(f, &budget);
	else
		b = dir_pump(&f->u2c, f->ufd, f->cfd, &budget);
	if (budget != RELAY_BUDGET)
		f->active_ms = loop_now_ms();
	if (a == PUMP_RESET || b == PUMP_RESET) {
		f->reason = a == PUMP_RESET ? "reset_client" : "reset_upstream";
		flow_end(f, true);
		return;
	}
	if (a == PUMP_DONE && b == PUMP_DONE) {
		flow_end(f, false);
		return;
	}
	if (a == PUMP_BUDGET || b == PUMP_BUDGET)
		flow_queue(f);
}

/**
 * flow_step() - do whatever the flow can do now
 */
static void flow_step(struct relay_flow *f)
{
	int ret;

	switch (f->state) {
	case FLOW_ARRANGED:
		if (f->answer_pending) {
			ret = up_check(f);
			if (ret)
				flow_answer(f, ret < 0 ? ret : 0);
		} else if (up_check(f) < 0 && f->cfd < 0) {
			/* CMD was told 0/EINPROGRESS: it sees a reset */
			f->reason = "upstream_refused";
			flow_end(f, true);
		}
		return;
	case FLOW_PEEK:
		if (up_check(f) < 0) {
			f->reason = "upstream_refused";
			flow_end(f, true);
			return;
		}
		switch (f->kind) {
		case RELAY_TLS:
		case RELAY_TLS_INTERCEPT:
			flow_peek_tls(f);
			break;
		case RELAY_SSH:
			flow_peek_ssh(f);
			break;
		case RELAY_NONE:
		case RELAY_HTTP:
		case RELAY_FTP:
		case RELAY_KIND_NUM:
			f->reason = "unsupported";
			flow_end(f, true);
			return;
		}
		if (f->state == FLOW_OPEN)
			flow_pump(f);
		return;
	case FLOW_RESOLVE:
		return;
	case FLOW_HANDSHAKE:
		flow_handshake(f);
		if (f->state == FLOW_OPEN)
			flow_pump(f);
		return;
	case FLOW_OPEN:
		flow_pump(f);
		return;
	case FLOW_FREE:
		return;
	}
}

void relay_handler(union loop_ref ref, uint32_t events)
{
	struct relay_flow *f;

	(void)events;
	if (ref.type == LOOP_RELAY_LISTEN) {
		relay_accept(ref.fd);
		return;
	}
	if (ref.idx >= RELAY_FLOWS)
		return;
	f = &relay.flows[ref.idx];
	if (f->state == FLOW_FREE || (f->cfd != ref.fd && f->ufd != ref.fd))
		return;
	flow_step(f);
}

/**
 * relay_shutdown() - the supervisor exits: every flow gets its close event
 */
void relay_shutdown(void)
{
	uint32_t i;

	for (i = 0; relay.flows && relay.used && i < RELAY_FLOWS; i++) {
		struct relay_flow *f = &relay.flows[i];

		if (f->state == FLOW_FREE)
			continue;
		if (!strcmp(f->reason, "rule") || !strcmp(f->reason, "sni"))
			f->reason = "supervisor_exit";
		flow_end(f, true);
	}
}

/**
 * relay_timer() - about once a second: flows that wait too long
 */
void relay_timer(void)
{
	uint64_t now = loop_now_ms();
	uint32_t i;

	if (!relay.used)
		return;
	for (i = 0; i < RELAY_FLOWS; i++) {
		struct relay_flow *f = &relay.flows[i];

		switch (f->state) {
		case FLOW_ARRANGED:
			if (f->answer_pending && !notify_valid(f->req.id)) {
				/* CMD died in connect() */
				fd_drop(&f->dupfd);
				target_pending_put(f->t);
				f->answer_pending = false;
				f->reason = "cmd_gone";
				flow_end(f, true);
			} else if (!f->answer_pending && f->cfd < 0 &&
				   now - f->start_ms > RELAY_ACCEPT_MS) {
				f->reason = "never_accepted";
				flow_end(f, true);
			}
			break;
		case FLOW_PEEK:
			if (now - f->start_ms > RELAY_PEEK_MS) {
				f->reason = "peek_timeout";
				f->verdict = "none";
				flow_end(f, true);
			}
			break;
		case FLOW_OPEN:
			if (relay.idle_ms &&
			    now - MAX(f->active_ms, f->start_ms) > relay.idle_ms) {
				f->reason = "idle_timeout";
				flow_end(f, true);
			}
			break;
		case FLOW_RESOLVE:
			if (now - f->start_ms > RELAY_PEEK_MS) {
				f->reason = "resolve_timeout";
				flow_end(f, true);
			}
			break;
		case FLOW_HANDSHAKE:
			if (now - f->start_ms > RELAY_PEEK_MS) {
				f->reason = "handshake_timeout";
				flow_end(f, true);
			}
			break;
		case FLOW_FREE:
			break;
		}
	}
}
