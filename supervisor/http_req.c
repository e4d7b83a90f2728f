// SPDX-License-Identifier: GPL-2.0-or-later
/* http_req.c - HTTP/1.x request head parser and request body framing
 *
 * Theory of operation
 *
 * The relay holds a client's bytes back until http_req_parse() says the
 * head is complete and well-formed; then the policy decides on method,
 * host and path, and the head and its body are forwarded unchanged.  What
 * we decide on and what the server acts on must therefore be the same
 * thing, so everything a server could read in two ways is refused:
 * several Host fields, Content-Length with Transfer-Encoding, a coding
 * after "chunked", line ends other than CRLF, obs-fold, whitespace
 * before a colon, control characters, and the path spellings listed in
 * http_req.h.
 *
 * The head parser is stateless: the caller appends bytes and calls again,
 * and each call parses from the start (at most HTTP_HEAD_MAX bytes, so the
 * cost is bounded).  Complete lines are checked as they come and the
 * partial last line is checked for bytes no line may hold, so that a
 * client speaking another protocol (TLS, SSH) is refused at once rather
 * than after HTTP_HEAD_MAX bytes.  Checks that need the whole head
 * (Host present, framing) run at the empty line.
 *
 * The body tracker is a byte-level state machine (enum http_body_state):
 * Content-Length bodies and chunk data are skipped in bulk, chunk lines and
 * trailers byte by byte.  It never consumes a byte past the body.
 */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "http_req.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

const char *const http_body_kind_str[HTTP_BODY_NUM] = {
	[HTTP_BODY_NONE] = "none",
	[HTTP_BODY_LENGTH] = "length",
	[HTTP_BODY_CHUNKED] = "chunked",
};
static_assert(ARRAY_SIZE(http_body_kind_str) == HTTP_BODY_NUM,
	      "http_body_kind_str must name every enum http_body_kind");

#define HTTP_HOST_MAX	253	/* a DNS name, without the final dot */

