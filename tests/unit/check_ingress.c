// SPDX-License-Identifier: GPL-2.0-or-later
/* check_ingress.c - the generated socket filters, run on crafted packets
 *
 * A small classic BPF interpreter runs each program the way the kernel
 * does for a TCP or UDP socket filter: skb->data at the transport header,
 * the IP header through SKF_NET_OFF, the receiving interface through
 * SKF_AD_IFINDEX, a failed load returning 0.  Every program is also handed
 * to the kernel's own checker (SO_ATTACH_FILTER on a UDP socket, which any
 * user may do), and random rule sets are compared packet by packet with
 * policy_ingress_decide(), the policy library's reference decision.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ingress.h"
#include "policy_internal.h"

#ifndef SO_LOCK_FILTER
#define SO_LOCK_FILTER	44
#endif

/**
 * struct pkt - one packet as the filter sees it
 * @buf:	IP header, optional options/extension header, transport header
 * @len:	bytes in @buf
 * @data:	offset of the transport header (skb->data)
 * @ifindex:	receiving interface
 */
struct pkt {
	uint8_t buf[128];
	size_t len;
	size_t data;
	uint32_t ifindex;
};

/* @src: an IPv4 or IPv6 address; @opts: IPv4 options / IPv6 hop-by-hop */
static void mkpkt(struct pkt *p, const char *src, uint16_t dport,
		  uint32_t ifindex, bool opts)
{
	uint8_t a[16];

	memset(p, 0, sizeof(*p));
	p->ifindex = ifindex;
	if (inet_pton(AF_INET, src, a) == 1) {
		size_t ihl = opts ? 24 : 20;

		p->buf[0] = (uint8_t)(0x40 | ihl / 4);
		p->buf[9] = 6;
		memcpy(p->buf + 12, a, 4);
		p->buf[16] = 192;	/* dst 192.0.2.2 */
		p->buf[19] = 2;
		if (opts)
			p->buf[20] = 1;	/* NOP options */
		p->data = ihl;
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, src, a), 1);
		p->buf[0] = 0x60;
		p->buf[6] = opts ? 0 : 6;	/* hop-by-hop, then TCP */
		memcpy(p->buf + 8, a, 16);
		p->buf[24] = 0x20;
		p->buf[39] = 2;
		p->data = 40;
		if (opts) {
			p->buf[40] = 6;	/* next: TCP, 8 bytes of options */
			p->data = 48;
		}
	}
	p->buf[p->data] = 0x9c;	/* sport 40000 */
	p->buf[p->data + 1] = 0x40;
	p->buf[p->data + 2] = (uint8_t)(dport >> 8);
	p->buf[p->data + 3] = (uint8_t)dport;
	p->len = p->data + 20;
}

/* Load @size bytes at @off (kernel rules for negative offsets); false when
 * the kernel's load would fail (the program then returns 0) */
static bool load(const struct pkt *p, int32_t off, unsigned int size,
		 uint32_t *v)
{
	size_t pos, i;

	if (off == SKF_AD_OFF + SKF_AD_IFINDEX) {
		ck_assert_uint_eq(size, 4);
		*v = p->ifindex;
		return true;
	}
	if (off >= SKF_AD_OFF && off < 0)
		ck_abort_msg("ancillary load %d not modelled", off);
	if (off >= SKF_NET_OFF && off < SKF_AD_OFF)
		pos = (size_t)(off - SKF_NET_OFF);
	else if (off >= 0)
		pos = p->data + (size_t)off;
	else
		return false;
	if (pos + size > p->len)
		return false;
	*v = 0;
	for (i = 0; i < size; i++)
		*v = *v << 8 | p->buf[pos + i];
	return true;
}

/**
 * run() - a classic BPF interpreter, enough for our programs and for the
 * programs the tests compose with them
 *
 * Return: what the program returns for @p.
 */
