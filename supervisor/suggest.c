// SPDX-License-Identifier: GPL-2.0-or-later
/* suggest.c - a minimal policy from a decision log
 *
 * `egress-supervise suggest LOG` reads the JSON lines the supervisor wrote
 * (log.c, verdict.c, dns_stub.c) and prints a policy that allows what the
 * log shows denied or audited (with --all: everything it shows), and no
 * more:
 *
 * - a connect or send with names becomes a rule for one of them: the name
 *   the program asked the stub for when the log has that query, else the
 *   first name the address was known by; its transport (tcp, udp, icmp)
 *   and port are kept as they were, never widened to a protocol;
 * - an address without names becomes a /32 or /128 rule, with a comment;
 * - a TLS or QUIC server name, or an HTTP Host, that the relay or the QUIC
 *   gate refused because no rule allows it becomes a rule of that protocol
 *   (https for TLS on 443, else tls; quic; http) for that name and port;
 * - within one transport and port, at least min_wildcard (default 3)
 *   distinct names strictly below one registrable domain become
 *   "*.domain" (which never covers the apex).  The registrable domain is
 *   the name's public suffix plus one label.  Public suffixes are every
 *   single label, the two-label names under a two-letter country code
 *   whose first label is a generic one (co.uk, com.au, ...), and a small
 *   built-in list of shared hosting suffixes (github.io, s3.amazonaws.com,
 *   ...), where every subdomain belongs to someone else: no wildcard is
 *   ever suggested at or above a public suffix;
 * - what a policy cannot or should not allow is listed in comments, not
 *   rules: deny-rule matches, special addresses, DNS over TLS, unix
 *   sockets, socket types, names resolved but never connected to, and the
 *   relay's other refusals (a missing or mismatched name, a path, a
 *   method, a banner).
 *
 * Lines that are not JSON objects (human lines mixed in by 2>&1) are
 * skipped and counted.
 */

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"
#include "util.h"

#define SG_STR		256
#define SG_NAMES	16
#define SG_LINE_MAX	(64 * 1024)

/* What a rule's proto will be: the transports for connects and sends, the
 * inspected protocols for what the relay and the QUIC gate decided */
enum sg_transport {
	SG_TCP, SG_UDP, SG_ICMP, SG_HTTPS, SG_TLS, SG_HTTP, SG_QUIC,
	SG_TRANSPORT_NUM
};
static const char *const sg_transport_str[] = {
	"tcp", "udp", "icmp", "https", "tls", "http", "quic",
};
static_assert(ARRAY_SIZE(sg_transport_str) == SG_TRANSPORT_NUM,
	      "sg_transport_str out of sync");

/* One decision line, the fields we use */
struct sg_rec {
	char event[16], verdict[16], proto[16], reason[48], rule[SG_STR];
	char dst[SG_STR], qname[SG_STR], path[SG_STR], sni[SG_STR];
	char host[SG_STR];
	char names[SG_NAMES][SG_STR];
	size_t n_names;
	long long port, family, type, protocol;
};

/* A destination to allow: dst (a name or a CIDR), transport, port */
struct sg_entry {
	char *dst;
	bool cidr;
	enum sg_transport tr;
	unsigned int port;
	char *note;	/* comment above the rule, or NULL */
};

struct sg_vec {
	void *v;
	size_t n, cap, size;
};

static void *vec_push(struct sg_vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		void *p = realloc(v->v, cap * v->size);

		if (!p)
			return NULL;
		v->v = p;
		v->cap = cap;
	}
	return memset((char *)v->v + v->size * v->n++, 0, v->size);
}

/* Strings in insertion order, with a hash index for lookups */
struct sg_set {
	struct sg_vec items;	/* char * */
	size_t *idx;		/* 0: empty, else item index + 1 */
	size_t cap;		/* power of two */
};

struct sg_state {
	struct sg_vec conns;	/* struct sg_conn */
	struct sg_set seen;	/* keys of the conns, to keep them unique */
	struct sg_set qnames;	/* every name queried */
	struct sg_set denied_q;	/* names denied/audited at the stub */
	struct sg_set notes;	/* "not suggested" lines */
	size_t lines, decisions, selected, unreadable;
};

