// SPDX-License-Identifier: GPL-2.0-or-later
/* gai.c - getaddrinfo() answered through the supervisor
 *
 * Theory of operation
 *
 * glibc 2.36's getaddrinfo(), step by step, with the name service part
 * (resolve.c, hosts.c) asking the supervisor instead of sending DNS
 * queries: the same flag checks, AI_ADDRCONFIG (the supervisor says which
 * families have addresses, as glibc's netlink query would), the same NSS
 * calls in the same order (gethostbyname4_r for AF_UNSPEC,
 * gethostbyname3_r per family with AI_V4MAPPED and AI_ALL, the simple
 * gethostbyname2_r path for AF_INET), the same error codes, the same
 * list (one entry per address and socket type, the canonical name on the
 * first), sorted as glibc sorts (sort.c).  Services and socket types are
 * expanded by libc itself: a getaddrinfo() of a numeric address with the
 * same service and hints yields the (socktype, protocol, port) list.
 *
 * Entries are allocated exactly as glibc allocates them (one block per
 * entry with its sockaddr, the canonical name on its own), so glibc's
 * freeaddrinfo() frees them: freeaddrinfo is not interposed.
 *
 * Numeric hosts, AI_NUMERICHOST, name NULL, IDN flags, invalid flags or
 * families, and every configuration the shim does not follow go to libc
 * unchanged; so does a lookup the supervisor cannot answer.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

#define GAI_FLAGS	(AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | \
			 AI_ADDRCONFIG | AI_V4MAPPED | AI_NUMERICSERV | AI_ALL)
#define GAI_SERV_MAX	8

struct gai_serv {
	int socktype;
	int protocol;
	uint16_t port;	/* network order */
};

/* The tuples glibc's get_servtuples() gives, asked of libc itself */
static int gai_services(const char *service, const struct addrinfo *h,
			struct gai_serv *st, size_t *n)
{
	struct addrinfo th = {
		.ai_flags = AI_NUMERICHOST |
			    (h->ai_flags & (AI_NUMERICSERV | AI_PASSIVE)),
		.ai_family = h->ai_family == AF_INET6 ? AF_INET6 : AF_INET,
		.ai_socktype = h->ai_socktype,
		.ai_protocol = h->ai_protocol,
	};
	struct addrinfo *res = NULL, *ai;
	int ret;

	ret = shim_real.getaddrinfo(th.ai_family == AF_INET6 ? "::" : "0.0.0.0",
				    service, &th, &res);
	if (ret)
		return ret;
	*n = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		if (*n == GAI_SERV_MAX) {
			freeaddrinfo(res);
			return SHIM_FALLBACK;
		}
		st[*n].socktype = ai->ai_socktype;
		st[*n].protocol = ai->ai_protocol;
		st[*n].port = ai->ai_family == AF_INET6 ?
				      ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port :
				      ((struct sockaddr_in *)ai->ai_addr)->sin_port;
		(*n)++;
	}
	freeaddrinfo(res);
	return 0;
}

/* Would glibc take @name as an address (text_to_binary_address)? */
static bool gai_numeric(const char *name)
{
	struct in_addr a4;

	return inet_aton(name, &a4) || strchr(name, ':') || strchr(name, '%');
}

/* AI_ADDRCONFIG: which families have an address (besides loopback) */
static int gai_seen(bool *v4, bool *v6)
{
	struct shim_resp *resp = malloc(sizeof(*resp));
	struct shim_req req;
	int ret = -1;

	if (!resp)
		return -1;
	shim_req_init(&req, SHIM_OP_SOURCES);
	if (!shim_call(&req, resp)) {
		*v4 = resp->seen_ipv4;
		*v6 = resp->seen_ipv6;
		ret = 0;
	}
	free(resp);
	return ret;
}

/* What glibc keeps while it looks up (struct gaih_result) */
struct gai_res {
	size_t n;
	struct shim_addr at[SHIM_RES_ADDRS];
	char canon[SHIM_NAME_SIZE];
	bool has_canon;
	bool got_ipv6;
	bool mapped;		/* some IPv4 results became ::ffff:a.b.c.d */
};