static uint32_t run(const struct sock_filter *f, unsigned int n,
		    const struct pkt *p)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 }, v;
	unsigned int pc, steps = 0;

	for (pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? X : i->k;
		static const unsigned int sz[] = { 4, 2, 1 };

		ck_assert_uint_lt(++steps, 100000);
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			switch (BPF_MODE(i->code)) {
			case BPF_ABS:
			case BPF_IND:
				if (!load(p, (int32_t)i->k +
						     (BPF_MODE(i->code) ==
								      BPF_IND ?
							      (int32_t)X :
							      0),
					  sz[BPF_SIZE(i->code) >> 3], &v))
					return 0;
				A = v;
				break;
			case BPF_IMM:
				A = i->k;
				break;
			case BPF_MEM:
				ck_assert_uint_lt(i->k, BPF_MEMWORDS);
				A = M[i->k];
				break;
			case BPF_LEN:
				A = (uint32_t)(p->len - p->data);
				break;
			default:
				ck_abort_msg("ld mode %x", i->code);
			}
			break;
		case BPF_LDX:
			switch (BPF_MODE(i->code)) {
			case BPF_IMM:
				X = i->k;
				break;
			case BPF_MEM:
				X = M[i->k];
				break;
			case BPF_MSH:
				if (!load(p, (int32_t)i->k, 1, &v))
					return 0;
				X = 4 * (v & 0xf);
				break;
			default:
				ck_abort_msg("ldx mode %x", i->code);
			}
			break;
		case BPF_ST:
			M[i->k] = A;
			break;
		case BPF_STX:
			M[i->k] = X;
			break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_ADD: A += src; break;
			case BPF_SUB: A -= src; break;
			case BPF_AND: A &= src; break;
			case BPF_OR: A |= src; break;
			case BPF_LSH: A <<= src; break;
			case BPF_RSH: A >>= src; break;
			default: ck_abort_msg("alu op %x", i->code);
			}
			break;
		case BPF_JMP:
			switch (BPF_OP(i->code)) {
			case BPF_JA:
				pc += i->k;
				continue;
			case BPF_JEQ:
				pc += A == src ? i->jt : i->jf;
				continue;
			case BPF_JGT:
				pc += A > src ? i->jt : i->jf;
				continue;
			case BPF_JGE:
				pc += A >= src ? i->jt : i->jf;
				continue;
			case BPF_JSET:
				pc += A & src ? i->jt : i->jf;
				continue;
			default:
				ck_abort_msg("jmp op %x", i->code);
			}
			break;
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? A : i->k;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		default:
			ck_abort_msg("class %x", i->code);
		}
	}
	ck_abort_msg("ran off the end of the program");
	return 0;
}

/* The kernel's checker must take the program (any user may attach one) */
static void kernel_accepts(const struct ingress_prog *pr)
{
	struct sock_fprog fp = { .len = (unsigned short)pr->len,
				 .filter = (struct sock_filter *)pr->insns };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(!setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
				  sizeof(fp)),
		      "the kernel refused a %u-instruction program: %s",
		      pr->len, strerror(errno));
	close(fd);
}

static struct policy *load_ok(const char *yaml)
{
	struct policy *p = policy_load_buffer("t.yaml", yaml, strlen(yaml),
					      NULL, 0, stderr);

	ck_assert_msg(p, "%s", yaml);
	return p;
}

static struct ingress_prog prog, prog2;

static void build(const struct policy *p, int family,
		  enum policy_transport t, uint16_t port)
{
	const struct policy_ingress_rule *r;
	size_t n = policy_ingress(p, &r);
	struct ingress_sock s = { family, t, port };

	ck_assert_int_eq(ingress_build(r, n, &s, &prog), 0);
	if (prog.len)
		kernel_accepts(&prog);
}

static bool accepts(const char *src, uint16_t dport, uint32_t ifindex,
		    bool opts)
{
	struct pkt p;
	uint32_t ret;

	mkpkt(&p, src, dport, ifindex, opts);
	ret = run(prog.insns, prog.len, &p);
	ck_assert_msg(ret == 0 || ret == INGRESS_ACCEPT, "returned %u", ret);
	return ret;
}

static const char example[] =
	"version: 1\n"
	"ingress:\n"
	"  - src: 198.51.100.10/32\n"
	"    proto: tcp\n"
	"    port: 8080\n"
	"  - src: 2001:db8:2::/64\n"
	"    port: [22, \"8000-8010\"]\n"
	"  - src: 203.0.113.0/25\n"
	"    proto: udp\n";

