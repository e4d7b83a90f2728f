// SPDX-License-Identifier: GPL-2.0-or-later
/* gni.c - getnameinfo() with the host name asked of the supervisor
 *
 * glibc's getnameinfo() looks the host up with its internal
 * gethostbyaddr_r() ("files", then a PTR query of the reverse name), so
 * the shim takes over getnameinfo() itself, for IPv4 and IPv6 addresses
 * when a name is wanted: /etc/hosts first, then one PTR request to the
 * supervisor (the reverse name meets the policy like any name - usually
 * denied, so the address is shown as a number).  The numeric form, the
 * service and every argument check stay libc's: it is called for them
 * with NI_NUMERICHOST.  Errors as glibc's: EAI_AGAIN when the PTR query
 * failed, EAI_NONAME with NI_NAMEREQD and no name, EAI_OVERFLOW when the
 * name does not fit.  NI_NOFQDN and NI_IDN are libc's alone.
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

/* The host name of @sa: 0 and @r filled, or SHIM_FALLBACK */
static int gni_lookup(const struct sockaddr *sa, struct shim_result *r)
{
	static const uint8_t any6[16];
	struct shim_conf c;
	const uint8_t *addr;
	int af = sa->sa_family, ret;

	if (shim_conf_get(&c))
		return SHIM_FALLBACK;
	if (af == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)sa)
			       ->sin_addr;
	} else {
		addr = (const uint8_t *)&((const struct sockaddr_in6 *)sa)
			       ->sin6_addr;
		/* gethostbyaddr_r never looks up :: */
		if (!memcmp(addr, any6, 16)) {
			r->status = SHIM_NSS_NOTFOUND;
			r->herrno = HOST_NOT_FOUND;
			return 0;
		}
	}
	ret = shim_hosts_addr(af, addr, r);
	if (ret || r->status == SHIM_NSS_SUCCESS)
		return ret;
	return shim_dns_ptr(af, addr, r);
}

static int gni(const struct sockaddr *sa, socklen_t salen, char *host,
	       socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
	struct shim_result *r;
	int ret;
	size_t n;

	if (!shim_lookups_enabled() || !sa || !host || !hostlen ||
	    (flags & ~(NI_NUMERICSERV | NI_NAMEREQD | NI_DGRAM)) ||
	    (sa->sa_family == AF_INET && salen < sizeof(struct sockaddr_in)) ||
	    (sa->sa_family == AF_INET6 &&
	     salen < sizeof(struct sockaddr_in6)) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return SHIM_FALLBACK;
	r = malloc(sizeof(*r));
	if (!r)
		return SHIM_FALLBACK;
	ret = gni_lookup(sa, r);
	if (ret) {
		free(r);
		return ret;
	}
	if (r->status != SHIM_NSS_SUCCESS) {
		int herrno = r->herrno;

		free(r);
		if (herrno == NETDB_INTERNAL)
			return SHIM_FALLBACK;
		if (herrno == TRY_AGAIN)
			return EAI_AGAIN;
		if (flags & NI_NAMEREQD)
			return EAI_NONAME;
		/* the number, and the service, from libc */
		return shim_real.getnameinfo(sa, salen, host, hostlen, serv,
					     servlen, flags | NI_NUMERICHOST);
	}
	n = strlen(r->name) + 1;
	if (n > hostlen) {
		free(r);
		return EAI_OVERFLOW;
	}
	memcpy(host, r->name, n);
	free(r);
	if (!serv || !servlen)
		return 0;
	return shim_real.getnameinfo(sa, salen, NULL, 0, serv, servlen,
				     flags & ~NI_NAMEREQD);
}

SHIM_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen,
			    char *host, socklen_t hostlen, char *serv,
			    socklen_t servlen, int flags)
{
	int saved = errno, ret;

	if (!shim_real.getnameinfo)
		shim_real_init();
	ret = gni(sa, salen, host, hostlen, serv, servlen, flags);
	if (ret == SHIM_FALLBACK) {
		errno = saved;
		return shim_real.getnameinfo(sa, salen, host, hostlen, serv,
					     servlen, flags);
	}
	if (ret != EAI_SYSTEM)
		errno = saved;
	return ret;
}