/* A connect or send to allow, before a name is chosen */
struct sg_conn {
	char *dst;
	char **names;
	size_t n_names;
	enum sg_transport tr;
	unsigned int port;
};

static char *sg_strdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

/* ------------------------------------------------------------------ */
/* JSON: one flat object per line                                      */

struct jp {
	const char *s;
	size_t i, n;
};

static void jp_ws(struct jp *p)
{
	while (p->i < p->n && strchr(" \t\r\n", p->s[p->i]))
		p->i++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A string into @out (NULL: skip it); -1 when malformed or too long */
static int jp_string(struct jp *p, char *out, size_t size)
{
	size_t o = 0;

	if (p->i >= p->n || p->s[p->i] != '"')
		return -1;
	p->i++;
	while (p->i < p->n && p->s[p->i] != '"') {
		char c = p->s[p->i++];

		if (c == '\\') {
			if (p->i >= p->n)
				return -1;
			c = p->s[p->i++];
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '"': case '\\': case '/': break;
			case 'u': {
				int k, v = 0;

				if (p->i + 4 > p->n)
					return -1;
				for (k = 0; k < 4; k++) {
					int h = hexval(p->s[p->i++]);

					if (h < 0)
						return -1;
					v = v * 16 + h;
				}
				c = v > 0 && v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				return -1;
			}
		} else if ((unsigned char)c < 0x20) {
			return -1;
		}
		if (out) {
			if (o + 1 >= size)
				return -1;
			out[o++] = c;
		}
	}
	if (p->i >= p->n)
		return -1;
	p->i++;
	if (out)
		out[o] = '\0';
	return 0;
}

/* Skip any value, nested ones included */
static int jp_skip(struct jp *p, int depth)
{
	jp_ws(p);
	if (p->i >= p->n || depth > 32)
		return -1;
	if (p->s[p->i] == '"')
		return jp_string(p, NULL, 0);
	if (p->s[p->i] == '{' || p->s[p->i] == '[') {
		char close = p->s[p->i] == '{' ? '}' : ']';

		p->i++;
		jp_ws(p);
		if (p->i < p->n && p->s[p->i] == close) {
			p->i++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				jp_ws(p);
				if (jp_string(p, NULL, 0))
					return -1;
				jp_ws(p);
				if (p->i >= p->n || p->s[p->i++] != ':')
					return -1;
			}
			if (jp_skip(p, depth + 1))
				return -1;
			jp_ws(p);
			if (p->i >= p->n)
				return -1;
			if (p->s[p->i] == close) {
				p->i++;
				return 0;
			}
			if (p->s[p->i++] != ',')
				return -1;
		}
	}
	while (p->i < p->n && !strchr(",}] \t\r\n", p->s[p->i]))
		p->i++;
	return 0;
}

static int jp_number(struct jp *p, long long *v)
{
	char *end;

	jp_ws(p);
	*v = strtoll(p->s + p->i, &end, 10);
	if (end == p->s + p->i)
		return -1;
	p->i = (size_t)(end - p->s);
	return 0;
}

static int jp_strv(struct jp *p, struct sg_rec *r)
{
	jp_ws(p);
	if (p->i >= p->n || p->s[p->i] != '[')
		return -1;
	p->i++;
	jp_ws(p);
	if (p->i < p->n && p->s[p->i] == ']') {
		p->i++;
		return 0;
	}
	for (;;) {
		jp_ws(p);
		if (r->n_names < SG_NAMES) {
			if (jp_string(p, r->names[r->n_names], SG_STR))
				return -1;
			r->n_names++;
		} else if (jp_string(p, NULL, 0)) {
			return -1;
		}
		jp_ws(p);
		if (p->i >= p->n)
			return -1;
		if (p->s[p->i] == ']') {
			p->i++;
			return 0;
		}
		if (p->s[p->i++] != ',')
			return -1;
	}
}

