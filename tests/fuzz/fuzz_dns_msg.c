// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_dns_msg.c - fuzz the DNS message parser, builders and rewriters
 *
 * Every input is tried as a query and as a response.  Besides "no crash,
 * no out-of-bounds access" (ASan), it checks what the stub relies on:
 *  - any query we accept (or refuse only for its name) can be answered
 *    with each denial and SERVFAIL, and the answer parses back with the
 *    query's id, rcode and question, within the client's UDP limit;
 *  - stripping ech never grows a message; it refuses every response the
 *    parser calls malformed (both use one validator); what it returns
 *    parses with the same result as the original (0, -EINVAL, -EPROTO)
 *    and, if that was 0, the same records, names and addresses, no ech
 *    left; and a second strip changes nothing;
 *  - truncation keeps a parsable response with TC set;
 *  - the chain only refers to names and addresses that exist.
 * The input is also replayed as operations on a small IP-to-names table.
 *
 * Built with libFuzzer (--enable-fuzz) or with tests/fuzz/fuzz_main.c to
 * replay the seed corpus under `make check`.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_msg.h"
#include "dns_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,    \
				#cond);                                       \
			abort();                                              \
		}                                                             \
	} while (0)

static struct dns_response resp, resp2;
static uint8_t buf[DNS_MSG_MAX];
static uint8_t out[DNS_MSG_MAX];

static void fuzz_answers(const uint8_t *data, size_t size)
{
	struct dns_query q;
	unsigned int k;
	int ret;

	ret = dns_msg_parse_query(data, size, &q);
	if (ret == -EBADMSG && size >= DNS_HDR_LEN) {
		ssize_t n = dns_msg_build_formerr(data, size, out, sizeof(out));

		FUZZ_CHECK(n == DNS_HDR_LEN);
		return;
	}
	if (ret && ret != -EINVAL)
		return;

	for (k = 0; k <= DNS_DENY_NUM; k++) {
		size_t limit = dns_msg_udp_limit(&q);
		ssize_t n;
		int pret;

		if (k < DNS_DENY_NUM)
			n = dns_msg_build_denial(&q, (enum dns_deny)k, 5, NULL,
						 out, limit);
		else
			n = dns_msg_build_servfail(&q, out, limit);
		/* 12 + 255 + 4 + SOA 62 + OPT 11 + EDE 6 + 128 < 512 */
		FUZZ_CHECK(n > 0 && (size_t)n <= limit);
		pret = dns_msg_parse_response(out, (size_t)n, &resp);
		FUZZ_CHECK(pret == ret);
		FUZZ_CHECK(resp.id == q.id);
		if (!pret) {
			FUZZ_CHECK(!strcmp(resp.qname, q.qname));
			FUZZ_CHECK(resp.qtype == q.qtype);
			FUZZ_CHECK(resp.nrr == 0 && resp.edns == q.edns);
		}
		/* and the rewriters take our own answers */
		FUZZ_CHECK(dns_msg_strip_ech(out, (size_t)n) == n);
		FUZZ_CHECK(dns_msg_truncate(out, (size_t)n, DNS_UDP_MIN) > 0);
	}
}

