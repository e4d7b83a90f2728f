// SPDX-License-Identifier: GPL-2.0-or-later
/* check_quic_initial.c - unit tests of the QUIC Initial reader
 *
 * The keys are checked against the values published in RFC 9001 A.1 and
 * RFC 9369 A.1, and header protection against the sample and mask of
 * RFC 9001 A.2 and RFC 9369 A.2.  Packets are then built by this file's
 * own protection code (the sending side: AES-GCM encryption, then header
 * protection, straight from RFC 9001 5.3/5.4 with OpenSSL's EVP), and the
 * module must read them back; packets of RFC 9001 A.2 (the Initial of
 * the RFC, rebuilt from its CRYPTO frame) are checked byte for byte
 * where the RFC prints them.
 */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "quic_initial.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t i;

	ck_assert_uint_eq(strlen(hex), 2 * len);
	for (i = 0; i < len; i++) {
		unsigned int v;

		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static const uint8_t rfc_dcid[] = { 0x83, 0x94, 0xc8, 0xf0,
				    0x3e, 0x51, 0x57, 0x08 };

static void aes_ecb(const uint8_t *key, const uint8_t *in, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key,
					    NULL), 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	ck_assert_int_eq(EVP_EncryptUpdate(c, out, &n, in, 16), 1);
	ck_assert_int_eq(n, 16);
	EVP_CIPHER_CTX_free(c);
}

static const struct {
	uint32_t version;
	const char *key, *iv, *hp, *sample, *mask;
} rfc_keys[] = {
	{ QUIC_VERSION_1, "1f369613dd76d5467730efcbe3b1a22d",
	  "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2",
	  "d1b1c98dd7689fb8ec11d242b123dc9b", "437b9aec36" },
	/*
	 * RFC 9369 A.1.  The hp key is 45b95e15...: our brief quoted
	 * d8af55e7c6856d1e80f5c5a8d5ebc0d1, which is not what HKDF gives
	 * with "quicv2 hp" (key and iv agree), and the mask below, from the
	 * RFC's protected packet, confirms 45b95e15...
	 */
	{ QUIC_VERSION_2, "8b1a0bc121284290a29e0971b5cd045d",
	  "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9",
	  "ffe67b6abcdb4298b485dd04de806071", "94a0c95e80" },
};

START_TEST(test_quic_initial_rfc_keys)
{
	uint8_t key[16], iv[12], hp[16], sample[16], mask[5], out[16];
	struct quic_keys k;

	unhex(rfc_keys[_i].key, key, sizeof(key));
	unhex(rfc_keys[_i].iv, iv, sizeof(iv));
	unhex(rfc_keys[_i].hp, hp, sizeof(hp));
	ck_assert_int_eq(quic_initial_keys(rfc_keys[_i].version, rfc_dcid,
					   sizeof(rfc_dcid), &k), 0);
	ck_assert_mem_eq(k.key, key, sizeof(key));
	ck_assert_mem_eq(k.iv, iv, sizeof(iv));
	ck_assert_mem_eq(k.hp, hp, sizeof(hp));

	/* header protection mask of the A.2 client Initial */
	unhex(rfc_keys[_i].sample, sample, sizeof(sample));
	unhex(rfc_keys[_i].mask, mask, sizeof(mask));
	aes_ecb(k.hp, sample, out);
	ck_assert_mem_eq(out, mask, sizeof(mask));
}
END_TEST

