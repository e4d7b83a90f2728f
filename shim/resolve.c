// SPDX-License-Identifier: GPL-2.0-or-later
/* resolve.c - glibc's "dns" module, with the supervisor as the transport
 *
 * Theory of operation
 *
 * glibc's getaddrinfo() and gethostbyname*() ask the NSS modules of
 * nsswitch.conf in turn; the shim only runs where that is "files dns"
 * (conf.c).  This file is the "dns" part: the same search-list walk as
 * res_search() (ndots, the search list, the name as is, no-tld-query), the
 * same judgement of each answer as res_query() (NXDOMAIN, NODATA,
 * SERVFAIL and the rest, for A and AAAA together), and the same reading of
 * the answers as nss_dns: gethostbyname4_r for AF_UNSPEC (both types, the
 * canonical name of the first answer with addresses) and gethostbyname3_r
 * for one family (aliases from the CNAME chain, the name of the first
 * address).  Only the transport differs: each name asked for is one
 * request to the supervisor (conn.c), which sends it through its DNS stub
 * - the same policy, cache and IP-to-names table as a query to port 53.
 *
 * The answer carries the addresses of the query name and its CNAME chain,
 * the ones the supervisor learned: an address a hostile upstream slipped
 * in under another owner is not returned (glibc would return it, and the
 * connect would be denied as unknown_ip).
 *
 * What glibc does in ways we do not follow (names of 63 characters and
 * more in the per-family path, CNAME chains longer than SHIM_CHAIN_MAX,
 * answers with records but neither an address nor a CNAME, names with
 * escapes) returns SHIM_FALLBACK and the caller asks libc instead.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shim.h"

#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_FORMERR	1
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_NOTIMP	4
#define DNS_RCODE_REFUSED	5

#define NAME_TEXT_MAX		253
#define MAXHOSTNAMELEN_GLIBC	64	/* getanswer_r's limit */

/**
 * shim_name_ok() - res_hnok(): may this name be asked for at all?
 *
 * Printable ASCII, labels of [0-9A-Za-z_-] of 1..63 bytes, not starting
 * with '-', at most 255 bytes on the wire, at most one final dot.  Names
 * with escapes (a backslash) are not judged here: see the callers.
 */
bool shim_name_ok(const char *name)
{
	size_t label = 0, wire = 1;
	const char *p;

	if (!*name || name[0] == '-' || !strcmp(name, "."))
		return false;
	for (p = name; *p; p++) {
		char ch = *p;

		if (ch == '.') {
			if (!label)
				return false;
			wire += label + 1;
			label = 0;
			continue;
		}
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	wire += label ? label + 1 : 0;
	return wire <= 255;
}

/* ------------------------------------------------------------------ */
/* res_search()                                                        */

/**
 * struct dns_try - the outcome of one name asked for (res_query())
 * @ok:		an answer with records came: stop searching
 * @herrno:	else: HOST_NOT_FOUND, NO_DATA, TRY_AGAIN or NO_RECOVERY
 * @servfail:	TRY_AGAIN from a SERVFAIL: the search goes on
 * @timeout:	no answer at all (errno ETIMEDOUT in glibc)
 */
struct dns_try {
	bool ok;
	int herrno;
	bool servfail;
	bool timeout;
};

/* A part glibc's res_send() does not keep: SERVFAIL, NOTIMP and REFUSED
 * answers make it wait for another server, or give up */
static bool part_absent(const struct shim_answer *a)
{
	return a->status != SHIM_ST_ANSWER || a->rcode == DNS_RCODE_SERVFAIL ||
	       a->rcode == DNS_RCODE_NOTIMP || a->rcode == DNS_RCODE_REFUSED;
}

static bool part_data(const struct shim_answer *a)
{
	return a->rcode == DNS_RCODE_NOERROR && a->ancount;
}

/* res_query()'s judgement of the answers to one name */
static void dns_judge(const struct shim_resp *resp, uint32_t qtypes,
		      struct dns_try *t)
{
	const struct shim_answer *hp = NULL, *hp2 = NULL;
	const struct shim_answer *parts[2] = { &resp->a, &resp->aaaa };
	bool servfail = false;
	unsigned int code;
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < 2; i++) {
		const struct shim_answer *a = parts[i];

		/* A and PTR answers are in resp->a */
		if (!(qtypes & (i ? SHIM_Q_AAAA : SHIM_Q_A | SHIM_Q_PTR)))
			continue;
		if (part_absent(a)) {
			servfail |= a->status != SHIM_ST_ANSWER ||
				    a->rcode == DNS_RCODE_SERVFAIL;
			continue;
		}
		if (!hp)
			hp = a;
		else
			hp2 = a;
	}
	if (!hp) {
		t->herrno = TRY_AGAIN;
		t->servfail = servfail;
		t->timeout = true;
		return;
	}
	if (!hp2)
		hp2 = hp;
	if (part_data(hp) || part_data(hp2)) {
		t->ok = true;
		return;
	}
	code = hp->rcode == DNS_RCODE_NOERROR ? hp2->rcode : hp->rcode;
	switch (code) {
	case DNS_RCODE_NXDOMAIN:
		t->herrno = HOST_NOT_FOUND;
		break;
	case DNS_RCODE_NOERROR:
		t->herrno = NO_DATA;
		break;
	default:
		t->herrno = NO_RECOVERY;
		break;
	}
}