/* Parse one line; -1 when it is not a JSON object we can read */
static int sg_parse(const char *line, size_t len, struct sg_rec *r)
{
	static const struct {
		const char *key;
		size_t off, size;
	} strs[] = {
#define S(k) { #k, offsetof(struct sg_rec, k), sizeof(((struct sg_rec *)0)->k) }
		S(event), S(verdict), S(proto), S(reason), S(rule), S(dst),
		S(qname), S(path), S(sni), S(host),
#undef S
	};
	struct jp p = { line, 0, len };
	char key[32];
	size_t k;

	memset(r, 0, sizeof(*r));
	r->port = -1;
	jp_ws(&p);
	if (p.i >= p.n || line[p.i++] != '{')
		return -1;
	jp_ws(&p);
	if (p.i < p.n && line[p.i] == '}')
		return 0;
	for (;;) {
		jp_ws(&p);
		if (jp_string(&p, key, sizeof(key)) && jp_string(&p, NULL, 0))
			return -1;
		jp_ws(&p);
		if (p.i >= p.n || line[p.i++] != ':')
			return -1;
		jp_ws(&p);
		for (k = 0; k < ARRAY_SIZE(strs); k++)
			if (!strcmp(key, strs[k].key))
				break;
		if (k < ARRAY_SIZE(strs) && p.i < p.n && line[p.i] == '"') {
			if (jp_string(&p, (char *)r + strs[k].off,
				      strs[k].size))
				return -1;
		} else if (!strcmp(key, "names")) {
			if (jp_strv(&p, r))
				return -1;
		} else if (!strcmp(key, "port")) {
			if (jp_number(&p, &r->port))
				return -1;
		} else if (!strcmp(key, "family")) {
			if (jp_number(&p, &r->family))
				return -1;
		} else if (!strcmp(key, "type")) {
			if (jp_number(&p, &r->type))
				return -1;
		} else if (!strcmp(key, "protocol")) {
			if (jp_number(&p, &r->protocol))
				return -1;
		} else if (jp_skip(&p, 0)) {
			return -1;
		}
		jp_ws(&p);
		if (p.i >= p.n)
			return -1;
		if (line[p.i] == '}')
			return 0;
		if (line[p.i++] != ',')
			return -1;
	}
}

/* ------------------------------------------------------------------ */
/* names                                                                */

/* Lower-case a DNS name in place; false when it is not one we print */
static bool sg_name_ok(char *s)
{
	size_t n = strlen(s), i, label = 0;
	const char *last;

	if (n && s[n - 1] == '.')
		s[--n] = '\0';
	if (!n || n > 253 || s[0] == '.' || strstr(s, ".."))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)s[i]);

		if (!(isalnum(c) || c == '-' || c == '_' || c == '.'))
			return false;
		label = c == '.' ? 0 : label + 1;
		if (label > 63)
			return false;
		/* as the policy wants labels: no '-' at either end */
		if (c == '-' && (label == 1 || i + 1 == n || s[i + 1] == '.'))
			return false;
		s[i] = (char)c;
	}
	/* a numeric last label reads as an address (no TLD is numeric) */
	last = strrchr(s, '.');
	last = last ? last + 1 : s;
	return strspn(last, "0123456789") != strlen(last);
}

/* Shared hosting suffixes: a subdomain of each belongs to a customer */
static const char *const sg_suffixes[] = {
	"github.io", "githubusercontent.com", "gitlab.io", "pages.dev",
	"workers.dev", "netlify.app", "vercel.app", "herokuapp.com",
	"appspot.com", "web.app", "firebaseapp.com", "blogspot.com",
	"azurewebsites.net", "cloudapp.net", "cloudfront.net",
	"amazonaws.com", "s3.amazonaws.com", "elasticbeanstalk.com",
	"fly.dev", "onrender.com", "ngrok.io", "ngrok-free.app",
	"readthedocs.io", "duckdns.org", "dyndns.org", "no-ip.org",
	"r2.dev", "trycloudflare.com", "glitch.me", "repl.co",
};

/* First labels of the generic second-level domains of country codes */
static const char *const sg_cc_second[] = {
	"ac", "co", "com", "edu", "gob", "go", "gov", "ltd", "mil", "ne",
	"net", "nic", "or", "org", "plc", "sch",
};

/**
 * suggest_is_public_suffix() - may nobody own everything below @name?
 * @name:	a lower-case DNS name without a trailing dot
 *
 * A tiny stand-in for the Public Suffix List (see the file's header): one
 * label; a generic second level under a two-letter country code; or a
 * listed hosting suffix.
 */
