/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mitm.h - TLS sessions of intercepted flows: toward CMD and upstream */
#ifndef MITM_H
#define MITM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct policy;

#define MITM_ERR_SIZE	160	/* a failure described for logs and 502s */

/**
 * mitm_init() - the CA and the TLS contexts, before CMD starts
 * @p:		the policy: where the CA is, extra upstream trust anchors
 * @cmd_uid:	the user CMD runs as (a warning when it could read the key)
 * @err:	problems, one line each
 *
 * A policy that intercepts needs the CA: without it this fails.  A policy
 * that does not gets the CA anyway when its files are there (a reloaded
 * policy may intercept), and no error when they are not.
 *
 * Return: 0, or -errno (reported).
 */
int mitm_init(const struct policy *p, uid_t cmd_uid, FILE *err);
bool mitm_ready(void);		/* a CA was loaded: flows can be intercepted */
void mitm_free(void);

/**
 * mitm_client_new() - TLS toward CMD: we are the server @name claims
 * @fd:		the accepted socket (CMD's side)
 * @name:	the SNI, or the destination address without one
 * @hello:	the bytes already read from @fd (the whole ClientHello)
 * @len:	their length
 * @cached:	set when the leaf certificate came from the cache
 *
 * Return: the session, in accept state, or NULL.
 */
SSL *mitm_client_new(int fd, const char *name, const void *hello, size_t len,
		     bool *cached);

/**
 * mitm_upstream_new() - TLS toward the server, as a client
 * @fd:		our upstream socket
 * @sni:	the name to send and to verify, or NULL (then @ip is verified)
 * @ip:		the server's address as text
 * @verify:	verify the chain (system store and tls.upstream_ca) and name
 *
 * Return: the session, in connect state, or NULL.
 */
SSL *mitm_upstream_new(int fd, const char *sni, const char *ip, bool verify);

/* 1 done, -EAGAIN wait for the socket, -EPROTO failed (@err says why) */
int mitm_handshake(SSL *s, char *err, size_t len);
/* bytes, 0 close_notify, -EPIPE EOF without close_notify, -EAGAIN, -EPROTO */
ssize_t mitm_read(SSL *s, void *buf, size_t len);
/* bytes, -EAGAIN, -EPIPE or -EPROTO */
ssize_t mitm_write(SSL *s, const void *buf, size_t len);
/* send close_notify: 0, -EAGAIN, -EPROTO */
int mitm_shutdown(SSL *s);
void mitm_session_free(SSL *s);

/* For the logs: "TLSv1.3", the ALPN protocol or "" */
const char *mitm_version(const SSL *s);
void mitm_alpn(const SSL *s, char *out, size_t len);

#endif /* MITM_H */
