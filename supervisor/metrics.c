// SPDX-License-Identifier: GPL-2.0-or-later
/* metrics.c - counters in Prometheus text format, and the denial summary
 *
 * Theory of operation
 *
 * Decisions, DNS answers, notifications and relayed bytes are counted in
 * fixed tables (no allocation on the decision path; a label set past a
 * table's size is counted under reason or rcode "other").  Denied and
 * audited destinations are counted in a bounded hash table for the summary
 * printed on stderr at exit; destinations past its size are counted as
 * "other destinations".
 *
 * --metrics exports the text in one of two ways:
 *
 * - PATH: the file is rewritten every --metrics-interval seconds and at
 *   exit, atomically (a fresh temporary file, then rename(2)), so a reader
 *   never sees half a file;
 * - ADDR (IP:PORT): a TCP listener in the main loop speaking just enough
 *   HTTP/1.x for a scraper.  It lives inside the container, where CMD can
 *   reach it over loopback, so it is read-only (GET and HEAD of /metrics;
 *   everything else 404 or 405), holds at most METRICS_CONNS connections
 *   (more are accepted and closed at once), reads at most METRICS_REQ_MAX
 *   bytes of request, answers once and closes, and drops a connection idle
 *   for METRICS_CONN_MS.  It exposes counts only, never destinations.
 *
 * Connection states: READING (collecting the request head) -> WRITING (the
 * answer, rendered once, written as the socket takes it) -> closed.
 */

#include <arpa/inet.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

#define METRICS_DECISIONS	128
#define METRICS_DNS		32
#define METRICS_DENIALS		1024	/* power of two */
#define METRICS_LABEL		32
#define METRICS_DST		96
#define METRICS_CONNS		4
#define METRICS_REQ_MAX		1024
#define METRICS_CONN_MS		5000
#define METRICS_TEXT_MAX	(64 * 1024)

struct decision_row {
	char verdict[8];
	char reason[METRICS_LABEL];
	char proto[8];
	uint64_t n;
};

struct dns_row {
	char verdict[8];
	char rcode[16];
	uint64_t n;
};

struct denial_row {
	bool used;
	char verdict[8];
	char proto[8];
	char dst[METRICS_DST];
	char name[METRICS_DST];
	unsigned int port;
	uint64_t n;
};

enum metrics_conn_state {
	METRICS_CONN_FREE,
	METRICS_CONN_READING,	/* collecting the request head */
	METRICS_CONN_WRITING,	/* sending the answer */
};

struct metrics_conn {
	enum metrics_conn_state state;
	int fd;
	uint64_t since_ms;
	size_t len;
	char req[METRICS_REQ_MAX];
	char *out;
	size_t out_len, out_off;
};

static struct {
	struct decision_row decisions[METRICS_DECISIONS];
	size_t n_decisions;
	struct dns_row dns[METRICS_DNS];
	size_t n_dns;
	struct denial_row denials[METRICS_DENIALS];
	size_t n_denials;
	uint64_t denied, audited, other_denials;
	uint64_t notifications;
	unsigned int in_flight, exec_sessions;
	uint64_t relay_up, relay_down;
} m;

static struct {
	const char *path;
	unsigned int interval_s;
	uint64_t last_ms;
	int listen_fd;
	struct metrics_conn conn[METRICS_CONNS];
} ex = { .listen_fd = -1 };

