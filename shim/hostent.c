// SPDX-License-Identifier: GPL-2.0-or-later
/* hostent.c - gethostbyname(), gethostbyname2() and their _r versions
 *
 * As glibc: names that look like addresses are libc's (digits and dots,
 * or a colon); the rest asks "files", then "dns" (gethostbyname_r is
 * AF_INET; gethostbyname2_r the family given), and the result is packed
 * into the caller's buffer - official name, aliases, addresses - or ERANGE
 * when it does not fit (the caller retries with a larger one, as with
 * glibc).  The static versions keep one buffer, grown as needed, under a
 * lock, and return a pointer into it as glibc does.
 */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

/* Does glibc's __nss_hostname_digits_dots() take this name? */
static bool he_numeric(const char *name)
{
	const char *p;

	if (strchr(name, ':'))
		return true;
	if (name[0] < '0' || name[0] > '9')
		return false;
	for (p = name; *p; p++)
		if ((*p < '0' || *p > '9') && *p != '.')
			return false;
	return true;
}

/* Pack @r into @buf as a struct hostent; false when it does not fit */
static bool he_pack(const struct shim_result *r, int af, struct hostent *he,
		    char *buf, size_t buflen)
{
	size_t alen = af == AF_INET ? 4 : 16, need, i, off;
	size_t namelen = strlen(r->name) + 1;
	char **aliases, **addrs, *p;
	uintptr_t pad = (uintptr_t)-(uintptr_t)buf % sizeof(char *);

	need = pad + (r->naliases + 1 + r->naddrs + 1) * sizeof(char *) +
	       r->naddrs * alen + namelen;
	for (i = 0; i < r->naliases; i++)
		need += strlen(r->aliases[i]) + 1;
	if (need > buflen)
		return false;

	aliases = (char **)(void *)(buf + pad);
	addrs = aliases + r->naliases + 1;
	p = (char *)(addrs + r->naddrs + 1);
	for (i = 0; i < r->naddrs; i++) {
		addrs[i] = p;
		memcpy(p, r->addrs[i].addr, alen);
		p += alen;
	}
	addrs[i] = NULL;
	he->h_name = p;
	memcpy(p, r->name, namelen);
	p += namelen;
	for (i = 0; i < r->naliases; i++) {
		off = strlen(r->aliases[i]) + 1;
		aliases[i] = p;
		memcpy(p, r->aliases[i], off);
		p += off;
	}
	aliases[i] = NULL;
	he->h_aliases = aliases;
	he->h_addr_list = addrs;
	he->h_addrtype = af;
	he->h_length = (int)alen;
	return true;
}

/**
 * he_lookup() - the body of gethostbyname2_r
 *
 * Return: the function's value, or SHIM_FALLBACK (use libc); *result and
 * *h_errnop are set
 */
static int he_lookup(const char *name, int af, struct hostent *he, char *buf,
		     size_t buflen, struct hostent **result, int *h_errnop)
{
	struct shim_conf *c;
	struct shim_result *r;
	int ret;

	if (!shim_lookups_enabled() || !name || he_numeric(name) ||
	    (af != AF_INET && af != AF_INET6))
		return SHIM_FALLBACK;
	c = malloc(sizeof(*c));
	r = malloc(sizeof(*r));
	if (!c || !r || shim_conf_get(c) ||
	    shim_nss(c, name, af, false, r)) {
		free(c);
		free(r);
		return SHIM_FALLBACK;
	}
	free(c);
	*result = NULL;
	if (r->status == SHIM_NSS_SUCCESS) {
		if (!he_pack(r, af, he, buf, buflen)) {
			free(r);
			*h_errnop = NETDB_INTERNAL;
			errno = ERANGE;
			return ERANGE;
		}
		free(r);
		*result = he;
		return 0;
	}
	*h_errnop = r->herrno;
	if (r->status == SHIM_NSS_NOTFOUND) {
		ret = 0;
	} else if (r->herrno == NETDB_INTERNAL) {
		free(r);
		return SHIM_FALLBACK;
	} else {
		ret = EAGAIN;
	}
	free(r);
	errno = ret ? ret : errno;
	return ret;
}

SHIM_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *he,
				 char *buf, size_t buflen,
				 struct hostent **result, int *h_errnop)
{
	int saved = errno, ret;

	if (!shim_real.gethostbyname2_r)
		shim_real_init();
	ret = he_lookup(name, af, he, buf, buflen, result, h_errnop);
	if (ret == SHIM_FALLBACK) {
		errno = saved;
		return shim_real.gethostbyname2_r(name, af, he, buf, buflen,
						  result, h_errnop);
	}
	if (!ret)
		errno = saved;
	return ret;
}

SHIM_EXPORT int gethostbyname_r(const char *name, struct hostent *he,
				char *buf, size_t buflen,
				struct hostent **result, int *h_errnop)
{
	int saved = errno, ret;

	if (!shim_real.gethostbyname_r)
		shim_real_init();
	ret = he_lookup(name, AF_INET, he, buf, buflen, result, h_errnop);
	if (ret == SHIM_FALLBACK) {
		errno = saved;
		return shim_real.gethostbyname_r(name, he, buf, buflen, result,
						 h_errnop);
	}
	if (!ret)
		errno = saved;
	return ret;
}

/* The static versions: one buffer, as glibc keeps one */
static struct {
	pthread_mutex_t lock;
	struct hostent he;
	char *buf;
	size_t size;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* After fork the lock may have been held by a thread the child lacks */
static void he_atfork_child(void)
{
	pthread_mutex_init(&st.lock, NULL);
}

__attribute__((constructor)) static void he_init(void)
{
	pthread_atfork(NULL, NULL, he_atfork_child);
}

static struct hostent *he_static(const char *name, int af, bool *fallback)
{
	struct hostent *result = NULL;
	int herr = 0, ret;

	pthread_mutex_lock(&st.lock);
	for (;;) {
		if (!st.buf) {
			st.size = 1024;
			st.buf = malloc(st.size);
			if (!st.buf) {
				st.size = 0;
				*fallback = true;
				break;
			}
		}
		ret = he_lookup(name, af, &st.he, st.buf, st.size, &result,
				&herr);
		if (ret == SHIM_FALLBACK) {
			*fallback = true;
			break;
		}
		if (ret == ERANGE && herr == NETDB_INTERNAL) {
			char *nb = realloc(st.buf, st.size * 2);

			if (!nb) {
				*fallback = true;
				break;
			}
			st.buf = nb;
			st.size *= 2;
			continue;
		}
		h_errno = herr;
		break;
	}
	pthread_mutex_unlock(&st.lock);
	return result;
}

SHIM_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	int saved = errno;
	bool fallback = false;
	struct hostent *he;

	if (!shim_real.gethostbyname2)
		shim_real_init();
	he = he_static(name, af, &fallback);
	if (fallback) {
		errno = saved;
		return shim_real.gethostbyname2(name, af);
	}
	if (he)
		errno = saved;
	return he;
}

SHIM_EXPORT struct hostent *gethostbyname(const char *name)
{
	int saved = errno;
	bool fallback = false;
	struct hostent *he;

	if (!shim_real.gethostbyname)
		shim_real_init();
	he = he_static(name, AF_INET, &fallback);
	if (fallback) {
		errno = saved;
		return shim_real.gethostbyname(name);
	}
	if (he)
		errno = saved;
	return he;
}