static void fuzz_response(const uint8_t *data, size_t size)
{
	struct dns_chain c;
	unsigned int i;
	ssize_t n, t;
	int ret;

	ret = dns_msg_parse_response(data, size, &resp);
	if (!ret && !dns_msg_chain(&resp, &c)) {
		FUZZ_CHECK(c.nnames >= 1 && c.nnames <= resp.nnames);
		for (i = 0; i < c.nnames; i++)
			FUZZ_CHECK(c.name[i] < resp.nnames);
		for (i = 0; i < c.naddrs; i++)
			FUZZ_CHECK(c.addr[i].addr < resp.naddrs);
	}

	memcpy(buf, data, size);
	n = dns_msg_strip_ech(buf, size);
	if (n < 0) {
		FUZZ_CHECK(!memcmp(buf, data, size));
		return;
	}
	FUZZ_CHECK((size_t)n <= size);
	FUZZ_CHECK(ret != -EBADMSG);
	FUZZ_CHECK(dns_msg_parse_response(buf, (size_t)n, &resp2) == ret);
	if (!ret) {
		FUZZ_CHECK(dns_msg_parse_response(buf, (size_t)n, &resp2) == 0);
		FUZZ_CHECK(resp2.nrr == resp.nrr);
		FUZZ_CHECK(resp2.nnames == resp.nnames);
		FUZZ_CHECK(resp2.naddrs == resp.naddrs);
		FUZZ_CHECK(resp2.rcode == resp.rcode);
		FUZZ_CHECK(!memcmp(resp2.addrs, resp.addrs,
				   resp.naddrs * sizeof(resp.addrs[0])));
		for (i = 0; i < resp.nnames; i++)
			FUZZ_CHECK(!strcmp(resp2.names[i], resp.names[i]));
		for (i = 0; i < resp.nrr; i++) {
			FUZZ_CHECK(!resp2.rr[i].has_ech);
			FUZZ_CHECK(resp2.rr[i].type == resp.rr[i].type);
			FUZZ_CHECK(resp2.rr[i].owner == resp.rr[i].owner);
			FUZZ_CHECK(resp2.rr[i].target == resp.rr[i].target);
			FUZZ_CHECK(resp2.rr[i].ttl == resp.rr[i].ttl);
		}
	}
	FUZZ_CHECK(dns_msg_strip_ech(buf, (size_t)n) == n);

	t = dns_msg_truncate(buf, (size_t)n, DNS_UDP_MIN);
	if (t < 0 || t == n)
		return;
	FUZZ_CHECK(t <= DNS_UDP_MIN);
	if (!ret) {
		FUZZ_CHECK(dns_msg_parse_response(buf, (size_t)t, &resp2) == 0);
		FUZZ_CHECK(resp2.tc && resp2.nrr == 0);
		FUZZ_CHECK(!strcmp(resp2.qname, resp.qname));
	}
}

/*
 * Table operations, 4 bytes each: op, address byte, name byte, time step.
 * Only "no crash, bounded, counts consistent" is checked here; the rules
 * themselves are checked against a model in check_dns_table.
 */
static void fuzz_table(const uint8_t *data, size_t size)
{
	static struct dns_table *t;
	struct dns_table_stats st;
	const char *names[8];
	uint64_t now = 0;
	size_t i;

	if (!t) {
		t = dns_table_init(16, 1, 30, 5);
		FUZZ_CHECK(t);
	}
	for (i = 0; i + 4 <= size && i < 4096; i += 4) {
		uint8_t a[16] = { 0 };
		char name[16];
		int family = data[i] & 1 ? AF_INET6 : AF_INET;

		a[3] = data[i + 1] & 0x1f;
		if (family == AF_INET6 && data[i + 1] & 0x20) {
			a[10] = a[11] = 0xff;	/* v4-mapped */
			a[15] = a[3];
			a[3] = 0;
		}
		snprintf(name, sizeof(name), "n%u.test", data[i + 2] & 0x1f);
		now += (uint64_t)data[i + 3] * 250;
		switch ((data[i] >> 1) % 3) {
		case 0:
			FUZZ_CHECK(dns_table_add(t, family, a, name,
						 data[i + 2] >> 5, now) >= 0);
			break;
		case 1:
			FUZZ_CHECK(dns_table_lookup(t, family, a, now, names,
						    8) >= 0);
			break;
		default:
			dns_table_expire(t, now);
			break;
		}
		dns_table_stats(t, &st);
		FUZZ_CHECK(st.pairs <= st.capacity);
		FUZZ_CHECK(st.addrs <= st.pairs && st.names <= st.pairs);
	}
	dns_table_expire(t, now + 1000000);
	dns_table_stats(t, &st);
	FUZZ_CHECK(st.pairs == 0 && st.addrs == 0 && st.names == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > DNS_MSG_MAX)
		return 0;
	fuzz_answers(data, size);
	fuzz_response(data, size);
	fuzz_table(data, size);
	return 0;
}