/* convert_hostent_to_gaih_addrtuple() */
static void gai_take(struct gai_res *res, const struct addrinfo *h, int family,
		     const struct shim_result *r)
{
	size_t i;

	if (!r->naddrs)
		return;
	res->got_ipv6 = family == AF_INET6;
	for (i = 0; i < r->naddrs && res->n < SHIM_RES_ADDRS; i++) {
		struct shim_addr *a = &res->at[res->n++];

		*a = r->addrs[i];
		if (family == AF_INET && h->ai_family == AF_INET6) {
			uint8_t v4[4];

			memcpy(v4, r->addrs[i].addr, 4);
			memset(a->addr, 0, 10);
			a->addr[10] = a->addr[11] = 0xff;
			memcpy(a->addr + 12, v4, 4);
			a->family = AF_INET6;
			a->has_src = false;
			res->mapped = true;
		}
	}
}

enum gai_module {
	GAI_FILES,
	GAI_DNS,
};

static int gai_module_call(const struct shim_conf *c, enum gai_module m,
			   const char *name, int af, struct shim_result *r)
{
	if (m == GAI_FILES)
		return shim_hosts(name, af, c->multi, r);
	return shim_dns(c, name, af, true, r);
}

/*
 * gethosts(): one family of one module.  Returns 0 or SHIM_FALLBACK (for
 * EAI_SYSTEM too: glibc's errno then is not ours to know).
 */
static int gai_gethosts(const struct shim_conf *c, enum gai_module m,
			const char *name, int family, const struct addrinfo *h,
			struct gai_res *res, struct shim_result *r,
			int *status, int *no_data, int *herrno)
{
	int ret = gai_module_call(c, m, name, family, r);

	if (ret)
		return ret;
	*status = r->status;
	*herrno = r->herrno;
	*no_data = 0;
	if (r->status != SHIM_NSS_SUCCESS) {
		if (r->herrno == NETDB_INTERNAL)
			return SHIM_FALLBACK;
		*no_data = r->herrno == TRY_AGAIN ? EAI_AGAIN
						  : r->herrno == NO_DATA;
		return 0;
	}
	gai_take(res, h, family, r);
	if (r->name[0] && !res->has_canon) {
		memcpy(res->canon, r->name, sizeof(res->canon));
		res->has_canon = true;
	}
	return 0;
}

/* get_nss_addresses(): "files", then "dns"; the error code, or 0 */
static int gai_nss(const struct shim_conf *c, const char *name,
		   const struct addrinfo *h, struct gai_res *res,
		   struct shim_result *r)
{
	int no_data = 0, no_inet6_data = 0, herrno = 0, ret;
	int status = SHIM_NSS_UNAVAIL, inet6_status = SHIM_NSS_UNAVAIL;
	enum gai_module m;

