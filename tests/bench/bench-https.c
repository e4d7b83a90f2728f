// SPDX-License-Identifier: GPL-2.0-or-later
/* bench-https.c - HTTPS requests per second against one server
 *
 *	bench-https [-d SECONDS] [-c CONNS] [-k] [-C CAFILE] [-n SNI]
 *		    ADDR PORT PATH
 *
 * CONNS threads (default 1) each send GET PATH with Host SNI and read the
 * response (Content-Length framed) until SECONDS (default 2) have passed:
 * with -k on one keep-alive connection, otherwise each on a new TCP and TLS
 * connection (full handshake: no session resumption), which it ends with
 * close_notify.  The server's certificate is verified against CAFILE for
 * the name SNI (default "bench.test").  Prints one line:
 *
 *	rate=REQ/S requests=N errors=E seconds=S
 *
 * A tool of tests/bench (bench-intercept.sh), not part of the program.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static struct {
	double seconds;
	int conns;
	bool keepalive;
	const char *cafile, *sni, *path;
	struct sockaddr_storage ss;
	socklen_t sl;
	SSL_CTX *ctx;
	char req[512];
	size_t reqlen;
} opt = { .seconds = 2, .conns = 1, .sni = "bench.test" };

struct worker {
	pthread_t th;
	unsigned long requests, errors;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static SSL *open_conn(void)
{
	int fd, one = 1;
	SSL *s;

	fd = socket(opt.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&opt.ss, opt.sl)) {
		close(fd);
		return NULL;
	}
	s = SSL_new(opt.ctx);
	if (!s || SSL_set_fd(s, fd) != 1 ||
	    SSL_set_tlsext_host_name(s, opt.sni) != 1 ||
	    SSL_set1_host(s, opt.sni) != 1 || SSL_connect(s) != 1) {
		SSL_free(s);
		close(fd);
		return NULL;
	}
	return s;
}

static void close_conn(SSL *s)
{
	int fd = SSL_get_fd(s);

	SSL_shutdown(s);
	SSL_free(s);
	close(fd);
}

/* One request and its response; 0 or -1 */
static int one_request(SSL *s)
{
	char buf[65536], *hend;
	size_t have = 0, need;
	long clen;

	if (SSL_write(s, opt.req, (int)opt.reqlen) != (int)opt.reqlen)
		return -1;
	for (;;) {
		int n = SSL_read(s, buf + have, (int)(sizeof(buf) - 1 - have));

		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		hend = strstr(buf, "\r\n\r\n");
		if (hend)
			break;
		if (have == sizeof(buf) - 1)
			return -1;
	}
	if (strncmp(buf, "HTTP/1.1 200", 12))
		return -1;
	{
		char *cl = strcasestr(buf, "\r\ncontent-length:");

		if (!cl || cl > hend)
			return -1;
		clen = strtol(cl + 17, NULL, 10);
	}
	need = (size_t)(hend + 4 - buf) + (size_t)clen;
	while (have < need) {
		char sink[16384];
		int n = SSL_read(s, sink, (int)sizeof(sink));

		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	double end = now() + opt.seconds;
	SSL *s = NULL;

	while (now() < end) {
		if (!s)
			s = open_conn();
		if (!s || one_request(s)) {
			w->errors++;
			if (s)
				close_conn(s);
			s = NULL;
			ERR_clear_error();
			if (w->errors > 1000)
				break;
			continue;
		}
		w->requests++;
		if (!opt.keepalive) {
			close_conn(s);
			s = NULL;
		}
	}
	if (s)
		close_conn(s);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long req = 0, err = 0;
	struct worker *w;
	double t0, t;
	int c, i;

	while ((c = getopt(argc, argv, "d:c:kC:n:")) != -1) {
		switch (c) {
		case 'd':
			opt.seconds = atof(optarg);
			break;
		case 'c':
			opt.conns = atoi(optarg);
			break;
		case 'k':
			opt.keepalive = true;
			break;
		case 'C':
			opt.cafile = optarg;
			break;
		case 'n':
			opt.sni = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 3 || opt.conns < 1 || opt.seconds <= 0)
		goto usage;
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)&opt.ss;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&opt.ss;
		int port = atoi(argv[optind + 1]);

		if (inet_pton(AF_INET, argv[optind], &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons((uint16_t)port);
			opt.sl = sizeof(*a4);
		} else if (inet_pton(AF_INET6, argv[optind], &a6->sin6_addr) ==
			   1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((uint16_t)port);
			opt.sl = sizeof(*a6);
		} else {
			goto usage;
		}
	}
	opt.path = argv[optind + 2];
	opt.reqlen = (size_t)snprintf(opt.req, sizeof(opt.req),
				      "GET %s HTTP/1.1\r\nHost: %s\r\n"
				      "User-Agent: bench-https\r\n\r\n",
				      opt.path, opt.sni);
	opt.ctx = SSL_CTX_new(TLS_client_method());
	if (!opt.ctx)
		return 2;
	SSL_CTX_set_verify(opt.ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(opt.ctx, SSL_SESS_CACHE_OFF);
	if (opt.cafile &&
	    SSL_CTX_load_verify_locations(opt.ctx, opt.cafile, NULL) != 1) {
		fprintf(stderr, "bench-https: %s: cannot load\n", opt.cafile);
		return 2;
	}
	w = calloc((size_t)opt.conns, sizeof(*w));
	if (!w)
		return 2;
	t0 = now();
	for (i = 0; i < opt.conns; i++)
		if (pthread_create(&w[i].th, NULL, work, &w[i]))
			return 2;
	for (i = 0; i < opt.conns; i++) {
		pthread_join(w[i].th, NULL);
		req += w[i].requests;
		err += w[i].errors;
	}
	t = now() - t0;
	printf("rate=%.1f requests=%lu errors=%lu seconds=%.2f\n",
	       (double)req / t, req, err, t);
	free(w);
	SSL_CTX_free(opt.ctx);
	return req && !err ? 0 : 1;
usage:
	fprintf(stderr, "usage: bench-https [-d SECONDS] [-c CONNS] [-k] "
			"[-C CAFILE] [-n SNI] ADDR PORT PATH\n");
	return 2;
}
