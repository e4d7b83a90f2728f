// SPDX-License-Identifier: GPL-2.0-or-later
/* es-quic.c - QUIC client Initial packets for the integration tests
 *
 *	es-quic selftest
 *	es-quic [OPTIONS] HOST PORT SNI
 *
 * Builds the first flight of a QUIC client: Initial packets (v1, RFC 9001,
 * or v2, RFC 9369) whose CRYPTO frames carry a TLS 1.3 ClientHello naming
 * SNI ("-" for none), protected with the version's public Initial keys,
 * padded to 1200-byte datagrams, and sends them to HOST:PORT (a name is
 * resolved with getaddrinfo, so the DNS stub learns it) from one unconnected
 * UDP socket.  Independent of the supervisor's code: keys come from
 * OpenSSL's EVP_PKEY HKDF, checked by `selftest` against the RFCs' vectors.
 *
 * Options:
 *   -2	QUIC v2 (default v1)
 *   -6	resolve HOST to IPv6 only (default: IPv4 only)
 *   -s N	split the ClientHello over N Initial packets (default 1; 1-4),
 *	one per datagram unless -m coalesce
 *   -m MODE	sendto (default; one call per datagram), sendmsg, sendmmsg
 *	(one call for all), gso (one sendmsg with a UDP_SEGMENT cmsg),
 *	coalesce (all packets in one datagram), connect (connect(), then
 *	send())
 *   -p N	padding extension bytes in the ClientHello (default 0)
 *   -n SNI2	then a new connection (new connection IDs) on the same
 *	socket, naming SNI2
 *   -x SNI2	then a retransmission of the first Initial (same keys and
 *	packet space) whose ClientHello names SNI2
 *   -S	then a short-header (1-RTT-like) datagram
 *   -r	send 1200 bytes that are not QUIC instead of the Initials
 *   -C	first setsockopt(UDP_CORK) ("cork OK" or "cork ERRNO"), then
 *	send with MSG_MORE ("send 0 ...")
 *
 * Output, one line per send call:
 *	send I OK BYTES DIGEST...	(DIGEST: 16 hex digits of the SHA-256
 *					 of each datagram, as the server logs)
 *	send I ERRNO			(the errno's name)
 * and "connect OK" / "connect ERRNO" for -m connect.  Exit status 0 when
 * it ran (whatever the sends did), 2 on usage or setup errors.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define DGRAM 1200
#define MAXPKT 4
#define HELLO_MAX 8192
#define MIN_SIZE(a, b) ((a) < (b) ? (a) : (b))

struct keys {
	uint8_t key[16], iv[12], hp[16];
};

static void die(const char *msg)
{
	fprintf(stderr, "es-quic: %s\n", msg);
	exit(2);
}

static void hkdf(int mode, const uint8_t *salt, size_t saltlen,
		 const uint8_t *ikm, size_t ikmlen, const uint8_t *info,
		 size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t n = outlen;

	if (!c || EVP_PKEY_derive_init(c) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_mode(c, mode) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_key(c, ikm, (int)ikmlen) <= 0 ||
	    (saltlen &&
	     EVP_PKEY_CTX_set1_hkdf_salt(c, salt, (int)saltlen) <= 0) ||
	    (infolen &&
	     EVP_PKEY_CTX_add1_hkdf_info(c, info, (int)infolen) <= 0) ||
	    EVP_PKEY_derive(c, out, &n) <= 0 || n != outlen)
		die("HKDF failed");
	EVP_PKEY_CTX_free(c);
}

static void expand_label(const uint8_t *secret, const char *label,
			 uint8_t *out, size_t len)
{
	uint8_t info[64];
	size_t l = strlen(label), n = 0;

	info[n++] = 0;
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + l);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, l);
	n += l;
	info[n++] = 0;
	hkdf(EVP_PKEY_HKDEF_MODE_EXPAND_ONLY, NULL, 0, secret, 32, info, n,
	     out, len);
}

static void derive(int v2, const uint8_t *dcid, size_t dlen, struct keys *k)
{
	static const uint8_t salt1[20] = {
		0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a
	};
	static const uint8_t salt2[20] = {
		0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
		0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9
	};
	uint8_t init[32], client[32];

	hkdf(EVP_PKEY_HKDEF_MODE_EXTRACT_ONLY, v2 ? salt2 : salt1, 20, dcid,
	     dlen, NULL, 0, init, 32);
	expand_label(init, "client in", client, 32);
	expand_label(client, v2 ? "quicv2 key" : "quic key", k->key, 16);
	expand_label(client, v2 ? "quicv2 iv" : "quic iv", k->iv, 12);
	expand_label(client, v2 ? "quicv2 hp" : "quic hp", k->hp, 16);
}

static int hexeq(const uint8_t *b, size_t n, const char *hex)
{
	char s[80];
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return !strcmp(s, hex);
}

/* RFC 9001 A.1 and RFC 9369 A.1 */
static int selftest(void)
{
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0,
					 0x3e, 0x51, 0x57, 0x08 };
	struct keys k;
	int bad = 0;

	derive(0, dcid, 8, &k);
	bad |= !hexeq(k.key, 16, "1f369613dd76d5467730efcbe3b1a22d");
	bad |= !hexeq(k.iv, 12, "fa044b2f42a3fd3b46fb255c");
	bad |= !hexeq(k.hp, 16, "9f50449e04a0e810283a1e9933adedd2");
	derive(1, dcid, 8, &k);
	bad |= !hexeq(k.key, 16, "8b1a0bc121284290a29e0971b5cd045d");
	bad |= !hexeq(k.iv, 12, "91f73e2351d8fa91660e909f");
	bad |= !hexeq(k.hp, 16, "45b95e15235d6f45a6b19cbcb0294ba9");
	printf("selftest %s\n", bad ? "FAIL" : "OK");
	return bad;
}