START_TEST(test_quic_initial_keys_errors)
{
	struct quic_keys k, k0;
	uint8_t cid[21] = { 0 };

	ck_assert_int_eq(quic_initial_keys(0xff00001d, rfc_dcid, 8, &k),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(quic_initial_keys(QUIC_VERSION_1, cid, 21, &k),
			 -EINVAL);
	/* an empty DCID is legal after a Retry with an empty SCID */
	ck_assert_int_eq(quic_initial_keys(QUIC_VERSION_1, cid, 0, &k0), 0);
	ck_assert_int_eq(quic_initial_keys(QUIC_VERSION_1, cid, 1, &k), 0);
	ck_assert(memcmp(k.key, k0.key, sizeof(k.key)));
}
END_TEST

/* ------------------------------------------------------------ sender */

struct buf {
	uint8_t b[QUIC_DGRAM_MAX];
	size_t n;
};

static void put8(struct buf *m, unsigned int v)
{
	ck_assert_uint_lt(m->n, sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void putbytes(struct buf *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->n + n, sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* A varint in its shortest form, or in @force bytes (1, 2, 4, 8) */
static void putvarint(struct buf *m, uint64_t v, unsigned int force)
{
	unsigned int n = force ? force : v < 64 ? 1 : v < 16384 ? 2 :
					 v < (1u << 30) ? 4 : 8;
	unsigned int i, bits = n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3;

	for (i = 0; i < n; i++) {
		unsigned int byte = (unsigned int)(v >> (8 * (n - 1 - i))) &
				    0xff;

		if (!i)
			byte |= bits << 6;
		put8(m, byte);
	}
}

static void crypto_frame(struct buf *f, uint64_t off, const uint8_t *data,
			 size_t len)
{
	put8(f, 0x06);
	putvarint(f, off, 0);
	putvarint(f, len, 0);
	putbytes(f, data, len);
}

/**
 * struct pkt - one client packet to build
 * @version:	wire version
 * @type:	packet type (Initial, 0-RTT, Handshake)
 * @dcid:	Destination Connection ID
 * @dcid_len:	its length
 * @keys:	protect with these instead of the DCID's own keys
 * @pn:		packet number
 * @pn_len:	bytes of it on the wire (1-4)
 * @size:	pad the payload with PADDING so the packet has this size
 * @reserved:	set the reserved bits
 * @token_len:	bytes of token
 */
struct pkt {
	uint32_t version;
	enum quic_pkt_type type;
	const uint8_t *dcid;
	size_t dcid_len;
	const struct quic_keys *keys;
	uint64_t pn;
	unsigned int pn_len;
	size_t size;
	bool reserved;
	size_t token_len;
};

static unsigned int type_bits(uint32_t version, enum quic_pkt_type t)
{
	static const unsigned int v1[] = { 0, 1, 2, 3 }, v2[] = { 1, 2, 3, 0 };

	return version == QUIC_VERSION_2 ? v2[t] : v1[t];
}

/* Append one protected packet carrying @frames to @out */
static void build_packet(struct buf *out, const struct pkt *p,
			 const struct buf *frames)
{
	static const uint8_t scid[] = { 0xc1, 0xc2, 0xc3 };
	uint8_t nonce[12], mask[16], *pkt = out->b + out->n, plain[4096];
	unsigned int pn_len = p->pn_len ? p->pn_len : 4, i;
	size_t start = out->n, pn_off, payload_len = frames->n;
	struct quic_keys k;
	EVP_CIPHER_CTX *c;
	int n;

	if (p->keys)
		k = *p->keys;
	else
		ck_assert_int_eq(quic_initial_keys(p->version, p->dcid,
						   p->dcid_len, &k), 0);
	put8(out, 0xc0 | type_bits(p->version, p->type) << 4 |
		  (p->reserved ? 0x0c : 0) | (pn_len - 1));
	put8(out, p->version >> 24);
	put8(out, (p->version >> 16) & 0xff);
	put8(out, (p->version >> 8) & 0xff);
	put8(out, p->version & 0xff);
	put8(out, (unsigned int)p->dcid_len);
	putbytes(out, p->dcid, p->dcid_len);
	put8(out, sizeof(scid));
	putbytes(out, scid, sizeof(scid));
	if (p->type == QUIC_PKT_INITIAL) {
		putvarint(out, p->token_len, 0);
		for (i = 0; i < p->token_len; i++)
			put8(out, 0x70 + i);
	}
	/* PADDING up to the size asked for (2-byte length field) */
	if (p->size > out->n - start + 2 + pn_len + payload_len + 16)
		payload_len = p->size - (out->n - start + 2 + pn_len + 16);
	ck_assert_uint_le(payload_len, sizeof(plain));
	memset(plain, 0, payload_len);
	memcpy(plain, frames->b, frames->n);
	putvarint(out, pn_len + payload_len + 16, 2);
	pn_off = out->n - start;
	for (i = 0; i < pn_len; i++)
		put8(out, (unsigned int)(p->pn >> (8 * (pn_len - 1 - i))) &
			  0xff);

	memcpy(nonce, k.iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(p->pn >> (8 * i));
	c = EVP_CIPHER_CTX_new();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key,
					    nonce), 1);
	ck_assert_int_eq(EVP_EncryptUpdate(c, NULL, &n, pkt,
					   (int)(pn_off + pn_len)), 1);
	ck_assert_uint_le(out->n + payload_len + 16, sizeof(out->b));
	ck_assert_int_eq(EVP_EncryptUpdate(c, out->b + out->n, &n, plain,
					   (int)payload_len), 1);
	out->n += (size_t)n;
	ck_assert_int_eq(EVP_EncryptFinal_ex(c, out->b + out->n, &n), 1);
	ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16,
					     out->b + out->n), 1);
	out->n += 16;
	EVP_CIPHER_CTX_free(c);

	aes_ecb(k.hp, pkt + pn_off + 4, mask);
	pkt[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pn_len; i++)
		pkt[pn_off + i] ^= mask[1 + i];
}

/* A packet of another type, skipped unread: random-looking bytes */
static void build_opaque(struct buf *out, uint32_t version,
			 enum quic_pkt_type type, const uint8_t *dcid,
			 size_t dcid_len, size_t body)
{
	size_t i;

	put8(out, 0xc0 | type_bits(version, type) << 4);
	put8(out, version >> 24);
	put8(out, (version >> 16) & 0xff);
	put8(out, (version >> 8) & 0xff);
	put8(out, version & 0xff);
	put8(out, (unsigned int)dcid_len);
	putbytes(out, dcid, dcid_len);
	put8(out, 0);
	putvarint(out, body, 0);
	for (i = 0; i < body; i++)
		put8(out, (unsigned int)(i * 37 + 11));
}

/* A TLS 1.3 ClientHello Handshake message naming @sni, padded by @pad */
static size_t build_hello(uint8_t *out, size_t size, const char *sni,
			  size_t pad)
{
	struct buf *m = calloc(1, sizeof(*m));
	size_t i, n, sl = sni ? strlen(sni) : 0;

	ck_assert_ptr_nonnull(m);
	put8(m, 1);
	put8(m, 0);
	put8(m, 0);
	put8(m, 0);
	put8(m, 3);
	put8(m, 3);
	for (i = 0; i < 32; i++)
		put8(m, 0x40 + i);
	put8(m, 0);			/* no session id in QUIC */
	putbytes(m, "\x00\x02\x13\x01\x01\x00", 6);
	n = (sni ? 9 + sl : 0) + 7 + 4 + pad;
	put8(m, (unsigned int)(n >> 8));
	put8(m, n & 0xff);
	if (sni) {
		putbytes(m, "\x00\x00", 2);
		put8(m, (unsigned int)(sl + 5) >> 8);
		put8(m, (sl + 5) & 0xff);
		put8(m, (unsigned int)(sl + 3) >> 8);
		put8(m, (sl + 3) & 0xff);
		put8(m, 0);
		put8(m, (unsigned int)sl >> 8);
		put8(m, sl & 0xff);
		putbytes(m, sni, sl);
	}
	putbytes(m, "\x00\x2b\x00\x03\x02\x03\x04", 7);
	put8(m, 0);
	put8(m, 21);
	put8(m, (unsigned int)(pad >> 8));
	put8(m, pad & 0xff);
	for (i = 0; i < pad; i++)
		put8(m, 0);
	n = m->n - 4;
	m->b[1] = (uint8_t)(n >> 16);
	m->b[2] = (uint8_t)(n >> 8);
	m->b[3] = n & 0xff;
	ck_assert_uint_le(m->n, size);
	memcpy(out, m->b, m->n);
	n = m->n;
	free(m);
	return n;
}

static const uint8_t dcid_a[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t dcid_b[] = { 0xb0, 0xb1, 0xb2, 0xb3,
				  0xb4, 0xb5, 0xb6, 0xb7 };
static const uint32_t versions[] = { QUIC_VERSION_1, QUIC_VERSION_2 };

static struct quic_flow flow;
static struct buf dg, dg2, fr;
static uint8_t ch[QUIC_CRYPTO_MAX];
static size_t ch_len;

static void setup(void)
{
	ck_assert_int_eq(quic_flow_init(&flow), 0);
	dg.n = dg2.n = fr.n = 0;
}

static void teardown(void)
{
	quic_flow_free(&flow);
	quic_flow_free(&flow);	/* twice is fine */
}

/* Append an Initial with the CRYPTO range [from, to) of ch */
static void initial_range(struct buf *out, uint32_t v, const uint8_t *dcid,
			  size_t dcid_len, uint64_t pn, size_t from, size_t to,
			  size_t size)
{
	struct pkt p = { .version = v, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid, .dcid_len = dcid_len, .pn = pn,
			 .size = size };

	fr.n = 0;
	crypto_frame(&fr, from, ch + from, to - from);
	build_packet(out, &p, &fr);
}

/* --------------------------------------------------- RFC 9001 A.2 */

/* The CRYPTO frame of RFC 9001 A.2 (and RFC 9369 A.2): 245 bytes */
static const char rfc_crypto[] =
	"060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
	"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806048000ffff";

/*
 * Their protected packets start so (RFC 9001 A.2, RFC 9369 A.2): the
 * header, the sample, and for v1 the first 116 bytes of ciphertext.
 */
static const char *const rfc_protected[] = {
	"c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
	"d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
	"1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
	"8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
	"30c83711b39343fa028c",
	"d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
	"dd04de806071",
};

START_TEST(test_quic_initial_rfc_packet)
{
	uint32_t v = versions[_i];
	const char *want = rfc_protected[_i];
	uint8_t head[160];
	size_t hlen = strlen(want) / 2;

	fr.n = sizeof(rfc_crypto) / 2;
	unhex(rfc_crypto, fr.b, fr.n);
	{
		/* by hand, as the RFC writes it */
		struct quic_keys k;
		uint8_t hdr[22], plain[1200], pkt[1200], mask[16], nonce[12];
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		size_t i;
		int n;

		ck_assert_int_eq(quic_initial_keys(v, rfc_dcid, 8, &k), 0);
		hdr[0] = v == QUIC_VERSION_1 ? 0xc3 : 0xd3;
		hdr[1] = v >> 24;
		hdr[2] = (v >> 16) & 0xff;
		hdr[3] = (v >> 8) & 0xff;
		hdr[4] = v & 0xff;
		hdr[5] = 8;
		memcpy(hdr + 6, rfc_dcid, 8);
		hdr[14] = 0;			/* SCID length */
		hdr[15] = 0;			/* token length */
		hdr[16] = 0x44;			/* Length 1182 */
		hdr[17] = 0x9e;
		hdr[18] = 0;
		hdr[19] = 0;
		hdr[20] = 0;
		hdr[21] = 2;			/* packet number 2 */
		memset(plain, 0, sizeof(plain));
		memcpy(plain, fr.b, fr.n);
		memcpy(pkt, hdr, sizeof(hdr));
		memcpy(nonce, k.iv, 12);
		nonce[11] ^= 2;
		ck_assert_ptr_nonnull(c);
		EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce);
		EVP_EncryptUpdate(c, NULL, &n, hdr, sizeof(hdr));
		EVP_EncryptUpdate(c, pkt + 22, &n, plain, 1162);
		ck_assert_int_eq(n, 1162);
		EVP_EncryptFinal_ex(c, pkt + 22 + 1162, &n);
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16,
				    pkt + 22 + 1162);
		EVP_CIPHER_CTX_free(c);
		aes_ecb(k.hp, pkt + 18 + 4, mask);
		pkt[0] ^= mask[0] & 0x0f;
		for (i = 0; i < 4; i++)
			pkt[18 + i] ^= mask[1 + i];

		ck_assert_uint_le(hlen, sizeof(head));
		unhex(want, head, hlen);
		ck_assert_mem_eq(pkt, head, hlen);

		/* and the module reads it: SNI example.com */
		ck_assert_int_eq(quic_flow_feed(&flow, pkt, sizeof(pkt)),
				 QUIC_FLOW_DONE);
		ck_assert_str_eq(flow.hello.sni, "example.com");
		ck_assert_uint_eq(flow.hello.version, 0x0304);
		ck_assert_uint_eq(flow.hello.nalpn, 1);
		ck_assert_str_eq(flow.hello.alpn[0], "alpn");
		ck_assert_uint_eq(flow.largest_pn, 2);
		ck_assert_uint_eq(flow.version, v);
	}
}
END_TEST