bool suggest_is_public_suffix(const char *name)
{
	const char *dot = strchr(name, '.');
	size_t i;

	if (!dot)
		return true;
	for (i = 0; i < ARRAY_SIZE(sg_suffixes); i++)
		if (!strcmp(name, sg_suffixes[i]))
			return true;
	if (!strchr(dot + 1, '.') && strlen(dot + 1) == 2) {
		for (i = 0; i < ARRAY_SIZE(sg_cc_second); i++)
			if ((size_t)(dot - name) == strlen(sg_cc_second[i]) &&
			    !strncmp(name, sg_cc_second[i],
				     (size_t)(dot - name)))
				return true;
	}
	return false;
}

/**
 * suggest_registrable() - the registrable domain @name lies in
 * @name:	a lower-case DNS name without a trailing dot
 *
 * Return: a pointer into @name (its longest public suffix and one more
 * label), or NULL when @name is itself a public suffix
 */
const char *suggest_registrable(const char *name)
{
	const char *best = NULL, *prev = NULL, *s = name;

	/* walk the suffixes from the longest; remember the label before */
	for (;;) {
		if (suggest_is_public_suffix(s)) {
			best = prev;
			break;
		}
		prev = s;
		s = strchr(s, '.');
		if (!s)
			return NULL;
		s++;
	}
	return best;
}

/* ------------------------------------------------------------------ */
/* collecting                                                           */

static uint32_t sg_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static size_t *set_slot(const struct sg_set *set, const char *s)
{
	char *const *a = set->items.v;
	size_t i, h = sg_hash(s);

	for (i = 0; i < set->cap; i++) {
		size_t *slot = &set->idx[(h + i) & (set->cap - 1)];

		if (!*slot || !strcmp(a[*slot - 1], s))
			return slot;
	}
	return NULL;
}

static bool set_has(const struct sg_set *set, const char *s)
{
	size_t *slot;

	if (!set->cap)
		return false;
	slot = set_slot(set, s);
	return slot && *slot;
}