START_TEST(test_ingress_known_port)
{
	struct policy *p = load_ok(example);

	/* tcp 8080 on a dual-stack socket: only 198.51.100.10, and lo */
	build(p, AF_INET6, POLICY_TRANSPORT_TCP, 8080);
	ck_assert_uint_gt(prog.len, 0);
	ck_assert_uint_eq(prog.rules, 1);
	ck_assert(accepts("198.51.100.10", 8080, 2, false));
	ck_assert(accepts("198.51.100.10", 8080, 2, true));
	ck_assert(!accepts("198.51.100.11", 8080, 2, false));
	ck_assert(!accepts("2001:db8:2::10", 8080, 2, false));
	ck_assert(accepts("192.0.2.99", 8080, 1, false));	/* lo */
	ck_assert(accepts("::1", 8080, 1, false));

	/* tcp 8005: the v6 network only; an IPv4-only socket drops all
	 * but loopback */
	build(p, AF_INET6, POLICY_TRANSPORT_TCP, 8005);
	ck_assert(accepts("2001:db8:2::ffff", 8005, 2, false));
	ck_assert(accepts("2001:db8:2::ffff", 8005, 2, true));
	ck_assert(!accepts("2001:db8:3::1", 8005, 2, false));
	ck_assert(!accepts("198.51.100.10", 8005, 2, false));
	build(p, AF_INET, POLICY_TRANSPORT_TCP, 8005);
	ck_assert_uint_gt(prog.len, 0);
	ck_assert_uint_eq(prog.rules, 0);
	ck_assert(!accepts("198.51.100.10", 8005, 2, false));
	ck_assert(accepts("127.0.0.1", 8005, 1, false));

	/* not covered: no filter at all */
	build(p, AF_INET6, POLICY_TRANSPORT_TCP, 8011);
	ck_assert_uint_eq(prog.len, 0);
	build(p, AF_INET, POLICY_TRANSPORT_UDP, 8080);
	ck_assert_uint_gt(prog.len, 0);	/* the udp rule has no port */
	ck_assert(accepts("203.0.113.127", 8080, 3, false));
	ck_assert(!accepts("203.0.113.128", 8080, 3, false));
	policy_free(p);
}
END_TEST

START_TEST(test_ingress_port_per_packet)
{
	struct policy *p = load_ok("version: 1\ningress:\n"
				   "  - src: 198.51.100.0/24\n"
				   "    proto: udp\n    port: [53, 5000-5001]\n"
				   "  - src: 2001:db8::/32\n"
				   "    proto: any\n    port: 6000\n");

	build(p, AF_INET6, POLICY_TRANSPORT_UDP, 0);
	ck_assert_uint_eq(prog.rules, 2);
	ck_assert(accepts("198.51.100.7", 53, 2, false));
	ck_assert(accepts("198.51.100.7", 5001, 2, true));
	ck_assert(!accepts("198.51.100.7", 6000, 2, false));
	ck_assert(!accepts("192.0.2.7", 5000, 2, false));
	ck_assert(accepts("2001:db8:ff::1", 6000, 2, false));
	ck_assert(!accepts("2001:db8:ff::1", 53, 2, false));
	/* ports no rule covers stay open */
	ck_assert(accepts("192.0.2.7", 5002, 2, false));
	ck_assert(accepts("2001:db9::1", 52, 2, false));
	ck_assert(accepts("192.0.2.7", 5999, 2, false));
	/* tcp: only the any rule covers, port 6000 */
	build(p, AF_INET6, POLICY_TRANSPORT_TCP, 0);
	ck_assert(accepts("198.51.100.7", 53, 2, false));
	ck_assert(!accepts("198.51.100.7", 6000, 2, false));
	ck_assert(accepts("::1", 6000, 1, false));
	policy_free(p);

	/* a rule without ports covers every port: no precheck */
	p = load_ok("version: 1\ningress:\n  - src: 10.0.0.0/8\n");
	build(p, AF_INET, POLICY_TRANSPORT_TCP, 0);
	ck_assert(accepts("10.1.2.3", 1, 2, false));
	ck_assert(!accepts("11.1.2.3", 65535, 2, false));
	policy_free(p);

	/* no rule for the transport: no filter */
	p = load_ok("version: 1\ningress:\n  - src: 10.0.0.0/8\n"
		    "    proto: tcp\n");
	build(p, AF_INET6, POLICY_TRANSPORT_UDP, 0);
	ck_assert_uint_eq(prog.len, 0);
	policy_free(p);
	p = load_ok("version: 1\ningress: []\n");
	build(p, AF_INET6, POLICY_TRANSPORT_TCP, 0);
	ck_assert_uint_eq(prog.len, 0);
	policy_free(p);
}
END_TEST

