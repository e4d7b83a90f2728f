// SPDX-License-Identifier: GPL-2.0-or-later
/* dns_msg.c - DNS wire format: parse queries and responses, build answers
 *
 * Theory of operation
 *
 * The stub sees three kinds of bytes: queries from the target (hostile),
 * responses from the upstream resolver (trusted for content, not for
 * syntax), and the answers it synthesizes.  Every read here goes through a
 * bounds check against the message length; every count in the header is
 * only a promise, checked record by record.
 *
 * Names are walked by one function, dns_name_walk(), which enforces RFC
 * 1035's limits (labels of at most 63 bytes, names of at most 255) and
 * accepts a compression pointer only towards a strictly earlier offset than
 * the start of the label run that contains it, and never into the header.
 * Offsets therefore decrease at each jump, so a walk ends after at most
 * 255 label bytes and a bounded number of jumps whatever the input.  What
 * a pointer leads to must also end before the pointer itself: it is "a
 * prior occurrence" of the name (RFC 1035 4.1.4), never bytes behind it,
 * so a name never depends on bytes after its record, and cutting what
 * follows the last record cannot change any name.
 *
 * A response is well formed when dns_msg_check() says so, and only then:
 * dns_msg_parse_response() and dns_msg_strip_ech() both start with it, so
 * they accept exactly the same messages (parsing may still refuse a name's
 * bytes, -EINVAL, or a clear QR bit, -EPROTO; stripping may still refuse a
 * message with ech it cannot rewrite safely, see dns_name_mark()), and a
 * message the rewrite produced is well formed and parses as before.
 *
 * Rewriting (stripping ech from SVCB/HTTPS records) shrinks records in
 * place, which moves every byte behind them; compression pointers to moved
 * bytes are corrected.  Pointers can sit in owner names and in the RDATA of
 * the types RFC 1035 (and RFC 3597 section 4 for old types) allows to be
 * compressed; new types must not compress (RFC 3597 4), so their RDATA is
 * copied as is.  The caller should parse the rewritten message, not the
 * original, so that what it learns is what the client sees.
 */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_msg.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Our own EDNS UDP payload size in synthesized answers (DNS flag day 2020) */
#define DNS_OUR_UDP_SIZE	1232

/* SOA of synthesized negative answers: names under .invalid (RFC 6761) */
static const uint8_t dns_soa_mname[] = "\x10" "egress-supervise" "\x07"
				       "invalid";
static const uint8_t dns_soa_rname[] = "\x0a" "hostmaster" "\x07" "invalid";

static const char dns_deny_text[] = "egress-supervise: denied by policy";
static const char dns_servfail_text[] =
	"egress-supervise: upstream unreachable";

const char *const dns_deny_str[DNS_DENY_NUM] = {
	[DNS_DENY_NXDOMAIN] = "nxdomain",
	[DNS_DENY_NODATA] = "nodata",
	[DNS_DENY_REFUSED] = "refused",
};

static_assert(ARRAY_SIZE(dns_deny_str) == DNS_DENY_NUM,
	      "dns_deny_str must name every enum dns_deny");

/* Removals of ech SvcParams one rewrite can do; see dns_msg_strip_ech() */
#define DNS_STRIP_MAX		256

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/**
 * dns_label_char() - map one label byte to what the text form shows
 * @c:		byte of a label
 *
 * Return: the lowercase character, or 0 if @c may not appear in a name we
 * hand to the policy (see dns_msg.h)
 */
static char dns_label_char(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_')
		return (char)c;
	return 0;
}

/**
 * struct dns_name_out - what dns_name_walk() may produce besides the end
 * @text:	if not NULL, DNS_NAME_SIZE bytes for the lowercase text
 * @text_len:	set to strlen(@text)
 * @wire:	if not NULL, DNS_WIRE_NAME_MAX bytes for the uncompressed name
 * @wire_len:	set to the bytes used in @wire
 */
struct dns_name_out {
	char *text;
	size_t text_len;
	uint8_t *wire;
	size_t wire_len;
};

/**
 * dns_name_walk() - check, and optionally decode, a name at an offset
 * @msg:	the whole message (pointers are offsets into it)
 * @len:	its length
 * @off:	where the name starts
 * @limit:	the name's own bytes (up to a pointer or the root label) must
 *		end at or before this offset, e.g. the end of an RDATA; bytes
 *		reached through a pointer must end before that pointer
 * @next:	set to the offset right after the name's own bytes
 * @out:	optional decoded forms, see &struct dns_name_out
 *
 * Return: 0, -EBADMSG if the name is malformed, -EINVAL if it is well
 * formed but @out->text was asked for and a label has a byte we refuse
 * (the walk still completes, so @next is valid)
 */
static int dns_name_walk(const uint8_t *msg, size_t len, size_t off,
			 size_t limit, size_t *next, struct dns_name_out *out)
{
	size_t pos = off, lowest = off, wire = 0, tlen = 0, end;
	bool jumped = false, bad_char = false;

	/* @end: where the bytes being walked must stop (see the header) */
	end = limit > len ? len : limit;

	for (;;) {
		uint8_t l;

		if (pos >= end)
			return -EBADMSG;
		l = msg[pos];

		if ((l & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 2 > end)
				return -EBADMSG;
			target = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
			if (target < DNS_HDR_LEN || target >= lowest)
				return -EBADMSG;
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			/* the rest of the name lies wholly before the pointer */
			end = pos;
			lowest = target;
			pos = target;
			continue;
		}
		if (l & 0xc0)	/* 0x40, 0x80: obsolete, RFC 6891 5 */
			return -EBADMSG;

		if (wire + 1 + l > DNS_WIRE_NAME_MAX)
			return -EBADMSG;
		if (pos + 1 + l > end)
			return -EBADMSG;

		if (out && out->wire)
			memcpy(out->wire + wire, msg + pos, 1 + (size_t)l);
		wire += 1 + (size_t)l;

		if (l == 0) {
			if (!jumped)
				*next = pos + 1;
			break;
		}

		if (out && out->text) {
			size_t i;

			/* wire <= 255 keeps text within 253 + NUL */
			if (tlen)
				out->text[tlen++] = '.';
			for (i = 0; i < l; i++) {
				char c = dns_label_char(msg[pos + 1 + i]);

				if (!c)
					bad_char = true;
				out->text[tlen++] = c ? c : '?';
			}
		}
		pos += 1 + (size_t)l;
	}

	if (out) {
		if (out->text) {
			if (!tlen)
				out->text[tlen++] = '.';
			out->text[tlen] = '\0';
			out->text_len = tlen;
		}
		out->wire_len = wire;
	}
	return bad_char ? -EINVAL : 0;
}