static void copy_label(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Count a denied or audited destination for the summary */
static void denial_count(const char *verdict, const char *proto,
			 const char *dst, unsigned int port, const char *name)
{
	const char *parts[3] = { verdict, proto, dst ? dst : "" };
	uint32_t h = 2166136261u;
	size_t k, j;

	if (!strcmp(verdict, "deny"))
		m.denied++;
	else
		m.audited++;
	for (k = 0; k < ARRAY_SIZE(parts); k++)
		for (j = 0; parts[k][j]; j++)
			h = (h ^ (uint8_t)parts[k][j]) * 16777619u;
	h = (h ^ port) * 16777619u;
	for (k = 0; k < METRICS_DENIALS; k++) {
		struct denial_row *d = &m.denials[(h + k) & (METRICS_DENIALS - 1)];

		if (!d->used) {
			/* a bounded table: three quarters full is full */
			if (m.n_denials >= METRICS_DENIALS * 3 / 4)
				break;
			d->used = true;
			m.n_denials++;
			copy_label(d->verdict, sizeof(d->verdict), verdict);
			copy_label(d->proto, sizeof(d->proto), proto);
			copy_label(d->dst, sizeof(d->dst), dst);
			copy_label(d->name, sizeof(d->name), name);
			d->port = port;
		} else if (d->port != port || strcmp(d->verdict, verdict) ||
			   strcmp(d->proto, proto) ||
			   strncmp(d->dst, parts[2], sizeof(d->dst) - 1)) {
			continue;
		}
		d->n++;
		return;
	}
	m.other_denials++;
}

/**
 * metrics_decision() - count one decision on a call of CMD
 * @verdict:	"allow", "deny" or "audit"
 * @reason:	the decision's reason ("default", "rule", ...)
 * @proto:	"tcp", "udp", "icmp", "unix" or "socket"
 * @dst:	the destination as logged, for the summary
 * @port:	its port, or 0
 * @name:	a name of the destination, or NULL
 */
void metrics_decision(const char *verdict, const char *reason,
		      const char *proto, const char *dst, unsigned int port,
		      const char *name)
{
	struct decision_row *r = NULL;
	size_t i;

	if (!reason)
		reason = "default";
	for (i = 0; i < m.n_decisions; i++) {
		struct decision_row *c = &m.decisions[i];

		if (!strcmp(c->verdict, verdict) &&
		    !strcmp(c->reason, reason) && !strcmp(c->proto, proto)) {
			r = c;
			break;
		}
	}
	if (!r && m.n_decisions < METRICS_DECISIONS - 1) {
		r = &m.decisions[m.n_decisions++];
		copy_label(r->verdict, sizeof(r->verdict), verdict);
		copy_label(r->reason, sizeof(r->reason), reason);
		copy_label(r->proto, sizeof(r->proto), proto);
	} else if (!r) {
		/* the last row: every label set that did not fit */
		r = &m.decisions[METRICS_DECISIONS - 1];
		copy_label(r->verdict, sizeof(r->verdict), "other");
		copy_label(r->reason, sizeof(r->reason), "other");
		copy_label(r->proto, sizeof(r->proto), "other");
		m.n_decisions = METRICS_DECISIONS;
	}
	r->n++;
	if (strcmp(verdict, "allow"))
		denial_count(verdict, proto, dst, port, name);
}

/**
 * metrics_dns() - count one answer of the DNS stub
 * @verdict:	"allow", "deny" or "audit"
 * @rcode:	its rcode as logged ("NOERROR", "NXDOMAIN", ...)
 * @qname:	the query name, for the summary of denied names
 */
void metrics_dns(const char *verdict, const char *rcode, const char *qname)
{
	struct dns_row *r = NULL;
	size_t i;

	for (i = 0; i < m.n_dns; i++) {
		if (!strcmp(m.dns[i].verdict, verdict) &&
		    !strcmp(m.dns[i].rcode, rcode)) {
			r = &m.dns[i];
			break;
		}
	}
	if (!r && m.n_dns < METRICS_DNS) {
		r = &m.dns[m.n_dns++];
		copy_label(r->verdict, sizeof(r->verdict), verdict);
		copy_label(r->rcode, sizeof(r->rcode), rcode);
	}
	if (r)
		r->n++;
	if (strcmp(verdict, "allow"))
		denial_count(verdict, "dns", qname, 0, NULL);
}

void metrics_notification(void)
{
	m.notifications++;
}

void metrics_in_flight(unsigned int n)
{
	m.in_flight = n;
}

void metrics_exec_sessions(unsigned int n)
{
	m.exec_sessions = n;
}

void metrics_relay_bytes(uint64_t up, uint64_t down)
{
	m.relay_up += up;
	m.relay_down += down;
}

void metrics_reset(void)
{
	memset(&m, 0, sizeof(m));
}

/* ------------------------------------------------------------------ */
/* rendering                                                           */

struct out {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3)))
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n;
	if (o->len >= o->size)
		o->len = o->size;	/* marks overflow */
}

