/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ingress_sock.h - attach and lock ingress filters, count what they drop */
#ifndef INGRESS_SOCK_H
#define INGRESS_SOCK_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "target.h"

/**
 * struct ingress_call - a socket about to listen or bind, and who asks
 * @t:		the target, or NULL for --listen (the supervisor itself)
 * @call:	"listen", "bind" or "--listen", for the log
 * @fd:		the target's fd number (-1 for --listen)
 * @dup:	our duplicate of the socket
 * @family:	SO_DOMAIN
 * @type:	SO_TYPE
 * @proto:	SO_PROTOCOL
 * @addr:	bind's address (our copy), or NULL for listen
 * @addrlen:	its length
 */
struct ingress_call {
	struct target *t;
	const char *call;
	int fd;
	int dup;
	int family;
	int type;
	int proto;
	const struct sockaddr_storage *addr;
	socklen_t addrlen;
};

struct policy;

int ingress_sock_prepare(const struct ingress_call *c);
void ingress_sock_probe(const struct policy *p);
void ingress_sock_timer(void);
void ingress_sock_set_owner(pid_t pid, const char *comm);
int ingress_listen_open(const char *spec, int *fd);

#endif /* INGRESS_SOCK_H */