START_TEST(test_ingress_prefix_lengths)
{
	static const struct {
		const char *net, *in, *out;
	} t[] = {
		{ "0.0.0.0/0", "255.255.255.255", NULL },
		{ "128.0.0.0/1", "200.0.0.1", "127.255.255.255" },
		{ "198.51.100.7", "198.51.100.7", "198.51.100.6" },
		{ "198.51.100.0/31", "198.51.100.1", "198.51.100.2" },
		{ "::/0", "2001:db8::1", NULL },
		{ "2001:db8::/33", "2001:db8:7fff::1", "2001:db8:8000::1" },
		{ "2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff",
		  "2001:db8:0:1::" },
		{ "2001:db8::1:0/112", "2001:db8::1:ffff", "2001:db8::2:0" },
		{ "2001:db8::1/128", "2001:db8::1", "2001:db8::" },
		{ "2001:db8::/95", "2001:db8::1:ffff:ffff", "2001:db8::2:0:0" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char y[256];
		struct policy *p;

		snprintf(y, sizeof(y), "version: 1\ningress:\n"
			 "  - src: \"%s\"\n    port: 99\n", t[i].net);
		p = load_ok(y);
		build(p, AF_INET6, POLICY_TRANSPORT_TCP, 99);
		ck_assert_msg(accepts(t[i].in, 99, 2, false), "%s in %s",
			      t[i].in, t[i].net);
		if (t[i].out)
			ck_assert_msg(!accepts(t[i].out, 99, 2, false),
				      "%s not in %s", t[i].out, t[i].net);
		policy_free(p);
	}
}
END_TEST

/* Short or odd packets: a load beyond the end makes the kernel drop */
START_TEST(test_ingress_malformed)
{
	struct policy *p = load_ok(example);
	struct pkt k;

	build(p, AF_INET6, POLICY_TRANSPORT_UDP, 0);
	mkpkt(&k, "203.0.113.1", 9, 2, false);
	ck_assert_uint_eq(run(prog.insns, prog.len, &k), INGRESS_ACCEPT);
	k.len = k.data + 3;	/* the port cut in half */
	ck_assert_uint_eq(run(prog.insns, prog.len, &k), 0);
	mkpkt(&k, "203.0.113.1", 9, 2, false);
	k.buf[0] = 0x55;	/* version 5 */
	ck_assert_uint_eq(run(prog.insns, prog.len, &k), 0);
	policy_free(p);
}
END_TEST

/* A random rule set, as YAML */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* Addresses near each other, so that networks and sources often meet */
static void rnd_addr(int family, char *out, size_t len)
{
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	if (family == AF_INET) {
		a[0] = 198;
		a[1] = 51;
		a[2] = (uint8_t)(100 + rnd() % 2);
		a[3] = (uint8_t)(rnd() % 256);
	} else {
		a[5] = (uint8_t)(rnd() % 2);
		a[14] = (uint8_t)(rnd() % 2);
		a[15] = (uint8_t)(rnd() % 256);
		if (rnd() % 4 == 0)
			a[8] = (uint8_t)rnd();
	}
	inet_ntop(family, a, out, (socklen_t)len);
}

static void rnd_net(char *out, size_t len)
{
	int family = rnd() % 2 ? AF_INET : AF_INET6;
	char a[64];
	struct pnet n;
	char msg[128];
	unsigned int plen = family == AF_INET ? 16 + rnd() % 17 :
						rnd() % 8 ? 40 + rnd() % 89 :
							    rnd() % 41;

	rnd_addr(family, a, sizeof(a));
	snprintf(out, len, "%s/%u", a, plen);
	/* clear the host bits by parsing and formatting */
	n.family = family;
	inet_pton(family, a, n.addr);
	n.plen = plen;
	for (; plen < (family == AF_INET ? 32u : 128u); plen++)
		n.addr[plen / 8] &= (uint8_t)~(0x80 >> (plen % 8));
	pnet_format(&n, out, len);
	if (!strchr(out, '/'))
		return;
	ck_assert_int_eq(pnet_parse(&n, out, msg, sizeof(msg)), 0);
}

static const uint16_t hot_ports[] = { 22, 53, 80, 443, 5000, 5001, 8080 };

static uint16_t rnd_port(void)
{
	return rnd() % 4 ? hot_ports[rnd() % 7] : (uint16_t)(1 + rnd() % 9000);
}

static char *rnd_policy(void)
{
	static const char *const protos[] = { "tcp", "udp", "any" };
	unsigned int n = rnd() % 9, i, j;
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	fputs("version: 1\ningress:", f);
	if (!n)
		fputs(" []", f);
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		char net[80];

		rnd_net(net, sizeof(net));
		fprintf(f, "  - src: \"%s\"\n    proto: %s\n", net,
			protos[rnd() % 3]);
		if (rnd() % 5 == 0)
			continue;
		fputs("    port: [", f);
		for (j = 0; j < 1 + rnd() % 3; j++) {
			uint16_t lo = rnd_port();

			if (rnd() % 3)
				fprintf(f, "%s%u", j ? ", " : "", lo);
			else
				fprintf(f, "%s\"%u-%u\"", j ? ", " : "", lo,
					lo + rnd() % 50);
		}
		fputs("]\n", f);
	}
	fclose(f);
	return buf;
}

