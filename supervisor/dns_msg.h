/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns_msg.h - DNS wire format: parse queries and responses, build answers
 *
 * Pure functions over byte buffers: no allocation, no I/O, no global state.
 * Everything parsed lands in caller-provided structures with fixed-size
 * arrays; every count in a message is checked against the bytes that are
 * really there.
 *
 * Names are returned as lowercase dotted text without the trailing dot
 * ("www.example.com"); the root name is ".".  Only names whose labels are
 * made of [A-Za-z0-9_-] are accepted where a name is decoded to text (the
 * question and the owners and targets of answer records): a name with a
 * dot, a NUL, a space or any other byte inside a label cannot be shown to
 * the policy unambiguously, so it is refused (-EINVAL) rather than guessed.
 *
 * Compression pointers (RFC 1035 4.1.4) must point strictly backwards, to a
 * "prior occurrence", and never into the 12-byte header: that alone makes
 * loops impossible, and the 255-byte limit of a name bounds the work.
 *
 * Errors: -EBADMSG for a malformed message, -EINVAL for a well-formed name
 * we refuse (see above), -EPROTO for a message in the wrong direction (a
 * response where a query was expected and the reverse), -ENOSPC when an
 * output buffer is too small.
 */
#ifndef DNS_MSG_H
#define DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DNS_HDR_LEN		12
#define DNS_NAME_MAX		253	/* dotted text, no final dot */
#define DNS_NAME_SIZE		256	/* DNS_NAME_MAX + NUL, padded */
#define DNS_WIRE_NAME_MAX	255	/* RFC 1035 2.3.4, wire bytes */
#define DNS_UDP_MIN		512	/* RFC 1035 4.2.1; EDNS floor */
#define DNS_MSG_MAX		65535	/* TCP length prefix limit */

/* What one parsed response keeps; beyond this, see struct dns_response */
#define DNS_RESP_MAX_RR		64
#define DNS_RESP_MAX_NAMES	64
#define DNS_RESP_MAX_ADDRS	128
#define DNS_NO_NAME		UINT16_MAX

/* Extended DNS Errors (RFC 8914) text we put in denials, at most */
#define DNS_EDE_TEXT_MAX	128

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_DNAME = 39,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_SVCB = 64,
	DNS_TYPE_HTTPS = 65,
	DNS_TYPE_ANY = 255,
};

#define DNS_CLASS_IN		1

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16,	/* needs EDNS: high bits in OPT TTL */
};

/* Header flag bits, as in the second 16-bit word of the header */
#define DNS_FLAG_QR		0x8000
#define DNS_FLAG_AA		0x0400
#define DNS_FLAG_TC		0x0200
#define DNS_FLAG_RD		0x0100
#define DNS_FLAG_RA		0x0080
#define DNS_FLAG_AD		0x0020
#define DNS_FLAG_CD		0x0010
#define DNS_OPCODE(flags)	(((flags) >> 11) & 0xf)
#define DNS_RCODE(flags)	((flags) & 0xf)

/* EDNS option codes and SvcParam keys we know */
#define DNS_EDNS_OPT_EDE	15	/* RFC 8914 */
#define DNS_EDE_BLOCKED		15
#define DNS_EDE_NETWORK_ERROR	23
#define DNS_SVC_KEY_MANDATORY	0
#define DNS_SVC_KEY_IPV4HINT	4
#define DNS_SVC_KEY_ECH		5
#define DNS_SVC_KEY_IPV6HINT	6

/**
 * struct dns_query - a parsed query (one question, RFC 9619)
 * @id:			message id
 * @flags:		the header's flag word (opcode, RD, CD, ...)
 * @opcode:		DNS_OPCODE(@flags); the caller answers NOTIMP
 *			unless 0
 * @qname:		lowercase dotted text, "." for the root
 * @qname_len:		strlen(@qname)
 * @qname_wire:		the question name as sent (original case, no
 *			compression), echoed in answers: some clients check
 *			the case they randomised (DNS 0x20)
 * @qname_wire_len:	bytes in @qname_wire, with the final zero
 * @qtype:		question type
 * @qclass:		question class
 * @edns:		an OPT RR was present (RFC 6891)
 * @edns_version:	its version; the caller answers BADVERS unless 0
 * @edns_udp_size:	the requestor's UDP payload size, at least 512
 * @edns_do:		the DO bit, echoed in answers (RFC 3225)
 */
struct dns_query {
	uint16_t id;
	uint16_t flags;
	uint8_t opcode;
	char qname[DNS_NAME_SIZE];
	size_t qname_len;
	uint8_t qname_wire[DNS_WIRE_NAME_MAX];
	size_t qname_wire_len;
	uint16_t qtype;
	uint16_t qclass;
	bool edns;
	uint8_t edns_version;
	uint16_t edns_udp_size;
	bool edns_do;
};

/**
 * struct dns_addr - one address from an answer
 * @family:	AF_INET or AF_INET6
 * @addr:	4 or 16 bytes, network order
 */
struct dns_addr {
	uint8_t family;
	uint8_t addr[16];
};

