// SPDX-License-Identifier: GPL-2.0-or-later
/* ftp_ctl.c - follow an FTP control connection's replies for PASV/EPSV
 *
 * Theory of operation
 *
 * Server bytes come in pieces of any size.  They are collected into one
 * bounded line; at each LF the line is read as a reply line (state: inside
 * a multi-line reply or not, and its code) and, if it is a final 227 or
 * 229 reply, its address and port are reported.  The follower never
 * guesses: a reply it cannot read as the RFCs write it is an error, and
 * the relay then ends the session instead of opening a data path that the
 * client might use differently.
 */

#include <errno.h>
#include <string.h>

#include "ftp_ctl.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/**
 * ftp_ctl_init() - start following a new control connection
 * @c:	the state
 */
void ftp_ctl_init(struct ftp_ctl *c)
{
	c->ret = 0;
	c->multi = 0;
	c->len = 0;
}

/* Printable ASCII only: what a 227/229 line may hold */
static bool printable(const char *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] < 0x20 || l[i] > 0x7e)
			return false;
	return true;
}

/**
 * number() - read 1 to @max decimal digits at @l[*i]
 * @l:		the line
 * @n:		its length
 * @i:		position, advanced past the digits
 * @max:	most digits allowed; one more is an error
 * @v:		the value
 *
 * Return: 0, or -EBADMSG if there is no digit or too many.
 */
static int number(const char *l, size_t n, size_t *i, unsigned int max,
		  unsigned int *v)
{
	unsigned int d = 0;

	*v = 0;
	while (*i < n && is_digit(l[*i])) {
		if (++d > max)
			return -EBADMSG;
		*v = *v * 10 + (unsigned int)(l[*i] - '0');
		(*i)++;
	}
	return d ? 0 : -EBADMSG;
}

/* "227 text h1,h2,h3,h4,p1,p2 text" (RFC 1123 4.1.2.6) */
static int ftp_ctl_227(const char *l, size_t n, struct ftp_pasv *p)
{
	unsigned int v[6];
	size_t i;
	int k;

	for (i = 4; i < n && !is_digit(l[i]); i++)
		;
	for (k = 0; k < 6; k++) {
		if (k && (i >= n || l[i++] != ','))
			return -EBADMSG;
		if (number(l, n, &i, 3, &v[k]) || v[k] > 255)
			return -EBADMSG;
	}
	if (i < n && l[i] == ',')
		return -EBADMSG;	/* a seventh number: not ours to pick */
	memset(p, 0, sizeof(*p));
	p->code = 227;
	p->family = AF_INET;
	for (k = 0; k < 4; k++)
		p->addr[k] = (uint8_t)v[k];
	p->port = (uint16_t)(v[4] << 8 | v[5]);
	return p->port ? 0 : -EBADMSG;
}

/* "229 text (|||port|)" (RFC 2428 3) */
static int ftp_ctl_229(const char *l, size_t n, struct ftp_pasv *p)
{
	const char *open = memchr(l, '(', n);
	unsigned int port;
	size_t i;
	char d;

	if (!open)
		return -EBADMSG;
	i = (size_t)(open - l) + 1;
	if (n - i < 6)
		return -EBADMSG;
	d = l[i];
	if (d < '!' || d > '~' || is_digit(d) || l[i + 1] != d ||
	    l[i + 2] != d)
		return -EBADMSG;
	i += 3;
	if (number(l, n, &i, 5, &port) || !port || port > 65535)
		return -EBADMSG;
	if (n - i < 2 || l[i] != d || l[i + 1] != ')')
		return -EBADMSG;
	memset(p, 0, sizeof(*p));
	p->code = 229;
	p->family = AF_UNSPEC;
	p->port = (uint16_t)port;
	return 0;
}

/**
 * ftp_ctl_line() - read one complete line
 * @c:		state
 * @l:		the line, without LF and CR
 * @n:		its length
 * @p:		filled for a final 227 or 229 reply
 *
 * Return: 1 if @p was filled, 0 for any other good line, -EBADMSG.
 */
static int ftp_ctl_line(struct ftp_ctl *c, const char *l, size_t n,
			struct ftp_pasv *p)
{
	int code;
	int ret;

	if (n >= 3 && is_digit(l[0]) && is_digit(l[1]) && is_digit(l[2]))
		code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	else
		code = 0;

	if (c->multi) {
		if (code == c->multi && (n == 3 || l[3] == ' '))
			c->multi = 0;	/* the last line; never 227/229 */
		return 0;
	}
	if (code < 100 || code >= 700)
		return -EBADMSG;
	if (n > 3 && l[3] == '-') {
		if (code == 227 || code == 229)
			return -EBADMSG;
		c->multi = code;
		return 0;
	}
	if (n > 3 && l[3] != ' ')
		return -EBADMSG;
	if (code != 227 && code != 229)
		return 0;
	if (!printable(l, n))
		return -EBADMSG;
	ret = code == 227 ? ftp_ctl_227(l, n, p) : ftp_ctl_229(l, n, p);
	return ret ? ret : 1;
}

/**
 * ftp_ctl_feed() - take the next bytes the server sent
 * @c:		state from ftp_ctl_init()
 * @buf:	the bytes, in stream order
 * @len:	how many
 * @out:	room for the passive-mode replies completed in @buf
 * @max:	entries at @out
 * @n:		set to the number of replies stored in @out (at most @max)
 *
 * When @out is full and another 227/229 reply would complete, the feed
 * stops before that reply's line and returns how far it got: the caller
 * handles @out and feeds the rest of @buf again.  Entries stored before an
 * error are left in @out and counted in @n.
 *
 * Return: bytes of @buf consumed (@len unless @out filled up), or -EBADMSG
 * (sticky) for a line too long, a reply line that does not start with
 * three digits, or a bad 227/229 reply.
 */
ssize_t ftp_ctl_feed(struct ftp_ctl *c, const uint8_t *buf, size_t len,
		     struct ftp_pasv *out, size_t max, size_t *n)
{
	size_t pos = 0;

	*n = 0;
	if (c->ret)
		return c->ret;
	while (pos < len) {
		const uint8_t *lf = memchr(buf + pos, '\n', len - pos);
		size_t take = lf ? (size_t)(lf - (buf + pos)) : len - pos;
		struct ftp_pasv p;
		size_t ln;
		int ret;

		/* the line, CR LF included, must fit in FTP_LINE_MAX */
		if (take > FTP_LINE_MAX - 1 - c->len) {
			c->ret = -EBADMSG;
			return c->ret;
		}
		if (!lf) {
			memcpy(c->line + c->len, buf + pos, take);
			c->len += take;
			break;
		}
		/* a whole line; if it is a reply @out has no room for, it is
		 * left for the next call (a final 227/229 line changes no
		 * state but the line buffer) */
		memcpy(c->line + c->len, buf + pos, take);
		ln = c->len + take;
		if (ln && c->line[ln - 1] == '\r')
			ln--;
		ret = ftp_ctl_line(c, c->line, ln, &p);
		if (ret < 0) {
			c->ret = ret;
			return c->ret;
		}
		if (ret && *n >= max)
			return (ssize_t)pos;	/* c->len still says where the
						   line's earlier part ends */
		if (ret)
			out[(*n)++] = p;
		c->len = 0;
		pos += take + 1;	/* the line and its LF */
	}
	return (ssize_t)len;
}
