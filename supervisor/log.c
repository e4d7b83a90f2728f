// SPDX-License-Identifier: GPL-2.0-or-later
/* log.c - JSON lines per decision, one human line per denial
 *
 * Each line is built in a fixed buffer and written with one write(2), so
 * lines from the supervisor never interleave and no allocation happens on
 * the decision path.  Lines that do not fit are cut at a key boundary and
 * say "truncated": true.
 */

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static int log_fd = STDERR_FILENO;

/**
 * log_open() - choose where JSON lines go
 * @path:	file to append to, or NULL / "-" for stderr
 *
 * Return: 0 or -errno
 */
int log_open(const char *path)
{
	int fd;

	if (!path || !strcmp(path, "-")) {
		log_fd = STDERR_FILENO;
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	log_fd = fd;
	return 0;
}

void log_close(void)
{
	if (log_fd > STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
}

bool log_to_stderr(void)
{
	return log_fd == STDERR_FILENO;
}

/* Space kept free at the end for "truncated":true} and the newline */
#define LOG_TAIL	32

static void log_raw(struct log_line *l, const char *s, size_t n)
{
	if (l->truncated || l->len + n > sizeof(l->buf) - LOG_TAIL) {
		l->truncated = true;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* Append a JSON string, escaped; all-or-nothing, so keys never dangle */
static void log_json_str(struct log_line *l, const char *s)
{
	char tmp[1024];
	size_t n = 0;

	tmp[n++] = '"';
	for (; *s && n < sizeof(tmp) - 8; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			tmp[n++] = '\\';
			tmp[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(tmp + n, 7, "\\u%04x", c);
		} else {
			tmp[n++] = (char)c;
		}
	}
	tmp[n++] = '"';
	log_raw(l, tmp, n);
}

static void log_key(struct log_line *l, const char *key)
{
	if (l->len > 1)
		log_raw(l, ",", 1);
	log_json_str(l, key);
	log_raw(l, ":", 1);
}

void log_begin(struct log_line *l, const char *event)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	l->len = 0;
	l->truncated = false;
	log_raw(l, "{", 1);

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
	log_str(l, "ts", buf);
	log_str(l, "event", event);
}

void log_str(struct log_line *l, const char *key, const char *val)
{
	size_t len = l->len;

	log_key(l, key);
	if (val)
		log_json_str(l, val);
	else
		log_raw(l, "null", 4);
	if (l->truncated)
		l->len = len;
}

void log_int(struct log_line *l, const char *key, long long val)
{
	size_t len = l->len;
	char buf[32];
	int n;

	log_key(l, key);
	n = snprintf(buf, sizeof(buf), "%lld", val);
	log_raw(l, buf, (size_t)n);
	if (l->truncated)
		l->len = len;
}

void log_bool(struct log_line *l, const char *key, bool val)
{
	size_t len = l->len;

	log_key(l, key);
	log_raw(l, val ? "true" : "false", val ? 4 : 5);
	if (l->truncated)
		l->len = len;
}

void log_strv(struct log_line *l, const char *key, const char *const *v,
	      size_t n)
{
	size_t len = l->len, i;

	log_key(l, key);
	log_raw(l, "[", 1);
	for (i = 0; i < n; i++) {
		if (i)
			log_raw(l, ",", 1);
		log_json_str(l, v[i]);
	}
	log_raw(l, "]", 1);
	if (l->truncated)
		l->len = len;
}

void log_end(struct log_line *l)
{
	static const char trunc[] = ",\"truncated\":true";

	if (l->truncated) {
		memcpy(l->buf + l->len, trunc, sizeof(trunc) - 1);
		l->len += sizeof(trunc) - 1;
	}
	l->buf[l->len++] = '}';
	l->buf[l->len++] = '\n';
	/* One write per line; a failing log must not stop decisions */
	if (write(log_fd, l->buf, l->len) < 0)
		return;
}

static void log_vprefixed(const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "egress-supervise: ");
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

void log_human(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprefixed(fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprefixed(fmt, ap);
	va_end(ap);
}

/**
 * log_errno_ours() - the errno CMD gets when one of our own calls failed
 * @err:	positive errno of the supervisor's call
 *
 * EMFILE and ENFILE are about the supervisor's fd table, not CMD's: CMD
 * gets ENOBUFS (no room; applications treat it as transient), and a
 * warning, at most one per 10 seconds, says what to raise.
 *
 * Return: @err, or ENOBUFS for EMFILE and ENFILE
 */
int log_errno_ours(int err)
{
	static time_t last;
	struct timespec now;

	if (err != EMFILE && err != ENFILE)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last || now.tv_sec - last >= 10) {
		last = now.tv_sec ? now.tv_sec : 1;
		log_warn("out of file descriptors (%s): calls that need one "
			 "get ENOBUFS; raise the supervisor's RLIMIT_NOFILE",
			 util_errno_name(err));
	}
	return ENOBUFS;
}