/**
 * struct dns_rr_pos - where one resource record's parts are
 * @owner:	offset of the owner name
 * @type:	type, @rclass: class, @ttl: raw TTL
 * @rdlen_off:	offset of RDLENGTH
 * @rdata:	offset of RDATA
 * @rdlen:	RDLENGTH
 * @next:	offset after the record
 */
struct dns_rr_pos {
	size_t owner;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	size_t rdlen_off;
	size_t rdata;
	uint16_t rdlen;
	size_t next;
};

/**
 * dns_rr_walk() - check the frame of one resource record
 * @msg:	message
 * @len:	its length
 * @off:	where the record starts
 * @rr:	filled in
 * @owner:	optional decoded owner name
 *
 * Return: 0, -EBADMSG, or -EINVAL from dns_name_walk() (with @rr filled)
 */
static int dns_rr_walk(const uint8_t *msg, size_t len, size_t off,
		       struct dns_rr_pos *rr, struct dns_name_out *owner)
{
	size_t p;
	int ret;

	rr->owner = off;
	ret = dns_name_walk(msg, len, off, len, &p, owner);
	if (ret && ret != -EINVAL)
		return ret;
	if (p + 10 > len)
		return -EBADMSG;
	rr->type = rd16(msg + p);
	rr->rclass = rd16(msg + p + 2);
	rr->ttl = rd32(msg + p + 4);
	rr->rdlen_off = p + 8;
	rr->rdlen = rd16(msg + p + 8);
	rr->rdata = p + 10;
	if (rr->rdata + rr->rdlen > len)
		return -EBADMSG;
	rr->next = rr->rdata + rr->rdlen;
	return ret;
}

/**
 * dns_opt_check() - check an OPT RR found in the additional section
 * @msg:	message
 * @rr:	the record's frame
 *
 * The owner must be the root (RFC 6891 6.1.2) and the options must tile
 * the RDATA exactly.
 *
 * Return: 0 or -EBADMSG
 */
static int dns_opt_check(const uint8_t *msg, const struct dns_rr_pos *rr)
{
	size_t p = rr->rdata, end = rr->rdata + rr->rdlen;

	if (msg[rr->owner] != 0)
		return -EBADMSG;
	while (p < end) {
		if (p + 4 > end)
			return -EBADMSG;
		p += 4 + (size_t)rd16(msg + p + 2);
		if (p > end)
			return -EBADMSG;
	}
	return 0;
}

/**
 * dns_skip_section() - walk @count records, looking for OPT if asked
 * @msg:	message
 * @len:	its length
 * @off:	in: where the section starts; out: where it ends
 * @count:	records announced
 * @opt:	if not NULL (additional section), set to the OPT frame; the
 *		caller sets @opt->type to 0 beforehand
 *
 * Return: 0 or -EBADMSG (also for a second OPT RR, RFC 6891 6.1.1)
 */
static int dns_skip_section(const uint8_t *msg, size_t len, size_t *off,
			    unsigned int count, struct dns_rr_pos *opt)
{
	struct dns_rr_pos rr;
	unsigned int i;
	int ret;

	for (i = 0; i < count; i++) {
		ret = dns_rr_walk(msg, len, *off, &rr, NULL);
		if (ret)
			return ret;
		if (rr.type == DNS_TYPE_OPT) {
			if (!opt || opt->type == DNS_TYPE_OPT)
				return -EBADMSG;
			ret = dns_opt_check(msg, &rr);
			if (ret)
				return ret;
			*opt = rr;
		}
		*off = rr.next;
	}
	return 0;
}

/**
 * dns_msg_parse_query() - parse a query from a client
 * @msg:	message bytes
 * @len:	length (UDP payload, or TCP message without its length prefix)
 * @q:		filled in
 *
 * Exactly one question is accepted (RFC 9619).  Answer and authority
 * records (which queries do not carry) are checked and ignored; the
 * additional section is searched for the OPT RR.  Bytes after the last
 * record are ignored.
 *
 * Return: 0; -EBADMSG if malformed (@q->id is valid if @len >= 2: answer
 * with dns_msg_build_formerr()); -EPROTO if the QR bit says response
 * (never answer those: it would make a loop); -EINVAL if the name has a
 * byte we refuse -- then everything else in @q is filled in, @q->qname is
 * "", and the caller can still answer (REFUSED) with the question echoed
 */
int dns_msg_parse_query(const uint8_t *msg, size_t len, struct dns_query *q)
{
	struct dns_rr_pos opt = { 0 };
	struct dns_name_out name = {
		.text = q->qname,
		.wire = q->qname_wire,
	};
	unsigned int an, ns, ar;
	size_t off;
	int ret, name_ret;

	memset(q, 0, sizeof(*q));
	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	q->id = rd16(msg);
	q->flags = rd16(msg + 2);
	q->opcode = DNS_OPCODE(q->flags);
	if (q->flags & DNS_FLAG_QR)
		return -EPROTO;
	if (rd16(msg + 4) != 1)
		return -EBADMSG;
	an = rd16(msg + 6);
	ns = rd16(msg + 8);
	ar = rd16(msg + 10);

	name_ret = dns_name_walk(msg, len, DNS_HDR_LEN, len, &off, &name);
	if (name_ret && name_ret != -EINVAL)
		return name_ret;
	q->qname_len = name.text_len;
	q->qname_wire_len = name.wire_len;
	if (off + 4 > len)
		return -EBADMSG;
	q->qtype = rd16(msg + off);
	q->qclass = rd16(msg + off + 2);
	off += 4;

	ret = dns_skip_section(msg, len, &off, an + ns, NULL);
	if (ret)
		return ret;
	ret = dns_skip_section(msg, len, &off, ar, &opt);
	if (ret)
		return ret;
	if (opt.type == DNS_TYPE_OPT) {
		q->edns = true;
		q->edns_udp_size = opt.rclass < DNS_UDP_MIN ? DNS_UDP_MIN :
							      opt.rclass;
		q->edns_version = (opt.ttl >> 16) & 0xff;
		q->edns_do = !!(opt.ttl & 0x8000);
	}

	if (name_ret) {
		q->qname[0] = '\0';
		q->qname_len = 0;
	}
	return name_ret;
}

/**
 * dns_resp_name() - intern a decoded name in the response's name list
 * @r:		response being filled
 * @text:	lowercase name
 *
 * Return: its index, or DNS_NO_NAME if the list is full
 */