/* ------------------------------------------------------------ characters */

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hex_val(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* tchar of RFC 9110 5.6.2 */
static bool is_tchar(uint8_t c)
{
	return is_alpha(c) || is_digit(c) ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* field-vchar, SP or HTAB (RFC 9110 5.5): no CTL but HTAB, no DEL */
static bool is_field_char(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* a byte of a request-target: visible ASCII or obs-text, no SP or CTL */
static bool is_target_char(uint8_t c)
{
	return c > 0x20 && c != 0x7f;
}

static bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Case-insensitive equality of @s (@n bytes) with the lowercase @lit */
static bool eq_lit(const uint8_t *s, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower(s[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

/* Same, but '_' in @s counts as '-': names a CGI gateway would merge */
static bool eq_name_loose(const uint8_t *s, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return false;
	for (i = 0; i < n; i++) {
		uint8_t c = s[i] == '_' ? '-' : lower(s[i]);

		if (c != (uint8_t)lit[i])
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ host */

/**
 * dotted_quad() - is @s exactly a dotted-decimal IPv4 address?
 * @s:	text
 * @n:	its length
 *
 * Four decimal parts of 0 to 255 without leading zeros: the only IPv4
 * spelling every resolver reads the same way (inet_aton() also reads
 * "127.1", "0x7f.1" and octal "010.0.0.1").
 */
static bool dotted_quad(const uint8_t *s, size_t n)
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned int v = 0, digits = 0;

		if (part && (i >= n || s[i++] != '.'))
			return false;
		while (i < n && is_digit(s[i]) && digits < 4) {
			v = v * 10 + (s[i++] - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255 ||
		    (digits > 1 && s[i - digits] == '0'))
			return false;
	}
	return i == n;
}

/**
 * host_name() - check and store a reg-name or IPv4 address
 * @s:		the host text, without port
 * @n:		its length
 * @host:	HTTP_HOST_SIZE bytes for the lowercase name
 *
 * Names are what DNS and the policy can show: labels of 1 to 63 of
 * [A-Za-z0-9_-], 253 bytes at most after one final dot is dropped.  A
 * name whose last label is all digits or 0x-hex must be a dotted quad:
 * "127.1" would be an address to inet_aton() but a name to the policy.
 *
 * Return: 0 or -EBADMSG.
 */
static int host_name(const uint8_t *s, size_t n, char *host)
{
	size_t i, label = 0, last = 0;
	bool digits = true, hex;

	if (n && s[n - 1] == '.')
		n--;
	if (!n || n > HTTP_HOST_MAX)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		uint8_t c = lower(s[i]);

		if (c == '.') {
			if (!label)
				return -EBADMSG;
			label = 0;
			last = i + 1;
		} else if (is_alpha(c) || is_digit(c) || c == '-' ||
			   c == '_') {
			if (++label > 63)
				return -EBADMSG;
		} else {
			return -EBADMSG;
		}
		host[i] = (char)c;
	}
	if (!label)
		return -EBADMSG;
	host[n] = '\0';

	for (i = last; i < n; i++)
		if (!is_digit(s[i]))
			digits = false;
	hex = n - last >= 2 && s[last] == '0' && lower(s[last + 1]) == 'x';
	for (i = last + 2; hex && i < n; i++)
		if (hex_val(s[i]) < 0)
			hex = false;
	if ((digits || hex) && !dotted_quad(s, n))
		return -EBADMSG;
	return 0;
}

/**
 * host_port() - parse uri-host [":" port] (RFC 9110 7.2, RFC 3986 3.2)
 * @s:		the text
 * @n:		its length
 * @host:	HTTP_HOST_SIZE bytes: lowercase name, dotted quad, or the
 *		canonical text of an IPv6 literal without brackets
 * @port:	the port, 0 if none was written
 * @need_port:	the port is mandatory (CONNECT)
 *
 * No userinfo ('@'), no IPvFuture or zone identifier, no port 0.  An
 * empty @s gives an empty @host: the caller decides whether that is
 * allowed.
 *
 * Return: 0 or -EBADMSG.
 */
static int host_port(const uint8_t *s, size_t n, char *host, uint16_t *port,
		     bool need_port)
{
	size_t hn, i;
	int ret;

	*port = 0;
	host[0] = '\0';
	if (!n)
		return need_port ? -EBADMSG : 0;
	if (s[0] == '[') {
		char tmp[48];
		struct in6_addr a6;

		for (hn = 1; hn < n && s[hn] != ']'; hn++)
			if (hex_val(s[hn]) < 0 && s[hn] != ':' && s[hn] != '.')
				return -EBADMSG;
		if (hn >= n || hn - 1 >= sizeof(tmp) || hn == 1)
			return -EBADMSG;
		memcpy(tmp, s + 1, hn - 1);
		tmp[hn - 1] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1 ||
		    !inet_ntop(AF_INET6, &a6, host, HTTP_HOST_SIZE))
			return -EBADMSG;
		hn++;	/* the ']' */
	} else {
		for (hn = 0; hn < n && s[hn] != ':'; hn++)
			;
		ret = host_name(s, hn, host);
		if (ret)
			return ret;
	}
	if (hn == n)
		return need_port ? -EBADMSG : 0;
	if (s[hn] != ':')
		return -EBADMSG;
	if (hn + 1 == n)
		return need_port ? -EBADMSG : 0;	/* "host:" */
	if (n - hn - 1 > 5)
		return -EBADMSG;
	{
		unsigned int v = 0;

		for (i = hn + 1; i < n; i++) {
			if (!is_digit(s[i]))
				return -EBADMSG;
			v = v * 10 + (s[i] - '0');
		}
		if (!v || v > 65535)
			return -EBADMSG;
		*port = (uint16_t)v;
	}
	return 0;
}

/* ------------------------------------------------------------ path */

/* Output of the path normalizer: bounded, sticky overflow */
struct out {
	char *p;
	size_t len;
	size_t size;
	bool overflow;
};

static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || n >= o->size - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* Is @s (@n bytes) "." or ".."? */
static bool is_dots(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') ||
	       (n == 2 && s[0] == '.' && s[1] == '.');
}

/**
 * seg_check() - refuse a segment that servers would not read alike
 * @s:		the decoded segment (an encoded slash is the byte 0)
 * @n:		its length, > 0
 * @bslash:	a '\' (raw or encoded) is next to it
 *
 * Return: 0 if the segment means the same to every server we know of,
 * -EBADMSG otherwise (see http_req.h).
 */
static int seg_check(const char *s, size_t n, bool bslash)
{
	size_t i, start = 0;
	bool only_dots_spaces = true, has_zero = false;

	if (bslash && is_dots(s, n))
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		if (s[i] != '.' && s[i] != ' ')
			only_dots_spaces = false;
		if (!s[i])
			has_zero = true;
	}
	if (only_dots_spaces && !is_dots(s, n))
		return -EBADMSG;
	/* pieces around encoded slashes */
	if (has_zero) {
		for (i = 0; i <= n; i++) {
			if (i < n && s[i])
				continue;
			if (is_dots(s + start, i - start))
				return -EBADMSG;
			start = i + 1;
		}
	}
	/* ";params" after a dot segment */
	for (i = 0; i < n && s[i] != ';'; i++)
		;
	if (i < n && is_dots(s, i))
		return -EBADMSG;
	return 0;
}

/* Append one decoded segment to @o in its output spelling */
static void seg_put(struct out *o, const char *s, size_t n)
{
	size_t i;

	out_put(o, "/", 1);
	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '\0':
			out_put(o, "%2F", 3);
			break;
		case '%':
			out_put(o, "%25", 3);
			break;
		case '?':
			out_put(o, "%3F", 3);
			break;
		case '#':
			out_put(o, "%23", 3);
			break;
		default:
			out_put(o, s + i, 1);
			break;
		}
	}
}

/**
 * path_normalize() - the path the policy matches, see http_req.h
 * @p:		the raw path, starting with '/'
 * @n:		its length (up to '?' or the end of the target)
 * @o:		where it goes
 * @enc_slash:	set if the result holds an encoded slash ("%2F"; a
 *		segment with one may have been removed by a "..")
 *
 * Segments are decoded one at a time into @seg (a segment never grows
 * when decoded, and HTTP_PATH_SIZE bounds the output anyway).
 *
 * Return: 0, -EBADMSG for bad or ambiguous spellings.
 */
static int path_normalize(const uint8_t *p, size_t n, struct out *o,
			  bool *enc_slash)
{
	char seg[HTTP_PATH_SIZE];
	size_t i = 0, sn = 0;
	bool prev_bslash = false, trailing = false;

	*enc_slash = false;
	while (i <= n) {
		bool sep = false, bslash = false;
		int c;

		if (i == n) {
			sep = true;
		} else if (p[i] == '/') {
			sep = true;
		} else if (p[i] == '\\') {
			sep = bslash = true;
		} else if (p[i] == '%') {
			int hi, lo;

			if (n - i < 3)
				return -EBADMSG;
			hi = hex_val(p[i + 1]);
			lo = hex_val(p[i + 2]);
			if (hi < 0 || lo < 0)
				return -EBADMSG;
			c = hi << 4 | lo;
			if (c < 0x20 || c == 0x7f)
				return -EBADMSG;	/* %00 and CTLs */
			i += 2;
			if (c == '\\') {
				sep = bslash = true;
			} else if (c == '/') {
				c = 0;	/* marks "%2F" in @seg */
			}
			if (!sep) {
				if (sn >= sizeof(seg))
					return -E2BIG;
				seg[sn++] = (char)c;
			}
		} else if (!is_target_char(p[i]) || p[i] == '#' ||
			   p[i] == '?') {
			return -EBADMSG;
		} else {
			if (sn >= sizeof(seg))
				return -E2BIG;
			seg[sn++] = (char)p[i];
		}
		i++;
		if (!sep)
			continue;

		/* a segment ended at i - 1 (or it is the empty one before
		 * the leading '/') */
		if (sn && seg_check(seg, sn, prev_bslash || bslash))
			return -EBADMSG;
		if (!sn) {
			trailing = true;	/* "//" or a final '/' */
		} else if (sn == 1 && seg[0] == '.') {
			trailing = true;
		} else if (sn == 2 && seg[0] == '.' && seg[1] == '.') {
			char *slash;

			slash = o->overflow ? NULL : strrchr(o->p, '/');
			if (slash) {
				o->len = (size_t)(slash - o->p);
				o->p[o->len] = '\0';
			}
			trailing = true;
		} else {
			seg_put(o, seg, sn);
			trailing = false;
		}
		sn = 0;
		prev_bslash = bslash;
	}
	if (!o->len || trailing)
		out_put(o, "/", 1);
	if (o->overflow)
		return -E2BIG;
	/* a decoded '%' is "%25": every "%2F" left is an encoded slash */
	for (i = 0; i + 2 < o->len && !*enc_slash; i++)
		*enc_slash = !memcmp(o->p + i, "%2F", 3);
	return 0;
}

/* ------------------------------------------------------------ head */

/**
 * struct hstate - what the header fields said, until the head is complete
 * @host:	value of the Host field (OWS trimmed)
 * @host_len:	its length
 * @has_host:	a Host field was seen
 * @has_cl:	a Content-Length field was seen
 * @cl:		its value
 * @has_te:	a Transfer-Encoding field was seen
 * @te_chunked:	how many "chunked" codings it lists
 * @te_last_chunked: the last coding listed was "chunked"
 * @conn_close:	Connection lists "close"
 * @conn_keep_alive: Connection lists "keep-alive"
 * @conn_upgrade: Connection lists "upgrade"
 * @has_upgrade: an Upgrade field was seen
 */
struct hstate {
	const uint8_t *host;
	size_t host_len;
	bool has_host;
	bool has_cl;
	uint64_t cl;
	bool has_te;
	unsigned int te_chunked;
	bool te_last_chunked;
	bool conn_close;
	bool conn_keep_alive;
	bool conn_upgrade;
	bool has_upgrade;
};

/*
 * Call @fn on each element of a comma-separated list (RFC 9110 5.6.1:
 * empty elements are skipped); returns the number of elements or -errno
 */
static int list_each(const uint8_t *v, size_t n,
		     int (*fn)(struct hstate *, const uint8_t *, size_t),
		     struct hstate *h)
{
	size_t i = 0;
	int count = 0;

	while (i < n) {
		size_t s, e;
		int ret;

		while (i < n && (is_ows(v[i]) || v[i] == ','))
			i++;
		if (i == n)
			break;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows(v[e - 1]))
			e--;
		ret = fn(h, v + s, e - s);
		if (ret)
			return ret;
		count++;
	}
	return count;
}

static int cl_elem(struct hstate *h, const uint8_t *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]) || v > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		v = v * 10 + (s[i] - '0');
	}
	if (v > INT64_MAX)
		return -EBADMSG;
	if (h->has_cl && h->cl != v)
		return -EBADMSG;	/* RFC 9110 8.6: differing values */
	h->has_cl = true;
	h->cl = v;
	return 0;
}

