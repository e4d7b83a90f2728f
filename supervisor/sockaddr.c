// SPDX-License-Identifier: GPL-2.0-or-later
/* sockaddr.c - read destination addresses the way the kernel reads them
 *
 * A decision is only as good as its agreement with what the kernel then
 * does.  The kernel's address parsing has quirks that a naive reader gets
 * wrong, each a known way around socket firewalls:
 *
 * - an AF_UNSPEC-tagged sockaddr given to sendto() on an IPv4 UDP socket
 *   is sent as IPv4 (udp_sendmsg() accepts AF_UNSPEC as AF_INET);
 * - an AF_INET sockaddr on an IPv6 UDP socket is sent (and connected) as
 *   IPv4 (udpv6_sendmsg(), __ip6_datagram_connect());
 * - AF_UNSPEC on an IPv6 UDP send means "no address": the connected peer;
 * - AF_UNSPEC on connect() disconnects (inet_dgram_connect(),
 *   inet_stream_connect());
 * - ::ffff:a.b.c.d on an IPv6 socket is IPv4 a.b.c.d.
 *
 * sockaddr_canon() applies those rules to the supervisor's own copy of the
 * address and returns the destination to decide plus the sockaddr to hand
 * to the kernel, which carries exactly the decided address.  Malformed
 * input gets the errno the kernel would give, and never reaches the kernel.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "sockaddr.h"
#include "util.h"

/* The kernel accepts the RFC 2133 sockaddr_in6 without sin6_scope_id */
#define SIN6_LEN_RFC2133	24

static void sa_set_v4(struct sa_dest *d, const struct sockaddr_in *sin)
{
	struct sockaddr_in *e = (struct sockaddr_in *)&d->emu;

	d->kind = SA_ADDR;
	d->family = AF_INET;
	memcpy(d->addr, &sin->sin_addr, 4);
	d->port = ntohs(sin->sin_port);

	memset(e, 0, sizeof(*e));
	e->sin_family = AF_INET;
	e->sin_port = sin->sin_port;
	e->sin_addr = sin->sin_addr;
	d->emu_len = sizeof(*e);
}

static void sa_set_v6(struct sa_dest *d, const struct sockaddr_in6 *sin6,
		      size_t len)
{
	struct sockaddr_in6 *e = (struct sockaddr_in6 *)&d->emu;

	d->kind = SA_ADDR;
	d->port = ntohs(sin6->sin6_port);
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		d->family = AF_INET;
		memcpy(d->addr, &sin6->sin6_addr.s6_addr[12], 4);
	} else {
		d->family = AF_INET6;
		memcpy(d->addr, &sin6->sin6_addr, 16);
	}

	/* Hand the kernel the same IPv6 form; it applies v4-mapping itself */
	memset(e, 0, sizeof(*e));
	e->sin6_family = AF_INET6;
	e->sin6_port = sin6->sin6_port;
	e->sin6_flowinfo = sin6->sin6_flowinfo;
	e->sin6_addr = sin6->sin6_addr;
	if (len >= sizeof(*sin6))
		e->sin6_scope_id = sin6->sin6_scope_id;
	d->emu_len = sizeof(*e);
}

static void sa_set_none(struct sa_dest *d, enum sa_call call)
{
	d->kind = SA_NONE;
	memset(&d->emu, 0, sizeof(d->emu));
	if (call == SA_CONNECT) {
		d->emu.ss_family = AF_UNSPEC;
		d->emu_len = sizeof(sa_family_t);
	} else {
		d->emu_len = 0;
	}
}