/**
 * struct dns_search - one res_search() walk
 * @qtypes:	SHIM_Q_* asked for each name
 * @sources:	ask for the source of each address too
 * @full:	the name that answered (or was asked last)
 * @resp:	its answers
 */
struct dns_search {
	uint32_t qtypes;
	bool sources;
	char full[SHIM_NAME_SIZE];
	struct shim_resp resp;
};

/* res_querydomain(): ask for @name, or @name.@domain */
static int dns_querydomain(struct dns_search *s, const char *name,
			   const char *domain, struct dns_try *t)
{
	struct shim_req req;
	size_t n;

	if (domain)
		n = (size_t)snprintf(s->full, sizeof(s->full), "%s.%s", name,
				     domain);
	else
		n = (size_t)snprintf(s->full, sizeof(s->full), "%s", name);
	if (n >= sizeof(s->full))
		return SHIM_FALLBACK;
	if (n && s->full[n - 1] == '.')
		s->full[--n] = '\0';
	if (!n || n > NAME_TEXT_MAX || !shim_name_ok(s->full))
		return SHIM_FALLBACK;

	shim_req_init(&req, SHIM_OP_HOST);
	req.qtypes = s->qtypes;
	req.flags = s->sources ? SHIM_F_SOURCES : 0;
	memcpy(req.name, s->full, n + 1);
	if (shim_call(&req, &s->resp))
		return SHIM_FALLBACK;
	if (s->resp.a.status == SHIM_ST_BUSY ||
	    s->resp.aaaa.status == SHIM_ST_BUSY)
		return SHIM_FALLBACK;
	dns_judge(&s->resp, s->qtypes, t);
	return 0;
}

/**
 * dns_search() - res_search(): the name, through the search list
 * @c:		configuration (ndots, search list, no-tld-query)
 * @name:	as the program gave it
 * @s:		qtypes and sources set; the answer on success
 * @t:		the outcome (herrno on failure)
 *
 * Return: 0, or SHIM_FALLBACK
 */
static int dns_search(const struct shim_conf *c, const char *name,
		      struct dns_search *s, struct dns_try *t)
{
	size_t dots = 0, len = strlen(name), i;
	bool trailing = len && name[len - 1] == '.';
	bool tried_as_is = false, searched = false, root_on_list = false;
	int saved_herrno = -1, got_nodata = 0, got_servfail = 0;
	struct dns_try last = { .herrno = HOST_NOT_FOUND };

	for (i = 0; i < len; i++)
		dots += name[i] == '.';

	if (dots >= c->ndots || trailing) {
		if (dns_querydomain(s, name, NULL, t))
			return SHIM_FALLBACK;
		if (t->ok || trailing)
			return 0;
		saved_herrno = t->herrno;
		tried_as_is = true;
		last = *t;
	}