/* Add @s; return true when it was not there yet */
static bool set_add(struct sg_set *set, const char *s)
{
	size_t *slot, i;
	char **item;

	if ((set->items.n + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		char *const *a = set->items.v;

		free(set->idx);
		set->idx = calloc(cap, sizeof(*set->idx));
		if (!set->idx)
			die("out of memory");
		set->cap = cap;
		for (i = 0; i < set->items.n; i++)
			*set_slot(set, a[i]) = i + 1;
	}
	slot = set_slot(set, s);
	if (*slot)
		return false;
	item = vec_push(&set->items);
	if (!item)
		die("out of memory");
	*item = sg_strdup(s);
	*slot = set->items.n;
	return true;
}

static void set_free(struct sg_set *set)
{
	char **a = set->items.v;
	size_t i;

	for (i = 0; i < set->items.n; i++)
		free(a[i]);
	free(a);
	free(set->idx);
}

/* Printable ASCII only: a YAML comment must be UTF-8 and one line, and
 * the log's strings (paths, reasons, command names) may be anything */
static char *sg_printable(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return s;
}

static void __attribute__((format(printf, 2, 3)))
sg_note(struct sg_state *st, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	set_add(&st->notes, sg_printable(buf));
}

static void sg_where(const struct sg_rec *r, char *buf, size_t size)
{
	bool v6 = strchr(r->dst, ':');

	if (r->port >= 0)
		snprintf(buf, size, "%s%s%s:%lld/%s", v6 ? "[" : "", r->dst,
			 v6 ? "]" : "", r->port, r->proto);
	else
		snprintf(buf, size, "%s/%s", r->dst, r->proto);
	if (r->n_names)
		snprintf(buf + strlen(buf), size - strlen(buf), " (%s)",
			 r->names[0]);
}

/* One destination to allow, however often it was reached */
static void sg_conn_add(struct sg_state *st, struct sg_rec *r,
			enum sg_transport tr)
{
	char key[SG_STR * (SG_NAMES + 1) + 32];
	struct sg_conn *c;
	size_t i;

	snprintf(key, sizeof(key), "%d %lld %s", (int)tr,
		 tr == SG_ICMP ? 0 : r->port, r->dst);
	for (i = 0; i < r->n_names; i++)
		snprintf(key + strlen(key), sizeof(key) - strlen(key), " %s",
			 r->names[i]);
	if (!set_add(&st->seen, key))
		return;
	c = vec_push(&st->conns);
	if (!c)
		die("out of memory");
	c->dst = sg_strdup(r->dst);
	c->tr = tr;
	c->port = tr == SG_ICMP ? 0 : (unsigned int)r->port;
	c->names = calloc(r->n_names ? r->n_names : 1, sizeof(char *));
	if (!c->names)
		die("out of memory");
	for (i = 0; i < r->n_names; i++)
		if (sg_name_ok(r->names[i]))
			c->names[c->n_names++] = sg_strdup(r->names[i]);
}

/**
 * sg_inspected() - a flow the relay or the QUIC gate decided
 * @st:		state
 * @r:		a "tls", "http", "quic", "ssh" or "ftp" event
 *
 * A name the policy did not allow (the TLS or QUIC server name, the HTTP
 * Host) becomes a rule of that protocol for that name and port; every
 * other refusal (no name, a name that is not the address's, a path, a
 * method, a banner) is a note: the connect was allowed, the content was
 * not, and no destination rule changes that.
 */
static void sg_inspected(struct sg_state *st, struct sg_rec *r)
{
	bool flagged = !strcmp(r->verdict, "deny") ||
		       !strcmp(r->verdict, "audit");
	const char *name = r->sni[0] ? r->sni : r->host;
	char where[SG_STR * 2 + 64];
	enum sg_transport tr;

	if (!flagged)
		return;
	st->decisions++;
	st->selected++;
	snprintf(r->proto, sizeof(r->proto), "%s", r->event);
	r->n_names = 0;
	sg_where(r, where, sizeof(where));
	if (name[0]) {
		snprintf(r->names[0], sizeof(r->names[0]), "%s", name);
		r->n_names = 1;
	}
	if (!strcmp(r->event, "tls") && !strcmp(r->reason, "sni_denied"))
		tr = r->port == 443 ? SG_HTTPS : SG_TLS;
	else if (!strcmp(r->event, "quic") &&
		 !strcmp(r->reason, "quic_sni_denied"))
		tr = SG_QUIC;
	else if (!strcmp(r->event, "http") &&
		 !strcmp(r->reason, "host_denied"))
		tr = SG_HTTP;
	else
		tr = SG_TRANSPORT_NUM;
	if (tr == SG_TRANSPORT_NUM || !r->n_names ||
	    !sg_name_ok(r->names[0]) || r->port < 1 || r->port > 65535) {
		sg_note(st, "%s %s%s%s was refused by the %s check (%s)",
			r->event, where, name[0] ? " name " : "", name,
			r->event, r->reason);
		return;
	}
	sg_conn_add(st, r, tr);
}

static void sg_record(struct sg_state *st, struct sg_rec *r,
		      const struct suggest_opts *o)
{
	bool flagged = !strcmp(r->verdict, "deny") ||
		       !strcmp(r->verdict, "audit");
	char where[SG_STR * 2 + 64];
	enum sg_transport tr;
	uint8_t a[16];

	if (!strcmp(r->event, "dns")) {
		if (!sg_name_ok(r->qname))
			return;
		set_add(&st->qnames, r->qname);
		if (flagged && strcmp(r->reason, "invalid name") &&
		    strcmp(r->reason, "opcode or class"))
			set_add(&st->denied_q, r->qname);
		return;
	}
	if (!strcmp(r->event, "socket")) {
		st->decisions++;
		if (flagged)
			sg_note(st, "socket(%lld, %lld, %lld) was denied (%s): "
				    "no policy rule allows it",
				r->family, r->type, r->protocol, r->reason);
		return;
	}
	if (!strcmp(r->event, "tls") || !strcmp(r->event, "http") ||
	    !strcmp(r->event, "quic") || !strcmp(r->event, "ssh") ||
	    !strcmp(r->event, "ftp")) {
		sg_inspected(st, r);
		return;
	}
	if (strcmp(r->event, "connect") && strcmp(r->event, "send"))
		return;
	st->decisions++;
	if (!flagged && !(o->all && !strcmp(r->verdict, "allow")))
		return;
	if (!flagged && (!strcmp(r->reason, "loopback") ||
			 !strcmp(r->reason, "dns_redirect") ||
			 !strcmp(r->proto, "unix")))
		return;	/* always allowed, needs no rule */
	st->selected++;

	if (!strcmp(r->proto, "unix")) {
		sg_note(st, "unix socket %s was denied (%s): add it under "
			    "unix: { allow: [...] } only if CMD must reach it%s",
			r->dst, r->reason,
			!strcmp(r->reason, "engine_socket") ?
				" (a container engine socket gives CMD the "
				"host)" : "");
		return;
	}
	if (!strcmp(r->proto, "tcp"))
		tr = SG_TCP;
	else if (!strcmp(r->proto, "udp"))
		tr = SG_UDP;
	else if (!strcmp(r->proto, "icmp"))
		tr = SG_ICMP;
	else
		return;
	sg_where(r, where, sizeof(where));
	if (!strcmp(r->reason, "deny_rule")) {
		sg_note(st, "%s matched a deny rule (%s): left denied", where,
			r->rule);
		return;
	}
	if (!strcmp(r->reason, "special_address")) {
		sg_note(st, "%s is a special address (link-local, metadata, "
			    "broadcast, multicast, translation prefix or the "
			    "gateway): only a rule for exactly it allows it",
			where);
		return;
	}
	if (!strcmp(r->reason, "dns_over_tls") ||
	    !strcmp(r->reason, "dns_stub_down")) {
		sg_note(st, "%s: DNS that bypasses the stub (%s) is never "
			    "allowed", where, r->reason);
		return;
	}
	if (inet_pton(AF_INET, r->dst, a) != 1 &&
	    inet_pton(AF_INET6, r->dst, a) != 1)
		return;
	if (tr != SG_ICMP && (r->port < 1 || r->port > 65535))
		return;	/* port 0 is no port a rule can name */

	sg_conn_add(st, r, tr);
}

/* ------------------------------------------------------------------ */
/* choosing and printing                                                */

/* Names compared label by label from the right: a domain's names group */
static int name_cmp(const char *a, const char *b)
{
	const char *ea = a + strlen(a), *eb = b + strlen(b);

	for (;;) {
		const char *la = ea, *lb = eb;
		size_t na, nb;
		int d;

		while (la > a && la[-1] != '.')
			la--;
		while (lb > b && lb[-1] != '.')
			lb--;
		na = (size_t)(ea - la);
		nb = (size_t)(eb - lb);
		d = strncmp(la, lb, MIN(na, nb));
		if (d)
			return d;
		if (na != nb)
			return na < nb ? -1 : 1;
		if (la == a || lb == b)
			return (la == a ? 0 : 1) - (lb == b ? 0 : 1);
		ea = la - 1;
		eb = lb - 1;
	}
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct sg_entry *a = pa, *b = pb;
	int d;

	if (a->cidr != b->cidr)
		return a->cidr ? 1 : -1;
	d = a->cidr ? strcmp(a->dst, b->dst) : name_cmp(a->dst, b->dst);
	if (d)
		return d;
	if (a->tr != b->tr)
		return (int)a->tr - (int)b->tr;
	return a->port < b->port ? -1 : a->port > b->port;
}

static void entry_add(struct sg_vec *v, const char *dst, bool cidr,
		      enum sg_transport tr, unsigned int port)
{
	struct sg_entry *e = vec_push(v);

	if (!e)
		die("out of memory");
	e->dst = sg_strdup(dst);
	e->cidr = cidr;
	e->tr = tr;
	e->port = port;
}

/* Fold names below one registrable domain into "*.domain" */
static void sg_wildcards(struct sg_vec *ents, unsigned int min)
{
	struct sg_entry *e = ents->v;
	size_t i, j, n = ents->n;

	if (!min)
		return;
	for (i = 0; i < n; i++) {
		char seen[1024] = "", reg[SG_STR];
		const char *r0;
		size_t count = 0, shown = 0;
		char *wild;

		if (e[i].cidr || e[i].dst[0] == '*' || e[i].note)
			continue;
		r0 = suggest_registrable(e[i].dst);
		if (!r0 || r0 == e[i].dst)
			continue;	/* a public suffix, or the apex */
		snprintf(reg, sizeof(reg), "%s", r0);
		for (j = 0; j < n; j++) {
			const char *r;

			if (e[j].cidr || e[j].tr != e[i].tr ||
			    e[j].port != e[i].port || e[j].dst[0] == '*')
				continue;
			r = suggest_registrable(e[j].dst);
			if (r && r != e[j].dst && !strcmp(r, reg))
				count++;
		}
		if (count < min)
			continue;
		if (asprintf(&wild, "*.%s", reg) < 0)
			die("out of memory");
		for (j = 0; j < n; j++) {
			const char *r;

			if (e[j].cidr || e[j].tr != e[i].tr ||
			    e[j].port != e[i].port || e[j].dst[0] == '*')
				continue;
			r = suggest_registrable(e[j].dst);
			if (!r || r == e[j].dst || strcmp(r, reg))
				continue;
			if (shown++ < 4)
				snprintf(seen + strlen(seen),
					 sizeof(seen) - strlen(seen), "%s%s",
					 shown > 1 ? ", " : "", e[j].dst);
			if (j != i) {
				free(e[j].dst);
				e[j].dst = sg_strdup("*");	/* dropped */
				e[j].note = sg_strdup("");
			}
		}
		free(e[i].dst);
		e[i].dst = wild;
		if (asprintf(&e[i].note, "%zu names below %s: %s%s", count,
			     reg, seen, count > 4 ? ", ..." : "") < 0)
			die("out of memory");
	}
}

static void print_ports(FILE *out, const struct sg_entry *e, size_t n)
{
	size_t i = 0;

	fprintf(out, "    port: [");
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && e[j + 1].port == e[j].port + 1)
			j++;
		if (i)
			fprintf(out, ", ");
		if (j - i >= 2)
			fprintf(out, "\"%u-%u\"", e[i].port, e[j].port);
		else if (j > i)
			fprintf(out, "%u, %u", e[i].port, e[j].port);
		else
			fprintf(out, "%u", e[i].port);
		i = j + 1;
	}
	fprintf(out, "]\n");
}