/*
 * Two coalesced v2 Initials (DCID 0001020304050607, packet numbers 0 and
 * 1) carrying the ClientHello of Python's ssl module (SNI
 * py.allowed.example, ALPN h2) cut at byte 300, protected by another
 * implementation: Python's cryptography package (HKDF by hand over HMAC,
 * AESGCM, AES-ECB).
 */
static const uint8_t python_v2_dgram[] = {
	0xd8, 0x6b, 0x33, 0x43, 0xcf, 0x08, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
	0x06, 0x07, 0x00, 0x00, 0x41, 0x44, 0xb5, 0xb6, 0x19, 0x56, 0x3a, 0xd9,
	0x04, 0x49, 0x0c, 0x37, 0x15, 0x8c, 0xf2, 0x3a, 0xc0, 0x08, 0xfc, 0x13,
	0x80, 0xd1, 0xbe, 0xce, 0xf9, 0xb4, 0x24, 0x9e, 0x3a, 0x54, 0x4b, 0x1e,
	0x9d, 0xf2, 0x67, 0xaa, 0xb5, 0x14, 0x7b, 0x89, 0x0b, 0x9f, 0x60, 0x0c,
	0x09, 0xd9, 0x7b, 0x50, 0x3b, 0xac, 0x19, 0x54, 0xbf, 0xaf, 0x81, 0xf6,
	0xef, 0xf6, 0xaa, 0x53, 0xd7, 0xf0, 0x81, 0x85, 0xbd, 0x7a, 0x8d, 0x9a,
	0xd7, 0x46, 0xbe, 0x88, 0x0d, 0xef, 0x10, 0x41, 0x5e, 0x0f, 0xc4, 0x72,
	0xdd, 0x84, 0x09, 0x5e, 0x92, 0x9f, 0x81, 0x94, 0xbf, 0x66, 0x09, 0x08,
	0x9e, 0x44, 0x0d, 0xeb, 0xc9, 0x50, 0x06, 0x7b, 0x02, 0x3a, 0x17, 0x9e,
	0xb8, 0xef, 0x63, 0xe9, 0xb9, 0xae, 0xd2, 0x78, 0x7b, 0x14, 0xb8, 0x3d,
	0x59, 0x34, 0x64, 0xde, 0x1f, 0xa0, 0x46, 0xb0, 0xd6, 0x68, 0xfb, 0xf2,
	0xe0, 0x94, 0xde, 0xe2, 0xce, 0xe5, 0x41, 0x3b, 0x91, 0x12, 0x2c, 0xa8,
	0x06, 0xf6, 0x0f, 0xae, 0xcb, 0x53, 0xf6, 0x71, 0xc5, 0x10, 0xaf, 0xb2,
	0xb5, 0xe9, 0x78, 0xa8, 0x1a, 0x6a, 0x89, 0x80, 0xf6, 0xc4, 0xfa, 0xaa,
	0x78, 0x6d, 0x94, 0xac, 0x3b, 0x98, 0xd5, 0x3e, 0x4b, 0x0c, 0x82, 0x94,
	0x1b, 0x45, 0x2e, 0x15, 0x80, 0x2c, 0xf8, 0x14, 0xac, 0x25, 0x74, 0xf9,
	0x92, 0x26, 0x86, 0xa9, 0x36, 0xd3, 0x2e, 0x62, 0x57, 0x8f, 0x71, 0xf0,
	0x21, 0x43, 0x1f, 0xe2, 0x69, 0xd1, 0x4c, 0x5d, 0x22, 0xe4, 0x1d, 0xf5,
	0xc3, 0x28, 0x4b, 0x47, 0x92, 0xa9, 0x50, 0x66, 0xdb, 0x99, 0x51, 0xc9,
	0x7d, 0x66, 0xbd, 0x92, 0x7e, 0x05, 0x89, 0x39, 0x21, 0xe8, 0x6a, 0x4d,
	0x0b, 0xfb, 0x18, 0xe7, 0x49, 0x08, 0xc9, 0x0f, 0x6c, 0xe8, 0x3c, 0xfb,
	0xf1, 0x8f, 0x35, 0xf8, 0x2a, 0x21, 0x4b, 0x4b, 0xba, 0x74, 0xdb, 0xa2,
	0x2c, 0x75, 0x1d, 0x0b, 0xa0, 0xc1, 0xa1, 0x12, 0xbe, 0x6a, 0x88, 0x87,
	0xac, 0x47, 0x1b, 0xd0, 0xb7, 0x13, 0x9d, 0xd0, 0x6f, 0xb1, 0xa1, 0x85,
	0x66, 0x8f, 0xa8, 0x2c, 0x6f, 0x89, 0x1d, 0x55, 0x10, 0xfe, 0xd3, 0xfd,
	0x55, 0x7d, 0x57, 0xb5, 0x3f, 0x3b, 0xa4, 0xb7, 0xc1, 0x5b, 0xd3, 0x1f,
	0x60, 0x3b, 0x9f, 0xfb, 0xc0, 0x10, 0xcb, 0x35, 0x7e, 0xf8, 0x52, 0x5d,
	0xbf, 0xfa, 0x45, 0xd0, 0x07, 0x64, 0xdb, 0x6b, 0x33, 0x43, 0xcf, 0x08,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x00, 0x00, 0x40, 0xee,
	0x70, 0xdc, 0x69, 0x73, 0x02, 0x8c, 0xca, 0xaf, 0xd8, 0x8f, 0x50, 0x8e,
	0xa8, 0x7c, 0x72, 0x69, 0x5f, 0x40, 0xce, 0xf4, 0xff, 0xd5, 0x89, 0x27,
	0x73, 0xb1, 0x4d, 0x3e, 0xbe, 0x7c, 0xc4, 0x96, 0x51, 0x88, 0x81, 0xd7,
	0xd0, 0xf2, 0xf7, 0x29, 0x39, 0xde, 0xfa, 0x61, 0xf2, 0x55, 0x3a, 0xbe,
	0xe9, 0xd8, 0x40, 0x9c, 0x13, 0x1c, 0x2e, 0xcc, 0xca, 0xb1, 0x63, 0xa7,
	0xc2, 0x83, 0xc8, 0x58, 0x0e, 0xf9, 0xf6, 0x31, 0x46, 0x8d, 0x06, 0x97,
	0x97, 0xc3, 0xa3, 0x2d, 0xc7, 0xa0, 0x65, 0x20, 0x99, 0xfc, 0x36, 0x11,
	0x2d, 0x84, 0xa0, 0x77, 0x84, 0xcc, 0xfb, 0xb3, 0xe7, 0x39, 0x6d, 0xbf,
	0x16, 0x1a, 0x48, 0x63, 0x66, 0x04, 0x1e, 0x81, 0x79, 0x67, 0xed, 0xa5,
	0x04, 0xe5, 0x13, 0xfc, 0xd7, 0xcd, 0x2a, 0xbf, 0xd3, 0xfd, 0x7b, 0xab,
	0x45, 0x1f, 0x8f, 0xbb, 0x49, 0x74, 0x2a, 0x7f, 0x69, 0x0d, 0x8b, 0xc7,
	0x48, 0xae, 0x9b, 0x64, 0x91, 0xd0, 0xaf, 0xb3, 0x62, 0xe1, 0x8a, 0xe5,
	0xeb, 0x7d, 0xdc, 0x05, 0x8a, 0xf6, 0x7c, 0x31, 0x5c, 0x42, 0xf4, 0x7c,
	0xb6, 0x00, 0x01, 0x4a, 0x85, 0x3d, 0xa2, 0xe0, 0x21, 0x49, 0x94, 0xc2,
	0xc9, 0x5e, 0x35, 0xce, 0x45, 0x65, 0x74, 0x81, 0xf7, 0xa4, 0x2a, 0x59,
	0xb0, 0xce, 0x3e, 0xf5, 0x0d, 0x37, 0x44, 0x32, 0x9e, 0x87, 0x59, 0xcb,
	0x88, 0x3b, 0xdf, 0x1b, 0x56, 0x05, 0x8f, 0xd0, 0xd2, 0xfe, 0x1f, 0x4d,
	0x54, 0xc3, 0xa8, 0xc2, 0x53, 0x43, 0x30, 0x1c, 0x23, 0x27, 0xc2, 0x1a,
	0xf8, 0x9b, 0x15, 0xca, 0x1d, 0x78, 0x92, 0xf2, 0xd5, 0x84, 0x76, 0x0b,
	0x29, 0xfe, 0x9c, 0xc2, 0x67, 0x7e, 0x68, 0x87, 0x5f, 0xd0,
};