static int te_elem(struct hstate *h, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_tchar(s[i]))
			return -EBADMSG;	/* parameters, spaces */
	h->te_last_chunked = eq_lit(s, n, "chunked");
	if (h->te_last_chunked)
		h->te_chunked++;
	return 0;
}

static int conn_elem(struct hstate *h, const uint8_t *s, size_t n)
{
	if (eq_lit(s, n, "close"))
		h->conn_close = true;
	else if (eq_lit(s, n, "keep-alive"))
		h->conn_keep_alive = true;
	else if (eq_lit(s, n, "upgrade"))
		h->conn_upgrade = true;
	return 0;
}

/**
 * header_line() - one field line: name ":" OWS value OWS
 * @h:	what the fields said so far
 * @l:	the line, without CRLF, not starting with SP or HTAB
 * @n:	its length
 *
 * Return: 0 or -EBADMSG.
 */
static int header_line(struct hstate *h, const uint8_t *l, size_t n)
{
	size_t name_len, vs, ve, i;
	const uint8_t *v;
	int ret;

	for (name_len = 0; name_len < n && l[name_len] != ':'; name_len++)
		if (!is_tchar(l[name_len]))
			return -EBADMSG;	/* also SP before ':' */
	if (!name_len || name_len == n)
		return -EBADMSG;
	for (i = name_len + 1; i < n; i++)
		if (!is_field_char(l[i]))
			return -EBADMSG;
	vs = name_len + 1;
	ve = n;
	while (vs < ve && is_ows(l[vs]))
		vs++;
	while (ve > vs && is_ows(l[ve - 1]))
		ve--;
	v = l + vs;

	if (eq_lit(l, name_len, "host")) {
		if (h->has_host)
			return -EBADMSG;	/* RFC 9112 3.2 */
		h->has_host = true;
		h->host = v;
		h->host_len = ve - vs;
	} else if (eq_lit(l, name_len, "content-length")) {
		/* one or more equal values (RFC 9110 8.6), at least one */
		ret = list_each(v, ve - vs, cl_elem, h);
		return ret > 0 ? 0 : -EBADMSG;
	} else if (eq_lit(l, name_len, "transfer-encoding")) {
		h->has_te = true;
		ret = list_each(v, ve - vs, te_elem, h);
		return ret < 0 ? ret : 0;
	} else if (eq_lit(l, name_len, "connection")) {
		ret = list_each(v, ve - vs, conn_elem, h);
		return ret < 0 ? ret : 0;
	} else if (eq_lit(l, name_len, "upgrade")) {
		h->has_upgrade = true;
	} else if (eq_name_loose(l, name_len, "content-length") ||
		   eq_name_loose(l, name_len, "transfer-encoding")) {
		return -EBADMSG;	/* Content_Length: CGI reads it too */
	}
	return 0;
}