/* Program and policy_ingress_decide() agree on every packet */
START_TEST(test_ingress_differential)
{
	unsigned int round, k;

	for (round = 0; round < 400; round++) {
		char *y = rnd_policy();
		struct policy *p = load_ok(y);
		enum policy_transport t = rnd() % 2 ? POLICY_TRANSPORT_TCP :
						      POLICY_TRANSPORT_UDP;
		int family = rnd() % 3 ? AF_INET6 : AF_INET;
		uint16_t sport = rnd() % 2 ? 0 : rnd_port();

		build(p, family, t, sport);
		for (k = 0; k < 300; k++) {
			int pf = family == AF_INET || rnd() % 2 ? AF_INET :
								   AF_INET6;
			uint16_t port = sport ? sport : rnd_port();
			struct policy_decision d;
			uint8_t a[16];
			char src[64];
			bool want, got, lo = rnd() % 16 == 0;

			rnd_addr(pf, src, sizeof(src));
			inet_pton(pf, src, a);
			policy_ingress_decide(p, t, pf, a, port, &d);
			want = lo || d.verdict == POLICY_VERDICT_ALLOW;
			if (!prog.len) {
				ck_assert_msg(d.verdict == POLICY_VERDICT_ALLOW,
					      "no filter, but %s to %u is "
					      "denied:\n%s", src, port, y);
				continue;
			}
			got = accepts(src, port, lo ? 1 : 2, rnd() % 2);
			ck_assert_msg(got == want,
				      "%s %s to port %u (socket %s port %u): "
				      "filter %d, policy %d (%s)\n%s",
				      t == POLICY_TRANSPORT_TCP ? "tcp" : "udp",
				      src, port,
				      family == AF_INET ? "v4" : "v6", sport,
				      got, want, d.reason, y);
		}
		policy_free(p);
		free(y);
	}
}
END_TEST

/* The largest policies the loader accepts fit, and the kernel takes them */
START_TEST(test_ingress_worst_case_fits)
{
	static const unsigned int shapes[][2] = {
		{ POLICY_INGRESS_MAX_RULES, 2 },
		{ 4, POLICY_INGRESS_MAX_RANGES / 4 },
		{ 2, POLICY_INGRESS_MAX_RANGES / 2 },
		{ POLICY_INGRESS_MAX_RULES, 0 },
	};
	size_t s;

	for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		unsigned int i, j;
		struct policy *p;
		char *buf = NULL;
		size_t len;
		FILE *f = open_memstream(&buf, &len);

		fputs("version: 1\ningress:\n", f);
		for (i = 0; i < shapes[s][0]; i++) {
			/* IPv6 /127s: the longest source test */
			fprintf(f, "  - src: \"2001:db8:%x::%x:0/127\"\n"
				"    proto: any\n", i, i);
			if (!shapes[s][1])
				continue;
			fputs("    port: [", f);
			for (j = 0; j < shapes[s][1]; j++)
				fprintf(f, "%s\"%u-%u\"", j ? ", " : "",
					10 + 3 * (i * shapes[s][1] + j) % 60000,
					11 + 3 * (i * shapes[s][1] + j) %
							60000);
			fputs("]\n", f);
		}
		fclose(f);
		p = load_ok(buf);
		build(p, AF_INET6, POLICY_TRANSPORT_UDP, 0);
		ck_assert_uint_gt(prog.len, 0);
		ck_assert_uint_lt(prog.len, BPF_MAXINSNS);
		build(p, AF_INET6, POLICY_TRANSPORT_TCP, 11);
		policy_free(p);
		free(buf);
	}
}
END_TEST