START_TEST(test_quic_initial_other_implementation)
{
	ck_assert_int_eq(quic_flow_feed(&flow, python_v2_dgram,
					sizeof(python_v2_dgram)),
			 QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "py.allowed.example");
	ck_assert_uint_eq(flow.hello.nalpn, 1);
	ck_assert_str_eq(flow.hello.alpn[0], "h2");
	ck_assert_uint_eq(flow.packets, 2);
	ck_assert_uint_eq(flow.version, QUIC_VERSION_2);
}
END_TEST

/* ------------------------------------------------------ round trips */

START_TEST(test_quic_initial_single_packet)
{
	uint32_t v = versions[_i];

	ch_len = build_hello(ch, sizeof(ch), "Allowed.Example", 0);
	initial_range(&dg, v, dcid_a, sizeof(dcid_a), 0, 0, ch_len, 1200);
	ck_assert_uint_eq(dg.n, 1200);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "allowed.example");
	ck_assert_uint_eq(flow.hello.record_version, 0);
	ck_assert_uint_eq(flow.packets, 1);
	/* the same datagram again: a retransmission changes nothing */
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "allowed.example");
}
END_TEST

/*
 * A 3000-byte ClientHello over three Initial packets: coalesced in one
 * datagram, over two datagrams, over three datagrams in every order.
 */