	for (m = GAI_FILES; m <= GAI_DNS; m++) {
		res->n = 0;
		res->has_canon = false;
		res->got_ipv6 = false;
		res->mapped = false;
		no_data = 0;

		if (h->ai_family == AF_UNSPEC) {
			/* gethostbyname4_r */
			ret = gai_module_call(c, m, name, AF_UNSPEC, r);
			if (ret)
				return ret;
			status = r->status;
			herrno = r->herrno;
			if (status == SHIM_NSS_SUCCESS) {
				size_t i;

				no_data = 0;
				for (i = 0; i < r->naddrs; i++)
					res->at[res->n++] = r->addrs[i];
				if (h->ai_flags & AI_CANONNAME) {
					memcpy(res->canon, r->name,
					       sizeof(res->canon));
					res->has_canon = true;
				}
			} else {
				if (herrno == NETDB_INTERNAL)
					return SHIM_FALLBACK;
				no_data = herrno == TRY_AGAIN ? EAI_AGAIN
							      : herrno == NO_DATA;
			}
			no_inet6_data = no_data;
		} else {
			/* gethostbyname3_r, per family */
			if (h->ai_family == AF_INET6) {
				ret = gai_gethosts(c, m, name, AF_INET6, h, res,
						   r, &status, &no_data,
						   &herrno);
				if (ret)
					return ret;
				no_inet6_data = no_data;
				inet6_status = status;
			}
			if (h->ai_family == AF_INET ||
			    (h->ai_family == AF_INET6 &&
			     (h->ai_flags & AI_V4MAPPED) &&
			     ((h->ai_flags & AI_ALL) || !res->got_ipv6))) {
				ret = gai_gethosts(c, m, name, AF_INET, h, res,
						   r, &status, &no_data,
						   &herrno);
				if (ret)
					return ret;
				if (h->ai_family == AF_INET) {
					no_inet6_data = no_data;
					inet6_status = status;
				}
			}
			if (inet6_status == SHIM_NSS_SUCCESS ||
			    status == SHIM_NSS_SUCCESS) {
				status = SHIM_NSS_SUCCESS;
			} else if (inet6_status == SHIM_NSS_TRYAGAIN) {
				status = SHIM_NSS_TRYAGAIN;
			} else if (status == SHIM_NSS_UNAVAIL &&
				   inet6_status != SHIM_NSS_UNAVAIL) {
				status = inet6_status;
			}
		}
		/* "files dns": a success ends the chain */
		if (status == SHIM_NSS_SUCCESS)
			break;
	}

	if ((status == SHIM_NSS_TRYAGAIN || status == SHIM_NSS_UNAVAIL) &&
	    herrno == NETDB_INTERNAL)
		return SHIM_FALLBACK;
	if (no_data && no_inet6_data)
		return no_data == EAI_AGAIN && no_inet6_data == EAI_AGAIN ?
			       EAI_AGAIN : EAI_NODATA;
	return 0;
}

/* try_simple_gethostbyname(): AF_INET without AI_CANONNAME */
static int gai_simple(const struct shim_conf *c, const char *name,
		      struct gai_res *res, struct shim_result *r)
{
	size_t i;
	int ret;

	ret = shim_nss(c, name, AF_INET, true, r);
	if (ret)
		return ret;
	if (r->status == SHIM_NSS_SUCCESS) {
		for (i = 0; i < r->naddrs; i++)
			res->at[res->n++] = r->addrs[i];
		return 0;
	}
	/* gethostbyname2_r(): NOTFOUND is 0 with no result, the rest an
	 * errno value */
	if (r->status == SHIM_NSS_NOTFOUND)
		return r->herrno == NO_DATA ? EAI_NODATA : EAI_NONAME;
	if (r->herrno == NETDB_INTERNAL)
		return SHIM_FALLBACK;
	if (r->herrno == TRY_AGAIN)
		return EAI_AGAIN;
	return EAI_NODATA;
}

/* Ask the supervisor for the sources of destinations that lack one */
static int gai_sources(struct shim_sort_item *v, size_t n)
{
	struct shim_resp *resp;
	struct shim_req *req;
	size_t i, k = 0;
	int ret = 0;

	for (i = 0; i < n; i++)
		k += !v[i].got_src;
	if (!k)
		return 0;
	req = malloc(sizeof(*req));
	resp = malloc(sizeof(*resp));
	if (!req || !resp) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < n;) {
		size_t j, m = 0;

		shim_req_init(req, SHIM_OP_SOURCES);
		for (j = i; j < n && m < SHIM_ADDRS_MAX; j++) {
			req->families[m] = (uint8_t)v[j].family;
			memcpy(req->addrs[m++], v[j].addr, 16);
		}
		req->naddrs = (uint32_t)m;
		if (shim_call(req, resp) || resp->a.naddrs != m) {
			ret = -1;
			goto out;
		}
		for (j = 0; j < m; j++) {
			v[i + j].src = resp->a.src[j];
			v[i + j].got_src = resp->a.src[j].ok;
		}
		i += m;
	}