static void sg_print(FILE *out, const struct suggest_opts *o,
		     struct sg_state *st, struct sg_vec *ents)
{
	struct sg_entry *e = ents->v;
	char *const *dq = st->denied_q.items.v;
	char *const *notes = st->notes.items.v;
	size_t i, j, n_rules = 0, unused = 0;
	char source[256];

	snprintf(source, sizeof(source), "%s", o->source);
	sg_printable(source);
	fprintf(out,
		"# A policy allowing what %s shows %s\n"
		"# (egress-supervise suggest: %zu lines, %zu decisions, %zu "
		"selected,\n"
		"# %zu unreadable lines).  Review it before use: every rule "
		"opens a destination.\n"
		"# Name rules need the DNS stub to reach a resolver "
		"(dns.upstream, or resolv.conf).\n"
		"version: 1\nmode: enforce\ndefault: deny\n",
		source, o->all ? "reached" : "denied or audited", st->lines,
		st->decisions, st->selected, st->unreadable);
	for (i = 0; i < ents->n; i++)
		if (strcmp(e[i].dst, "*"))
			n_rules++;
	fprintf(out, "rules:%s\n", n_rules ? "" : " []");
	for (i = 0; i < ents->n; i = j) {
		const struct sg_entry *r = &e[i];

		for (j = i + 1; j < ents->n && e[j].tr == r->tr &&
				!strcmp(e[j].dst, r->dst);
		     j++)
			;
		if (!strcmp(r->dst, "*"))
			continue;
		if (r->note && *r->note)
			fprintf(out, "  # %s\n", r->note);
		if (r->cidr)
			fprintf(out, "  # no DNS name was seen for this "
				     "address: CMD used it directly\n");
		fprintf(out, "  - dst: \"%s%s\"\n    proto: %s\n", r->dst,
			r->cidr ? (strchr(r->dst, ':') ? "/128" : "/32") : "",
			sg_transport_str[r->tr]);
		if (r->tr != SG_ICMP)
			print_ports(out, r, j - i);
	}

