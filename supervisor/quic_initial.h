/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quic_initial.h - read the ClientHello from a QUIC flow's Initial packets
 *
 * QUIC encrypts even its first packets, but with keys anyone can derive
 * from the Destination Connection ID of the client's first Initial packet
 * and a salt published with each version (RFC 9001 5.2, RFC 9369 3.3).
 * This module derives them (HKDF-SHA256), removes header protection
 * (AES-128-ECB), decrypts (AES-128-GCM), walks the frames and reassembles
 * the CRYPTO stream by offset across packets and datagrams until the
 * ClientHello is complete, then hands it to tls_hello_parse_handshake().
 *
 * One struct quic_flow per UDP flow (the supervisor keys it by 5-tuple);
 * its memory is fixed (about 10 KiB): QUIC_CRYPTO_MAX bytes of CRYPTO
 * stream and a bitmap of the bytes received.  OpenSSL's cipher contexts
 * are allocated once per flow by quic_flow_init() and freed by
 * quic_flow_free(), not per packet.  A 64 KiB plaintext buffer lives on
 * the stack of quic_flow_feed() for the duration of the call.
 *
 * Versions: QUIC v1 (RFC 9000/9001) and v2 (RFC 9369).  Anything else is
 * -EPROTONOSUPPORT: we cannot read it, so the caller should deny it.
 *
 * Errors (all sticky: a flow that failed stays failed until re-inited):
 *   -EBADMSG		not a QUIC long-header Initial where one is needed,
 *			a malformed packet or frame, a frame not allowed in
 *			Initial packets (RFC 9000 12.4), packets with
 *			different connection IDs coalesced in one datagram,
 *			CRYPTO data that contradicts data already received,
 *			or a malformed ClientHello
 *   -EPROTONOSUPPORT	a version other than v1 and v2
 *   -EKEYREJECTED	an Initial packet that does not decrypt with the
 *			flow's keys (after DONE: a new connection attempt
 *			on the same 5-tuple; treat it as a new flow)
 *   -E2BIG		CRYPTO data beyond QUIC_CRYPTO_MAX
 *   -EINVAL		the ClientHello's host_name is not a DNS name
 *   -EPROTO		a second ClientHello (after a HelloRetryRequest)
 *			names another server than the first
 *   -ENOMEM, -EIO	OpenSSL could not allocate or failed
 */
#ifndef QUIC_INITIAL_H
#define QUIC_INITIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls_hello.h"

#define QUIC_VERSION_1		0x00000001u
#define QUIC_VERSION_2		0x6b3343cfu
#define QUIC_CID_MAX		20	/* RFC 9000 17.2, v1 and v2 */
#define QUIC_CRYPTO_MAX		8192	/* CRYPTO stream bytes kept */
#define QUIC_DGRAM_MAX		65527	/* the largest UDP payload */
#define QUIC_KEY_LEN		16
#define QUIC_IV_LEN		12
#define QUIC_HP_LEN		16
#define QUIC_TAG_LEN		16
#define QUIC_SAMPLE_LEN		16

/* Long header packet types, independent of their bits in each version */
enum quic_pkt_type {
	QUIC_PKT_INITIAL,
	QUIC_PKT_0RTT,
	QUIC_PKT_HANDSHAKE,
	QUIC_PKT_RETRY,
	QUIC_PKT_TYPE_NUM
};

extern const char *const quic_pkt_type_str[QUIC_PKT_TYPE_NUM];

/* Positive results of quic_flow_feed() */
enum quic_flow_result {
	QUIC_FLOW_NEED_MORE = 0,
	QUIC_FLOW_DONE = 1,
	QUIC_FLOW_RESULT_NUM
};

extern const char *const quic_flow_result_str[QUIC_FLOW_RESULT_NUM];

/**
 * struct quic_keys - one direction's packet protection keys
 * @key:	AEAD key (AES-128-GCM)
 * @iv:		AEAD IV, XORed with the packet number for the nonce
 * @hp:		header protection key (AES-128-ECB)
 */
struct quic_keys {
	uint8_t key[QUIC_KEY_LEN];
	uint8_t iv[QUIC_IV_LEN];
	uint8_t hp[QUIC_HP_LEN];
};

/**
 * struct quic_hdr - a parsed long header (RFC 9000 17.2)
 * @version:	the version field
 * @type:	packet type, decoded for @version
 * @dcid:	Destination Connection ID (points into the datagram)
 * @dcid_len:	its length, at most QUIC_CID_MAX
 * @scid:	Source Connection ID
 * @scid_len:	its length
 * @token_len:	Initial only: bytes of the token
 * @pn_off:	offset of the (protected) packet number in the packet
 * @len:	bytes of the whole packet, from its first byte
 */
struct quic_hdr {
	uint32_t version;
	enum quic_pkt_type type;
	const uint8_t *dcid;
	size_t dcid_len;
	const uint8_t *scid;
	size_t scid_len;
	uint64_t token_len;
	size_t pn_off;
	size_t len;
};

struct evp_cipher_ctx_st;

/**
 * struct quic_flow - what one UDP flow's Initial packets told us so far
 * @ret:	sticky result: QUIC_FLOW_NEED_MORE, QUIC_FLOW_DONE or -errno
 * @keyed:	@keys, @version and @dcid are set
 * @version:	version of @keys
 * @dcid:	the original Destination Connection ID, which keys the flow
 * @dcid_len:	its length
 * @keys:	client Initial keys for @version and @dcid
 * @aead:	AES-128-GCM context holding @keys.key
 * @hpctx:	AES-128-ECB context holding @keys.hp
 * @largest_pn:	largest packet number decrypted, -1 before the first
 * @packets:	Initial packets decrypted
 * @contig:	CRYPTO bytes received without a gap from offset 0
 * @hello_end:	CRYPTO offset after the ClientHello(s) parsed
 * @hello:	the ClientHello's contents, valid once DONE
 * @have:	bitmap of the CRYPTO bytes received
 * @crypto:	the CRYPTO stream of the Initial packet number space
 */
struct quic_flow {
	int ret;
	bool keyed;
	uint32_t version;
	uint8_t dcid[QUIC_CID_MAX];
	size_t dcid_len;
	struct quic_keys keys;
	struct evp_cipher_ctx_st *aead;
	struct evp_cipher_ctx_st *hpctx;
	int64_t largest_pn;
	unsigned int packets;
	size_t contig;
	size_t hello_end;
	struct tls_hello_info hello;
	uint8_t have[QUIC_CRYPTO_MAX / 8];
	uint8_t crypto[QUIC_CRYPTO_MAX];
};

int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
		      struct quic_keys *client);
int quic_initial_header(const uint8_t *pkt, size_t len, struct quic_hdr *hdr);
int quic_flow_init(struct quic_flow *f);
int quic_flow_feed(struct quic_flow *f, const uint8_t *dgram, size_t len);
void quic_flow_free(struct quic_flow *f);

#endif /* QUIC_INITIAL_H */