/**
 * request_target() - classify the target and fill host, port and path
 * @r:		the request; method set
 * @t:		the request-target
 * @n:		its length
 * @from_target: set if the target carries the authority (absolute-form,
 *		authority-form)
 *
 * Return: 0, -EBADMSG, or -E2BIG if the normalized path does not fit.
 */
static int request_target(struct http_req *r, const uint8_t *t, size_t n,
			  bool *from_target)
{
	struct out o = { .p = r->path, .size = sizeof(r->path) };
	const uint8_t *path, *query = NULL;
	size_t i, plen, qlen = 0;
	int ret;

	*from_target = false;
	r->path[0] = '\0';
	if (r->connect) {
		/* authority-form only (RFC 9112 3.2.3) */
		*from_target = true;
		return host_port(t, n, r->host, &r->port, true);
	}
	if (n == 1 && t[0] == '*') {
		if (strcmp(r->method, "OPTIONS"))
			return -EBADMSG;
		out_put(&o, "*", 1);
		return 0;
	}
	if (t[0] == '/') {
		path = t;
		plen = n;
	} else if (n >= 7 && eq_lit(t, 7, "http://")) {
		size_t a = 7;

		for (i = a; i < n && t[i] != '/' && t[i] != '?' && t[i] != '#';
		     i++)
			;
		if (i == a)
			return -EBADMSG;	/* no host: RFC 9110 4.2.1 */
		ret = host_port(t + a, i - a, r->host, &r->port, false);
		if (ret)
			return ret;
		*from_target = true;
		path = t + i;
		plen = n - i;
	} else {
		return -EBADMSG;
	}

	for (i = 0; i < plen; i++) {
		if (path[i] == '#')
			return -EBADMSG;
		if (!is_target_char(path[i]))
			return -EBADMSG;
	}
	for (i = 0; i < plen && path[i] != '?'; i++)
		;
	if (i < plen) {
		query = path + i + 1;
		qlen = plen - i - 1;
	}
	plen = i;
	if (!plen) {
		out_put(&o, "/", 1);	/* "http://h" or "http://h?q" */
	} else {
		ret = path_normalize(path, plen, &o, &r->encoded_slash);
		if (ret)
			return ret;
	}
	if (query) {
		out_put(&o, "?", 1);
		out_put(&o, (const char *)query, qlen);
	}
	return o.overflow ? -E2BIG : 0;
}