	for (i = 0; i < st->denied_q.items.n; i++) {
		bool used = false;

		for (j = 0; j < ents->n && !used; j++)
			used = !strcmp(e[j].dst, dq[i]);
		unused += !used;
	}
	if (!st->notes.items.n && !unused)
		return;
	fprintf(out, "# Not suggested:\n");
	for (i = 0; i < st->notes.items.n; i++)
		fprintf(out, "#   %s\n", notes[i]);
	if (unused) {
		fprintf(out, "#   names denied at the DNS stub and never "
			     "connected to (add rules with their ports if "
			     "CMD needs them):\n");
		for (i = 0; i < st->denied_q.items.n; i++) {
			bool used = false;

			for (j = 0; j < ents->n && !used; j++)
				used = !strcmp(e[j].dst, dq[i]);
			if (!used)
				fprintf(out, "#     %s\n", dq[i]);
		}
	}
}

/**
 * suggest_run() - read a decision log, print a policy
 * @in:		the log
 * @o:		options
 * @out:	where the policy goes
 * @err:	where problems go
 *
 * Return: 0, or 1 when nothing in @in was a decision line
 */
int suggest_run(FILE *in, const struct suggest_opts *o, FILE *out,
		FILE *err)
{
	struct sg_state st = {
		.conns = { .size = sizeof(struct sg_conn) },
		.seen = { .items = { .size = sizeof(char *) } },
		.qnames = { .items = { .size = sizeof(char *) } },
		.denied_q = { .items = { .size = sizeof(char *) } },
		.notes = { .items = { .size = sizeof(char *) } },
	};
	struct sg_vec ents = { .size = sizeof(struct sg_entry) };
	struct sg_conn *c;
	struct sg_entry *e;
	struct sg_rec *r = malloc(sizeof(*r));
	char *line = NULL;
	size_t cap = 0, i, j, k, n;
	ssize_t len;

	if (!r)
		die("out of memory");
	while ((len = getline(&line, &cap, in)) >= 0) {
		st.lines++;
		if ((size_t)len > SG_LINE_MAX || sg_parse(line, (size_t)len, r)) {
			st.unreadable++;
			continue;
		}
		sg_record(&st, r, o);
	}
	free(line);
	free(r);

	/* a name for each destination: the one CMD asked for, if logged */
	c = st.conns.v;
	for (i = 0; i < st.conns.n; i++) {
		const char *name = NULL;

		for (j = 0; j < c[i].n_names && !name; j++)
			if (set_has(&st.qnames, c[i].names[j]))
				name = c[i].names[j];
		if (!name && c[i].n_names)
			name = c[i].names[0];
		entry_add(&ents, name ? name : c[i].dst, !name, c[i].tr,
			  c[i].port);
	}

	/* unique, then wildcards, then sorted for printing */
	if (ents.n)
		qsort(ents.v, ents.n, ents.size, entry_cmp);
	e = ents.v;
	for (i = 0, n = 0; i < ents.n; i++) {
		if (n && !entry_cmp(&e[n - 1], &e[i])) {
			free(e[i].dst);
			continue;
		}
		e[n++] = e[i];
	}
	ents.n = n;
	sg_wildcards(&ents, o->min_wildcard);
	if (ents.n)
		qsort(ents.v, ents.n, ents.size, entry_cmp);
	/* a wildcard kept for several of its names: once is enough */
	for (i = 0, n = 0; i < ents.n; i++) {
		if (n && !entry_cmp(&e[n - 1], &e[i])) {
			free(e[i].dst);
			free(e[i].note);
			continue;
		}
		e[n++] = e[i];
	}
	ents.n = n;

	sg_print(out, o, &st, &ents);
	if (st.unreadable)
		fprintf(err, "egress-supervise suggest: %s: %zu lines were "
			     "not decision lines (skipped)\n",
			o->source, st.unreadable);

	for (i = 0; i < st.conns.n; i++) {
		for (k = 0; k < c[i].n_names; k++)
			free(c[i].names[k]);
		free(c[i].names);
		free(c[i].dst);
	}
	free(st.conns.v);
	for (i = 0; i < ents.n; i++) {
		free(e[i].dst);
		free(e[i].note);
	}
	free(ents.v);
	n = st.denied_q.items.n;
	set_free(&st.seen);
	set_free(&st.qnames);
	set_free(&st.denied_q);
	set_free(&st.notes);
	if (!st.decisions && !n) {
		fprintf(err, "egress-supervise suggest: %s: no decision "
			     "lines\n", o->source);
		return 1;
	}
	return 0;
}