/* A label value: backslash, double quote and newline escaped */
static const char *label(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s && o + 3 < size; s++) {
		if (*s == '\\' || *s == '"') {
			buf[o++] = '\\';
			buf[o++] = *s;
		} else if (*s == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void help(struct out *o, const char *name, const char *type,
		 const char *text)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/**
 * metrics_render() - the Prometheus text exposition
 * @buf:	where to write (NUL-terminated when it fits)
 * @size:	its size
 *
 * Return: the length of the text; >= @size when it did not fit
 */
size_t metrics_render(char *buf, size_t size)
{
	struct out o = { .buf = buf, .size = size };
	char a[2 * METRICS_LABEL], b[2 * METRICS_LABEL], c[2 * METRICS_LABEL];
	size_t i;

	help(&o, "egress_supervise_decisions_total", "counter",
	     "Decisions on CMD's connects, sends, sockets and unix "
	     "destinations.");
	for (i = 0; i < m.n_decisions; i++) {
		const struct decision_row *r = &m.decisions[i];

		if (!r->n)
			continue;
		out_printf(&o,
			   "egress_supervise_decisions_total{verdict=\"%s\","
			   "reason=\"%s\",proto=\"%s\"} %llu\n",
			   label(r->verdict, a, sizeof(a)),
			   label(r->reason, b, sizeof(b)),
			   label(r->proto, c, sizeof(c)),
			   (unsigned long long)r->n);
	}
	help(&o, "egress_supervise_dns_queries_total", "counter",
	     "DNS queries answered by the stub, by verdict and rcode.");
	for (i = 0; i < m.n_dns; i++)
		out_printf(&o,
			   "egress_supervise_dns_queries_total{verdict=\"%s\","
			   "rcode=\"%s\"} %llu\n",
			   label(m.dns[i].verdict, a, sizeof(a)),
			   label(m.dns[i].rcode, b, sizeof(b)),
			   (unsigned long long)m.dns[i].n);
	help(&o, "egress_supervise_relay_bytes_total", "counter",
	     "Bytes moved by the inspecting relay.");
	out_printf(&o,
		   "egress_supervise_relay_bytes_total{direction=\"up\"} %llu\n"
		   "egress_supervise_relay_bytes_total{direction=\"down\"} "
		   "%llu\n",
		   (unsigned long long)m.relay_up,
		   (unsigned long long)m.relay_down);
	help(&o, "egress_supervise_notifications_total", "counter",
	     "Seccomp notifications received.");
	out_printf(&o, "egress_supervise_notifications_total %llu\n",
		   (unsigned long long)m.notifications);
	help(&o, "egress_supervise_notifications_in_flight", "gauge",
	     "Notified calls waiting for the kernel (blocking connects "
	     "and sends).");
	out_printf(&o, "egress_supervise_notifications_in_flight %u\n",
		   m.in_flight);
	help(&o, "egress_supervise_exec_sessions", "gauge",
	     "Processes started with egress-supervise exec still running.");
	out_printf(&o, "egress_supervise_exec_sessions %u\n", m.exec_sessions);
	if (o.len < size)
		buf[o.len] = '\0';
	return o.len;
}

static int denial_cmp(const void *pa, const void *pb)
{
	const struct denial_row *a = *(const struct denial_row *const *)pa;
	const struct denial_row *b = *(const struct denial_row *const *)pb;

	if (a->n != b->n)
		return a->n < b->n ? 1 : -1;
	return strcmp(a->dst, b->dst);
}

/**
 * metrics_summary() - the most denied destinations, for humans
 * @out:	where to print
 * @top:	how many destinations at most
 *
 * Prints nothing when nothing was denied or audited.
 */
void metrics_summary(FILE *out, size_t top)
{
	const struct denial_row *rows[METRICS_DENIALS];
	size_t n = 0, i;

	if (!m.denied && !m.audited)
		return;
	for (i = 0; i < METRICS_DENIALS; i++)
		if (m.denials[i].used)
			rows[n++] = &m.denials[i];
	qsort(rows, n, sizeof(rows[0]), denial_cmp);

	fprintf(out, "egress-supervise: summary: %llu denied, %llu audited; "
		     "top destinations:\n",
		(unsigned long long)m.denied, (unsigned long long)m.audited);
	for (i = 0; i < n && i < top; i++) {
		const struct denial_row *r = rows[i];
		bool v6 = strchr(r->dst, ':') && strcmp(r->proto, "unix");
		char where[METRICS_DST + 16];

		if (!strcmp(r->proto, "dns") || !strcmp(r->proto, "unix") ||
		    !strcmp(r->proto, "socket") || !strcmp(r->proto, "icmp"))
			snprintf(where, sizeof(where), "%s", r->dst);
		else
			snprintf(where, sizeof(where), "%s%s%s:%u",
				 v6 ? "[" : "", r->dst, v6 ? "]" : "",
				 r->port);
		fprintf(out, "egress-supervise:   %6llu  %-5s %-5s %s%s%s%s\n",
			(unsigned long long)r->n, r->verdict, r->proto, where,
			r->name[0] ? " (" : "", r->name,
			r->name[0] ? ")" : "");
	}
	if (n > top || m.other_denials)
		fprintf(out, "egress-supervise:   and %zu more destinations\n",
			(n > top ? n - top : 0) +
				(size_t)(m.other_denials ? 1 : 0));
}

/* ------------------------------------------------------------------ */
/* the file                                                            */

static void metrics_write_file(void)
{
	char tmp[4096];
	char *text;
	size_t len;
	int fd;

	if (!ex.path)
		return;
	text = malloc(METRICS_TEXT_MAX);
	if (!text)
		return;
	len = MIN(metrics_render(text, METRICS_TEXT_MAX), METRICS_TEXT_MAX);
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", ex.path, (int)getpid());
	/* Never through a link someone else left there */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    close(fd) || rename(tmp, ex.path)) {
		static bool warned;

		if (!warned)
			log_warn("--metrics %s: %s", ex.path, strerror(errno));
		warned = true;
		if (fd >= 0)
			unlink(tmp);
	}
	free(text);
}

/* ------------------------------------------------------------------ */
/* the listener                                                        */

/**
 * metrics_spec_is_addr() - is --metrics' argument IP:PORT (else a path)?
 */
bool metrics_spec_is_addr(const char *spec)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(spec, ':'), *p;
	uint8_t a[16];
	size_t n;

	if (!colon || !colon[1] || strlen(colon + 1) > 5)
		return false;
	for (p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	if (!atoi(colon + 1) || atoi(colon + 1) > 65535)
		return false;
	n = (size_t)(colon - spec);
	if (n >= sizeof(host))
		return false;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		return inet_pton(AF_INET6, host + 1, a) == 1;
	}
	return inet_pton(AF_INET, host, a) == 1;
}