	/* RES_DEFNAMES and RES_DNSRCH are glibc's defaults */
	if (!trailing) {
		bool done = false;

		for (i = 0; i < c->nsearch && !done; i++) {
			const char *d = c->search[i];

			searched = true;
			if (d[0] == '.')
				d++;
			if (!d[0])
				root_on_list = true;
			if (dns_querydomain(s, name, d, t))
				return SHIM_FALLBACK;
			if (t->ok)
				return 0;
			last = *t;
			switch (t->herrno) {
			case NO_DATA:
				got_nodata++;
				break;
			case HOST_NOT_FOUND:
				break;
			case TRY_AGAIN:
				if (t->servfail) {
					got_servfail++;
					break;
				}
				done = true;
				break;
			default:
				done = true;
				break;
			}
		}
	}

	if ((dots || !searched || !c->no_tld_query) &&
	    !(tried_as_is || root_on_list)) {
		if (dns_querydomain(s, name, NULL, t))
			return SHIM_FALLBACK;
		if (t->ok)
			return 0;
		last = *t;
	}

	*t = last;
	t->ok = false;
	if (saved_herrno != -1)
		t->herrno = saved_herrno;
	else if (got_nodata)
		t->herrno = NO_DATA;
	else if (got_servfail)
		t->herrno = TRY_AGAIN;
	return 0;
}

/* ------------------------------------------------------------------ */
/* nss_dns                                                             */

static void res_add_addr(struct shim_result *r, int family,
			 const struct shim_answer *a, size_t k, bool sources)
{
	struct shim_addr *d;

	if (r->naddrs == SHIM_RES_ADDRS)
		return;
	d = &r->addrs[r->naddrs++];
	memset(d, 0, sizeof(*d));
	d->family = family;
	memcpy(d->addr, a->addrs[k], family == AF_INET ? 4 : 16);
	d->has_src = sources;
	if (sources)
		d->src = a->src[k];
}

/* The canonical name an answer gives: as asked when it is the name asked
 * for (the owner's case is the query's), else as the supervisor has it */
static void res_name(char *out, const struct shim_answer *a, const char *full)
{
	const char *canon = a->canon[0] ? a->canon : full;

	snprintf(out, SHIM_NAME_SIZE, "%s",
		 strcasecmp(canon, full) ? canon : full);
}

/*
 * gaih_getanswer_slice(): one answer of an AF_UNSPEC lookup.  Sets the
 * NSS status and *herrno; *first is cleared once an address gave the
 * canonical name.  Returns 0, or SHIM_FALLBACK.
 */
static int res_slice(struct shim_result *r, const struct shim_answer *a,
		     int family, const char *full, bool sources, bool *first,
		     int *status, int *herrno)
{
	size_t k;

	if (!a->ancount) {
		*herrno = HOST_NOT_FOUND;
		*status = SHIM_NSS_NOTFOUND;
		return 0;
	}
	if (!a->naddrs) {
		if (!a->cname)
			return SHIM_FALLBACK;	/* records, none usable */
		*herrno = HOST_NOT_FOUND;
		*status = SHIM_NSS_NOTFOUND;
		return 0;
	}
	if (*first) {
		res_name(r->name, a, full);
		*first = false;
	}
	for (k = 0; k < a->naddrs; k++)
		res_add_addr(r, family, a, k, sources);
	*herrno = 0;
	*status = SHIM_NSS_SUCCESS;
	return 0;
}

/* _nss_dns_gethostbyname4_r(): A and AAAA, as one list */
static int res_dns4(const struct shim_conf *c, const char *name, bool sources,
		    struct shim_result *r)
{
	struct dns_search *s = calloc(1, sizeof(*s));
	bool first = true;
	struct dns_try t;
	int status = SHIM_NSS_NOTFOUND, st2, herrno = 0, ret = 0;

