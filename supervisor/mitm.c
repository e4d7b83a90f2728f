// SPDX-License-Identifier: GPL-2.0-or-later
/* mitm.c - TLS sessions of intercepted flows: toward CMD and upstream
 *
 * Theory of operation
 *
 * For an https rule that intercepts, the relay (relay.c) has read and
 * decided the ClientHello exactly as for any TLS flow.  Then it holds two
 * TLS sessions, both non-blocking on its own sockets:
 *
 *   - toward CMD, as the server: the leaf certificate for the SNI comes
 *     from ca.c.  The ClientHello was already read from the socket, so the
 *     session starts with a memory BIO holding those bytes; when OpenSSL
 *     has consumed them and wants more, the memory BIO is swapped for a
 *     socket BIO (SSL_set0_rbio()), and from then on OpenSSL reads the
 *     socket itself;
 *   - toward the server, as a client: the SNI is sent and verified
 *     (SSL_set1_host()) against the system trust store
 *     (SSL_CTX_set_default_verify_paths(): SSL_CERT_FILE and SSL_CERT_DIR
 *     apply) plus tls.upstream_ca, unless the rule says
 *     insecure_skip_tls_verify.
 *
 * Both offer (and accept) ALPN http/1.1 only: the relay reads HTTP/1.x.
 * TLS 1.2 at least; no session tickets or resumption toward CMD (every
 * connection gets a full handshake with a leaf from the cache).  Buffers
 * are released while a session is idle (SSL_MODE_RELEASE_BUFFERS), so an
 * idle intercepted flow holds the two SSL objects and little else.
 *
 * Every call here returns at once: SSL_ERROR_WANT_READ/WANT_WRITE become
 * -EAGAIN and the relay waits for its edge-triggered events, as it does
 * for plain sockets.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "mitm.h"
#include "policy.h"
#include "util.h"

static const unsigned char alpn_h1[] = "\x08http/1.1";

static struct {
	SSL_CTX *server;	/* toward CMD */
	SSL_CTX *verify;	/* upstream, verified */
	SSL_CTX *noverify;	/* upstream, insecure_skip_tls_verify */
} mitm;

/* CMD's ClientHello offers protocols: take http/1.1 or none */
static int alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *o = NULL;

	(void)s;
	(void)arg;
	if (SSL_select_next_proto(&o, outlen, alpn_h1, sizeof(alpn_h1) - 1, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = o;
	return SSL_TLSEXT_ERR_OK;
}

static void ctx_common(SSL_CTX *c)
{
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
				    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				    SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_read_ahead(c, 1);
}

static const char *ssl_reason(const char *dflt)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : dflt;
}