static int metrics_listen(const char *spec)
{
	struct sockaddr_storage ss = { 0 };
	union loop_ref ref = { .type = LOOP_METRICS_LISTEN };
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(spec, ':');
	size_t n = (size_t)(colon - spec);
	socklen_t sl;
	unsigned long port = strtoul(colon + 1, NULL, 10);
	int one = 1, fd, ret;

	if (!port || port > 65535)
		return -EINVAL;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		host[n - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host + 1, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 16)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ref.fd = fd;
	ret = loop_add(fd, EPOLLIN, ref);
	if (ret) {
		close(fd);
		return ret;
	}
	ex.listen_fd = fd;
	return 0;
}

/**
 * metrics_init() - start exporting
 * @spec:	--metrics: IP:PORT for a listener, anything else a file path
 * @interval_s:	seconds between file rewrites
 *
 * Return: 0 or -errno
 */
int metrics_init(const char *spec, unsigned int interval_s)
{
	size_t i;

	for (i = 0; i < METRICS_CONNS; i++)
		ex.conn[i].fd = -1;
	if (!spec)
		return 0;
	if (metrics_spec_is_addr(spec))
		return metrics_listen(spec);
	if (!*spec)
		return -EINVAL;
	ex.path = spec;
	ex.interval_s = interval_s ? interval_s : 1;
	ex.last_ms = loop_now_ms();
	metrics_write_file();
	return 0;
}