START_TEST(test_quic_initial_three_packets)
{
	static const unsigned int orders[][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	uint32_t v = versions[_i];
	size_t cut[4];
	unsigned int o, i;

	ch_len = build_hello(ch, sizeof(ch), "split.allowed.example", 2900);
	cut[0] = 0;
	cut[1] = 1100;
	cut[2] = 2200;
	cut[3] = ch_len;

	/* coalesced: three Initials in one 4000-byte datagram */
	for (i = 0; i < 3; i++)
		initial_range(&dg, v, dcid_a, sizeof(dcid_a), i, cut[i],
			      cut[i + 1], 0);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "split.allowed.example");
	ck_assert_uint_eq(flow.packets, 3);

	/* two datagrams: packets 0+1, then 2 */
	quic_flow_free(&flow);
	setup();
	initial_range(&dg, v, dcid_a, sizeof(dcid_a), 0, cut[0], cut[1], 0);
	initial_range(&dg, v, dcid_a, sizeof(dcid_a), 1, cut[1], cut[2], 0);
	initial_range(&dg2, v, dcid_a, sizeof(dcid_a), 2, cut[2], cut[3],
		      1200);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
			 QUIC_FLOW_NEED_MORE);
	ck_assert_int_eq(quic_flow_feed(&flow, dg2.b, dg2.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "split.allowed.example");

	/* three datagrams, in every order */
	for (o = 0; o < ARRAY_SIZE(orders); o++) {
		quic_flow_free(&flow);
		setup();
		for (i = 0; i < 3; i++) {
			unsigned int k = orders[o][i];

			dg.n = 0;
			initial_range(&dg, v, dcid_a, sizeof(dcid_a), k,
				      cut[k], cut[k + 1], 1200);
			ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
					 i == 2 ? QUIC_FLOW_DONE :
						  QUIC_FLOW_NEED_MORE);
		}
		ck_assert_str_eq(flow.hello.sni, "split.allowed.example");
		ck_assert_int_eq(flow.largest_pn, 2);
	}
}
END_TEST

/*
 * Overlapping CRYPTO frames, one packet each, with 1-byte packet numbers
 * that wrap past 255 (RFC 9000 A.3), then an old packet retransmitted.
 */
START_TEST(test_quic_initial_overlap_and_pn)
{
	struct pkt p = { .version = QUIC_VERSION_1, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_a, .dcid_len = sizeof(dcid_a),
			 .pn_len = 1 };
	static struct buf old;
	unsigned int i;

	ch_len = build_hello(ch, sizeof(ch), "pn.example", 1200);
	/* each packet overlaps the previous one by 8 bytes */
	for (i = 0; i * 4 < ch_len; i++) {
		size_t from = i * 4, to = from + 12 < ch_len ? from + 12 :
							      ch_len;

		dg.n = fr.n = 0;
		put8(&fr, 0x01);			/* PING */
		crypto_frame(&fr, from, ch + from, to - from);
		put8(&fr, 0x00);			/* PADDING */
		p.pn = i;				/* 1 byte: wraps */
		build_packet(&dg, &p, &fr);
		if (i == 250)
			old = dg;
		ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
				 to == ch_len ? QUIC_FLOW_DONE :
						QUIC_FLOW_NEED_MORE);
		ck_assert_int_eq(flow.largest_pn, i);
	}
	ck_assert_uint_gt(i, 300);
	ck_assert_str_eq(flow.hello.sni, "pn.example");
	/* packet 250 again, its 0xfa read as 250, not 506 */
	ck_assert_int_eq(quic_flow_feed(&flow, old.b, old.n), QUIC_FLOW_DONE);
	ck_assert_int_eq(flow.largest_pn, i - 1);
}
END_TEST

/*
 * Chrome's "chaos protection": the ClientHello cut into many CRYPTO
 * frames in shuffled order, with PING and PADDING between them, in one
 * packet, and the same pieces spread over two datagrams.
 */
START_TEST(test_quic_initial_shuffled_frames)
{
	struct pkt p = { .version = QUIC_VERSION_1, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_a, .dcid_len = sizeof(dcid_a),
			 .size = 1250 };
	size_t piece = 37, npieces, i, k;

	ch_len = build_hello(ch, sizeof(ch), "chaos.example", 500);
	npieces = (ch_len + piece - 1) / piece;
	for (i = 0; i < npieces; i++) {
		/* a fixed permutation: multiply by a unit modulo npieces */
		size_t from, to;

		k = (i * 7 + 3) % npieces;
		from = k * piece;
		to = from + piece < ch_len ? from + piece : ch_len;
		crypto_frame(&fr, from, ch + from, to - from);
		put8(&fr, i % 2 ? 0x01 : 0x00);
	}
	ck_assert_uint_ne(npieces % 7, 0);
	build_packet(&dg, &p, &fr);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "chaos.example");

	/* the odd pieces first, then the even ones */
	quic_flow_free(&flow);
	setup();
	for (k = 0; k < 2; k++) {
		fr.n = dg.n = 0;
		for (i = 1 - k; i < npieces; i += 2) {
			size_t from = i * piece;
			size_t to = from + piece < ch_len ? from + piece :
							    ch_len;

			crypto_frame(&fr, from, ch + from, to - from);
		}
		p.pn = k;
		build_packet(&dg, &p, &fr);
		ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
				 k ? QUIC_FLOW_DONE : QUIC_FLOW_NEED_MORE);
	}
	ck_assert_str_eq(flow.hello.sni, "chaos.example");
}
END_TEST

/* A jump ahead that a 1-byte packet number can still express */
START_TEST(test_quic_initial_pn_jump)
{
	struct pkt p = { .version = QUIC_VERSION_2, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_a, .dcid_len = sizeof(dcid_a),
			 .pn = 415, .pn_len = 2 };

	ch_len = build_hello(ch, sizeof(ch), "jump.example", 200);
	crypto_frame(&fr, 0, ch, 100);
	build_packet(&dg, &p, &fr);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
			 QUIC_FLOW_NEED_MORE);
	/* 517 = 0x205 sent as 0x05: expected 416, so 0x105 + 0x100 */
	dg.n = fr.n = 0;
	p.pn = 517;
	p.pn_len = 1;
	crypto_frame(&fr, 100, ch + 100, ch_len - 100);
	build_packet(&dg, &p, &fr);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_int_eq(flow.largest_pn, 517);
	ck_assert_str_eq(flow.hello.sni, "jump.example");
}
END_TEST

/* An Initial with no frames at all: it decrypts, and is malformed */
START_TEST(test_quic_initial_empty_payload)
{
	struct pkt p = { .version = QUIC_VERSION_1, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_a, .dcid_len = sizeof(dcid_a),
			 .pn_len = 4 };

	build_packet(&dg, &p, &fr);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -EBADMSG);
}
END_TEST