out:
	free(req);
	free(resp);
	return ret;
}

/* Sort the list as glibc does, the canonical name on the new first */
static int gai_sort(struct addrinfo **pai, const struct gai_res *res,
		    const size_t *owner, size_t nentries)
{
	struct shim_sort_item *v;
	struct addrinfo *ai, **order;
	char *canon = (*pai)->ai_canonname;
	bool need = false;
	size_t i;

	v = calloc(nentries, sizeof(*v));
	order = calloc(nentries, sizeof(*order));
	if (!v || !order) {
		free(v);
		free(order);
		return -1;
	}
	for (i = 0, ai = *pai; ai; ai = ai->ai_next, i++) {
		const struct shim_addr *a = &res->at[owner[i]];

		v[i].family = a->family;
		memcpy(v[i].addr, a->addr, 16);
		v[i].got_src = a->has_src && !res->mapped && a->src.ok;
		v[i].src = a->src;
		if (!a->has_src || res->mapped)
			need = true;
		v[i].index = i;
		order[i] = ai;
	}
	if (need) {
		for (i = 0; i < nentries; i++)
			v[i].got_src = false;
		if (gai_sources(v, nentries)) {
			free(v);
			free(order);
			return -1;
		}
	}
	shim_sort(v, nentries);
	(*pai)->ai_canonname = NULL;
	for (i = 0; i < nentries; i++)
		order[v[i].index]->ai_next = NULL;
	*pai = order[v[0].index];
	for (i = 1; i < nentries; i++)
		order[v[i - 1].index]->ai_next = order[v[i].index];
	(*pai)->ai_canonname = canon;
	free(v);
	free(order);
	return 0;
}

/* generate_addrinfo(), then the sort; returns the error code */
static int gai_list(const struct addrinfo *h, struct gai_res *res,
		    const char *orig_name, const struct gai_serv *st,
		    size_t nst, struct addrinfo **pai)
{
	struct addrinfo *head = NULL, **tail = &head;
	size_t i, j, naddrs = 0, nentries = 0, *owner;
	char *canon = NULL;

	if (h->ai_flags & AI_CANONNAME) {
		canon = strdup(res->has_canon ? res->canon : orig_name);
		if (!canon)
			return EAI_MEMORY;
	}
	owner = calloc(res->n * nst + 1, sizeof(*owner));
	if (!owner) {
		free(canon);
		return EAI_MEMORY;
	}
	for (i = 0; i < res->n; i++) {
		const struct shim_addr *a = &res->at[i];
		socklen_t sl = a->family == AF_INET6 ?
				       sizeof(struct sockaddr_in6) :
				       sizeof(struct sockaddr_in);

		if (a->family == AF_INET6 && res->got_ipv6 &&
		    (h->ai_flags & (AI_V4MAPPED | AI_ALL)) == AI_V4MAPPED &&
		    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a->addr))
			continue;
		for (j = 0; j < nst; j++) {
			struct addrinfo *ai = malloc(sizeof(*ai) + sl);

			if (!ai) {
				free(canon);
				free(owner);
				freeaddrinfo(head);
				return EAI_MEMORY;
			}
			memset(ai, 0, sizeof(*ai) + sl);
			ai->ai_flags = h->ai_flags;
			ai->ai_family = a->family;
			ai->ai_socktype = st[j].socktype;
			ai->ai_protocol = st[j].protocol;
			ai->ai_addrlen = sl;
			ai->ai_addr = (struct sockaddr *)(ai + 1);
			ai->ai_canonname = canon;
			canon = NULL;
			if (a->family == AF_INET6) {
				struct sockaddr_in6 *s6 = (void *)ai->ai_addr;

				s6->sin6_family = AF_INET6;
				s6->sin6_port = st[j].port;
				memcpy(&s6->sin6_addr, a->addr, 16);
			} else {
				struct sockaddr_in *s4 = (void *)ai->ai_addr;

				s4->sin_family = AF_INET;
				s4->sin_port = st[j].port;
				memcpy(&s4->sin_addr, a->addr, 4);
			}
			owner[nentries++] = i;
			*tail = ai;
			tail = &ai->ai_next;
		}
		naddrs++;
	}
	free(canon);
	if (!head) {
		free(owner);
		return EAI_NONAME;
	}
	if (naddrs > 1 && gai_sort(&head, res, owner, nentries)) {
		free(owner);
		freeaddrinfo(head);
		return SHIM_FALLBACK;
	}
	free(owner);
	*pai = head;
	return 0;
}

