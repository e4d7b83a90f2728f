/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sockaddr.h - read destination addresses the way the kernel reads them */
#ifndef SOCKADDR_H
#define SOCKADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum sa_call {
	SA_CONNECT,
	SA_SEND,
};

enum sa_kind {
	SA_ADDR,	/* an IPv4/IPv6 destination to decide */
	SA_NONE,	/* no destination: AF_UNSPEC (disconnect, or use peer) */
	SA_UNIX,	/* an AF_UNIX address */
	SA_OTHER,	/* another family's socket (netlink): no IP decision */
};

/**
 * struct sa_dest - a destination as the kernel will use it
 * @kind:	see enum sa_kind
 * @family:	AF_INET or AF_INET6 as decided (v4-mapped IPv6 is AF_INET)
 * @addr:	4 or 16 bytes, network order
 * @port:	host order
 * @emu:	the address the supervisor hands to the kernel for the call
 * @emu_len:	its length (0 with SA_NONE on sends)
 */
struct sa_dest {
	enum sa_kind kind;
	int family;
	uint8_t addr[16];
	uint16_t port;
	struct sockaddr_storage emu;
	socklen_t emu_len;
};

int sockaddr_canon(int sock_family, int sock_type, int sock_proto,
		   enum sa_call call, const void *buf, size_t len,
		   struct sa_dest *d);
bool sockaddr_is_loopback(const struct sa_dest *d);
void sockaddr_set_port(struct sa_dest *d, uint16_t port);
const char *sockaddr_ntop(const struct sa_dest *d, char *buf, size_t size);

#endif /* SOCKADDR_H */