/* The frames allowed in Initial packets, around the CRYPTO frame */
START_TEST(test_quic_initial_allowed_frames)
{
	struct pkt p = { .version = QUIC_VERSION_2, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_a, .dcid_len = sizeof(dcid_a),
			 .size = 1200, .token_len = 40 };

	ch_len = build_hello(ch, sizeof(ch), "frames.example", 0);
	put8(&fr, 0x02);	/* ACK: largest 5, delay, 2 ranges */
	putvarint(&fr, 5, 0);
	putvarint(&fr, 100, 0);
	putvarint(&fr, 2, 0);
	putvarint(&fr, 0, 0);
	putvarint(&fr, 1, 0);
	putvarint(&fr, 0, 0);
	putvarint(&fr, 0, 0);
	putvarint(&fr, 0, 0);
	put8(&fr, 0x03);	/* ACK_ECN */
	putvarint(&fr, 70000, 0);
	putvarint(&fr, 1, 8);
	putvarint(&fr, 0, 0);
	putvarint(&fr, 3, 4);
	putvarint(&fr, 1, 0);
	putvarint(&fr, 2, 0);
	putvarint(&fr, 3, 0);
	put8(&fr, 0x01);	/* PING */
	crypto_frame(&fr, 0, ch, ch_len);
	put8(&fr, 0x1c);	/* CONNECTION_CLOSE with a reason */
	putvarint(&fr, 0x0a, 0);
	putvarint(&fr, 0x06, 0);
	putvarint(&fr, 3, 0);
	putbytes(&fr, "bye", 3);
	build_packet(&dg, &p, &fr);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "frames.example");
}
END_TEST

static const struct {
	const char *what;
	const char *frame;
	size_t len;
	int ret;
} bad_frames[] = {
	{ "STREAM", "\x08\x00\x01x", 4, -EBADMSG },
	{ "NEW_TOKEN", "\x07\x01x", 3, -EBADMSG },
	{ "HANDSHAKE_DONE", "\x1e", 1, -EBADMSG },
	{ "app CONNECTION_CLOSE", "\x1d\x00\x00", 3, -EBADMSG },
	{ "MAX_DATA", "\x10\x01", 2, -EBADMSG },
	{ "PING as a 2-byte varint", "\x40\x01", 2, -EBADMSG },
	{ "DATAGRAM", "\x30", 1, -EBADMSG },
	{ "CRYPTO past the buffer", "\x06\x80\x00\x20\x00\x01x", 7, -E2BIG },
	{ "CRYPTO at 2^62-1", "\x06\xff\xff\xff\xff\xff\xff\xff\xff\x01x", 11,
	  -E2BIG },
	{ "CRYPTO longer than the packet",
	  "\x06\x00\x44\x00", 4, -EBADMSG },
	{ "ACK cut short", "\x02\x05\x00\x7f", 4, -EBADMSG },
	{ "CONNECTION_CLOSE cut short", "\x1c\x00\x00\x44\x00", 5, -EBADMSG },
};

START_TEST(test_quic_initial_bad_frames)
{
	struct pkt p = { .version = QUIC_VERSION_1, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_a, .dcid_len = sizeof(dcid_a) };

	ch_len = build_hello(ch, sizeof(ch), "allowed.example", 0);
	crypto_frame(&fr, 0, ch, ch_len);
	putbytes(&fr, bad_frames[_i].frame, bad_frames[_i].len);
	build_packet(&dg, &p, &fr);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), bad_frames[_i].ret);
	/* sticky */
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), bad_frames[_i].ret);
}
END_TEST

/* 0-RTT and Handshake packets coalesced after the Initial are skipped */
START_TEST(test_quic_initial_coalesced_other_types)
{
	uint32_t v = versions[_i];

	ch_len = build_hello(ch, sizeof(ch), "coalesced.example", 0);
	initial_range(&dg, v, dcid_a, sizeof(dcid_a), 0, 0, ch_len, 0);
	build_opaque(&dg, v, QUIC_PKT_0RTT, dcid_a, sizeof(dcid_a), 200);
	build_opaque(&dg, v, QUIC_PKT_HANDSHAKE, dcid_a, sizeof(dcid_a), 40);
	/* a short-header packet ends the datagram */
	put8(&dg, 0x40);
	putbytes(&dg, dcid_a, sizeof(dcid_a));
	putbytes(&dg, "0123456789abcdefghijklmnop", 26);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "coalesced.example");

	/* after DONE: a datagram of Handshake or 1-RTT packets passes */
	dg.n = 0;
	build_opaque(&dg, v, QUIC_PKT_HANDSHAKE, dcid_b, sizeof(dcid_b), 80);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_int_eq(quic_flow_feed(&flow, (const uint8_t *)"\x41xyzxyz",
					8), QUIC_FLOW_DONE);
}
END_TEST

/* Before DONE, a datagram must start with an Initial */
START_TEST(test_quic_initial_not_initial_first)
{
	build_opaque(&dg, QUIC_VERSION_1, QUIC_PKT_HANDSHAKE, dcid_a,
		     sizeof(dcid_a), 80);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -EBADMSG);
}
END_TEST

START_TEST(test_quic_initial_different_dcid_coalesced)
{
	ch_len = build_hello(ch, sizeof(ch), "allowed.example", 0);
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0, 0, 10,
		      0);
	initial_range(&dg, QUIC_VERSION_1, dcid_b, sizeof(dcid_b), 1, 10,
		      ch_len, 0);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -EBADMSG);
}
END_TEST

static const struct {
	const char *what;
	const char *bytes;
	size_t len;
	int ret;
} not_quic[] = {
	{ "empty", "", 0, -EBADMSG },
	{ "short header", "\x40\x01\x02\x03\x04\x05\x06\x07\x08", 9,
	  -EBADMSG },
	{ "draft-29", "\xc0\xff\x00\x00\x1d\x08\x01\x02\x03\x04\x05\x06\x07"
		      "\x08\x00\x00\x41\x00", 18, -EPROTONOSUPPORT },
	{ "grease version", "\xc0\x1a\x2a\x3a\x4a\x08\x01\x02\x03\x04\x05"
			    "\x06\x07\x08\x00\x00\x41\x00", 18,
	  -EPROTONOSUPPORT },
	{ "version negotiation", "\x80\x00\x00\x00\x00\x08\x01\x02\x03\x04"
				 "\x05\x06\x07\x08\x00\x00\x00\x00\x01", 19,
	  -EBADMSG },
	{ "v1 retry", "\xf0\x00\x00\x00\x01\x08\x01\x02\x03\x04\x05\x06\x07"
		      "\x08\x00", 15, -EBADMSG },
	{ "v2 retry", "\xc0\x6b\x33\x43\xcf\x08\x01\x02\x03\x04\x05\x06\x07"
		      "\x08\x00", 15, -EBADMSG },
	{ "dcid of 21", "\xc0\x00\x00\x00\x01\x15\x01\x02\x03\x04\x05\x06"
			"\x07\x08\x00", 15, -EBADMSG },
	{ "length past the end", "\xc0\x00\x00\x00\x01\x08\x01\x02\x03\x04"
				 "\x05\x06\x07\x08\x00\x00\x44\x00\x00", 19,
	  -EBADMSG },
	{ "too short to sample", "\xc0\x00\x00\x00\x01\x01\x01\x00\x00\x13"
				 "0123456789abcdefghi", 29, -EBADMSG },
	{ "dns query", "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01"
		       "a\x00\x00\x01\x00\x01", 19, -EBADMSG },
	{ "tls", "\x16\x03\x01\x00\x10\x01\x00\x00\x0c", 9, -EBADMSG },
};

