// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_quic_initial.c - fuzz the QUIC Initial reader
 *
 * Random bytes almost never authenticate under AES-GCM, so most of the
 * reader (frames, CRYPTO reassembly, the ClientHello) would stay out of
 * reach.  The first input byte therefore picks one of two modes:
 *  - raw (even): the rest is one to three datagrams of a flow, fed as
 *    they are: headers, coalescing, versions and keys under attack;
 *  - sealed (odd): the rest is a list of packets, each a small header
 *    (version, DCID, packet number, datagram boundary) and a plaintext
 *    payload of frames, which this harness protects with the real
 *    Initial keys (RFC 9001 5.3/5.4) before feeding: frames and
 *    reassembly under attack.
 * Either way: no crash, no out-of-bounds access, results in range, and a
 * DONE flow holds a ClientHello that parses again to the same name.
 *
 * Built with libFuzzer (--enable-fuzz) or with tests/fuzz/fuzz_main.c to
 * replay the seed corpus under `make check`.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "quic_initial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,    \
				#cond);                                       \
			abort();                                              \
		}                                                             \
	} while (0)

static const uint8_t dcids[2][8] = {
	{ 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 },
	{ 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 },
};
static const uint32_t versions[2] = { QUIC_VERSION_1, QUIC_VERSION_2 };
static struct quic_keys keys[2][2];	/* [version][dcid] */
static EVP_CIPHER_CTX *gcm, *ecb;
static struct quic_flow flow;
static uint8_t dgram[QUIC_DGRAM_MAX];

static void fuzz_init(void)
{
	int v, d;

	if (gcm)
		return;
	for (v = 0; v < 2; v++)
		for (d = 0; d < 2; d++)
			FUZZ_CHECK(!quic_initial_keys(versions[v], dcids[d], 8,
						      &keys[v][d]));
	gcm = EVP_CIPHER_CTX_new();
	ecb = EVP_CIPHER_CTX_new();
	FUZZ_CHECK(gcm && ecb);
}

/* Protect one Initial packet with @payload into @out; returns its size */
static size_t seal(uint8_t *out, size_t room, int v, int d, uint64_t pn,
		   const uint8_t *payload, size_t plen)
{
	const struct quic_keys *k = &keys[v][d];
	uint8_t nonce[12], mask[16];
	size_t n = 0, pn_off, i, copy = plen;
	int outl;

	if (plen < 16)
		plen = 16;	/* room for the sample: pad with zeros */
	if (room < 64 + plen)
		return 0;
	out[n++] = (uint8_t)(0xc3 | (versions[v] == QUIC_VERSION_2 ?
				     0x10 : 0x00));
	out[n++] = (uint8_t)(versions[v] >> 24);
	out[n++] = (uint8_t)(versions[v] >> 16);
	out[n++] = (uint8_t)(versions[v] >> 8);
	out[n++] = (uint8_t)versions[v];
	out[n++] = 8;
	memcpy(out + n, dcids[d], 8);
	n += 8;
	out[n++] = 0;			/* SCID */
	out[n++] = 0;			/* token */
	out[n++] = (uint8_t)(0x40 | ((4 + plen + 16) >> 8));
	out[n++] = (uint8_t)((4 + plen + 16) & 0xff);
	pn_off = n;
	for (i = 0; i < 4; i++)
		out[n++] = (uint8_t)(pn >> (24 - 8 * i));
	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	memset(out + n, 0, plen);
	memcpy(out + n, payload, copy);
	FUZZ_CHECK(EVP_EncryptInit_ex(gcm, EVP_aes_128_gcm(), NULL, k->key,
				      nonce) == 1);
	FUZZ_CHECK(EVP_EncryptUpdate(gcm, NULL, &outl, out, (int)n) == 1);
	FUZZ_CHECK(EVP_EncryptUpdate(gcm, out + n, &outl, out + n,
				     (int)plen) == 1);
	n += plen;
	FUZZ_CHECK(EVP_EncryptFinal_ex(gcm, out + n, &outl) == 1);
	FUZZ_CHECK(EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_GET_TAG, 16,
				       out + n) == 1);
	n += 16;
	FUZZ_CHECK(EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), NULL, k->hp,
				      NULL) == 1);
	EVP_CIPHER_CTX_set_padding(ecb, 0);
	FUZZ_CHECK(EVP_EncryptUpdate(ecb, mask, &outl, out + pn_off + 4,
				     16) == 1);
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < 4; i++)
		out[pn_off + i] ^= mask[1 + i];
	return n;
}

static void check_result(int ret)
{
	struct tls_hello_info info;

	FUZZ_CHECK(ret == QUIC_FLOW_NEED_MORE || ret == QUIC_FLOW_DONE ||
		   ret == -EBADMSG || ret == -EPROTONOSUPPORT ||
		   ret == -EKEYREJECTED || ret == -E2BIG || ret == -EINVAL ||
		   ret == -EPROTO);
	FUZZ_CHECK(flow.contig <= QUIC_CRYPTO_MAX);
	FUZZ_CHECK(flow.hello_end <= flow.contig);
	if (ret != QUIC_FLOW_DONE)
		return;
	FUZZ_CHECK(tls_hello_parse_handshake(flow.crypto, flow.contig,
					     &info) == TLS_HELLO_DONE);
	FUZZ_CHECK(!strcmp(info.sni, flow.hello.sni));
	FUZZ_CHECK(flow.hello.sni_len == strlen(flow.hello.sni));
	FUZZ_CHECK(flow.packets >= 1);
}

/* Up to three datagrams: two 16-bit lengths, then the bytes */
static void fuzz_raw(const uint8_t *data, size_t size)
{
	size_t off = 4, i;

	if (size < 4)
		return;
	for (i = 0; i < 3 && off < size; i++) {
		size_t len = i < 2 ? (size_t)data[2 * i] << 8 | data[2 * i + 1] :
				     size - off;

		if (len > size - off)
			len = size - off;
		check_result(quic_flow_feed(&flow, data + off, len));
		off += len;
	}
}

/*
 * Packets: [flags][pn][len hi][len lo] then len bytes of frames.
 * flags: bit 0 version, bit 1 DCID, bit 2 ends a datagram.
 */
static void fuzz_sealed(const uint8_t *data, size_t size)
{
	size_t off = 0, n = 0;
	int ret;

	while (off + 4 <= size) {
		unsigned int flags = data[off];
		uint64_t pn = data[off + 1];
		size_t len = (size_t)data[off + 2] << 8 | data[off + 3], k;

		off += 4;
		if (len > size - off)
			len = size - off;
		k = seal(dgram + n, sizeof(dgram) - n, flags & 1,
			 (flags >> 1) & 1, pn, data + off, len);
		off += len;
		n += k;
		if ((flags & 4) || !k || off + 4 > size) {
			ret = quic_flow_feed(&flow, dgram, n);
			check_result(ret);
			n = 0;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 3 * QUIC_CRYPTO_MAX)
		return 0;
	fuzz_init();
	FUZZ_CHECK(!quic_flow_init(&flow));
	if (data[0] & 1)
		fuzz_sealed(data + 1, size - 1);
	else
		fuzz_raw(data + 1, size - 1);
	quic_flow_free(&flow);
	return 0;
}
