// SPDX-License-Identifier: GPL-2.0-or-later
/* send.c - sends the filter need not see
 *
 * Theory of operation
 *
 * The filter notifies every connect(), sendmsg(), sendmmsg(), and sendto()
 * with an address; sendto() without one stays in the kernel, which sends
 * it to the socket's connected peer - a destination the supervisor already
 * decided when it performed the connect.  So a call that means exactly
 * that is made as sendto() without an address:
 *
 * - sendto() on a connected socket to the connected peer itself (the
 *   same family, address, port, scope and no flow label: what the kernel
 *   would use anyway);
 * - sendmsg() without ancillary data and without an address (or with the
 *   connected peer's): its payload is one iovec, or a few small
 *   ones gathered into one buffer - the same bytes, one datagram, the same
 *   flags - for any socket type;
 * - sendmmsg(): each such message likewise, in order, with the kernel's
 *   counting (the number sent, the first error only when none was); from
 *   the first message that does not qualify the rest go to libc at once.
 *
 * Everything else is passed on unchanged and decided by the supervisor.
 * The kernel allows these calls to any program (a static binary makes
 * them too); the shim only spares the round trip.  The peer is read with
 * getsockopt(SO_PEERNAME), which the filter does not see (getpeername()
 * is notified for the relay's sake).  Nothing here allocates or locks:
 * the functions stay async-signal-safe, as POSIX wants.
 *
 * --shim-udp-connect (EGRESS_SHIM_UDP_CONNECT=1): an unconnected UDP
 * socket is connected, through the supervisor, to the first peer it sends
 * to; later sends to that peer stay in the kernel.  Not the default: a
 * connected socket drops datagrams from every other address (a TFTP
 * server answers from a new port, a STUN server from another address),
 * reports ICMP errors on later calls, and its local address becomes the
 * route's source.  For programs that talk to one peer per socket.
 *
 * Known difference: a sendto() racing a connect() of the same socket to
 * another peer in another thread may go to the new peer.
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "shim.h"

#define GATHER_MAX	2048	/* bytes gathered on the stack */

static bool udp_connect;

__attribute__((constructor)) static void send_init(void)
{
	const char *v = getenv(SHIM_ENV_UDP_CONNECT);

	udp_connect = v && !strcmp(v, "1");
}

bool shim_udp_connect_enabled(void)
{
	return udp_connect;
}

static bool is_udp(int fd)
{
	int proto = 0;
	socklen_t sl = sizeof(proto);

	return !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &sl) &&
	       proto == IPPROTO_UDP;
}

/*
 * Is @addr the address the kernel sends to anyway?  *unconnected is set
 * when the socket has no peer (ENOTCONN).  Only exact IPv4 or IPv6
 * sockaddrs qualify: anything the kernel would read differently (a short
 * length, AF_UNSPEC, a flow label) goes the long way.
 */
static bool peer_is(int fd, const struct sockaddr *addr, socklen_t alen,
		    bool *unconnected)
{
	struct sockaddr_storage peer;
	socklen_t pl;

	*unconnected = false;
	if (!addr || alen > sizeof(struct sockaddr_storage))
		return false;
	/* SO_PEERNAME wants at most the socket's own address length */
	pl = addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
					: sizeof(struct sockaddr_in6);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERNAME, &peer, &pl)) {
		*unconnected = errno == ENOTCONN;
		return false;
	}
	if (peer.ss_family != addr->sa_family)
		return false;
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)addr;
		const struct sockaddr_in *p = (const void *)&peer;

		if (alen < sizeof(*a) || a->sin_port != p->sin_port ||
		    a->sin_addr.s_addr != p->sin_addr.s_addr)
			return false;
	} else if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)addr;
		const struct sockaddr_in6 *p = (const void *)&peer;

		if (alen < sizeof(*a) || a->sin6_port != p->sin6_port ||
		    a->sin6_flowinfo ||
		    a->sin6_scope_id != p->sin6_scope_id ||
		    memcmp(&a->sin6_addr, &p->sin6_addr, 16))
			return false;
	} else {
		return false;
	}
	/*
	 * The same address as the peer: for every IPv4/IPv6 socket the
	 * filter lets CMD have - UDP, TCP (which ignores the address once
	 * connected, MSG_FASTOPEN included: EISCONN either way), ICMP echo
	 * (the peer's address, its id as the port) - the kernel does the
	 * same with and without it.  No SO_PROTOCOL needed.
	 */
	return true;
}