START_TEST(test_quic_initial_not_quic)
{
	ck_assert_int_eq(quic_flow_feed(&flow,
					(const uint8_t *)not_quic[_i].bytes,
					not_quic[_i].len),
			 not_quic[_i].ret);
}
END_TEST

START_TEST(test_quic_initial_wrong_version_keys)
{
	struct quic_keys k1;
	struct pkt p = { .version = QUIC_VERSION_2, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_a, .dcid_len = sizeof(dcid_a),
			 .keys = &k1, .size = 1200 };

	/* a v2 packet protected with v1 keys does not decrypt */
	ch_len = build_hello(ch, sizeof(ch), "allowed.example", 0);
	ck_assert_int_eq(quic_initial_keys(QUIC_VERSION_1, dcid_a,
					   sizeof(dcid_a), &k1), 0);
	crypto_frame(&fr, 0, ch, ch_len);
	build_packet(&dg, &p, &fr);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -EKEYREJECTED);
}
END_TEST

/* Any byte changed after the header protection sample: no decryption */
START_TEST(test_quic_initial_tamper)
{
	static struct buf orig;
	size_t i;

	ch_len = build_hello(ch, sizeof(ch), "allowed.example", 0);
	initial_range(&orig, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 7, 0,
		      ch_len, 1200);
	for (i = 0; i < orig.n; i += (i < 64 ? 1 : 53)) {
		int ret;

		quic_flow_free(&flow);
		setup();
		memcpy(dg.b, orig.b, orig.n);
		dg.b[i] ^= 0x01;
		ret = quic_flow_feed(&flow, dg.b, orig.n);
		ck_assert_msg(ret < 0, "flip at %zu: %d", i, ret);
	}
	/* cut at every length: never DONE */
	for (i = 0; i < orig.n; i++) {
		quic_flow_free(&flow);
		setup();
		ck_assert_int_lt(quic_flow_feed(&flow, orig.b, i), 0);
	}
}
END_TEST

START_TEST(test_quic_initial_reserved_bits)
{
	struct pkt p = { .version = QUIC_VERSION_1, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_a, .dcid_len = sizeof(dcid_a),
			 .reserved = true };

	ch_len = build_hello(ch, sizeof(ch), "allowed.example", 0);
	crypto_frame(&fr, 0, ch, ch_len);
	build_packet(&dg, &p, &fr);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -EBADMSG);
}
END_TEST

/* A retransmission that says something else: refused */
START_TEST(test_quic_initial_conflicting_crypto)
{
	static uint8_t other[QUIC_CRYPTO_MAX];

	ch_len = build_hello(ch, sizeof(ch), "allowed.example", 0);
	build_hello(other, sizeof(other), "evilbad.example", 0);
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0, 0, 60,
		      0);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
			 QUIC_FLOW_NEED_MORE);
	memcpy(ch, other, ch_len);
	dg.n = 0;
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 1, 0,
		      ch_len, 0);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -EBADMSG);
}
END_TEST

START_TEST(test_quic_initial_too_big)
{
	/* a ClientHello whose length says 9000: refused at its header */
	ch_len = build_hello(ch, sizeof(ch), "big.example", 0);
	ch[1] = 0;
	ch[2] = 0x23;
	ch[3] = 0x28;
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0, 0, 100,
		      0);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -E2BIG);

	/* one that fits exactly */
	quic_flow_free(&flow);
	setup();
	ch_len = build_hello(ch, sizeof(ch), "big.example", 0);
	ch_len = build_hello(ch, sizeof(ch), "big.example",
			     QUIC_CRYPTO_MAX - ch_len);
	ck_assert_uint_eq(ch_len, QUIC_CRYPTO_MAX);
	initial_range(&dg, QUIC_VERSION_2, dcid_a, sizeof(dcid_a), 0, 0, 3000,
		      0);
	initial_range(&dg, QUIC_VERSION_2, dcid_a, sizeof(dcid_a), 1, 3000,
		      6000, 0);
	initial_range(&dg, QUIC_VERSION_2, dcid_a, sizeof(dcid_a), 2, 6000,
		      ch_len, 0);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "big.example");

	/* a datagram larger than UDP allows */
	quic_flow_free(&flow);
	setup();
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, QUIC_DGRAM_MAX + 1),
			 -E2BIG);
}
END_TEST

START_TEST(test_quic_initial_no_sni_and_bad_sni)
{
	ch_len = build_hello(ch, sizeof(ch), NULL, 0);
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0, 0,
		      ch_len, 0);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert(!flow.hello.has_sni);

	quic_flow_free(&flow);
	setup();
	ch_len = build_hello(ch, sizeof(ch), "allowed.example.evil/", 0);
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0, 0,
		      ch_len, 0);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -EINVAL);

	/* CRYPTO data that is not a ClientHello */
	quic_flow_free(&flow);
	setup();
	ch_len = build_hello(ch, sizeof(ch), "allowed.example", 0);
	ch[0] = 2;
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0, 0,
		      ch_len, 0);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -EBADMSG);
}
END_TEST

/*
 * After DONE: the client moves to the server's connection ID with the
 * same keys (fine), or starts a new connection with new keys (refused).
 */
START_TEST(test_quic_initial_after_done)
{
	struct quic_keys ka;
	struct pkt p = { .version = QUIC_VERSION_1, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_b, .dcid_len = sizeof(dcid_b),
			 .keys = &ka, .pn = 1 };

	ch_len = build_hello(ch, sizeof(ch), "allowed.example", 0);
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0, 0,
		      ch_len, 1200);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);

	/* an ACK under the server's CID, original keys */
	ck_assert_int_eq(quic_initial_keys(QUIC_VERSION_1, dcid_a,
					   sizeof(dcid_a), &ka), 0);
	dg.n = fr.n = 0;
	putbytes(&fr, "\x02\x00\x00\x00\x00", 5);
	build_packet(&dg, &p, &fr);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);

	/* a new connection, with its own DCID and ClientHello */
	ch_len = build_hello(ch, sizeof(ch), "denied.example", 0);
	dg.n = 0;
	initial_range(&dg, QUIC_VERSION_1, dcid_b, sizeof(dcid_b), 0, 0,
		      ch_len, 1200);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), -EKEYREJECTED);
	ck_assert_str_eq(flow.hello.sni, "allowed.example");
}
END_TEST