	if (!s)
		return SHIM_FALLBACK;
	s->qtypes = SHIM_Q_A | SHIM_Q_AAAA;
	s->sources = sources;
	if (dns_search(c, name, s, &t)) {
		ret = SHIM_FALLBACK;
		goto out;
	}
	if (!t.ok) {
		/* n < 0: errno picks the status, h_errno stays */
		r->status = t.timeout ? SHIM_NSS_UNAVAIL : SHIM_NSS_NOTFOUND;
		r->herrno = t.herrno;
		r->err = t.herrno == TRY_AGAIN ? EAGAIN : 0;
		goto out;
	}
	/* gaih_getanswer(): the A answer, then the AAAA answer */
	if (!part_absent(&s->resp.a) &&
	    res_slice(r, &s->resp.a, AF_INET, s->full, sources, &first,
		      &status, &herrno)) {
		ret = SHIM_FALLBACK;
		goto out;
	}
	if (!part_absent(&s->resp.aaaa)) {
		if (res_slice(r, &s->resp.aaaa, AF_INET6, s->full, sources,
			      &first, &st2, &herrno)) {
			ret = SHIM_FALLBACK;
			goto out;
		}
		if (status != SHIM_NSS_SUCCESS && st2 != SHIM_NSS_NOTFOUND)
			status = st2;
	}
	r->status = status;
	r->herrno = herrno;
out:
	free(s);
	return ret;
}

/* _nss_dns_gethostbyname3_r(): one family, getanswer_r()'s reading */
static int res_dns3(const struct shim_conf *c, const char *name, int af,
		    bool sources, struct shim_result *r)
{
	struct dns_search *s = calloc(1, sizeof(*s));
	const struct shim_answer *a;
	struct dns_try t;
	size_t k;
	int ret = 0;

	if (!s)
		return SHIM_FALLBACK;
	s->qtypes = af == AF_INET ? SHIM_Q_A : SHIM_Q_AAAA;
	s->sources = sources;
	if (dns_search(c, name, s, &t)) {
		ret = SHIM_FALLBACK;
		goto out;
	}
	if (!t.ok) {
		r->status = t.timeout ? SHIM_NSS_UNAVAIL : SHIM_NSS_NOTFOUND;
		r->herrno = t.herrno;
		r->err = t.herrno == TRY_AGAIN ? EAGAIN : 0;
		goto out;
	}
	a = af == AF_INET ? &s->resp.a : &s->resp.aaaa;
	/* glibc's hostent names end before 64 bytes; chains we cut short
	 * would lose aliases */
	if (strlen(s->full) + 1 >= MAXHOSTNAMELEN_GLIBC ||
	    strlen(a->canon) + 1 >= MAXHOSTNAMELEN_GLIBC ||
	    a->nchain >= SHIM_CHAIN_MAX) {
		ret = SHIM_FALLBACK;
		goto out;
	}
	for (k = 0; k < a->nchain; k++)
		if (strlen(a->chain[k]) + 1 >= MAXHOSTNAMELEN_GLIBC) {
			ret = SHIM_FALLBACK;
			goto out;
		}
	if (!a->naddrs) {
		/* a CNAME without addresses is "not found"; other records
		 * are "try again", both with NO_RECOVERY */
		r->status = a->cname ? SHIM_NSS_NOTFOUND : SHIM_NSS_TRYAGAIN;
		r->herrno = NO_RECOVERY;
		r->err = ENOENT;
		goto out;
	}
	/* aliases: the owner of each CNAME, the query name first */
	for (k = 0; a->cname && k + 1 < a->nchain && k < SHIM_CHAIN_MAX &&
		    k < SHIM_RES_ALIASES;
	     k++)
		snprintf(r->aliases[r->naliases++], SHIM_NAME_SIZE, "%s",
			 k ? a->chain[k] : s->full);
	res_name(r->name, a, s->full);
	for (k = 0; k < a->naddrs; k++)
		res_add_addr(r, af, a, k, sources);
	r->status = SHIM_NSS_SUCCESS;
	r->herrno = 0;
out:
	free(s);
	return ret;
}

/**
 * shim_dns() - the "dns" module: gethostbyname4_r or gethostbyname3_r
 * @c:		configuration
 * @name:	the name as the program gave it
 * @af:		AF_UNSPEC (both families, getaddrinfo's), AF_INET or AF_INET6
 * @sources:	ask for each address's source too (getaddrinfo sorts)
 * @r:		the result
 *
 * Return: 0, or SHIM_FALLBACK
 */