/* ---------------------------------------------------------------- TLS */

static size_t put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* A TLS 1.3 ClientHello (handshake message, no record layer) */
static size_t client_hello(uint8_t *out, const char *sni, size_t pad)
{
	uint8_t *p = out + 4, *ext;
	size_t n, l;

	p += put16(p, 0x0303);
	RAND_bytes(p, 32);
	p += 32;
	*p++ = 0;			/* legacy_session_id: empty in QUIC */
	p += put16(p, 2);
	p += put16(p, 0x1301);		/* TLS_AES_128_GCM_SHA256 */
	*p++ = 1;
	*p++ = 0;
	ext = p;
	p += 2;
	if (sni) {
		l = strlen(sni);
		p += put16(p, 0);	/* server_name */
		p += put16(p, (unsigned int)(l + 5));
		p += put16(p, (unsigned int)(l + 3));
		*p++ = 0;		/* host_name */
		p += put16(p, (unsigned int)l);
		memcpy(p, sni, l);
		p += l;
	}
	p += put16(p, 16);		/* ALPN: h3 */
	p += put16(p, 5);
	p += put16(p, 3);
	*p++ = 2;
	*p++ = 'h';
	*p++ = '3';
	p += put16(p, 43);		/* supported_versions: TLS 1.3 */
	p += put16(p, 3);
	*p++ = 2;
	p += put16(p, 0x0304);
	p += put16(p, 10);		/* supported_groups: x25519 */
	p += put16(p, 4);
	p += put16(p, 2);
	p += put16(p, 0x001d);
	p += put16(p, 13);		/* signature_algorithms */
	p += put16(p, 4);
	p += put16(p, 2);
	p += put16(p, 0x0804);
	p += put16(p, 51);		/* key_share: x25519 */
	p += put16(p, 38);
	p += put16(p, 36);
	p += put16(p, 0x001d);
	p += put16(p, 32);
	RAND_bytes(p, 32);
	p += 32;
	p += put16(p, 57);		/* quic_transport_parameters */
	p += put16(p, 4);
	*p++ = 0x04;			/* initial_max_data */
	*p++ = 2;
	p += put16(p, 0x4000 | 1024);
	if (pad) {
		p += put16(p, 21);	/* padding */
		p += put16(p, (unsigned int)pad);
		memset(p, 0, pad);
		p += pad;
	}
	put16(ext, (unsigned int)(p - ext - 2));
	n = (size_t)(p - out - 4);
	out[0] = 1;			/* client_hello */
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	return n + 4;
}