static void conn_close(struct metrics_conn *c)
{
	loop_del(c->fd);
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->len = c->out_len = c->out_off = 0;
	c->state = METRICS_CONN_FREE;
}

/**
 * metrics_http_parse() - decide a request from its head
 * @req:	bytes received so far
 * @len:	their number
 * @max:	the most we will read
 * @head:	set for HEAD
 *
 * Only the request line matters; the head must end (blank line) within
 * @max bytes.
 */
enum metrics_http metrics_http_parse(const char *req, size_t len, size_t max,
				     bool *head)
{
	const char *end = memmem(req, len, "\r\n\r\n", 4);
	const char *lf = memchr(req, '\n', len), *sp, *path, *ver;
	size_t plen;

	if (!end)
		end = memmem(req, len, "\n\n", 2);
	if (!end)
		return len >= max ? METRICS_HTTP_BAD_REQUEST
				  : METRICS_HTTP_MORE;
	sp = memchr(req, ' ', (size_t)(lf - req));
	if (!sp)
		return METRICS_HTTP_BAD_REQUEST;
	path = sp + 1;
	ver = memchr(path, ' ', (size_t)(lf - path));
	if (!ver || (size_t)(lf - ver) < 9 || memcmp(ver + 1, "HTTP/1.", 7))
		return METRICS_HTTP_BAD_REQUEST;
	*head = sp - req == 4 && !memcmp(req, "HEAD", 4);
	if (!*head && !(sp - req == 3 && !memcmp(req, "GET", 3)))
		return METRICS_HTTP_BAD_METHOD;
	plen = (size_t)(ver - path);
	if ((plen == 8 && !memcmp(path, "/metrics", 8)) ||
	    (plen > 8 && !memcmp(path, "/metrics?", 9)))
		return METRICS_HTTP_OK;
	return METRICS_HTTP_NOT_FOUND;
}