/**
 * struct dns_rr - one answer record, as far as we care about it
 * @type:		record type
 * @rclass:		record class
 * @ttl:		TTL in seconds (values above 2^31-1 read as 0,
 *			RFC 2181 8)
 * @owner:		index in &dns_response.names
 * @target:		CNAME target, SVCB/HTTPS TargetName, PTR target when it
 *			is a host name (or DNS_NO_NAME)
 * @svc_priority:	SVCB/HTTPS SvcPriority (0 = AliasMode)
 * @has_ech:		SVCB/HTTPS carries an ech SvcParam
 * @addr_first:		first address in &dns_response.addrs: the A/AAAA
 *			address, or the ipv4hint/ipv6hint addresses
 * @addr_count:		how many (0 if none or not kept, see
 *			&struct dns_response)
 */
struct dns_rr {
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t owner;
	uint16_t target;
	uint16_t svc_priority;
	bool has_ech;
	uint16_t addr_first;
	uint16_t addr_count;
};

/**
 * struct dns_response - a parsed response
 * @id:			message id
 * @flags:		header flag word
 * @rcode:		rcode, with the EDNS extended bits when OPT is present
 * @tc:			truncated (TC bit): the answer is incomplete
 * @qname:		question name, lowercase text ("" if no question)
 * @qtype:		question type
 * @qclass:		question class
 * @edns:		an OPT RR was present
 * @edns_udp_size:	its UDP payload size
 * @ancount:		answer records in the message
 * @nrr:		answer records kept in @rr
 * @rr:			the answer section, in message order
 * @nnames:		distinct names kept in @names
 * @names:		owner and target names of @rr, each once
 * @naddrs:		addresses kept in @addrs
 * @addrs:		addresses of A/AAAA records and SVCB hints
 * @dropped:		answer records (or their addresses) that were
 *			checked but not kept because an array was full.
 *			A caller that builds the IP-to-names table from
 *			@rr simply does not learn those addresses, so
 *			connections to them stay unknown (denied): the
 *			failure is closed.
 *
 * The authority and additional sections are checked for bounds and
 * syntax, and the OPT RR is read from the additional section; their other
 * records are not kept.
 */
struct dns_response {
	uint16_t id;
	uint16_t flags;
	uint16_t rcode;
	bool tc;
	char qname[DNS_NAME_SIZE];
	uint16_t qtype;
	uint16_t qclass;
	bool edns;
	uint16_t edns_udp_size;
	uint16_t ancount;
	unsigned int nrr;
	struct dns_rr rr[DNS_RESP_MAX_RR];
	unsigned int nnames;
	char names[DNS_RESP_MAX_NAMES][DNS_NAME_SIZE];
	unsigned int naddrs;
	struct dns_addr addrs[DNS_RESP_MAX_ADDRS];
	unsigned int dropped;
};

/**
 * struct dns_chain - what an answer says about the query name
 * @nnames:	names in @name
 * @name:	indices in &dns_response.names: the query name first, then
 *		every name reached from it through CNAME records
 * @naddrs:	addresses in @addr
 * @addr:	index in &dns_response.addrs and TTL of each address whose
 *		A/AAAA or SVCB/HTTPS record is owned by a name of the chain;
 *		the TTL is the smallest along the chain to that record
 *
 * The IP-to-names table records every @addr under every @name.
 */
struct dns_chain {
	unsigned int nnames;
	uint16_t name[DNS_RESP_MAX_NAMES];
	unsigned int naddrs;
	struct {
		uint16_t addr;
		uint32_t ttl;
	} addr[DNS_RESP_MAX_ADDRS];
};

/* Kinds of synthesized denial */
enum dns_deny {
	DNS_DENY_NXDOMAIN,	/* the name does not exist, with SOA */
	DNS_DENY_NODATA,	/* NOERROR, empty answer, with SOA */
	DNS_DENY_REFUSED,	/* REFUSED, no SOA (not a cacheable answer) */
	DNS_DENY_NUM
};

extern const char *const dns_deny_str[DNS_DENY_NUM];

int dns_msg_parse_query(const uint8_t *msg, size_t len, struct dns_query *q);
int dns_msg_parse_response(const uint8_t *msg, size_t len,
			   struct dns_response *r);
int dns_msg_chain(const struct dns_response *r, struct dns_chain *c);

ssize_t dns_msg_build_rcode(const struct dns_query *q, unsigned int rcode,
			    bool soa, uint32_t neg_ttl, int ede_code,
			    const char *ede_text, uint8_t *out, size_t size);
ssize_t dns_msg_build_denial(const struct dns_query *q, enum dns_deny kind,
			     uint32_t neg_ttl, const char *ede_text,
			     uint8_t *out, size_t size);
ssize_t dns_msg_build_servfail(const struct dns_query *q, uint8_t *out,
			       size_t size);
ssize_t dns_msg_build_formerr(const uint8_t *msg, size_t len, uint8_t *out,
			      size_t size);

ssize_t dns_msg_strip_ech(uint8_t *msg, size_t len);
int dns_msg_set_id(uint8_t *msg, size_t len, uint16_t id);
ssize_t dns_msg_truncate(uint8_t *msg, size_t len, size_t max);
size_t dns_msg_udp_limit(const struct dns_query *q);

const char *dns_type_str(uint16_t type, char *buf, size_t size);
const char *dns_rcode_str(unsigned int rcode);

#endif /* DNS_MSG_H */