/* Method chars: RFC 9110 9.1 methods are tokens; we take A-Z and '-' */
static bool is_method_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '-';
}

/**
 * request_line() - method SP request-target SP HTTP-version
 * @r:		results
 * @l:		the line without CRLF
 * @n:		its length
 * @from_target: see request_target()
 *
 * Return: 0, -EBADMSG or -E2BIG.
 */
static int request_line(struct http_req *r, const uint8_t *l, size_t n,
			bool *from_target)
{
	size_t m, ts, te, tn;

	for (m = 0; m < n && l[m] != ' '; m++)
		if (!is_method_char(l[m]) || m >= HTTP_METHOD_SIZE - 1)
			return -EBADMSG;
	if (!m || m == n)
		return -EBADMSG;
	memcpy(r->method, l, m);
	r->method[m] = '\0';
	r->connect = !strcmp(r->method, "CONNECT");

	ts = m + 1;
	for (te = ts; te < n && l[te] != ' '; te++)
		if (!is_target_char(l[te]))
			return -EBADMSG;
	if (te == ts || te == n)
		return -EBADMSG;
	if (n - te - 1 != 8 || memcmp(l + te + 1, "HTTP/1.", 7))
		return -EBADMSG;
	if (l[n - 1] == '1')
		r->version = 11;
	else if (l[n - 1] == '0')
		r->version = 10;
	else
		return -EBADMSG;

	tn = te - ts;
	memcpy(r->target, l + ts,
	       tn < sizeof(r->target) ? tn : sizeof(r->target) - 1);
	r->target[tn < sizeof(r->target) ? tn : sizeof(r->target) - 1] = '\0';
	return request_target(r, l + ts, tn, from_target);
}

/**
 * partial_ok() - may an incomplete line still become a good one?
 * @l:		its bytes so far
 * @n:		how many
 * @first:	it is the request line
 *
 * Only what the complete line would certainly be refused for: bytes no
 * line may hold (a CR is fine as the last byte: its LF may follow), a bad
 * method, obs-fold.
 */
static bool partial_ok(const uint8_t *l, size_t n, bool first)
{
	size_t i;

	if (n && l[n - 1] == '\r')
		n--;
	for (i = 0; i < n; i++)
		if (first ? !is_target_char(l[i]) && l[i] != ' ' :
			    !is_field_char(l[i]))
			return false;
	if (first) {
		for (i = 0; i < n && l[i] != ' '; i++)
			if (!is_method_char(l[i]) || i >= HTTP_METHOD_SIZE - 1)
				return false;
		if (i == 0 && n)
			return false;
	} else if (n && is_ows(l[0])) {
		return false;
	}
	return true;
}