static int sa_inet(int sock_type, int sock_proto, enum sa_call call,
		   const struct sockaddr_storage *ss, size_t len,
		   struct sa_dest *d)
{
	bool dgram_udp = sock_type == SOCK_DGRAM && sock_proto != IPPROTO_ICMP;

	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (call == SA_CONNECT && ss->ss_family == AF_UNSPEC) {
		sa_set_none(d, call);
		return 0;
	}
	if (len < sizeof(struct sockaddr_in))
		return -EINVAL;
	if (ss->ss_family == AF_INET ||
	    (call == SA_SEND && dgram_udp && ss->ss_family == AF_UNSPEC)) {
		sa_set_v4(d, (const struct sockaddr_in *)ss);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int sa_inet6(int sock_type, int sock_proto, enum sa_call call,
		    const struct sockaddr_storage *ss, size_t len,
		    struct sa_dest *d)
{
	bool dgram_udp = sock_type == SOCK_DGRAM &&
			 sock_proto != IPPROTO_ICMPV6;

	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (call == SA_CONNECT && ss->ss_family == AF_UNSPEC) {
		sa_set_none(d, call);
		return 0;
	}
	if (dgram_udp && ss->ss_family == AF_INET) {
		/* __ip6_datagram_connect() and udpv6_sendmsg() go IPv4 */
		if (len < sizeof(struct sockaddr_in))
			return -EINVAL;
		sa_set_v4(d, (const struct sockaddr_in *)ss);
		return 0;
	}
	if (call == SA_SEND && dgram_udp && ss->ss_family == AF_UNSPEC) {
		sa_set_none(d, call);
		return 0;
	}
	if (len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (ss->ss_family != AF_INET6)
		return call == SA_SEND && dgram_udp ? -EINVAL : -EAFNOSUPPORT;
	sa_set_v6(d, (const struct sockaddr_in6 *)ss, len);
	return 0;
}

/**
 * sockaddr_canon() - the destination of a connect or send, kernel rules
 * @sock_family:	SO_DOMAIN of the socket the call is made on
 * @sock_type:		SO_TYPE
 * @sock_proto:		SO_PROTOCOL
 * @call:		connect, or send with an address
 * @buf:		the supervisor's copy of the address
 * @len:		addrlen / msg_namelen as given (already bounded)
 * @d:			result
 *
 * Return: 0, or the negative errno the kernel gives for this input
 */
int sockaddr_canon(int sock_family, int sock_type, int sock_proto,
		   enum sa_call call, const void *buf, size_t len,
		   struct sa_dest *d)
{
	struct sockaddr_storage ss;

	memset(d, 0, sizeof(*d));
	if (len > sizeof(ss))
		return -EINVAL;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, buf, len);

	switch (sock_family) {
	case AF_INET:
		return sa_inet(sock_type, sock_proto, call, &ss, len, d);
	case AF_INET6:
		return sa_inet6(sock_type, sock_proto, call, &ss, len, d);
	case AF_UNIX:
		if (len > sizeof(struct sockaddr_un))
			return -EINVAL;
		d->kind = SA_UNIX;
		break;
	default:
		d->kind = SA_OTHER;
		break;
	}
	memcpy(&d->emu, &ss, len);
	d->emu_len = (socklen_t)len;
	return 0;
}

/**
 * sockaddr_is_loopback() - 127.0.0.0/8 or ::1 (v4-mapped already folded)
 */
bool sockaddr_is_loopback(const struct sa_dest *d)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	if (d->kind != SA_ADDR)
		return false;
	if (d->family == AF_INET)
		return d->addr[0] == 127;
	return !memcmp(d->addr, v6lo, 16);
}

/**
 * sockaddr_set_port() - change the port of a destination and its emu address
 */
void sockaddr_set_port(struct sa_dest *d, uint16_t port)
{
	d->port = port;
	if (d->emu.ss_family == AF_INET)
		((struct sockaddr_in *)&d->emu)->sin_port = htons(port);
	else if (d->emu.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&d->emu)->sin6_port = htons(port);
}

const char *sockaddr_ntop(const struct sa_dest *d, char *buf, size_t size)
{
	if (d->kind != SA_ADDR || !inet_ntop(d->family, d->addr, buf,
					     (socklen_t)size))
		snprintf(buf, size, "-");
	return buf;
}