static int build_contexts(const char *upstream_ca, FILE *err)
{
	mitm.server = SSL_CTX_new(TLS_server_method());
	mitm.verify = SSL_CTX_new(TLS_client_method());
	mitm.noverify = SSL_CTX_new(TLS_client_method());
	if (!mitm.server || !mitm.verify || !mitm.noverify) {
		fprintf(err, "egress-supervise: TLS contexts: %s\n",
			ssl_reason("out of memory"));
		return -ENOMEM;
	}
	ctx_common(mitm.server);
	SSL_CTX_set_options(mitm.server, SSL_OP_NO_TICKET |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(mitm.server, 0);
	SSL_CTX_set_session_cache_mode(mitm.server, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_alpn_select_cb(mitm.server, alpn_select, NULL);

	ctx_common(mitm.verify);
	ctx_common(mitm.noverify);
	SSL_CTX_set_session_cache_mode(mitm.verify, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_cache_mode(mitm.noverify, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(mitm.verify, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify(mitm.noverify, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_set_default_verify_paths(mitm.verify) != 1) {
		fprintf(err, "egress-supervise: the system trust store: %s\n",
			ssl_reason("cannot be read"));
		return -EIO;
	}
	if (upstream_ca &&
	    !SSL_CTX_load_verify_locations(mitm.verify, upstream_ca, NULL)) {
		fprintf(err, "egress-supervise: tls.upstream_ca %s: %s "
			"(expected a file of PEM certificates)\n", upstream_ca,
			ssl_reason("cannot be read"));
		return -EINVAL;
	}
	ERR_clear_error();
	return 0;
}

int mitm_init(const struct policy *p, uid_t cmd_uid, FILE *err)
{
	const char *dir = policy_tls_ca_dir(p);
	const char *cert = policy_tls_ca_cert(p);
	const char *key = policy_tls_ca_key(p);
	char cpath[4096], kpath[4096];
	bool need = policy_intercepts(p);
	int ret;

	if (!dir)
		dir = ca_default_dir();
	if (!cert) {
		snprintf(cpath, sizeof(cpath), "%s/%s", dir, CA_CERT_FILE);
		cert = cpath;
	}
	if (!key) {
		snprintf(kpath, sizeof(kpath), "%s/%s", dir, CA_KEY_FILE);
		key = kpath;
	}
	if (!need && (access(cert, F_OK) || access(key, F_OK)))
		return 0;	/* no CA, none needed */
	ret = ca_load(cert, key, cmd_uid, err);
	if (ret) {
		if (need) {
			fprintf(err, "egress-supervise: the policy has rules "
				"that intercept TLS (intercept: true or "
				"path_rules on https) and needs a CA\n");
			return ret;
		}
		fprintf(err, "egress-supervise: no TLS interception: the CA "
			"could not be loaded\n");
		return 0;
	}
	ret = build_contexts(policy_tls_upstream_ca(p), err);
	if (ret) {
		mitm_free();
		return ret;
	}
	return 0;
}

bool mitm_ready(void)
{
	return ca_loaded() && mitm.server;
}

void mitm_free(void)
{
	SSL_CTX_free(mitm.server);
	SSL_CTX_free(mitm.verify);
	SSL_CTX_free(mitm.noverify);
	memset(&mitm, 0, sizeof(mitm));
	ca_free();
}

SSL *mitm_client_new(int fd, const char *name, const void *hello, size_t len,
		     bool *cached)
{
	EVP_PKEY *key;
	BIO *rb, *wb;
	X509 *leaf;
	SSL *s;

	if (!mitm_ready() || ca_leaf(name, &leaf, &key, cached))
		return NULL;
	s = SSL_new(mitm.server);
	if (!s)
		return NULL;
	rb = BIO_new(BIO_s_mem());
	wb = BIO_new_socket(fd, BIO_NOCLOSE);
	if (!rb || !wb || SSL_use_certificate(s, leaf) != 1 ||
	    SSL_use_PrivateKey(s, key) != 1 ||
	    BIO_write(rb, hello, (int)len) != (int)len) {
		BIO_free(rb);
		BIO_free(wb);
		SSL_free(s);
		return NULL;
	}
	/* drained: "retry", not EOF, so that we can swap in the socket */
	BIO_set_mem_eof_return(rb, -1);
	SSL_set_bio(s, rb, wb);
	SSL_set_accept_state(s);
	ERR_clear_error();
	return s;
}

SSL *mitm_upstream_new(int fd, const char *sni, const char *ip, bool verify)
{
	SSL *s = SSL_new(verify ? mitm.verify : mitm.noverify);

	if (!s)
		return NULL;
	if (SSL_set_fd(s, fd) != 1 ||
	    SSL_set_alpn_protos(s, alpn_h1, sizeof(alpn_h1) - 1) ||
	    (sni && SSL_set_tlsext_host_name(s, sni) != 1))
		goto fail;
	if (verify) {
		SSL_set_hostflags(s, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (sni ? SSL_set1_host(s, sni) != 1 :
			  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s),
							ip) != 1)
			goto fail;
	}
	SSL_set_connect_state(s);
	ERR_clear_error();
	return s;
fail:
	SSL_free(s);
	ERR_clear_error();
	return NULL;
}

/* The ClientHello's memory BIO is drained: read the socket from now on */
static bool rbio_swap(SSL *s)
{
	BIO *rb = SSL_get_rbio(s), *sb;

	if (BIO_method_type(rb) != BIO_TYPE_MEM || BIO_ctrl_pending(rb))
		return false;
	sb = BIO_new_socket(SSL_get_wfd(s), BIO_NOCLOSE);
	if (!sb)
		return false;
	SSL_set0_rbio(s, sb);
	return true;
}

/* What went wrong in the session, in one line */
static void describe(SSL *s, int e, int saved_errno, char *err, size_t len)
{
	long v = SSL_get_verify_result(s);
	unsigned long ee = ERR_peek_error();

	if (!len)
		return;
	if (v != X509_V_OK && SSL_get_verify_mode(s) != SSL_VERIFY_NONE &&
	    !SSL_is_server(s)) {
		snprintf(err, len, "certificate verify failed: %s",
			 X509_verify_cert_error_string(v));
	} else if (ee) {
		const char *r = ERR_reason_error_string(ee);

		snprintf(err, len, "%s", r ? r : "TLS error");
	} else if (e == SSL_ERROR_SYSCALL && saved_errno) {
		snprintf(err, len, "%s", strerror(saved_errno));
	} else {
		snprintf(err, len, "the peer closed the connection in the "
			 "handshake");
	}
}

int mitm_handshake(SSL *s, char *err, size_t len)
{
	for (;;) {
		int r, e;

		ERR_clear_error();
		errno = 0;
		r = SSL_do_handshake(s);
		if (r == 1)
			return 1;
		e = SSL_get_error(s, r);
		if (e == SSL_ERROR_WANT_READ && rbio_swap(s))
			continue;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return -EAGAIN;
		describe(s, e, errno, err, len);
		ERR_clear_error();
		return -EPROTO;
	}
}

/* SSL_read/SSL_write's failure as -errno */
static int io_error(SSL *s, int r, int saved_errno)
{
	int e = SSL_get_error(s, r);
	unsigned long ee = ERR_peek_error();
	int ret = -EPROTO;

	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ret = -EAGAIN;
		break;
	case SSL_ERROR_ZERO_RETURN:
		ret = 0;
		break;
	case SSL_ERROR_SYSCALL:
		/* OpenSSL 1.1.1: EOF without close_notify */
		ret = !ee && !saved_errno ? -EPIPE :
		      saved_errno	  ? -saved_errno :
					    -EPROTO;
		break;
	case SSL_ERROR_SSL:
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
		if (ERR_GET_REASON(ee) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			ret = -EPIPE;
#endif
		break;
	default:
		break;
	}
	ERR_clear_error();
	return ret;
}

ssize_t mitm_read(SSL *s, void *buf, size_t len)
{
	for (;;) {
		int r;

		ERR_clear_error();
		errno = 0;
		r = SSL_read(s, buf, (int)MIN(len, (size_t)INT32_MAX));
		if (r > 0)
			return r;
		r = io_error(s, r, errno);
		if (r == -EAGAIN && rbio_swap(s))
			continue;
		return r;
	}
}

ssize_t mitm_write(SSL *s, const void *buf, size_t len)
{
	int r;

	if (!len)
		return 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_write(s, buf, (int)MIN(len, (size_t)INT32_MAX));
	if (r > 0)
		return r;
	r = io_error(s, r, errno);
	return r ? r : -EPIPE;
}

int mitm_shutdown(SSL *s)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_shutdown(s);
	if (r >= 0)
		return 0;
	r = io_error(s, r, errno);
	return r == -EAGAIN ? -EAGAIN : -EPROTO;
}

void mitm_session_free(SSL *s)
{
	SSL_free(s);
}

const char *mitm_version(const SSL *s)
{
	return SSL_get_version(s);
}

void mitm_alpn(const SSL *s, char *out, size_t len)
{
	const unsigned char *p = NULL;
	unsigned int n = 0;

	SSL_get0_alpn_selected(s, &p, &n);
	snprintf(out, len, "%.*s", (int)n, p ? (const char *)p : "");
}