/* ---------------------------------------------------------------- QUIC */

struct conn {
	int v2;
	uint8_t dcid[8], scid[8];
	struct keys k;
	unsigned int pn;
};

static size_t varint(uint8_t *p, uint64_t v)
{
	if (v < 64) {
		p[0] = (uint8_t)v;
		return 1;
	}
	p[0] = (uint8_t)(0x40 | v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/**
 * initial() - one protected Initial packet carrying CRYPTO[off, off+len)
 * @room:	bytes the packet may take (it is padded to all of them)
 *
 * Return: the packet's length.
 */
static size_t initial(struct conn *c, uint8_t *out, size_t room,
		      const uint8_t *data, size_t off, size_t len)
{
	uint8_t plain[DGRAM], nonce[12], mask[16];
	size_t h = 0, pn_off, plen, i;
	EVP_CIPHER_CTX *x;
	int outl;

	out[h++] = (uint8_t)(0xc0 | (c->v2 ? 0x10 : 0x00) | 3); /* 4-byte pn */
	out[h++] = c->v2 ? 0x6b : 0;
	out[h++] = c->v2 ? 0x33 : 0;
	out[h++] = c->v2 ? 0x43 : 0;
	out[h++] = c->v2 ? 0xcf : 1;
	out[h++] = 8;
	memcpy(out + h, c->dcid, 8);
	h += 8;
	out[h++] = 8;
	memcpy(out + h, c->scid, 8);
	h += 8;
	out[h++] = 0;			/* token length */
	plen = room - h - 2 - 4 - 16;	/* Length is a 2-byte varint */
	h += put16(out + h, (unsigned int)(0x4000 | (4 + plen + 16)));
	pn_off = h;
	out[h++] = (uint8_t)(c->pn >> 24);
	out[h++] = (uint8_t)(c->pn >> 16);
	out[h++] = (uint8_t)(c->pn >> 8);
	out[h++] = (uint8_t)c->pn;

	memset(plain, 0, plen);		/* PADDING frames */
	i = 0;
	plain[i++] = 0x06;		/* CRYPTO */
	i += varint(plain + i, off);
	i += varint(plain + i, len);
	if (i + len > plen)
		die("ClientHello part too large for one packet");
	memcpy(plain + i, data + off, len);

	memcpy(nonce, c->k.iv, 12);
	for (i = 0; i < 4; i++)
		nonce[11 - i] ^= (uint8_t)(c->pn >> (8 * i));
	x = EVP_CIPHER_CTX_new();
	if (!x || EVP_EncryptInit_ex(x, EVP_aes_128_gcm(), NULL, NULL, NULL) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) <= 0 ||
	    EVP_EncryptInit_ex(x, NULL, NULL, c->k.key, nonce) <= 0 ||
	    EVP_EncryptUpdate(x, NULL, &outl, out, (int)h) <= 0 ||
	    EVP_EncryptUpdate(x, out + h, &outl, plain, (int)plen) <= 0 ||
	    EVP_EncryptFinal_ex(x, out + h + plen, &outl) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16,
				out + h + plen) <= 0)
		die("AES-GCM failed");
	EVP_CIPHER_CTX_free(x);

	x = EVP_CIPHER_CTX_new();
	if (!x || EVP_EncryptInit_ex(x, EVP_aes_128_ecb(), NULL, c->k.hp, NULL) <= 0 ||
	    EVP_CIPHER_CTX_set_padding(x, 0) <= 0 ||
	    EVP_EncryptUpdate(x, mask, &outl, out + pn_off + 4, 16) <= 0)
		die("AES-ECB failed");
	EVP_CIPHER_CTX_free(x);
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < 4; i++)
		out[pn_off + i] ^= mask[1 + i];
	c->pn++;
	return h + plen + 16;
}