int shim_dns(const struct shim_conf *c, const char *name, int af,
	     bool sources, struct shim_result *r)
{
	memset(r, 0, offsetof(struct shim_result, addrs));
	r->naddrs = 0;
	r->naliases = 0;
	r->name[0] = '\0';
	if (strchr(name, '\\'))
		return SHIM_FALLBACK;	/* escapes: res_hnok reads them */
	if (!shim_name_ok(name)) {
		/* check_name(): not a host name, never asked for */
		r->status = SHIM_NSS_NOTFOUND;
		r->herrno = HOST_NOT_FOUND;
		return 0;
	}
	if (af == AF_UNSPEC)
		return res_dns4(c, name, sources, r);
	return res_dns3(c, name, af, sources, r);
}

/**
 * shim_dns_ptr() - _nss_dns_gethostbyaddr2_r(): the name of an address
 * @af:		AF_INET or AF_INET6
 * @addr:	4 or 16 bytes; v4-mapped and v4-compatible IPv6 addresses are
 *		asked for as IPv4, as glibc does
 * @r:		status, herrno and, on success, the name
 *
 * One PTR query of the reverse name, no search list.
 *
 * Return: 0, or SHIM_FALLBACK
 */
int shim_dns_ptr(int af, const uint8_t *addr, struct shim_result *r)
{
	static const uint8_t zero12[12];
	struct shim_resp *resp;
	struct shim_req req;
	struct dns_try t;
	int n, ret = 0;
	size_t len = 0;

	memset(r, 0, offsetof(struct shim_result, addrs));
	r->naddrs = r->naliases = 0;
	r->name[0] = '\0';
	if (af == AF_INET6 &&
	    ((!memcmp(addr, zero12, 10) && addr[10] == 0xff &&
	      addr[11] == 0xff) ||
	     (!memcmp(addr, zero12, 12) &&
	      (addr[12] || addr[13] || addr[14] || addr[15] > 1)))) {
		addr += 12;
		af = AF_INET;
	}
	shim_req_init(&req, SHIM_OP_HOST);
	req.qtypes = SHIM_Q_PTR;
	if (af == AF_INET) {
		snprintf(req.name, sizeof(req.name), "%u.%u.%u.%u.in-addr.arpa",
			 addr[3], addr[2], addr[1], addr[0]);
	} else {
		static const char hex[] = "0123456789abcdef";

		for (n = 15; n >= 0; n--) {
			req.name[len++] = hex[addr[n] & 0xf];
			req.name[len++] = '.';
			req.name[len++] = hex[addr[n] >> 4];
			req.name[len++] = '.';
		}
		memcpy(req.name + len, "ip6.arpa", 9);
	}
	resp = malloc(sizeof(*resp));
	if (!resp)
		return SHIM_FALLBACK;
	if (shim_call(&req, resp) || resp->a.status == SHIM_ST_BUSY) {
		ret = SHIM_FALLBACK;
		goto out;
	}
	dns_judge(resp, SHIM_Q_PTR, &t);
	if (!t.ok) {
		r->status = SHIM_NSS_NOTFOUND;
		r->herrno = t.herrno;
		goto out;
	}
	if (!resp->a.canon[0]) {
		/* records, but no PTR we can read as a host name */
		r->status = resp->a.cname ? SHIM_NSS_NOTFOUND
					  : SHIM_NSS_TRYAGAIN;
		r->herrno = NO_RECOVERY;
		r->err = ENOENT;
		goto out;
	}
	snprintf(r->name, sizeof(r->name), "%s", resp->a.canon);
	r->status = SHIM_NSS_SUCCESS;
out:
	free(resp);
	return ret;
}

/**
 * shim_nss() - one NSS module call for "files", then "dns" if needed
 *
 * The chain "files dns" with the default actions: a success of files ends
 * it; anything else goes on to dns, whose result is the result.  For the
 * callers that ask one function of the whole chain (gethostbyname*,
 * getaddrinfo's AF_UNSPEC).
 *
 * Return: 0, or SHIM_FALLBACK
 */
int shim_nss(const struct shim_conf *c, const char *name, int af,
	     bool sources, struct shim_result *r)
{
	int ret;

	ret = shim_hosts(name, af, c->multi, r);
	if (ret || r->status == SHIM_NSS_SUCCESS)
		return ret;
	return shim_dns(c, name, af, sources, r);
}