static uint16_t dns_resp_name(struct dns_response *r, const char *text)
{
	unsigned int i;

	for (i = 0; i < r->nnames; i++)
		if (!strcmp(r->names[i], text))
			return (uint16_t)i;
	if (r->nnames >= DNS_RESP_MAX_NAMES)
		return DNS_NO_NAME;
	strcpy(r->names[r->nnames], text);
	return (uint16_t)r->nnames++;
}

/**
 * dns_resp_addr() - keep one address of a record
 * @r:		response being filled
 * @rr:		the record it belongs to (addr_first/addr_count updated)
 * @family:	AF_INET or AF_INET6
 * @addr:	4 or 16 bytes
 */
static void dns_resp_addr(struct dns_response *r, struct dns_rr *rr,
			  int family, const uint8_t *addr)
{
	struct dns_addr *a;

	if (r->naddrs >= DNS_RESP_MAX_ADDRS) {
		r->dropped++;
		return;
	}
	if (!rr->addr_count)
		rr->addr_first = (uint16_t)r->naddrs;
	a = &r->addrs[r->naddrs++];
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	memcpy(a->addr, addr, family == AF_INET ? 4 : 16);
	rr->addr_count++;
}

/**
 * dns_svcb_params() - check SvcParams and keep address hints
 * @msg:	message
 * @p:		first SvcParam
 * @end:	end of the RDATA
 * @r:		response being filled, or NULL to check only
 * @rr:		record being filled, or NULL
 *
 * Keys must be strictly increasing (RFC 9460 2.2); hints must be whole
 * addresses, at least one.
 *
 * Return: 0 or -EBADMSG
 */
static int dns_svcb_params(const uint8_t *msg, size_t p, size_t end,
			   struct dns_response *r, struct dns_rr *rr)
{
	int last = -1;

	while (p < end) {
		uint16_t key, vlen;
		size_t i;

		if (p + 4 > end)
			return -EBADMSG;
		key = rd16(msg + p);
		vlen = rd16(msg + p + 2);
		p += 4;
		if ((int)key <= last || p + vlen > end)
			return -EBADMSG;
		last = key;

		switch (key) {
		case DNS_SVC_KEY_MANDATORY:
			if (!vlen || vlen % 2)
				return -EBADMSG;
			break;
		case DNS_SVC_KEY_IPV4HINT:
			if (!vlen || vlen % 4)
				return -EBADMSG;
			for (i = 0; r && i < vlen; i += 4)
				dns_resp_addr(r, rr, AF_INET, msg + p + i);
			break;
		case DNS_SVC_KEY_IPV6HINT:
			if (!vlen || vlen % 16)
				return -EBADMSG;
			for (i = 0; r && i < vlen; i += 16)
				dns_resp_addr(r, rr, AF_INET6, msg + p + i);
			break;
		case DNS_SVC_KEY_ECH:
			if (rr)
				rr->has_ech = true;
			break;
		default:
			break;
		}
		p += vlen;
	}
	return 0;
}

/*
 * Where RDATA of the types allowed to be compressed holds names: @prefix
 * bytes, @names names, then @suffix bytes, exactly.  RFC 1035 3.3 types,
 * plus the older ones RFC 3597 4 lists as possibly compressed on receipt.
 */
static const struct {
	uint16_t type;
	uint8_t prefix;
	uint8_t names;
	uint8_t suffix;
} dns_rdata_names[] = {
	{ 2, 0, 1, 0 },		/* NS */
	{ 3, 0, 1, 0 },		/* MD */
	{ 4, 0, 1, 0 },		/* MF */
	{ 5, 0, 1, 0 },		/* CNAME */
	{ 6, 0, 2, 20 },	/* SOA */
	{ 7, 0, 1, 0 },		/* MB */
	{ 8, 0, 1, 0 },		/* MG */
	{ 9, 0, 1, 0 },		/* MR */
	{ 12, 0, 1, 0 },	/* PTR */
	{ 14, 0, 2, 0 },	/* MINFO */
	{ 15, 2, 1, 0 },	/* MX */
	{ 17, 0, 2, 0 },	/* RP */
	{ 18, 2, 1, 0 },	/* AFSDB */
	{ 21, 2, 1, 0 },	/* RT */
	{ 26, 2, 2, 0 },	/* PX */
	{ 33, 6, 1, 0 },	/* SRV */
	{ 36, 2, 1, 0 },	/* KX */
	{ 39, 0, 1, 0 },	/* DNAME */
};

/**
 * dns_rdata_layout() - find the name layout of a type
 * @type:	record type
 *
 * Return: index in dns_rdata_names, or -1 if its RDATA holds no
 * (compressible) names
 */
static int dns_rdata_layout(uint16_t type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dns_rdata_names); i++)
		if (dns_rdata_names[i].type == type)
			return (int)i;
	return -1;
}

/**
 * dns_name_mark() - walk a name, note its labels, check its pointer
 * @msg:	message
 * @len:	its length
 * @off:	name start
 * @limit:	end of the name's own bytes
 * @next:	set to the offset after the name's own bytes
 * @bits:	one bit per message offset: label starts of names seen so
 *		far, or NULL to skip this check
 *
 * A rewrite can only move a pointer it knows about.  Requiring every
 * pointer to land on a label of an earlier name the rewrite also walks
 * ("a prior occurrence of the same name", RFC 1035 4.1.4) means every
 * later hop of the chain sits in such a name and is moved too; a pointer
 * into opaque RDATA, whose bytes might hold a pointer of their own, is
 * refused.
 *
 * Return: 0 or -EBADMSG
 */
static int dns_name_mark(const uint8_t *msg, size_t len, size_t off,
			 size_t limit, size_t *next, uint8_t *bits)
{
	size_t p = off;

	if (dns_name_walk(msg, len, off, limit, next, NULL))
		return -EBADMSG;
	if (!bits)
		return 0;
	for (;;) {
		uint8_t l = msg[p];

		if ((l & 0xc0) == 0xc0) {
			size_t target = (size_t)(l & 0x3f) << 8 | msg[p + 1];

			if (!(bits[target >> 3] & (1U << (target & 7))))
				return -EBADMSG;
			return 0;
		}
		bits[p >> 3] |= (uint8_t)(1U << (p & 7));
		if (!l)
			return 0;
		p += 1 + (size_t)l;
	}
}

/**
 * dns_msg_check() - validate a whole response and count ech SvcParams
 * @msg:	message
 * @len:	length
 * @end:	set to the end of the last record
 * @bits:	NULL, or a cleared bitmap of (@len + 7) / 8 bytes: then every
 *		compression pointer must land on a label start of an earlier
 *		name in a place dns_msg_strip_ech() rewrites
 *
 * This is what "well formed" means for a response, for the parser and for
 * the rewriters alike: at most one question; every record framed within
 * the message; every name well formed (see dns_name_walk()), also the
 * names inside the RDATA of the types in dns_rdata_names, which must tile
 * it exactly; A and AAAA RDATA of 4 and 16 bytes; SVCB/HTTPS RDATA a
 * priority, a target name and ordered, well-formed SvcParams; at most one
 * OPT RR, in the additional section, with a root owner and whole options.
 * Bytes after the last record are not part of the message.
 *
 * Return: number of SVCB/HTTPS records with ech, or -EBADMSG
 */
