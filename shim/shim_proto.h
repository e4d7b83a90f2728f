/* SPDX-License-Identifier: GPL-2.0-or-later */
/* shim_proto.h - the lookup protocol of libegress-shim.so and the supervisor
 *
 * The only thing shim/ and supervisor/ share.  The shim runs inside CMD:
 * everything it sends is untrusted input to the supervisor, which checks
 * every field and answers from its DNS stub with the same policy, cache and
 * IP-to-names table as a query sent to port 53.  The shim trusts the
 * supervisor's answers (its connect was redirected by the supervisor, so
 * the peer is the supervisor or nobody).
 *
 * Transport: AF_UNIX SOCK_SEQPACKET.  The supervisor listens on the
 * abstract name given to CMD in SHIM_ENV_SOCKET; a connect() to it is
 * notified like every connect, and the supervisor connects CMD's socket
 * itself and accepts it at once ("arranged"); a peer that arrives any other
 * way is refused.  One message each way per request, one request at a time
 * per connection: the shim sends a struct shim_req and reads a struct
 * shim_resp with the same id.  Both are fixed-size; any other size closes
 * the connection.  Integers are in host order (both ends are one machine).
 */
#ifndef SHIM_PROTO_H
#define SHIM_PROTO_H

#include <stdint.h>

/* CMD's environment: the abstract socket name (without the leading NUL) */
#define SHIM_ENV_SOCKET		"EGRESS_SHIM_SOCKET"
/* "1": connect unconnected UDP sockets to their first peer (see send.c) */
#define SHIM_ENV_UDP_CONNECT	"EGRESS_SHIM_UDP_CONNECT"

#define SHIM_MAGIC		0x31485345u	/* "ESH1" */
#define SHIM_VERSION		1
#define SHIM_NAME_SIZE		256	/* a dotted name and its NUL */
#define SHIM_ADDRS_MAX		128	/* addresses of one type we return */
#define SHIM_CHAIN_MAX		8	/* names of a CNAME chain we return */

enum shim_op {
	SHIM_OP_HOST = 1,	/* A, AAAA or PTR records of one exact name */
	SHIM_OP_SOURCES,	/* source addresses for given destinations */
};

/* shim_req.qtypes */
#define SHIM_Q_A		0x1
#define SHIM_Q_AAAA		0x2
#define SHIM_Q_PTR		0x4	/* alone; the answer is in shim_resp.a */

/* shim_req.flags */
#define SHIM_F_SOURCES		0x1	/* HOST: also the source of each address */

/**
 * struct shim_req - one lookup
 * @magic:	SHIM_MAGIC
 * @version:	SHIM_VERSION
 * @op:		enum shim_op
 * @id:		echoed in the response
 * @qtypes:	HOST: SHIM_Q_A and/or SHIM_Q_AAAA
 * @flags:	SHIM_F_*
 * @naddrs:	SOURCES: destinations in @addrs (0: only the seen_* flags)
 * @families:	SOURCES: AF_INET or AF_INET6 of each destination
 * @name:	HOST: the exact name to ask for (no search list applied by
 *		the supervisor), dotted, no final dot, NUL-terminated
 * @addrs:	SOURCES: the destinations (IPv4 in the first 4 bytes)
 */
struct shim_req {
	uint32_t magic;
	uint16_t version;
	uint16_t op;
	uint32_t id;
	uint32_t qtypes;
	uint32_t flags;
	uint32_t naddrs;
	uint8_t families[SHIM_ADDRS_MAX];
	char name[SHIM_NAME_SIZE];
	uint8_t addrs[SHIM_ADDRS_MAX][16];
};

enum shim_status {
	SHIM_ST_ANSWER,		/* a DNS answer (see rcode, possibly a denial) */
	SHIM_ST_NOANSWER,	/* no usable answer (as SERVFAIL) */
	SHIM_ST_UNASKED,	/* this type was not asked for */
	SHIM_ST_BUSY,		/* the supervisor is out of slots: use libc */
};

/* shim_src.flags, as glibc's in6ai flags */
#define SHIM_SRC_DEPRECATED	0x1	/* deprecated or optimistic */
#define SHIM_SRC_HOME		0x2	/* a mobile IPv6 home address */

/**
 * struct shim_src - how the kernel would reach one destination
 * @ok:		a route exists: @addr is the source it picks (glibc learns
 *		this with a UDP connect() and getsockname())
 * @family:	family of @addr
 * @flags:	SHIM_SRC_* of the source address
 * @prefixlen:	its prefix length (0 when not an address of ours)
 * @native:	its interface is not a tunnel
 * @index:	its interface index (0xffffffff when unknown)
 * @addr:	the source address (IPv4 in the first 4 bytes)
 */
struct shim_src {
	uint8_t ok;
	uint8_t family;
	uint8_t flags;
	uint8_t prefixlen;
	uint8_t native;
	uint8_t pad[3];
	uint32_t index;
	uint8_t addr[16];
};

/**
 * struct shim_answer - what the answer to one type says
 * @status:	enum shim_status
 * @rcode:	the DNS rcode (SHIM_ST_ANSWER)
 * @ancount:	records in its answer section
 * @naddrs:	addresses in @addrs: those of the query name and its CNAME
 *		chain, in answer order; the ones the supervisor learned
 * @nchain:	names in @chain: the query name, then each CNAME target
 * @cname:	the answer has a CNAME record for a name of the chain
 * @canon:	the last CNAME target before the first address record, else
 *		the owner of the first address record, else "" (glibc's
 *		canonical name); names after the query name are lower case.
 *		PTR: the target of the first PTR record owned by the name
 *		(or by the CNAME target it leads to), "" if none is a host
 *		name
 * @addrs:	IPv4 addresses in the first 4 bytes
 * @src:	with SHIM_F_SOURCES: the source for each of @addrs; SOURCES
 *		op: the source for each destination of the request (in @a)
 * @chain:	see @nchain
 */
struct shim_answer {
	uint8_t status;
	uint8_t rcode;
	uint16_t ancount;
	uint16_t naddrs;
	uint8_t nchain;
	uint8_t cname;
	char canon[SHIM_NAME_SIZE];
	uint8_t addrs[SHIM_ADDRS_MAX][16];
	struct shim_src src[SHIM_ADDRS_MAX];
	char chain[SHIM_CHAIN_MAX][SHIM_NAME_SIZE];
};

/**
 * struct shim_resp - the answer to a struct shim_req
 * @magic, @version, @op, @id:	as in the request
 * @seen_ipv4:	SOURCES or SHIM_F_SOURCES: an IPv4 address other than
 *		127.0.0.1 is configured (glibc's AI_ADDRCONFIG test)
 * @seen_ipv6:	likewise an IPv6 address other than ::1
 * @a:		the A answer (SOURCES: the sources)
 * @aaaa:	the AAAA answer
 */
struct shim_resp {
	uint32_t magic;
	uint16_t version;
	uint16_t op;
	uint32_t id;
	uint8_t seen_ipv4;
	uint8_t seen_ipv6;
	uint8_t pad[2];
	struct shim_answer a;
	struct shim_answer aaaa;
};

#endif /* SHIM_PROTO_H */
