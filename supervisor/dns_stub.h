/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns_stub.h - the DNS stub CMD resolves through */
#ifndef DNS_STUB_H
#define DNS_STUB_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "sockaddr.h"

struct policy;
struct dns_table;
struct dns_response;
struct dns_chain;

int dns_stub_init(const char *listen, const char *const *upstream,
		  size_t n_upstream);
void dns_stub_handler(union loop_ref ref, uint32_t events);
int dns_stub_timeout_ms(int max);
void dns_stub_timer(void);
const struct sockaddr_in *dns_stub_addr(void);
bool dns_stub_up(void);
struct dns_table *dns_stub_table(void);
int dns_stub_names(int family, const uint8_t *addr, const char **names,
		   size_t max);

/**
 * dns_resolve_cb - the addresses of a name the supervisor asked for
 * @arg, @gen:	as given to dns_stub_resolve()
 * @status:	0, or -ENOENT (no address: denied, NXDOMAIN, SERVFAIL)
 * @addrs:	the addresses (kind SA_ADDR, port 0), valid during the call
 * @n:		how many
 */
typedef void (*dns_resolve_cb)(void *arg, uint32_t gen, int status,
			       const struct sa_dest *addrs, size_t n);
int dns_stub_resolve(const char *name, int family, dns_resolve_cb cb,
		     void *arg, uint32_t gen);

/**
 * dns_answer_fn - the answer to a query of dns_stub_query()
 * @arg, @gen:	as given to dns_stub_query()
 * @r:		the parsed answer (denials and SERVFAIL included), valid
 *		during the call; NULL when there is none to parse
 * @c:		its chain, with @r
 */
typedef void (*dns_answer_fn)(void *arg, uint32_t gen,
			      const struct dns_response *r,
			      const struct dns_chain *c);
int dns_stub_query(const char *name, uint16_t qtype, dns_answer_fn cb,
		   void *arg, uint32_t gen);

#endif /* DNS_STUB_H */