static int gai(const char *name, const char *service,
	       const struct addrinfo *hints, struct addrinfo **pai)
{
	static const struct addrinfo default_hints = {
		.ai_flags = AI_V4MAPPED | AI_ADDRCONFIG,
	};
	struct shim_conf *c = NULL;
	struct shim_result *r = NULL;
	struct gai_res *res = NULL;
	struct gai_serv st[GAI_SERV_MAX];
	struct addrinfo h;
	size_t nst = 0;
	int ret;

	if (!hints)
		hints = &default_hints;
	if (!name || !strcmp(name, "*") || (hints->ai_flags & ~GAI_FLAGS) ||
	    (hints->ai_flags & AI_NUMERICHOST) || gai_numeric(name) ||
	    (hints->ai_family != AF_UNSPEC && hints->ai_family != AF_INET &&
	     hints->ai_family != AF_INET6))
		return SHIM_FALLBACK;
	/* gethostbyname3_r sends a name that is no host name anyway */
	if ((hints->ai_flags & AI_CANONNAME) && !shim_name_ok(name))
		return SHIM_FALLBACK;
	c = malloc(sizeof(*c));
	if (!c || shim_conf_get(c)) {
		free(c);
		return SHIM_FALLBACK;
	}
	h = *hints;
	h.ai_next = NULL;

	if (h.ai_flags & AI_ADDRCONFIG) {
		bool v4 = false, v6 = false;

		if (gai_seen(&v4, &v6)) {
			ret = SHIM_FALLBACK;
			goto out;
		}
		if (h.ai_family == AF_UNSPEC && (v4 || v6)) {
			if (v4 != v6)
				h.ai_family = v4 ? AF_INET : AF_INET6;
		} else if ((h.ai_family == AF_INET && !v4) ||
			   (h.ai_family == AF_INET6 && !v6)) {
			ret = EAI_NONAME;
			goto out;
		}
	}
	if (service && service[0] == '*' && !service[1])
		service = NULL;
	ret = gai_services(service && *service ? service : NULL, &h, st, &nst);
	if (ret)
		goto out;

	r = malloc(sizeof(*r));
	res = calloc(1, sizeof(*res));
	if (!r || !res) {
		ret = SHIM_FALLBACK;
		goto out;
	}
	if (h.ai_family == AF_INET && !(h.ai_flags & AI_CANONNAME))
		ret = gai_simple(c, name, res, r);
	else
		ret = gai_nss(c, name, &h, res, r);
	if (ret)
		goto out;
	if (!res->n) {
		ret = EAI_NONAME;
		goto out;
	}
	ret = gai_list(&h, res, name, st, nst, pai);
out:
	free(c);
	free(r);
	free(res);
	return ret;
}

/**
 * getaddrinfo() - glibc's, with names answered by the supervisor
 *
 * See the file's comment; anything the shim does not follow is libc's.
 */
SHIM_EXPORT int getaddrinfo(const char *name, const char *service,
			    const struct addrinfo *hints,
			    struct addrinfo **pai)
{
	int saved = errno, ret;

	if (!shim_real.getaddrinfo)
		shim_real_init();
	if (!shim_lookups_enabled())
		return shim_real.getaddrinfo(name, service, hints, pai);
	ret = gai(name, service, hints, pai);
	if (ret == SHIM_FALLBACK) {
		errno = saved;
		return shim_real.getaddrinfo(name, service, hints, pai);
	}
	if (ret != EAI_SYSTEM)
		errno = saved;
	return ret;
}