/* A filter CMD had runs after ours; our prefix is recognized */
START_TEST(test_ingress_compose)
{
	/* theirs: accept (96 bytes) when X is 0 at start and dport != 9,
	 * else drop */
	static const struct sock_filter theirs[] = {
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 9, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 96),
	};
	struct policy *p = load_ok("version: 1\ningress:\n"
				   "  - src: 198.51.100.0/24\n    port: 9-10\n");
	struct pkt k;
	unsigned int n;

	build(p, AF_INET6, POLICY_TRANSPORT_UDP, 0);
	prog2 = prog;
	ck_assert(ingress_has_prefix(&prog2, prog.insns, prog.len));
	ck_assert_int_eq(ingress_compose(&prog, theirs, 8), 0);
	kernel_accepts(&prog);
	ck_assert(ingress_has_prefix(&prog2, prog.insns, prog.len));
	mkpkt(&k, "198.51.100.1", 10, 2, false);
	ck_assert_uint_eq(run(prog.insns, prog.len, &k), 96);
	mkpkt(&k, "198.51.100.1", 9, 2, false);	/* theirs drops */
	ck_assert_uint_eq(run(prog.insns, prog.len, &k), 0);
	mkpkt(&k, "192.0.2.1", 10, 2, false);	/* ours drops */
	ck_assert_uint_eq(run(prog.insns, prog.len, &k), 0);
	mkpkt(&k, "192.0.2.1", 11, 2, false);	/* not covered */
	ck_assert_uint_eq(run(prog.insns, prog.len, &k), 96);

	/* a program that differs anywhere in the prefix is not ours */
	prog = prog2;
	n = prog.prefix / 2;
	prog.insns[n].k ^= 1;
	ck_assert(!ingress_has_prefix(&prog2, prog.insns, prog.len));
	ck_assert(!ingress_has_prefix(&prog2, prog2.insns, prog2.prefix));
	/* too large to add */
	ck_assert_int_eq(ingress_compose(&prog2, theirs,
					 BPF_MAXINSNS - prog2.prefix - 1),
			 -E2BIG);
	policy_free(p);
}
END_TEST

/* Locking works as the supervisor relies on: no detach, replace, unlock */
START_TEST(test_ingress_lock_semantics)
{
	struct policy *p = load_ok(example);
	struct sock_fprog fp;
	struct sock_filter got[BPF_MAXINSNS];
	socklen_t gl = BPF_MAXINSNS;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), one = 1, zero = 0;

	build(p, AF_INET6, POLICY_TRANSPORT_UDP, 0);
	fp.len = (unsigned short)prog.len;
	fp.filter = prog.insns;
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
				    sizeof(fp)), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &one,
				    sizeof(one)), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &zero,
				    sizeof(zero)), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &zero,
				    sizeof(zero)), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
				    sizeof(fp)), -1);
	ck_assert_int_eq(errno, EPERM);
	/* SO_GET_FILTER counts instructions, and returns what we attached */
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, got, &gl),
			 0);
	ck_assert_uint_eq(gl, prog.len);
	ck_assert(ingress_has_prefix(&prog, got, gl));
	close(fd);
	policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ingress");
	TCase *tc = tcase_create("ingress");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ingress_known_port);
	tcase_add_test(tc, test_ingress_port_per_packet);
	tcase_add_test(tc, test_ingress_prefix_lengths);
	tcase_add_test(tc, test_ingress_malformed);
	tcase_add_test(tc, test_ingress_differential);
	tcase_add_test(tc, test_ingress_worst_case_fits);
	tcase_add_test(tc, test_ingress_compose);
	tcase_add_test(tc, test_ingress_lock_semantics);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