/**
 * head_done() - checks and results that need the whole head
 * @r:		results so far
 * @h:		what the fields said
 * @from_target: the target carried the authority
 *
 * Return: 1 or -EBADMSG.
 */
static int head_done(struct http_req *r, const struct hstate *h,
		     bool from_target)
{
	r->has_host = h->has_host;
	if (r->version == 11 && !h->has_host)
		return -EBADMSG;	/* RFC 9112 3.2 */
	if (h->has_host) {
		char host[HTTP_HOST_SIZE];
		uint16_t port;

		/* checked even when the target's authority wins */
		if (host_port(h->host, h->host_len, host, &port, false))
			return -EBADMSG;
		if (!from_target) {
			memcpy(r->host, host, strlen(host) + 1);
			r->port = port;
		}
	}

	if (h->has_te) {
		/* RFC 9112 6.1: 1.0 with Transfer-Encoding is faulty framing;
		 * chunked must be last, once; not with Content-Length */
		if (r->version == 10 || h->has_cl || h->te_chunked != 1 ||
		    !h->te_last_chunked)
			return -EBADMSG;
		r->body = HTTP_BODY_CHUNKED;
	} else if (h->has_cl) {
		r->body = HTTP_BODY_LENGTH;
		r->content_length = h->cl;
	} else {
		r->body = HTTP_BODY_NONE;
	}
	/* RFC 9110 9.3.6: a CONNECT request has no content */
	if (r->connect && (r->body == HTTP_BODY_CHUNKED || r->content_length))
		return -EBADMSG;

	if (r->version == 11)
		r->keep_alive = !h->conn_close;
	else
		r->keep_alive = h->conn_keep_alive && !h->conn_close;
	/* RFC 9110 7.8: Upgrade in an HTTP/1.0 request is ignored */
	r->upgrade = r->version == 11 && h->has_upgrade && h->conn_upgrade;
	return 1;
}

/**
 * http_req_parse() - parse a request head at the start of @buf
 * @buf:	the client's bytes from the start of the request
 * @len:	how many; bytes after the head are not looked at
 * @r:		results, cleared first; valid when 1 is returned
 *
 * Empty lines before the request line are skipped (RFC 9112 2.2) and
 * counted in &http_req.head_len.
 *
 * Return: 1 when a complete head was parsed into @r; 0 if more bytes are
 * needed (@len < HTTP_HEAD_MAX, no end of head yet, nothing wrong so far);
 * -EBADMSG if the bytes are not an HTTP/1.0 or 1.1 request or are
 * malformed or ambiguous (see http_req.h); -E2BIG if the head does not end
 * within HTTP_HEAD_MAX bytes or the normalized path does not fit in
 * HTTP_PATH_SIZE.
 */
int http_req_parse(const uint8_t *buf, size_t len, struct http_req *r)
{
	size_t limit = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	struct hstate h = { 0 };
	bool first = true, from_target = false;
	size_t pos = 0;
	int ret;

	memset(r, 0, sizeof(*r));

	while (pos + 1 < limit && buf[pos] == '\r' && buf[pos + 1] == '\n')
		pos += 2;
	for (;;) {
		const uint8_t *lf = memchr(buf + pos, '\n', limit - pos);
		size_t n;

		if (!lf) {
			if (!partial_ok(buf + pos, limit - pos, first))
				return -EBADMSG;
			return len >= HTTP_HEAD_MAX ? -E2BIG : 0;
		}
		n = (size_t)(lf - (buf + pos));
		if (!n || buf[pos + n - 1] != '\r')
			return -EBADMSG;	/* bare LF */
		n--;
		if (memchr(buf + pos, '\r', n))
			return -EBADMSG;	/* bare CR */
		if (first) {
			ret = request_line(r, buf + pos, n, &from_target);
			if (ret)
				return ret;
			first = false;
		} else if (!n) {
			r->head_len = (size_t)(lf - buf) + 1;
			return head_done(r, &h, from_target);
		} else {
			if (is_ows(buf[pos]))
				return -EBADMSG;	/* obs-fold */
			ret = header_line(&h, buf + pos, n);
			if (ret)
				return ret;
		}
		pos = (size_t)(lf - buf) + 1;
	}
}

/* ------------------------------------------------------------ body */

/**
 * http_body_init() - start following the body of a parsed request
 * @b:	the state
 * @r:	the request, as http_req_parse() returned it
 */
