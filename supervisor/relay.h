/* SPDX-License-Identifier: GPL-2.0-or-later */
/* relay.h - inspected TCP: CMD's socket connected to us, us to upstream */
#ifndef RELAY_H
#define RELAY_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "loop.h"
#include "sockaddr.h"
#include "target.h"

/* What the relay looks at before it splices */
enum relay_kind {
	RELAY_NONE,
	RELAY_TLS,	/* ClientHello SNI (https, tls) */
	RELAY_HTTP,	/* request line and Host of every request */
	RELAY_FTP,	/* control replies: passive data expectations */
	RELAY_SSH,	/* the server's identification line */
	RELAY_TLS_INTERCEPT, /* ClientHello SNI, then TLS terminated with a
			      * leaf from our CA: every request decided */
	RELAY_KIND_NUM
};

extern const char *const relay_kind_str[RELAY_KIND_NUM];

int relay_init(unsigned int idle_s);	/* idle_s 0: no idle timeout */
void relay_handler(union loop_ref ref, uint32_t events);
void relay_timer(void);
void relay_shutdown(void);	/* log and close every flow */
bool relay_busy(void);		/* flows wait for another turn: don't sleep */
void relay_run(void);		/* give them that turn */

/**
 * relay_connect() - move a connect that needs inspection into the relay
 * @req:	the connect notification (answered here, now or later)
 * @t:		its target
 * @dup:	our duplicate of the target's socket (taken over)
 * @family:	the socket's family (SO_DOMAIN)
 * @flags:	the socket's file status flags
 * @d:		the decided destination
 * @kind:	what to inspect
 * @rule:	the rule that allowed the connect, for the logs
 */
void relay_connect(const struct seccomp_notif *req, struct target *t, int dup,
		   int family, int flags, const struct sa_dest *d,
		   enum relay_kind kind, const char *rule);

/* A connect to one of the relay's own listeners: CMD may not */
bool relay_is_listener(const struct sa_dest *d);

/* The original destination of a socket CMD connected through the relay */
int relay_peer_of(ino_t ino, dev_t dev, struct sockaddr_storage *ss,
		  socklen_t *len);

/* A passive FTP data connect the relay expects: allowed once */
bool relay_ftp_expected(const struct sa_dest *d, pid_t tgid);

#endif /* RELAY_H */