/* Half a ClientHello, then a Retry's answer: new DCID, start over */
START_TEST(test_quic_initial_retry)
{
	ch_len = build_hello(ch, sizeof(ch), "first.example", 1500);
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0, 0, 1000,
		      1200);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
			 QUIC_FLOW_NEED_MORE);
	ch_len = build_hello(ch, sizeof(ch), "second.example", 100);
	dg.n = 0;
	initial_range(&dg, QUIC_VERSION_1, dcid_b, sizeof(dcid_b), 1, 0,
		      ch_len, 1200);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "second.example");
	ck_assert_mem_eq(flow.dcid, dcid_b, sizeof(dcid_b));
	ck_assert_uint_eq(flow.packets, 1);
}
END_TEST

/* Compatible version negotiation: v1 first, then v2 from the same DCID */
START_TEST(test_quic_initial_version_change)
{
	ch_len = build_hello(ch, sizeof(ch), "compat.example", 1500);
	initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0, 0, 1000,
		      1200);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
			 QUIC_FLOW_NEED_MORE);
	dg.n = 0;
	initial_range(&dg, QUIC_VERSION_2, dcid_a, sizeof(dcid_a), 1, 1000,
		      ch_len, 1200);
	ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n), QUIC_FLOW_DONE);
	ck_assert_str_eq(flow.hello.sni, "compat.example");
	ck_assert_uint_eq(flow.version, QUIC_VERSION_2);
}
END_TEST

/* After a HelloRetryRequest, the second ClientHello must agree */
START_TEST(test_quic_initial_second_hello)
{
	static uint8_t two[2 * 1024];
	size_t l1, l2;
	int same;

	for (same = 0; same < 2; same++) {
		quic_flow_free(&flow);
		setup();
		l1 = build_hello(two, sizeof(two), "allowed.example", 0);
		l2 = build_hello(two + l1, sizeof(two) - l1,
				 same ? "allowed.example" : "denied.example",
				 20);
		memcpy(ch, two, l1 + l2);
		initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 0,
			      0, l1, 1200);
		ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
				 QUIC_FLOW_DONE);
		dg.n = 0;
		initial_range(&dg, QUIC_VERSION_1, dcid_a, sizeof(dcid_a), 1,
			      l1, l1 + l2, 1200);
		ck_assert_int_eq(quic_flow_feed(&flow, dg.b, dg.n),
				 same ? QUIC_FLOW_DONE : -EPROTO);
		ck_assert_str_eq(flow.hello.sni, "allowed.example");
	}
}
END_TEST

START_TEST(test_quic_initial_header)
{
	struct quic_hdr h;
	struct pkt p = { .version = QUIC_VERSION_2, .type = QUIC_PKT_INITIAL,
			 .dcid = dcid_a, .dcid_len = sizeof(dcid_a),
			 .size = 1250, .token_len = 5, .pn_len = 2 };

	put8(&fr, 0x01);
	build_packet(&dg, &p, &fr);
	build_opaque(&dg, QUIC_VERSION_2, QUIC_PKT_0RTT, dcid_a,
		     sizeof(dcid_a), 30);
	ck_assert_int_eq(quic_initial_header(dg.b, dg.n, &h), 0);
	ck_assert_uint_eq(h.version, QUIC_VERSION_2);
	ck_assert_int_eq(h.type, QUIC_PKT_INITIAL);
	ck_assert_uint_eq(h.dcid_len, sizeof(dcid_a));
	ck_assert_mem_eq(h.dcid, dcid_a, sizeof(dcid_a));
	ck_assert_uint_eq(h.scid_len, 3);
	ck_assert_uint_eq(h.token_len, 5);
	ck_assert_uint_eq(h.pn_off, 1 + 4 + 1 + 10 + 1 + 3 + 1 + 5 + 2);
	ck_assert_uint_eq(h.len, 1250);
	ck_assert_int_eq(quic_initial_header(dg.b + 1250, dg.n - 1250, &h), 0);
	ck_assert_int_eq(h.type, QUIC_PKT_0RTT);
	ck_assert_str_eq(quic_pkt_type_str[h.type], "0-rtt");
	ck_assert_str_eq(quic_pkt_type_str[QUIC_PKT_INITIAL], "initial");
	ck_assert_str_eq(quic_flow_result_str[QUIC_FLOW_DONE], "done");
}
END_TEST

static Suite *quic_initial_suite(void)
{
	Suite *s = suite_create("quic_initial");
	TCase *tc = tcase_create("keys");

	tcase_add_loop_test(tc, test_quic_initial_rfc_keys, 0,
			    (int)ARRAY_SIZE(rfc_keys));
	tcase_add_test(tc, test_quic_initial_keys_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("flow");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_quic_initial_rfc_packet, 0,
			    (int)ARRAY_SIZE(versions));
	tcase_add_test(tc, test_quic_initial_other_implementation);
	tcase_add_loop_test(tc, test_quic_initial_single_packet, 0,
			    (int)ARRAY_SIZE(versions));
	tcase_add_loop_test(tc, test_quic_initial_three_packets, 0,
			    (int)ARRAY_SIZE(versions));
	tcase_add_test(tc, test_quic_initial_overlap_and_pn);
	tcase_add_test(tc, test_quic_initial_empty_payload);
	tcase_add_test(tc, test_quic_initial_pn_jump);
	tcase_add_test(tc, test_quic_initial_shuffled_frames);
	tcase_add_test(tc, test_quic_initial_allowed_frames);
	tcase_add_loop_test(tc, test_quic_initial_bad_frames, 0,
			    (int)ARRAY_SIZE(bad_frames));
	tcase_add_loop_test(tc, test_quic_initial_coalesced_other_types, 0,
			    (int)ARRAY_SIZE(versions));
	tcase_add_test(tc, test_quic_initial_not_initial_first);
	tcase_add_test(tc, test_quic_initial_different_dcid_coalesced);
	tcase_add_loop_test(tc, test_quic_initial_not_quic, 0,
			    (int)ARRAY_SIZE(not_quic));
	tcase_add_test(tc, test_quic_initial_wrong_version_keys);
	tcase_add_test(tc, test_quic_initial_tamper);
	tcase_add_test(tc, test_quic_initial_reserved_bits);
	tcase_add_test(tc, test_quic_initial_conflicting_crypto);
	tcase_add_test(tc, test_quic_initial_too_big);
	tcase_add_test(tc, test_quic_initial_no_sni_and_bad_sni);
	tcase_add_test(tc, test_quic_initial_after_done);
	tcase_add_test(tc, test_quic_initial_retry);
	tcase_add_test(tc, test_quic_initial_version_change);
	tcase_add_test(tc, test_quic_initial_second_hello);
	tcase_add_test(tc, test_quic_initial_header);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(quic_initial_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