static void conn_new(struct conn *c, int v2)
{
	memset(c, 0, sizeof(*c));
	c->v2 = v2;
	RAND_bytes(c->dcid, 8);
	RAND_bytes(c->scid, 8);
	derive(v2, c->dcid, 8, &c->k);
}

/* ---------------------------------------------------------------- sending */

struct flight {
	uint8_t d[MAXPKT][DGRAM];
	size_t len[MAXPKT];
	int n;
};

/* The ClientHello over @split packets; coalesced into one datagram or not */
static void flight_hello(struct flight *f, struct conn *c, const char *sni,
			 int split, int coalesce, size_t pad)
{
	uint8_t hello[HELLO_MAX];
	size_t n = client_hello(hello, sni, pad), off = 0, part;
	int i;

	part = (n + (size_t)split - 1) / (size_t)split;
	f->n = coalesce ? 1 : split;
	for (i = 0; i < split; i++) {
		size_t l = MIN_SIZE(part, n - off);
		size_t room = DGRAM / (size_t)(coalesce ? split : 1);
		int d = coalesce ? 0 : i;
		size_t at = coalesce ? (size_t)i * room : 0;

		if (coalesce && i == split - 1)
			room = DGRAM - at;
		f->len[d] = at + initial(c, f->d[d] + at, room, hello, off, l);
		off += l;
	}
}

static const char *errname(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENETUNREACH: return "ENETUNREACH";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EINVAL: return "EINVAL";
	case EMSGSIZE: return "EMSGSIZE";
	case EAGAIN: return "EAGAIN";
	case EIO: return "EIO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "E?";
	}
}