static void conn_answer(struct metrics_conn *c, enum metrics_http st,
			bool head)
{
	static const char *const status[] = {
		[METRICS_HTTP_OK] = "200 OK",
		[METRICS_HTTP_NOT_FOUND] = "404 Not Found",
		[METRICS_HTTP_BAD_METHOD] = "405 Method Not Allowed",
		[METRICS_HTTP_BAD_REQUEST] = "400 Bad Request",
	};
	union loop_ref ref = { .type = LOOP_METRICS_CONN,
			       .idx = (uint32_t)(c - ex.conn), .fd = c->fd };
	size_t hdr_max = 256, body = 0;
	char *text;
	int n;

	c->out = malloc(METRICS_TEXT_MAX + hdr_max);
	if (!c->out) {
		conn_close(c);
		return;
	}
	text = c->out + hdr_max;
	if (st == METRICS_HTTP_OK)
		body = MIN(metrics_render(text, METRICS_TEXT_MAX),
			   METRICS_TEXT_MAX);
	else
		body = (size_t)snprintf(text, METRICS_TEXT_MAX, "%s\n",
					status[st]);
	n = snprintf(c->out, hdr_max,
		     "HTTP/1.1 %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "Connection: close\r\n\r\n",
		     status[st],
		     st == METRICS_HTTP_OK ? "text/plain; version=0.0.4"
					   : "text/plain",
		     body,
		     st == METRICS_HTTP_BAD_METHOD ? "Allow: GET, HEAD\r\n"
						   : "");
	if (head)
		body = 0;
	memmove(c->out + n, text, body);
	c->out_len = (size_t)n + body;
	c->out_off = 0;
	c->state = METRICS_CONN_WRITING;
	shutdown(c->fd, SHUT_RD);
	if (loop_mod(c->fd, EPOLLOUT, ref))
		conn_close(c);
}

static void conn_read(struct metrics_conn *c)
{
	enum metrics_http st;
	bool head = false;
	ssize_t n;

	n = recv(c->fd, c->req + c->len, sizeof(c->req) - c->len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	st = metrics_http_parse(c->req, c->len, sizeof(c->req), &head);
	if (st != METRICS_HTTP_MORE)
		conn_answer(c, st, head);
}

static void conn_write(struct metrics_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len)
		conn_close(c);
}

static void metrics_accept(void)
{
	union loop_ref ref = { .type = LOOP_METRICS_CONN };
	size_t i;
	int fd;

	while ((fd = accept4(ex.listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct metrics_conn *c = NULL;

		for (i = 0; i < METRICS_CONNS; i++) {
			if (ex.conn[i].state == METRICS_CONN_FREE) {
				c = &ex.conn[i];
				break;
			}
		}
		ref.idx = (uint32_t)i;
		ref.fd = fd;
		if (!c || loop_add(fd, EPOLLIN | EPOLLRDHUP, ref)) {
			close(fd);	/* bounded: no room, no service */
			continue;
		}
		c->fd = fd;
		c->state = METRICS_CONN_READING;
		c->since_ms = loop_now_ms();
		c->len = 0;
	}
}

void metrics_handler(union loop_ref ref, uint32_t events)
{
	struct metrics_conn *c;

	if (ref.type == LOOP_METRICS_LISTEN) {
		metrics_accept();
		return;
	}
	if (ref.idx >= METRICS_CONNS)
		return;
	c = &ex.conn[ref.idx];
	if (c->state == METRICS_CONN_FREE || c->fd != ref.fd)
		return;
	if (c->state == METRICS_CONN_READING)
		conn_read(c);
	else if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		conn_write(c);
}

/**
 * metrics_timer() - rewrite the file when due; drop idle connections
 *
 * Called about once a second.
 */
void metrics_timer(void)
{
	uint64_t now = loop_now_ms();
	size_t i;

	if (ex.path && now - ex.last_ms >= ex.interval_s * 1000ULL) {
		metrics_write_file();
		ex.last_ms = now;
	}
	for (i = 0; i < METRICS_CONNS; i++) {
		struct metrics_conn *c = &ex.conn[i];

		if (c->state != METRICS_CONN_FREE &&
		    now - c->since_ms >= METRICS_CONN_MS)
			conn_close(c);
	}
}

/**
 * metrics_exit() - the last file, and the summary of denials on stderr
 */
void metrics_exit(void)
{
	size_t i;

	metrics_write_file();
	for (i = 0; i < METRICS_CONNS; i++)
		if (ex.conn[i].state != METRICS_CONN_FREE)
			conn_close(&ex.conn[i]);
	if (ex.listen_fd >= 0) {
		loop_del(ex.listen_fd);
		close(ex.listen_fd);
		ex.listen_fd = -1;
	}
	metrics_summary(stderr, 10);
}