static int dns_msg_check(const uint8_t *msg, size_t len, size_t *end,
			 uint8_t *bits)
{
	struct dns_rr_pos opt = { 0 };
	unsigned int qd, nonadd, total, i;
	size_t off = DNS_HDR_LEN, p;
	int ret, ech = 0;

	if (len < DNS_HDR_LEN || len > DNS_MSG_MAX)
		return -EBADMSG;
	qd = rd16(msg + 4);
	if (qd > 1)
		return -EBADMSG;
	nonadd = (unsigned int)rd16(msg + 6) + rd16(msg + 8);
	total = nonadd + rd16(msg + 10);
	for (i = 0; i < qd; i++) {
		ret = dns_name_mark(msg, len, off, len, &off, bits);
		if (ret)
			return -EBADMSG;
		if (off + 4 > len)
			return -EBADMSG;
		off += 4;
	}
	for (i = 0; i < total; i++) {
		struct dns_rr_pos pos;
		struct dns_rr rr = { 0 };
		int lay;

		if (dns_name_mark(msg, len, off, len, &p, bits))
			return -EBADMSG;
		ret = dns_rr_walk(msg, len, off, &pos, NULL);
		if (ret)
			return -EBADMSG;
		off = pos.next;
		switch (pos.type) {
		case DNS_TYPE_OPT:
			/* RFC 6891 6.1.1: one, in the additional section */
			if (i < nonadd || opt.type == DNS_TYPE_OPT ||
			    dns_opt_check(msg, &pos))
				return -EBADMSG;
			opt = pos;
			continue;
		case DNS_TYPE_A:
			if (pos.rdlen != 4)
				return -EBADMSG;
			continue;
		case DNS_TYPE_AAAA:
			if (pos.rdlen != 16)
				return -EBADMSG;
			continue;
		case DNS_TYPE_SVCB:
		case DNS_TYPE_HTTPS:
			if (pos.rdlen < 3)
				return -EBADMSG;
			if (dns_name_mark(msg, len, pos.rdata + 2, pos.next, &p,
					  bits))
				return -EBADMSG;
			if (dns_svcb_params(msg, p, pos.next, NULL, &rr))
				return -EBADMSG;
			ech += rr.has_ech;
			continue;
		default:
			break;
		}
		lay = dns_rdata_layout(pos.type);
		if (lay >= 0) {
			unsigned int j;

			p = pos.rdata + dns_rdata_names[lay].prefix;
			if (p > pos.next)
				return -EBADMSG;
			for (j = 0; j < dns_rdata_names[lay].names; j++)
				if (dns_name_mark(msg, len, p, pos.next, &p,
						  bits))
					return -EBADMSG;
			if (p + dns_rdata_names[lay].suffix != pos.next)
				return -EBADMSG;
		}
	}
	*end = off;
	return ech;
}

/**
 * dns_answer_rr() - parse one answer record into @r
 * @msg:	message
 * @len:	its length
 * @off:	in: record start; out: record end
 * @r:		response being filled
 *
 * Return: 0, -EBADMSG or -EINVAL
 */
static int dns_answer_rr(const uint8_t *msg, size_t len, size_t *off,
			 struct dns_response *r)
{
	char text[DNS_NAME_SIZE];
	struct dns_name_out name = { .text = text };
	struct dns_rr_pos pos;
	struct dns_rr rr = { .target = DNS_NO_NAME };
	bool keep;
	size_t p;
	int ret;

	ret = dns_rr_walk(msg, len, *off, &pos, &name);
	if (ret)
		return ret;
	*off = pos.next;

	rr.type = pos.type;
	rr.rclass = pos.rclass;
	rr.ttl = pos.ttl > INT32_MAX ? 0 : pos.ttl;
	rr.owner = dns_resp_name(r, text);
	keep = rr.owner != DNS_NO_NAME && r->nrr < DNS_RESP_MAX_RR;

	switch (pos.type) {
	case DNS_TYPE_A:
		if (pos.rdlen != 4)
			return -EBADMSG;
		if (keep)
			dns_resp_addr(r, &rr, AF_INET, msg + pos.rdata);
		break;
	case DNS_TYPE_AAAA:
		if (pos.rdlen != 16)
			return -EBADMSG;
		if (keep)
			dns_resp_addr(r, &rr, AF_INET6, msg + pos.rdata);
		break;
	case DNS_TYPE_CNAME:
		ret = dns_name_walk(msg, len, pos.rdata, pos.next, &p, &name);
		if (ret)
			return ret;
		if (p != pos.next)
			return -EBADMSG;
		if (keep)
			rr.target = dns_resp_name(r, text);
		if (rr.target == DNS_NO_NAME)
			keep = false;
		break;
	case DNS_TYPE_PTR:
		/* Kept for the shim's reverse lookups only: a target we cannot
		 * read as a host name is simply not kept (never an error, so
		 * the answer passes the stub as before) */
		if (keep && !dns_name_walk(msg, len, pos.rdata, pos.next, &p,
					   &name) && p == pos.next)
			rr.target = dns_resp_name(r, text);
		break;
	case DNS_TYPE_SVCB:
	case DNS_TYPE_HTTPS:
		if (pos.rdlen < 3)
			return -EBADMSG;
		rr.svc_priority = rd16(msg + pos.rdata);
		/* TargetName "MUST NOT be compressed" (RFC 9460 2.2): we
		 * read it either way, and dns_msg_strip_ech() fixes it up */
		ret = dns_name_walk(msg, len, pos.rdata + 2, pos.next, &p,
				    &name);
		if (ret)
			return ret;
		if (keep) {
			rr.target = dns_resp_name(r, text);
			if (rr.target == DNS_NO_NAME)
				keep = false;
		}
		ret = dns_svcb_params(msg, p, pos.next, keep ? r : NULL, &rr);
		if (ret)
			return ret;
		break;
	default:
		break;
	}

	if (!keep) {
		r->dropped++;
		/* addresses already taken stay unreferenced: harmless */
		return 0;
	}
	r->rr[r->nrr++] = rr;
	return 0;
}