void http_body_init(struct http_body *b, const struct http_req *r)
{
	memset(b, 0, sizeof(*b));
	switch (r->body) {
	case HTTP_BODY_LENGTH:
		b->left = r->content_length;
		b->state = b->left ? HTTP_BODY_S_LENGTH : HTTP_BODY_S_DONE;
		break;
	case HTTP_BODY_CHUNKED:
		b->state = HTTP_BODY_S_SIZE;
		break;
	case HTTP_BODY_NONE:
	case HTTP_BODY_NUM:
	default:
		b->state = HTTP_BODY_S_DONE;
		break;
	}
}

/* One byte of the chunked framing; returns the next state */
static enum http_body_state body_byte(struct http_body *b, uint8_t c)
{
	int v;

	switch (b->state) {
	case HTTP_BODY_S_SIZE:
		if (++b->line >= HTTP_CHUNK_LINE_MAX)
			return HTTP_BODY_S_ERROR;
		v = hex_val(c);
		if (v >= 0) {
			if (b->left > (UINT64_MAX >> 4))
				return HTTP_BODY_S_ERROR;
			b->left = b->left << 4 | (uint64_t)v;
			return HTTP_BODY_S_SIZE;
		}
		if (b->line == 1)
			return HTTP_BODY_S_ERROR;	/* no digits */
		if (c == '\r')
			return HTTP_BODY_S_SIZE_LF;
		if (c == ';')
			return HTTP_BODY_S_EXT;
		if (is_ows(c))
			return HTTP_BODY_S_SIZE_WS;
		return HTTP_BODY_S_ERROR;
	case HTTP_BODY_S_SIZE_WS:
		/* BWS ";" (RFC 9112 7.1.1): only before an extension */
		if (++b->line >= HTTP_CHUNK_LINE_MAX)
			return HTTP_BODY_S_ERROR;
		if (is_ows(c))
			return HTTP_BODY_S_SIZE_WS;
		return c == ';' ? HTTP_BODY_S_EXT : HTTP_BODY_S_ERROR;
	case HTTP_BODY_S_EXT:
		if (++b->line >= HTTP_CHUNK_LINE_MAX)
			return HTTP_BODY_S_ERROR;
		if (c == '\r')
			return HTTP_BODY_S_SIZE_LF;
		return is_field_char(c) ? HTTP_BODY_S_EXT : HTTP_BODY_S_ERROR;
	case HTTP_BODY_S_SIZE_LF:
		if (c != '\n')
			return HTTP_BODY_S_ERROR;
		b->line = 0;
		return b->left ? HTTP_BODY_S_DATA : HTTP_BODY_S_TRAILER;
	case HTTP_BODY_S_DATA_CR:
		return c == '\r' ? HTTP_BODY_S_DATA_LF : HTTP_BODY_S_ERROR;
	case HTTP_BODY_S_DATA_LF:
		return c == '\n' ? HTTP_BODY_S_SIZE : HTTP_BODY_S_ERROR;
	case HTTP_BODY_S_TRAILER:
		if (++b->trailer > HTTP_TRAILER_MAX)
			return HTTP_BODY_S_ERROR;
		if (c == '\r')
			return HTTP_BODY_S_FINAL_LF;
		b->line = 1;
		return is_tchar(c) ? HTTP_BODY_S_TRAILER_NAME :
				     HTTP_BODY_S_ERROR;
	case HTTP_BODY_S_TRAILER_NAME:
		if (++b->trailer > HTTP_TRAILER_MAX)
			return HTTP_BODY_S_ERROR;
		if (c == ':')
			return HTTP_BODY_S_TRAILER_VALUE;
		return is_tchar(c) ? HTTP_BODY_S_TRAILER_NAME :
				     HTTP_BODY_S_ERROR;
	case HTTP_BODY_S_TRAILER_VALUE:
		if (++b->trailer > HTTP_TRAILER_MAX)
			return HTTP_BODY_S_ERROR;
		if (c == '\r')
			return HTTP_BODY_S_TRAILER_LF;
		return is_field_char(c) ? HTTP_BODY_S_TRAILER_VALUE :
					  HTTP_BODY_S_ERROR;
	case HTTP_BODY_S_TRAILER_LF:
		if (++b->trailer > HTTP_TRAILER_MAX || c != '\n')
			return HTTP_BODY_S_ERROR;
		return HTTP_BODY_S_TRAILER;
	case HTTP_BODY_S_FINAL_LF:
		return c == '\n' ? HTTP_BODY_S_DONE : HTTP_BODY_S_ERROR;
	case HTTP_BODY_S_DONE:
	case HTTP_BODY_S_ERROR:
	case HTTP_BODY_S_LENGTH:
	case HTTP_BODY_S_DATA:
	case HTTP_BODY_S_NUM:
	default:
		break;
	}
	return HTTP_BODY_S_ERROR;
}