static void digest(const uint8_t *p, size_t n, char *out)
{
	uint8_t md[32];
	unsigned int l = 0;
	int i;

	EVP_Digest(p, n, md, &l, EVP_sha256(), NULL);
	for (i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static int calls;

static void report(ssize_t r, int err, const struct flight *f, int from, int to)
{
	char d[20];
	int i;

	printf("send %d ", calls++);
	if (r < 0) {
		printf("%s\n", errname(err));
		return;
	}
	printf("OK %zd", r);
	for (i = from; i < to; i++) {
		digest(f->d[i], f->len[i], d);
		printf(" %s", d);
	}
	printf("\n");
}

static void send_flight(int fd, const struct sockaddr *sa, socklen_t sl,
			const char *mode, const struct flight *f)
{
	struct mmsghdr mm[MAXPKT];
	struct iovec iov[MAXPKT];
	ssize_t r;
	int i;

	if (!strcmp(mode, "sendmmsg")) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < f->n; i++) {
			iov[i].iov_base = (void *)f->d[i];
			iov[i].iov_len = f->len[i];
			mm[i].msg_hdr.msg_name = (void *)sa;
			mm[i].msg_hdr.msg_namelen = sl;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, mm, (unsigned int)f->n, 0);
		report(r, errno, f, 0, r > 0 ? (int)r : 0);
		return;
	}
	if (!strcmp(mode, "gso") && f->n > 1) {
		/* all datagrams are DGRAM bytes but the last: one buffer */
		static uint8_t buf[MAXPKT * DGRAM];
		union {
			char b[CMSG_SPACE(sizeof(uint16_t))];
			struct cmsghdr align;
		} u;
		struct msghdr m = { .msg_name = (void *)sa, .msg_namelen = sl,
				    .msg_iov = iov, .msg_iovlen = 1,
				    .msg_control = u.b,
				    .msg_controllen = sizeof(u.b) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		uint16_t seg = DGRAM;
		size_t n = 0;

		for (i = 0; i < f->n; i++) {
			memcpy(buf + n, f->d[i], f->len[i]);
			n += f->len[i];
		}
		iov[0].iov_base = buf;
		iov[0].iov_len = n;
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		r = sendmsg(fd, &m, 0);
		report(r, errno, f, 0, r > 0 ? f->n : 0);
		return;
	}
	for (i = 0; i < f->n; i++) {
		if (!strcmp(mode, "connect")) {
			r = send(fd, f->d[i], f->len[i], 0);
		} else if (!strcmp(mode, "sendmsg") || !strcmp(mode, "gso")) {
			struct msghdr m = { .msg_name = (void *)sa,
					    .msg_namelen = sl, .msg_iov = iov,
					    .msg_iovlen = 1 };

			iov[0].iov_base = (void *)f->d[i];
			iov[0].iov_len = f->len[i];
			r = sendmsg(fd, &m, 0);
		} else {
			r = sendto(fd, f->d[i], f->len[i], 0, sa, sl);
		}
		report(r, errno, f, i, i + 1);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: es-quic selftest\n"
			"       es-quic [-2] [-6] [-s N] [-m MODE] [-p N] "
			"[-n SNI2 | -x SNI2] [-S] [-r] [-C] HOST PORT SNI\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode = "sendto", *again_new = NULL, *again_same = NULL;
	int v2 = 0, v6 = 0, split = 1, shorthdr = 0, raw = 0, cork = 0;
	int opt, fd;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	size_t pad = 0;
	struct flight f;
	struct conn c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "selftest"))
		return selftest();
	while ((opt = getopt(argc, argv, "26s:m:p:n:x:SrC")) != -1) {
		switch (opt) {
		case '2': v2 = 1; break;
		case '6': v6 = 1; break;
		case 's': split = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'p': pad = (size_t)atoi(optarg); break;
		case 'n': again_new = optarg; break;
		case 'x': again_same = optarg; break;
		case 'S': shorthdr = 1; break;
		case 'r': raw = 1; break;
		case 'C': cork = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 3 || split < 1 || split > MAXPKT ||
	    pad > HELLO_MAX / 2)
		usage();
	hints.ai_family = v6 ? AF_INET6 : AF_INET;
	if (getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai))
		die("cannot resolve HOST");
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	if (!strcmp(mode, "connect")) {
		if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			printf("connect %s\n", errname(errno));
			return 0;
		}
		printf("connect OK\n");
	}

	if (cork) {
		int one = 1;
		ssize_t r;

		if (setsockopt(fd, IPPROTO_UDP, UDP_CORK, &one, sizeof(one)))
			printf("cork %s\n", errname(errno));
		else
			printf("cork OK\n");
		conn_new(&c, v2);
		flight_hello(&f, &c, argv[optind + 2], 1, 0, pad);
		r = sendto(fd, f.d[0], f.len[0], MSG_MORE, ai->ai_addr,
			   ai->ai_addrlen);
		report(r, errno, &f, 0, 1);
		return 0;
	}
	if (raw) {
		f.n = 1;
		f.len[0] = DGRAM;
		memset(f.d[0], 'x', DGRAM);
		memcpy(f.d[0], "GET / HTTP/1.0\r\n\r\n", 18);
		send_flight(fd, ai->ai_addr, ai->ai_addrlen, mode, &f);
		return 0;
	}
	conn_new(&c, v2);
	flight_hello(&f, &c, strcmp(argv[optind + 2], "-") ? argv[optind + 2] :
							      NULL,
		     split, !strcmp(mode, "coalesce"), pad);
	send_flight(fd, ai->ai_addr, ai->ai_addrlen, mode, &f);
	if (shorthdr) {
		f.n = 1;
		f.len[0] = 60;
		RAND_bytes(f.d[0], 60);
		f.d[0][0] = 0x40 | (f.d[0][0] & 0x3f);	/* short header */
		send_flight(fd, ai->ai_addr, ai->ai_addrlen, "sendto", &f);
	}
	if (again_new) {
		conn_new(&c, v2);
		flight_hello(&f, &c, again_new, split, 0, pad);
		send_flight(fd, ai->ai_addr, ai->ai_addrlen, "sendto", &f);
	}
	if (again_same) {
		c.pn = 0;	/* a retransmission: same keys, same space */
		flight_hello(&f, &c, again_same, split, 0, pad);
		send_flight(fd, ai->ai_addr, ai->ai_addrlen, "sendto", &f);
	}
	freeaddrinfo(ai);
	return 0;
}