/**
 * dns_msg_parse_response() - parse a response from upstream
 * @msg:	message bytes
 * @len:	length
 * @r:		filled in (see &struct dns_response for what is kept)
 *
 * Return: 0; -EBADMSG if dns_msg_check() finds it malformed (the stub
 * should answer SERVFAIL); -EINVAL if a question or answer name has a
 * byte we refuse; -EPROTO if the QR bit is clear
 */
int dns_msg_parse_response(const uint8_t *msg, size_t len,
			   struct dns_response *r)
{
	struct dns_rr_pos opt = { 0 };
	unsigned int qd, ns, ar, i;
	size_t off = DNS_HDR_LEN, end;
	int ret;

	r->nrr = r->nnames = r->naddrs = r->dropped = 0;
	r->qname[0] = '\0';
	r->qtype = r->qclass = 0;
	r->edns = false;
	r->edns_udp_size = 0;

	/* The one definition of well formed, shared with the rewriters;
	 * the checks below repeat parts of it only to stay safe alone */
	ret = dns_msg_check(msg, len, &end, NULL);
	if (ret < 0)
		return ret;
	r->id = rd16(msg);
	r->flags = rd16(msg + 2);
	r->rcode = DNS_RCODE(r->flags);
	r->tc = !!(r->flags & DNS_FLAG_TC);
	if (!(r->flags & DNS_FLAG_QR))
		return -EPROTO;
	qd = rd16(msg + 4);
	r->ancount = rd16(msg + 6);
	ns = rd16(msg + 8);
	ar = rd16(msg + 10);
	if (qd > 1)
		return -EBADMSG;

	if (qd) {
		struct dns_name_out name = { .text = r->qname };

		ret = dns_name_walk(msg, len, off, len, &off, &name);
		if (ret)
			return ret;
		if (off + 4 > len)
			return -EBADMSG;
		r->qtype = rd16(msg + off);
		r->qclass = rd16(msg + off + 2);
		off += 4;
		/* names[0] is the question: dns_msg_chain() starts there */
		dns_resp_name(r, r->qname);
	}

	for (i = 0; i < r->ancount; i++) {
		ret = dns_answer_rr(msg, len, &off, r);
		if (ret)
			return ret;
	}
	ret = dns_skip_section(msg, len, &off, ns, NULL);
	if (ret)
		return ret;
	ret = dns_skip_section(msg, len, &off, ar, &opt);
	if (ret)
		return ret;
	if (opt.type == DNS_TYPE_OPT) {
		r->edns = true;
		r->edns_udp_size = opt.rclass;
		r->rcode |= (uint16_t)((opt.ttl >> 24) << 4);
	}
	return 0;
}

/**
 * dns_msg_chain() - the query name, its CNAME chain and their addresses
 * @r:		a response parsed by dns_msg_parse_response()
 * @c:		filled in
 *
 * Only class IN records count.  Names are followed through CNAME records
 * in any order of the answer section (servers need not sort them), and a
 * CNAME loop ends when no new name appears.  Records owned by names
 * outside the chain are ignored: an answer cannot attach an address to a
 * name the client did not ask for.
 *
 * Return: 0, or -ENOENT if the response has no question
 */
int dns_msg_chain(const struct dns_response *r, struct dns_chain *c)
{
	uint32_t ttl_to[DNS_RESP_MAX_NAMES];
	bool in[DNS_RESP_MAX_NAMES] = { false };
	bool grew = true;
	unsigned int i, j;

	c->nnames = c->naddrs = 0;
	if (!r->qname[0] || !r->nnames)
		return -ENOENT;

	in[0] = true;
	ttl_to[0] = UINT32_MAX;
	c->name[c->nnames++] = 0;

	while (grew) {
		grew = false;
		for (i = 0; i < r->nrr; i++) {
			const struct dns_rr *rr = &r->rr[i];

			if (rr->type != DNS_TYPE_CNAME ||
			    rr->rclass != DNS_CLASS_IN || !in[rr->owner] ||
			    in[rr->target])
				continue;
			in[rr->target] = true;
			ttl_to[rr->target] = rr->ttl < ttl_to[rr->owner] ?
						     rr->ttl :
						     ttl_to[rr->owner];
			c->name[c->nnames++] = rr->target;
			grew = true;
		}
	}

	for (i = 0; i < r->nrr; i++) {
		const struct dns_rr *rr = &r->rr[i];
		uint32_t ttl;

		if (rr->rclass != DNS_CLASS_IN || !in[rr->owner])
			continue;
		if (rr->type != DNS_TYPE_A && rr->type != DNS_TYPE_AAAA &&
		    rr->type != DNS_TYPE_SVCB && rr->type != DNS_TYPE_HTTPS)
			continue;
		ttl = rr->ttl < ttl_to[rr->owner] ? rr->ttl :
						    ttl_to[rr->owner];
		for (j = 0; j < rr->addr_count; j++) {
			if (c->naddrs >= DNS_RESP_MAX_ADDRS)
				break;
			c->addr[c->naddrs].addr = rr->addr_first + j;
			c->addr[c->naddrs].ttl = ttl;
			c->naddrs++;
		}
	}
	return 0;
}

/**
 * dns_msg_udp_limit() - the largest UDP answer a client accepts
 * @q:		its query
 *
 * Return: 512, or the EDNS UDP payload size if larger (RFC 6891 6.2.5)
 */
size_t dns_msg_udp_limit(const struct dns_query *q)
{
	if (q->edns && q->edns_udp_size > DNS_UDP_MIN)
		return q->edns_udp_size;
	return DNS_UDP_MIN;
}

/**
 * struct dns_w - an output buffer being filled
 * @buf:	start
 * @size:	capacity
 * @len:	used
 * @err:	set once something did not fit
 */
struct dns_w {
	uint8_t *buf;
	size_t size;
	size_t len;
	bool err;
};