/* An unconnected UDP socket, with --shim-udp-connect: connect it */
static bool try_connect(int fd, const struct sockaddr *addr, socklen_t alen)
{
	if (!udp_connect || !addr || alen > sizeof(struct sockaddr_storage) ||
	    (addr->sa_family != AF_INET && addr->sa_family != AF_INET6) ||
	    !is_udp(fd))
		return false;
	return !shim_real.connect(fd, addr, alen);
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			   const struct sockaddr *addr, socklen_t alen)
{
	int saved = errno;
	bool unconnected;

	if (!shim_real.sendto)
		shim_real_init();
	if (addr && shim_enabled() &&
	    (peer_is(fd, addr, alen, &unconnected) ||
	     (unconnected && try_connect(fd, addr, alen)))) {
		errno = saved;
		return shim_real.sendto(fd, buf, len, flags, NULL, 0);
	}
	errno = saved;
	return shim_real.sendto(fd, buf, len, flags, addr, alen);
}

/*
 * Send one message as sendto() without an address, if it qualifies.
 * Return: true when sent (*ret is the result), false to go the long way.
 */
static bool send_fast(int fd, const struct msghdr *m, int flags, ssize_t *ret)
{
	char gather[GATHER_MAX];
	size_t total = 0, i;
	bool unconnected;

	if (m->msg_controllen ||
	    (m->msg_name && m->msg_namelen &&
	     !peer_is(fd, m->msg_name, m->msg_namelen, &unconnected)))
		return false;
	if (m->msg_iovlen == 0) {
		*ret = shim_real.sendto(fd, NULL, 0, flags, NULL, 0);
		return true;
	}
	if (m->msg_iovlen == 1) {
		*ret = shim_real.sendto(fd, m->msg_iov[0].iov_base,
					m->msg_iov[0].iov_len, flags, NULL, 0);
		return true;
	}
	if (m->msg_iovlen > 64)
		return false;
	for (i = 0; i < m->msg_iovlen; i++) {
		size_t n = m->msg_iov[i].iov_len;

		if (n > sizeof(gather) - total)
			return false;
		memcpy(gather + total, m->msg_iov[i].iov_base, n);
		total += n;
	}
	*ret = shim_real.sendto(fd, gather, total, flags, NULL, 0);
	return true;
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	int saved = errno;
	ssize_t ret;

	if (!shim_real.sendmsg)
		shim_real_init();
	if (msg && shim_enabled() && send_fast(fd, msg, flags, &ret)) {
		if (ret >= 0)
			errno = saved;
		return ret;
	}
	errno = saved;
	return shim_real.sendmsg(fd, msg, flags);
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
			 int flags)
{
	int saved = errno;
	unsigned int i;

	if (!shim_real.sendmmsg)
		shim_real_init();
	if (!vec || !shim_enabled())
		return shim_real.sendmmsg(fd, vec, vlen, flags);
	if (vlen > 1024)
		vlen = 1024;	/* UIO_MAXIOV, as the kernel cuts it */
	for (i = 0; i < vlen; i++) {
		ssize_t n;
		int r;

		if (!send_fast(fd, &vec[i].msg_hdr, flags, &n)) {
			errno = saved;
			r = shim_real.sendmmsg(fd, vec + i, vlen - i, flags);
			if (r >= 0)
				return (int)i + r;
			n = -1;
		}
		if (n < 0) {
			/* the first error only when nothing was sent */
			if (!i)
				return -1;
			errno = saved;
			return (int)i;
		}
		vec[i].msg_len = (unsigned int)n;
	}
	errno = saved;
	return (int)i;
}
