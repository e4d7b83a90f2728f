/* SPDX-License-Identifier: GPL-2.0-or-later */
/* shim.h - what the files of libegress-shim.so share (nothing exported)
 *
 * The library is built with -fvisibility=hidden and a version script that
 * exports only the functions it interposes; everything declared here stays
 * inside it.
 */
#ifndef SHIM_H
#define SHIM_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "shim_proto.h"

/* A function of ours that cannot answer as glibc would: use libc's */
#define SHIM_FALLBACK	1000

#define SHIM_EXPORT	__attribute__((visibility("default")))

/* ------------------------------------------------------------------ */
/* real.c: libc's own functions (dlsym RTLD_NEXT)                     */

struct shim_real {
	int (*getaddrinfo)(const char *, const char *,
			   const struct addrinfo *, struct addrinfo **);
	struct hostent *(*gethostbyname)(const char *);
	struct hostent *(*gethostbyname2)(const char *, int);
	int (*gethostbyname_r)(const char *, struct hostent *, char *, size_t,
			       struct hostent **, int *);
	int (*gethostbyname2_r)(const char *, int, struct hostent *, char *,
				size_t, struct hostent **, int *);
	ssize_t (*sendto)(int, const void *, size_t, int,
			  const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*getnameinfo)(const struct sockaddr *, socklen_t, char *,
			   socklen_t, char *, socklen_t, int);
};

extern struct shim_real shim_real;
void shim_real_init(void);

/* ------------------------------------------------------------------ */
/* conn.c: the connection to the supervisor                            */

bool shim_enabled(void);
bool shim_lookups_enabled(void);
int shim_call(struct shim_req *req, struct shim_resp *resp);
void shim_req_init(struct shim_req *req, enum shim_op op);

/* ------------------------------------------------------------------ */
/* conf.c: the files that decide how glibc looks names up              */

#define SHIM_SEARCH_MAX		8

/**
 * struct shim_conf - glibc's configuration, when the shim can follow it
 * @ok:		hosts come from "files dns" and nothing we do not follow
 *		is configured (otherwise the caller uses libc)
 * @multi:	host.conf "multi on": every /etc/hosts line of a name
 * @ndots:	resolv.conf ndots
 * @no_tld_query: resolv.conf no-tld-query
 * @nsearch:	entries in @search
 * @search:	the search list (resolv.conf, or the host name's domain)
 */
struct shim_conf {
	bool ok;
	bool multi;
	unsigned int ndots;
	bool no_tld_query;
	size_t nsearch;
	char search[SHIM_SEARCH_MAX][SHIM_NAME_SIZE];
};

/* Pure parsers (unit-tested) */
bool shim_conf_nsswitch_ok(const char *text);
int shim_conf_resolv(const char *text, struct shim_conf *c);
int shim_conf_hostconf(const char *text, struct shim_conf *c);
bool shim_conf_gai_default(const char *text);

int shim_conf_get(struct shim_conf *c);

/* ------------------------------------------------------------------ */
/* results, as glibc's NSS modules give them                           */

/* NSS statuses, as in <nss.h> */
#define SHIM_NSS_TRYAGAIN	(-2)
#define SHIM_NSS_UNAVAIL	(-1)
#define SHIM_NSS_NOTFOUND	0
#define SHIM_NSS_SUCCESS	1

#define SHIM_RES_ADDRS		(2 * SHIM_ADDRS_MAX)
#define SHIM_RES_ALIASES	48

struct shim_addr {
	int family;
	uint8_t addr[16];
	bool has_src;
	struct shim_src src;
};

/**
 * struct shim_result - what one NSS module call returned
 * @status:	SHIM_NSS_*
 * @herrno:	h_errno it left
 * @err:	errno it left
 * @naddrs:	addresses in @addrs, in order
 * @name:	the official (canonical) name, "" if none
 * @naliases:	names in @aliases
 */
struct shim_result {
	int status;
	int herrno;
	int err;
	size_t naddrs;
	struct shim_addr addrs[SHIM_RES_ADDRS];
	char name[SHIM_NAME_SIZE];
	size_t naliases;
	char aliases[SHIM_RES_ALIASES][SHIM_NAME_SIZE];
};

/* hosts.c */
int shim_hosts_parse(const char *text, size_t len, const char *name, int af,
		     bool multi, struct shim_result *r);
int shim_hosts(const char *name, int af, bool multi, struct shim_result *r);
int shim_hosts_parse_addr(const char *text, size_t len, int af,
			  const uint8_t *addr, struct shim_result *r);
int shim_hosts_addr(int af, const uint8_t *addr, struct shim_result *r);

/* resolve.c */
bool shim_name_ok(const char *name);
int shim_dns(const struct shim_conf *c, const char *name, int af,
	     bool sources, struct shim_result *r);
int shim_nss(const struct shim_conf *c, const char *name, int af,
	     bool sources, struct shim_result *r);
int shim_dns_ptr(int af, const uint8_t *addr, struct shim_result *r);

/* sort.c */
struct shim_sort_item {
	int family;
	uint8_t addr[16];
	bool got_src;
	struct shim_src src;
	size_t index;
};
int shim_sort_cmp(const struct shim_sort_item *a1,
		  const struct shim_sort_item *a2);
void shim_sort(struct shim_sort_item *v, size_t n);

/* send.c */
bool shim_udp_connect_enabled(void);

#endif /* SHIM_H */