/**
 * http_body_consume() - take the next client bytes that follow the head
 * @b:		state from http_body_init()
 * @buf:	the bytes
 * @len:	how many
 * @done:	set to whether the body has ended (then the bytes after the
 *		returned count belong to the next request)
 *
 * A chunked body ends after the last-chunk, its trailer section and the
 * final CRLF (RFC 9112 7.1).  Chunk lines take hex sizes up to 2^64 - 1,
 * optional BWS before ';' extensions, and HTTP_CHUNK_LINE_MAX bytes in
 * all; line ends are CRLF only.  Errors are sticky.
 *
 * Return: bytes of @buf that belong to the body (0 to @len), or -EBADMSG
 * for bad chunked framing.
 */
ssize_t http_body_consume(struct http_body *b, const uint8_t *buf, size_t len,
			  bool *done)
{
	size_t i = 0;

	while (i < len && b->state != HTTP_BODY_S_DONE &&
	       b->state != HTTP_BODY_S_ERROR) {
		if (b->state == HTTP_BODY_S_LENGTH ||
		    b->state == HTTP_BODY_S_DATA) {
			uint64_t n = len - i;

			if (n > b->left)
				n = b->left;
			b->left -= n;
			i += (size_t)n;
			if (!b->left)
				b->state = b->state == HTTP_BODY_S_LENGTH ?
						   HTTP_BODY_S_DONE :
						   HTTP_BODY_S_DATA_CR;
			continue;
		}
		b->state = body_byte(b, buf[i++]);
	}
	*done = b->state == HTTP_BODY_S_DONE;
	if (b->state == HTTP_BODY_S_ERROR)
		return -EBADMSG;
	b->total += i;
	return (ssize_t)i;
}

/* ------------------------------------------------------------ response */

/**
 * http_resp_head() - the status of a response head at the start of @buf
 * @buf:	the server's bytes from the start of a response
 * @len:	how many; bytes after the head are not looked at
 * @status:	set to the status code, 100 to 599, when 1 is returned
 * @head_len:	set to the bytes of the head (status line, field lines,
 *		empty line) when 1 is returned
 *
 * Interim responses (1xx other than 101: 100 Continue, 103 Early Hints)
 * come before the final one: the caller skips @head_len bytes and asks
 * again.  Only the status line is read closely ("HTTP/1.0" or "HTTP/1.1",
 * SP, three digits, then SP and a reason or the end of the line); field
 * lines are only checked for bytes no line may hold.  Lines may end in LF
 * alone (RFC 9112 2.2).
 *
 * Return: 1 with @status and @head_len set; 0 if more bytes are needed;
 * -EBADMSG if this is not an HTTP/1.x response head (also NUL, a bare CR
 * or another control character in it); -E2BIG if the head does not end
 * within HTTP_HEAD_MAX bytes.
 */
int http_resp_head(const uint8_t *buf, size_t len, int *status,
		   size_t *head_len)
{
	static const char ver[] = "HTTP/1.";
	size_t limit = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	size_t pos = 0, i;
	int code = 0;

	for (i = 0; i < limit && i < sizeof(ver) - 1; i++)
		if (buf[i] != (uint8_t)ver[i])
			return -EBADMSG;
	for (;;) {
		const uint8_t *lf = memchr(buf + pos, '\n', limit - pos);
		const uint8_t *l = buf + pos;
		size_t n = lf ? (size_t)(lf - l) : limit - pos;

		/* a CR only right before the LF (or, so far, at the end) */
		if (n && l[n - 1] == '\r')
			n--;
		for (i = 0; i < n; i++)
			if (!is_field_char(l[i]))
				return -EBADMSG;
		if (!lf)
			return len >= HTTP_HEAD_MAX ? -E2BIG : 0;
		if (!pos) {
			if (n < 12 || (l[7] != '0' && l[7] != '1') ||
			    l[8] != ' ' || l[9] < '1' || l[9] > '5' ||
			    !is_digit(l[10]) || !is_digit(l[11]) ||
			    (n > 12 && l[12] != ' '))
				return -EBADMSG;
			code = (l[9] - '0') * 100 + (l[10] - '0') * 10 +
			       (l[11] - '0');
		} else if (!n) {
			*status = code;
			*head_len = (size_t)(lf - buf) + 1;
			return 1;
		}
		pos = (size_t)(lf - buf) + 1;
	}
}