static void dns_put(struct dns_w *w, const void *p, size_t n)
{
	if (!n)
		return;
	if (w->err || w->size - w->len < n) {
		w->err = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void dns_put16(struct dns_w *w, uint16_t v)
{
	uint8_t b[2];

	wr16(b, v);
	dns_put(w, b, 2);
}

static void dns_put32(struct dns_w *w, uint32_t v)
{
	uint8_t b[4];

	wr32(b, v);
	dns_put(w, b, 4);
}

/**
 * dns_msg_build_rcode() - answer a query with an rcode and no answers
 * @q:		the query (parsed, or -EINVAL from parsing: the
 *		question is still echoed)
 * @rcode:	response code; above 15 only if the query had EDNS
 * @soa:	add a synthesized SOA in the authority section, for negative
 *		caching (RFC 2308 3): owner is the query name itself, so the
 *		negative answer covers exactly that name
 * @neg_ttl:	TTL of that SOA and its MINIMUM field
 * @ede_code:	Extended DNS Error info code (RFC 8914), or -1 for none;
 *		sent only when the query had EDNS, since an OPT RR may only
 *		answer an OPT RR (RFC 6891 7)
 * @ede_text:	EXTRA-TEXT of the EDE option, or NULL; cut at
 *		DNS_EDE_TEXT_MAX bytes
 * @out:	output buffer
 * @size:	its size; pass dns_msg_udp_limit() or less for UDP
 *
 * Return: length of the answer, -ENOSPC if @size is too small, -EINVAL
 * for an rcode that cannot be expressed
 */
ssize_t dns_msg_build_rcode(const struct dns_query *q, unsigned int rcode,
			    bool soa, uint32_t neg_ttl, int ede_code,
			    const char *ede_text, uint8_t *out, size_t size)
{
	struct dns_w w = { .buf = out, .size = size };
	uint16_t flags;

	if (rcode > 0xfff || (rcode > 0xf && !q->edns))
		return -EINVAL;
	if (!q->qname_wire_len || q->qname_wire_len > DNS_WIRE_NAME_MAX)
		return -EINVAL;
	if (neg_ttl > INT32_MAX)
		neg_ttl = INT32_MAX;

	flags = DNS_FLAG_QR | (uint16_t)(q->opcode << 11) | DNS_FLAG_RA |
		(q->flags & (DNS_FLAG_RD | DNS_FLAG_CD)) | (rcode & 0xf);
	if (soa)
		flags |= DNS_FLAG_AA;

	dns_put16(&w, q->id);
	dns_put16(&w, flags);
	dns_put16(&w, 1);
	dns_put16(&w, 0);
	dns_put16(&w, soa ? 1 : 0);
	dns_put16(&w, q->edns ? 1 : 0);

	dns_put(&w, q->qname_wire, q->qname_wire_len);
	dns_put16(&w, q->qtype);
	dns_put16(&w, q->qclass);

	if (soa) {
		size_t rdlen = sizeof(dns_soa_mname) + sizeof(dns_soa_rname) +
			       20;

		dns_put16(&w, 0xc000 | DNS_HDR_LEN);	/* the qname */
		dns_put16(&w, DNS_TYPE_SOA);
		dns_put16(&w, DNS_CLASS_IN);
		dns_put32(&w, neg_ttl);
		dns_put16(&w, (uint16_t)rdlen);
		dns_put(&w, dns_soa_mname, sizeof(dns_soa_mname));
		dns_put(&w, dns_soa_rname, sizeof(dns_soa_rname));
		dns_put32(&w, 1);		/* SERIAL */
		dns_put32(&w, 3600);		/* REFRESH */
		dns_put32(&w, 600);		/* RETRY */
		dns_put32(&w, 86400);		/* EXPIRE */
		dns_put32(&w, neg_ttl);		/* MINIMUM */
	}

	if (q->edns) {
		size_t tlen = ede_text ? strnlen(ede_text, DNS_EDE_TEXT_MAX) :
					 0;
		uint32_t ttl = (uint32_t)(rcode >> 4) << 24;

		if (q->edns_do)
			ttl |= 0x8000;
		dns_put(&w, "", 1);			/* root owner */
		dns_put16(&w, DNS_TYPE_OPT);
		dns_put16(&w, DNS_OUR_UDP_SIZE);
		dns_put32(&w, ttl);
		if (ede_code >= 0) {
			dns_put16(&w, (uint16_t)(4 + 2 + tlen));
			dns_put16(&w, DNS_EDNS_OPT_EDE);
			dns_put16(&w, (uint16_t)(2 + tlen));
			dns_put16(&w, (uint16_t)ede_code);
			dns_put(&w, ede_text, tlen);
		} else {
			dns_put16(&w, 0);
		}
	}

	if (w.err)
		return -ENOSPC;
	return (ssize_t)w.len;
}

/**
 * dns_msg_build_denial() - answer a query the policy denies
 * @q:		the query
 * @kind:	NXDOMAIN, NODATA (the name has allowed descendants) or REFUSED
 * @neg_ttl:	negative-caching TTL, keep it small so a policy reload
 *		shows quickly
 * @ede_text:	EDE EXTRA-TEXT, NULL for the default
 *		"egress-supervise: denied by policy"
 * @out:	output buffer
 * @size:	its size
 *
 * With EDNS, the OPT RR carries Extended DNS Error 15 "Blocked".
 *
 * Return: length, -ENOSPC or -EINVAL
 */
ssize_t dns_msg_build_denial(const struct dns_query *q, enum dns_deny kind,
			     uint32_t neg_ttl, const char *ede_text,
			     uint8_t *out, size_t size)
{
	unsigned int rcode;
	bool soa = true;

	switch (kind) {
	case DNS_DENY_NXDOMAIN:
		rcode = DNS_RCODE_NXDOMAIN;
		break;
	case DNS_DENY_NODATA:
		rcode = DNS_RCODE_NOERROR;
		break;
	case DNS_DENY_REFUSED:
		rcode = DNS_RCODE_REFUSED;
		soa = false;
		break;
	case DNS_DENY_NUM:
	default:
		return -EINVAL;
	}
	return dns_msg_build_rcode(q, rcode, soa, neg_ttl, DNS_EDE_BLOCKED,
				   ede_text ? ede_text : dns_deny_text, out,
				   size);
}

/**
 * dns_msg_build_servfail() - answer a query when upstream failed
 * @q:		the query
 * @out:	output buffer
 * @size:	its size
 *
 * With EDNS, the OPT RR carries Extended DNS Error 23 "Network Error".
 *
 * Return: length, -ENOSPC or -EINVAL
 */
ssize_t dns_msg_build_servfail(const struct dns_query *q, uint8_t *out,
			       size_t size)
{
	return dns_msg_build_rcode(q, DNS_RCODE_SERVFAIL, false, 0,
				   DNS_EDE_NETWORK_ERROR, dns_servfail_text,
				   out, size);
}

/**
 * dns_msg_build_formerr() - answer a query that could not be parsed
 * @msg:	the query's bytes
 * @len:	their length
 * @out:	output buffer, at least DNS_HDR_LEN bytes
 * @size:	its size
 *
 * The answer is a bare header (RFC 6891 7 allows FORMERR without OPT) with
 * the query's id and opcode.
 *
 * Return: DNS_HDR_LEN; -EBADMSG if there is no header to answer; -EPROTO
 * if @msg is a response (answering would make a loop); -ENOSPC
 */
ssize_t dns_msg_build_formerr(const uint8_t *msg, size_t len, uint8_t *out,
			      size_t size)
{
	uint16_t flags;

	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	flags = rd16(msg + 2);
	if (flags & DNS_FLAG_QR)
		return -EPROTO;
	if (size < DNS_HDR_LEN)
		return -ENOSPC;
	memset(out, 0, DNS_HDR_LEN);
	memcpy(out, msg, 2);
	wr16(out + 2, DNS_FLAG_QR | (flags & 0x7800) | (flags & DNS_FLAG_RD) |
			      DNS_FLAG_RA | DNS_RCODE_FORMERR);
	return DNS_HDR_LEN;
}

/**
 * dns_msg_set_id() - put the client's id back into an upstream response
 * @msg:	message
 * @len:	its length
 * @id:		the id of the client's query
 *
 * Return: 0 or -EBADMSG if there is no header
 */
int dns_msg_set_id(uint8_t *msg, size_t len, uint16_t id)
{
	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	wr16(msg, id);
	return 0;
}

/**
 * struct dns_strip - state of one rewrite
 * @msg:	the message, rewritten in place
 * @len:	its original length
 * @r:		read offset (original bytes)
 * @w:		write offset, never past @r
 * @dry:	only compute: nothing is moved or written
 * @nrm:	removals so far
 * @rm:		removed ranges, in original offsets, ascending
 * @names:	label starts of names, for dns_msg_check()
 */
struct dns_strip {
	uint8_t *msg;
	size_t len;
	size_t r;
	size_t w;
	bool dry;
	unsigned int nrm;
	struct {
		size_t off;
		size_t len;
	} rm[DNS_STRIP_MAX];
	uint8_t names[(DNS_MSG_MAX + 8) / 8];
};

static void dns_strip_copy(struct dns_strip *s, size_t n)
{
	if (!s->dry && s->w != s->r)
		memmove(s->msg + s->w, s->msg + s->r, n);
	s->r += n;
	s->w += n;
}

static void dns_strip_drop(struct dns_strip *s, size_t n)
{
	s->rm[s->nrm].off = s->r;
	s->rm[s->nrm].len = n;
	s->nrm++;
	s->r += n;
}

/**
 * dns_strip_name() - copy one name, moving its compression pointer
 * @s:		rewrite state, @s->r at the name
 * @limit:	end of the name's own bytes (RDATA end or message end)
 *
 * The message was fully validated before, so the name is well formed; a
 * pointer into removed bytes cannot be a name and is refused.  A pointer
 * keeps pointing strictly backwards: removals before its target move the
 * target by no more than they move the pointer.
 *
 * Return: 0 or -EBADMSG
 */
static int dns_strip_name(struct dns_strip *s, size_t limit)
{
	size_t p, target, shift = 0;
	unsigned int i;

	/*
	 * Only the name's own labels are read: bytes before @s->r may have
	 * moved already, so pointers are not followed here.  Bounds were
	 * checked by dns_msg_check(); they are checked again for safety.
	 */
	for (p = s->r; p < limit && (s->msg[p] & 0xc0) != 0xc0 && s->msg[p];)
		p += 1 + (size_t)s->msg[p];
	if (p >= limit)
		return -EBADMSG;
	if (!s->msg[p]) {
		dns_strip_copy(s, p + 1 - s->r);
		return 0;
	}
	if (p + 2 > limit)
		return -EBADMSG;

	target = (size_t)(s->msg[p] & 0x3f) << 8 | s->msg[p + 1];
	for (i = 0; i < s->nrm; i++) {
		if (s->rm[i].off >= target)
			break;
		if (target < s->rm[i].off + s->rm[i].len)
			return -EBADMSG;
		shift += s->rm[i].len;
	}
	dns_strip_copy(s, p - s->r);
	target -= shift;
	if (!s->dry) {
		s->msg[s->w] = (uint8_t)(0xc0 | target >> 8);
		s->msg[s->w + 1] = target & 0xff;
	}
	s->r += 2;
	s->w += 2;
	return 0;
}

/**
 * dns_strip_rr() - copy one record, dropping an ech SvcParam
 * @s:		rewrite state, @s->r at the record
 *
 * Return: 0, -EBADMSG, or -ENOSPC if DNS_STRIP_MAX removals are exceeded
 */
static int dns_strip_rr(struct dns_strip *s)
{
	struct dns_rr_pos pos;
	size_t rdlen_w, end;
	int ret, lay;

	/* Not dns_rr_walk(): pointers may lead to bytes already moved */
	ret = dns_strip_name(s, s->len);
	if (ret)
		return ret;
	if (s->r + 10 > s->len)
		return -EBADMSG;
	pos.type = rd16(s->msg + s->r);
	pos.rdlen = rd16(s->msg + s->r + 8);
	end = s->r + 10 + pos.rdlen;
	if (end > s->len)
		return -EBADMSG;
	rdlen_w = s->w + 8;
	dns_strip_copy(s, 10);

	lay = dns_rdata_layout(pos.type);
	if (lay >= 0) {
		unsigned int i;

		if (s->r + dns_rdata_names[lay].prefix > end)
			return -EBADMSG;
		dns_strip_copy(s, dns_rdata_names[lay].prefix);
		for (i = 0; i < dns_rdata_names[lay].names; i++) {
			ret = dns_strip_name(s, end);
			if (ret)
				return ret;
		}
		if (s->r + dns_rdata_names[lay].suffix != end)
			return -EBADMSG;
		dns_strip_copy(s, dns_rdata_names[lay].suffix);
		return 0;
	}

	if (pos.type != DNS_TYPE_SVCB && pos.type != DNS_TYPE_HTTPS) {
		dns_strip_copy(s, pos.rdlen);
		return 0;
	}

	if (s->r + 2 > end)
		return -EBADMSG;
	dns_strip_copy(s, 2);
	ret = dns_strip_name(s, end);
	if (ret)
		return ret;
	while (s->r < end) {
		size_t plen;

		if (s->r + 4 > end)
			return -EBADMSG;
		plen = 4 + (size_t)rd16(s->msg + s->r + 2);
		if (s->r + plen > end)
			return -EBADMSG;
		if (rd16(s->msg + s->r) != DNS_SVC_KEY_ECH) {
			dns_strip_copy(s, plen);
			continue;
		}
		if (s->nrm >= DNS_STRIP_MAX)
			return -ENOSPC;
		dns_strip_drop(s, plen);
	}
	if (!s->dry)
		wr16(s->msg + rdlen_w, (uint16_t)(s->w - rdlen_w - 2));
	return 0;
}

/**
 * dns_msg_strip_ech() - remove ech SvcParams from SVCB/HTTPS records
 * @msg:	a response, rewritten in place
 * @len:	its length
 *
 * Without ech the client cannot hide the server name it sends in TLS, so
 * the relay can check it.  Each SVCB/HTTPS record in any section loses its
 * ech SvcParam (key 5) and its RDLENGTH shrinks; compression pointers to
 * bytes behind a removal are moved.  Bytes after the last record are cut:
 * no name can reach them (see dns_name_walk()).  A record whose mandatory
 * key lists ech becomes one the client must ignore (RFC 9460 8), which is
 * the wanted outcome too.
 *
 * The message must pass dns_msg_check(), as for dns_msg_parse_response();
 * the result passes it too and parses to the same records, names and
 * addresses.  When something is to be removed, compression pointers must
 * also land on a label of an earlier name in a place this rewrite knows
 * (see dns_name_mark()); servers compress that way, and a message with
 * ech that does not is refused rather than passed on with ech.
 *
 * Return: the new length (@len minus trailing bytes if nothing was
 * removed); -EBADMSG if the message is malformed or longer than
 * DNS_MSG_MAX, or has ech behind pointers we cannot move (nothing was
 * changed); -ENOSPC if it has more than DNS_STRIP_MAX ech params (nothing
 * changed)
 */
ssize_t dns_msg_strip_ech(uint8_t *msg, size_t len)
{
	static_assert(DNS_MSG_MAX < 0x10000, "lengths fit 16 bits");
	struct dns_strip s;
	unsigned int qd, total, i;
	size_t end;
	int ret, pass;

	if (len > DNS_MSG_MAX)
		return -EBADMSG;

	ret = dns_msg_check(msg, len, &end, NULL);
	if (ret < 0)
		return ret;
	if (!ret)
		return (ssize_t)end;
	if (ret > DNS_STRIP_MAX)
		return -ENOSPC;
	memset(s.names, 0, (len + 7) / 8);
	ret = dns_msg_check(msg, len, &end, s.names);
	if (ret < 0)
		return ret;

	qd = rd16(msg + 4);
	total = (unsigned int)rd16(msg + 6) + rd16(msg + 8) + rd16(msg + 10);

	/* A dry run finds pointers into removed bytes before any change */
	for (pass = 0; pass < 2; pass++) {
		s.msg = msg;
		s.len = len;
		s.r = s.w = 0;
		s.nrm = 0;
		s.dry = !pass;

		dns_strip_copy(&s, DNS_HDR_LEN);
		for (i = 0; i < qd; i++) {
			ret = dns_strip_name(&s, len);
			if (ret)
				return ret;
			dns_strip_copy(&s, 4);
		}
		for (i = 0; i < total; i++) {
			ret = dns_strip_rr(&s);
			if (ret)
				return ret;
		}
	}
	return (ssize_t)s.w;
}

/**
 * dns_msg_truncate() - cut a response to fit a UDP client
 * @msg:	response, rewritten in place
 * @len:	its length
 * @max:	the client's limit, dns_msg_udp_limit()
 *
 * The result keeps the header (with TC set and the counts fixed), the
 * question, and the OPT RR if it fits (RFC 6891 7: a truncated answer
 * still carries OPT).  The client then asks again over TCP.
 *
 * Return: the new length (@len if it already fits), -EBADMSG, or -ENOSPC
 * if even the header and question do not fit
 */
ssize_t dns_msg_truncate(uint8_t *msg, size_t len, size_t max)
{
	struct dns_rr_pos opt = { 0 };
	unsigned int qd, an, ns, ar;
	size_t off = DNS_HDR_LEN, qend;
	int ret;

	if (len <= max)
		return (ssize_t)len;
	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	qd = rd16(msg + 4);
	an = rd16(msg + 6);
	ns = rd16(msg + 8);
	ar = rd16(msg + 10);
	if (qd > 1)
		return -EBADMSG;
	if (qd) {
		ret = dns_name_walk(msg, len, off, len, &off, NULL);
		if (ret)
			return -EBADMSG;
		if (off + 4 > len)
			return -EBADMSG;
		off += 4;
	}
	qend = off;
	if (qend > max)
		return -ENOSPC;

	ret = dns_skip_section(msg, len, &off, an + ns, NULL);
	if (ret)
		return ret;
	ret = dns_skip_section(msg, len, &off, ar, &opt);
	if (ret)
		return ret;

	wr16(msg + 2, rd16(msg + 2) | DNS_FLAG_TC);
	wr16(msg + 6, 0);
	wr16(msg + 8, 0);
	wr16(msg + 10, 0);
	if (opt.type == DNS_TYPE_OPT && qend + (opt.next - opt.owner) <= max) {
		memmove(msg + qend, msg + opt.owner, opt.next - opt.owner);
		wr16(msg + 10, 1);
		return (ssize_t)(qend + (opt.next - opt.owner));
	}
	return (ssize_t)qend;
}

/**
 * dns_type_str() - a record type for logs
 * @type:	type
 * @buf:	room for "TYPE65535"
 * @size:	its size
 *
 * Return: the mnemonic, or "TYPEn" (RFC 3597 5) in @buf
 */
const char *dns_type_str(uint16_t type, char *buf, size_t size)
{
	static const struct {
		uint16_t type;
		const char *name;
	} t[] = {
		{ DNS_TYPE_A, "A" },	   { DNS_TYPE_NS, "NS" },
		{ DNS_TYPE_CNAME, "CNAME" }, { DNS_TYPE_SOA, "SOA" },
		{ DNS_TYPE_PTR, "PTR" },   { DNS_TYPE_MX, "MX" },
		{ DNS_TYPE_TXT, "TXT" },   { DNS_TYPE_AAAA, "AAAA" },
		{ DNS_TYPE_SRV, "SRV" },   { DNS_TYPE_DNAME, "DNAME" },
		{ DNS_TYPE_OPT, "OPT" },   { DNS_TYPE_SVCB, "SVCB" },
		{ DNS_TYPE_HTTPS, "HTTPS" }, { DNS_TYPE_ANY, "ANY" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i].type == type)
			return t[i].name;
	snprintf(buf, size, "TYPE%u", type);
	return buf;
}

/**
 * dns_rcode_str() - a response code for logs
 * @rcode:	rcode, possibly extended
 *
 * Return: the mnemonic of RFC 1035 / 6891, or "RCODE?"
 */
const char *dns_rcode_str(unsigned int rcode)
{
	static const char *const s[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
		"NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
		"NXRRSET", "NOTAUTH", "NOTZONE",
	};

	if (rcode < ARRAY_SIZE(s))
		return s[rcode];
	if (rcode == DNS_RCODE_BADVERS)
		return "BADVERS";
	return "RCODE?";
}
