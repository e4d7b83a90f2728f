// SPDX-License-Identifier: GPL-2.0-or-later
/* quic_initial.c - read the ClientHello from a QUIC flow's Initial packets
 *
 * Theory of operation
 *
 * A datagram from the client is a run of coalesced long-header packets,
 * possibly ending with one short-header packet (RFC 9000 12.2).  Each long
 * header carries its own length, so the run can be walked without keys;
 * Initial packets are decrypted, the others (0-RTT, Handshake) skipped.
 * All packets of one datagram must carry the same Destination Connection
 * ID: RFC 9000 12.2 tells receivers to ignore those that do not, and a
 * server that did not ignore them would see a connection we did not, so
 * such a datagram is refused.
 *
 * Keys come from the original DCID, the one of the first Initial packet
 * of the flow (RFC 9001 5.2).  The client keeps using those keys after it
 * switches to the server's connection ID, so a later DCID decrypts with
 * the same keys.  Two cases re-derive them:
 *  - a packet of another known version (compatible version negotiation,
 *    RFC 9368): keys of that version from the same original DCID;
 *  - before DONE, a packet with another DCID that does not decrypt: the
 *    client answered a Retry (RFC 9000 17.2.5.2) and starts over with the
 *    Retry's connection ID; the CRYPTO stream starts over too.
 * After DONE, an Initial that does not decrypt is a new connection on the
 * same 5-tuple: -EKEYREJECTED, for the caller to judge as a new flow.
 *
 * Processing one packet (RFC 9001 5.4, 5.3):
 *   sample 16 bytes at pn_off + 4 -> AES-ECB(hp) = mask -> unmask the
 *   first byte's low 4 bits and the 1..4 packet number bytes -> full
 *   packet number from the largest seen (RFC 9000 A.3) -> nonce = iv ^ pn
 *   -> AES-GCM over the payload with the unmasked header as AAD.
 * The caller's datagram is never written: the unmasked header bytes are
 * fed to the AEAD as AAD in three pieces.
 *
 * CRYPTO data lands in a QUIC_CRYPTO_MAX buffer at its offset; a bitmap
 * records which bytes arrived, so retransmissions are checked to repeat
 * the same bytes (a client cannot show us one ClientHello and the server
 * another).  The ClientHello is parsed once the bytes from 0 to its end
 * are in.  After a HelloRetryRequest the client sends a second ClientHello
 * in the same stream; it is parsed too and must name the same server.
 */

#include <assert.h>
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "quic_initial.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define QUIC_SECRET_LEN	32	/* SHA-256 */
#define QUIC_VARINT_MAX	((1ull << 62) - 1)

const char *const quic_pkt_type_str[QUIC_PKT_TYPE_NUM] = {
	[QUIC_PKT_INITIAL] = "initial",
	[QUIC_PKT_0RTT] = "0-rtt",
	[QUIC_PKT_HANDSHAKE] = "handshake",
	[QUIC_PKT_RETRY] = "retry",
};
static_assert(ARRAY_SIZE(quic_pkt_type_str) == QUIC_PKT_TYPE_NUM,
	      "quic_pkt_type_str must name every enum quic_pkt_type");

const char *const quic_flow_result_str[QUIC_FLOW_RESULT_NUM] = {
	[QUIC_FLOW_NEED_MORE] = "need more",
	[QUIC_FLOW_DONE] = "done",
};
static_assert(ARRAY_SIZE(quic_flow_result_str) == QUIC_FLOW_RESULT_NUM,
	      "quic_flow_result_str must name every enum quic_flow_result");

static_assert(QUIC_CRYPTO_MAX % 8 == 0, "the bitmap has whole bytes");

/**
 * struct quic_version_info - what differs between versions for Initials
 * @version:	wire value
 * @salt:	initial_salt
 * @label_key:	HKDF label of the AEAD key (without "tls13 ")
 * @label_iv:	... of the IV
 * @label_hp:	... of the header protection key
 * @types:	packet type for each value of the long header's type bits
 */
struct quic_version_info {
	uint32_t version;
	uint8_t salt[20];
	const char *label_key;
	const char *label_iv;
	const char *label_hp;
	enum quic_pkt_type types[4];
};

static const struct quic_version_info quic_versions[] = {
	{
		/* RFC 9001 5.2, 17.2 of RFC 9000 */
		.version = QUIC_VERSION_1,
		.salt = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3,
			  0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
			  0xcc, 0xbb, 0x7f, 0x0a },
		.label_key = "quic key",
		.label_iv = "quic iv",
		.label_hp = "quic hp",
		.types = { QUIC_PKT_INITIAL, QUIC_PKT_0RTT,
			   QUIC_PKT_HANDSHAKE, QUIC_PKT_RETRY },
	},
	{
		/* RFC 9369 3.2, 3.3.1, 3.3.2 */
		.version = QUIC_VERSION_2,
		.salt = { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb,
			  0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
			  0xf9, 0xbd, 0x2e, 0xd9 },
		.label_key = "quicv2 key",
		.label_iv = "quicv2 iv",
		.label_hp = "quicv2 hp",
		.types = { QUIC_PKT_RETRY, QUIC_PKT_INITIAL, QUIC_PKT_0RTT,
			   QUIC_PKT_HANDSHAKE },
	},
};

static const struct quic_version_info *quic_version_find(uint32_t version)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(quic_versions); i++)
		if (quic_versions[i].version == version)
			return &quic_versions[i];
	return NULL;
}

/**
 * quic_hkdf() - one HKDF step with SHA-256 through OpenSSL's EVP_KDF
 * @kdf:	the fetched "HKDF" implementation
 * @extract:	true for HKDF-Extract(@salt, @key), false for
 *		HKDF-Expand(@key, @info, @outlen)
 * @key:	input keying material (extract) or pseudorandom key (expand)
 * @keylen:	its length
 * @salt:	extract only
 * @saltlen:	its length
 * @info:	expand only
 * @infolen:	its length
 * @out:	output
 * @outlen:	bytes wanted (32 for extract)
 *
 * Return: 0, or -EIO if OpenSSL fails.
 */
static int quic_hkdf(EVP_KDF *kdf, bool extract, const uint8_t *key,
		     size_t keylen, const uint8_t *salt, size_t saltlen,
		     const uint8_t *info, size_t infolen, uint8_t *out,
		     size_t outlen)
{
	int mode = extract ? EVP_KDF_HKDF_MODE_EXTRACT_ONLY :
			     EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[5], *p = params;
	EVP_KDF_CTX *kctx;
	int ok;

	kctx = EVP_KDF_CTX_new(kdf);
	if (!kctx)
		return -ENOMEM;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)key, keylen);
	if (extract)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt,
							 saltlen);
	else
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info,
							 infolen);
	*p = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, outlen, params);
	EVP_KDF_CTX_free(kctx);
	return ok > 0 ? 0 : -EIO;
}

/* HKDF-Expand-Label(secret, label, "", len), RFC 8446 7.1 */
static int quic_expand_label(EVP_KDF *kdf, const uint8_t *secret,
			     const char *label, uint8_t *out, size_t len)
{
	uint8_t info[2 + 1 + 6 + 32 + 1];
	size_t llen = strlen(label), n = 0;

	if (llen > 32)
		return -EINVAL;
	info[n++] = 0;
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + llen);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0;		/* empty context */
	return quic_hkdf(kdf, false, secret, QUIC_SECRET_LEN, NULL, 0, info,
			 n, out, len);
}

/**
 * quic_initial_keys() - derive the client's Initial keys
 * @version:	QUIC_VERSION_1 or QUIC_VERSION_2
 * @dcid:	the Destination Connection ID of the client's first Initial
 * @dcid_len:	its length (0 to QUIC_CID_MAX)
 * @client:	the keys
 *
 * initial_secret = HKDF-Extract(salt, dcid), client_initial_secret =
 * HKDF-Expand-Label(initial_secret, "client in", "", 32), then key, iv
 * and hp with the version's labels (RFC 9001 5.2, RFC 9369 3.3).
 *
 * Return: 0, -EPROTONOSUPPORT for another version, -EINVAL for a DCID
 * that is too long, -ENOMEM or -EIO if OpenSSL fails.
 */
int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
		      struct quic_keys *client)
{
	const struct quic_version_info *v = quic_version_find(version);
	uint8_t initial[QUIC_SECRET_LEN], secret[QUIC_SECRET_LEN];
	static const uint8_t none[1];
	EVP_KDF *kdf;
	int ret;

	if (!v)
		return -EPROTONOSUPPORT;
	if (dcid_len > QUIC_CID_MAX)
		return -EINVAL;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		return -EIO;
	/* OpenSSL wants a key pointer even for an empty DCID */
	ret = quic_hkdf(kdf, true, dcid_len ? dcid : none, dcid_len, v->salt,
			sizeof(v->salt), NULL, 0, initial, sizeof(initial));
	if (!ret)
		ret = quic_expand_label(kdf, initial, "client in", secret,
					sizeof(secret));
	if (!ret)
		ret = quic_expand_label(kdf, secret, v->label_key, client->key,
					QUIC_KEY_LEN);
	if (!ret)
		ret = quic_expand_label(kdf, secret, v->label_iv, client->iv,
					QUIC_IV_LEN);
	if (!ret)
		ret = quic_expand_label(kdf, secret, v->label_hp, client->hp,
					QUIC_HP_LEN);
	EVP_KDF_free(kdf);
	return ret;
}

/* A bounded reader, as in tls_hello.c */
struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static int rd_u8(struct rd *r, unsigned int *v)
{
	if (r->len - r->off < 1)
		return -EBADMSG;
	*v = r->p[r->off++];
	return 0;
}

/* A variable-length integer (RFC 9000 16) */
static int rd_varint(struct rd *r, uint64_t *v)
{
	size_t n, i;

	if (r->len - r->off < 1)
		return -EBADMSG;
	n = (size_t)1 << (r->p[r->off] >> 6);
	if (r->len - r->off < n)
		return -EBADMSG;
	*v = r->p[r->off] & 0x3f;
	for (i = 1; i < n; i++)
		*v = *v << 8 | r->p[r->off + i];
	r->off += n;
	return 0;
}

static int rd_skip(struct rd *r, uint64_t n)
{
	if (r->len - r->off < n)
		return -EBADMSG;
	r->off += (size_t)n;
	return 0;
}

/**
 * quic_initial_header() - parse the long header of a client's packet
 * @pkt:	the packet, at the start of a datagram or after another
 *		packet of it
 * @len:	bytes from @pkt to the end of the datagram
 * @hdr:	the header
 *
 * Retry packets are refused (clients do not send them, and they have no
 * length field to skip them by), as are packets too short to carry a
 * header protection sample (RFC 9001 5.4.2).
 *
 * Return: 0; -EBADMSG for a short header (or anything not a long
 * header), a Version Negotiation packet or a malformed header;
 * -EPROTONOSUPPORT for a version other than v1 and v2.
 */
int quic_initial_header(const uint8_t *pkt, size_t len, struct quic_hdr *hdr)
{
	const struct quic_version_info *v;
	struct rd r = { .p = pkt, .len = len };
	unsigned int b0, n;
	uint64_t length;
	int ret;

	memset(hdr, 0, sizeof(*hdr));
	if (len < 7 || !(pkt[0] & 0x80))
		return -EBADMSG;
	b0 = pkt[0];
	hdr->version = (uint32_t)pkt[1] << 24 | (uint32_t)pkt[2] << 16 |
		       (uint32_t)pkt[3] << 8 | pkt[4];
	if (!hdr->version)
		return -EBADMSG;	/* Version Negotiation: servers only */
	v = quic_version_find(hdr->version);
	if (!v)
		return -EPROTONOSUPPORT;
	hdr->type = v->types[(b0 >> 4) & 3];
	if (hdr->type == QUIC_PKT_RETRY)
		return -EBADMSG;
	r.off = 5;
	if (rd_u8(&r, &n) || n > QUIC_CID_MAX || rd_skip(&r, n))
		return -EBADMSG;
	hdr->dcid = pkt + 6;
	hdr->dcid_len = n;
	ret = rd_u8(&r, &n);
	if (ret || n > QUIC_CID_MAX)
		return -EBADMSG;
	hdr->scid = pkt + r.off;
	hdr->scid_len = n;
	if (rd_skip(&r, n))
		return -EBADMSG;
	if (hdr->type == QUIC_PKT_INITIAL &&
	    (rd_varint(&r, &hdr->token_len) || rd_skip(&r, hdr->token_len)))
		return -EBADMSG;
	if (rd_varint(&r, &length) || length > len - r.off)
		return -EBADMSG;
	if (length < 4 + QUIC_SAMPLE_LEN)
		return -EBADMSG;
	hdr->pn_off = r.off;
	hdr->len = r.off + (size_t)length;
	return 0;
}

/**
 * quic_flow_init() - prepare the state of a new flow
 * @f:	the flow
 *
 * Return: 0, or -ENOMEM if OpenSSL cannot allocate its contexts.
 */
int quic_flow_init(struct quic_flow *f)
{
	memset(f, 0, offsetof(struct quic_flow, have));
	memset(f->have, 0, sizeof(f->have));
	f->largest_pn = -1;
	f->aead = EVP_CIPHER_CTX_new();
	f->hpctx = EVP_CIPHER_CTX_new();
	if (!f->aead || !f->hpctx) {
		quic_flow_free(f);
		return -ENOMEM;
	}
	return 0;
}

/**
 * quic_flow_free() - release what quic_flow_init() allocated
 * @f:	the flow; may be freed twice
 */
void quic_flow_free(struct quic_flow *f)
{
	EVP_CIPHER_CTX_free(f->aead);
	f->aead = NULL;
	EVP_CIPHER_CTX_free(f->hpctx);
	f->hpctx = NULL;
}

/* Forget the CRYPTO stream: a Retry made the client start over */
static void quic_flow_reset_stream(struct quic_flow *f)
{
	memset(f->have, 0, sizeof(f->have));
	f->contig = 0;
	f->hello_end = 0;
	f->largest_pn = -1;
	f->packets = 0;
}

/**
 * quic_flow_rekey() - derive keys and load them into the flow's contexts
 * @f:		the flow
 * @version:	a known version
 * @dcid:	the original DCID
 * @dcid_len:	its length
 *
 * Return: 0 or -errno from quic_initial_keys() or OpenSSL (-EIO).
 */
static int quic_flow_rekey(struct quic_flow *f, uint32_t version,
			   const uint8_t *dcid, size_t dcid_len)
{
	int ret;

	ret = quic_initial_keys(version, dcid, dcid_len, &f->keys);
	if (ret)
		return ret;
	if (EVP_DecryptInit_ex(f->aead, EVP_aes_128_gcm(), NULL, NULL,
			       NULL) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(f->aead, EVP_CTRL_GCM_SET_IVLEN, QUIC_IV_LEN,
				NULL) <= 0 ||
	    EVP_DecryptInit_ex(f->aead, NULL, NULL, f->keys.key, NULL) <= 0 ||
	    EVP_EncryptInit_ex(f->hpctx, EVP_aes_128_ecb(), NULL, f->keys.hp,
			       NULL) <= 0 ||
	    EVP_CIPHER_CTX_set_padding(f->hpctx, 0) <= 0) {
		f->keyed = false;
		return -EIO;
	}
	memmove(f->dcid, dcid, dcid_len);
	f->dcid_len = dcid_len;
	f->version = version;
	f->keyed = true;
	return 0;
}

/* RFC 9000 A.3 */
static uint64_t quic_decode_pn(int64_t largest, uint64_t truncated,
			       unsigned int bits)
{
	uint64_t expected = (uint64_t)(largest + 1);
	uint64_t win = 1ull << bits, hwin = win / 2, mask = win - 1;
	uint64_t candidate = (expected & ~mask) | truncated;

	if (candidate + hwin <= expected && candidate < (1ull << 62) - win)
		return candidate + win;
	if (candidate > expected + hwin && candidate >= win)
		return candidate - win;
	return candidate;
}

/**
 * quic_flow_decrypt() - remove header protection and decrypt a packet
 * @f:		the flow, keyed
 * @hdr:	the packet's header
 * @pkt:	the packet
 * @plain:	room for at least @hdr->len bytes of plaintext
 * @plen:	bytes of plaintext
 * @pn:		the packet number
 *
 * Return: 0; -EKEYREJECTED if the packet does not authenticate;
 * -EBADMSG if it does but has reserved bits set or an empty payload.
 */
static int quic_flow_decrypt(struct quic_flow *f, const struct quic_hdr *hdr,
			     const uint8_t *pkt, uint8_t *plain, size_t *plen,
			     uint64_t *pn)
{
	uint8_t mask[32], nonce[QUIC_IV_LEN], pnb[4], tag[QUIC_TAG_LEN];
	unsigned int pn_len, i;
	uint64_t truncated = 0;
	size_t ct_off, ct_len;
	uint8_t first;
	int outl;

	if (EVP_EncryptUpdate(f->hpctx, mask, &outl,
			      pkt + hdr->pn_off + 4, QUIC_SAMPLE_LEN) <= 0 ||
	    outl != QUIC_SAMPLE_LEN)
		return -EIO;
	first = pkt[0] ^ (mask[0] & 0x0f);
	pn_len = (first & 3) + 1;
	for (i = 0; i < pn_len; i++) {
		pnb[i] = pkt[hdr->pn_off + i] ^ mask[1 + i];
		truncated = truncated << 8 | pnb[i];
	}
	*pn = quic_decode_pn(f->largest_pn, truncated, pn_len * 8);

	memcpy(nonce, f->keys.iv, sizeof(nonce));
	for (i = 0; i < 8; i++)
		nonce[QUIC_IV_LEN - 1 - i] ^= (uint8_t)(*pn >> (8 * i));
	ct_off = hdr->pn_off + pn_len;
	/* hdr->len >= pn_off + 20, so this cannot underflow */
	ct_len = hdr->len - ct_off - QUIC_TAG_LEN;
	memcpy(tag, pkt + hdr->len - QUIC_TAG_LEN, sizeof(tag));

	if (EVP_DecryptInit_ex(f->aead, NULL, NULL, NULL, nonce) <= 0 ||
	    EVP_DecryptUpdate(f->aead, NULL, &outl, &first, 1) <= 0 ||
	    EVP_DecryptUpdate(f->aead, NULL, &outl, pkt + 1,
			      (int)hdr->pn_off - 1) <= 0 ||
	    EVP_DecryptUpdate(f->aead, NULL, &outl, pnb, (int)pn_len) <= 0)
		return -EIO;
	if (EVP_DecryptUpdate(f->aead, plain, &outl, pkt + ct_off,
			      (int)ct_len) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(f->aead, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN,
				tag) <= 0)
		return -EIO;
	*plen = (size_t)outl;
	if (EVP_DecryptFinal_ex(f->aead, plain + *plen, &outl) <= 0)
		return -EKEYREJECTED;
	/* RFC 9000 17.2: reserved bits, checked after both protections */
	if (first & 0x0c)
		return -EBADMSG;
	if (!ct_len)
		return -EBADMSG;	/* RFC 9000 12.4: at least one frame */
	return 0;
}

/* Store CRYPTO data at its offset, checking bytes we already have */
static int quic_flow_crypto(struct quic_flow *f, uint64_t off,
			    const uint8_t *data, uint64_t len)
{
	size_t i;

	if (off > QUIC_CRYPTO_MAX || len > QUIC_CRYPTO_MAX - off)
		return -E2BIG;
	for (i = 0; i < len; i++) {
		size_t at = (size_t)off + i;
		uint8_t bit = (uint8_t)(1u << (at % 8));

		if (f->have[at / 8] & bit) {
			if (f->crypto[at] != data[i])
				return -EBADMSG;
			continue;
		}
		f->crypto[at] = data[i];
		f->have[at / 8] |= bit;
	}
	while (f->contig < QUIC_CRYPTO_MAX &&
	       f->have[f->contig / 8] & (1u << (f->contig % 8)))
		f->contig++;
	return 0;
}

/**
 * quic_flow_frames() - walk the frames of a decrypted Initial packet
 * @f:		the flow
 * @p:		plaintext
 * @len:	its length
 *
 * Only the frames RFC 9000 12.4 (Table 3) allows in Initial packets are
 * accepted: PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE of type 0x1c.
 * Frame types are varints, but all of these fit one byte, and a longer
 * encoding of them is not the shortest one (RFC 9000 12.4), so any first
 * byte other than theirs is refused.
 *
 * Return: 0 or -errno.
 */
static int quic_flow_frames(struct quic_flow *f, const uint8_t *p, size_t len)
{
	struct rd r = { .p = p, .len = len };

	while (r.off < r.len) {
		uint64_t a, b, count, i;
		unsigned int type;
		int ret = 0;

		rd_u8(&r, &type);
		switch (type) {
		case 0x00:	/* PADDING */
		case 0x01:	/* PING */
			break;
		case 0x02:	/* ACK */
		case 0x03:	/* ACK with ECN counts */
			ret = rd_varint(&r, &a);	/* largest */
			if (!ret)
				ret = rd_varint(&r, &a);	/* delay */
			if (!ret)
				ret = rd_varint(&r, &count);
			if (!ret)
				ret = rd_varint(&r, &a);	/* first range */
			/* each range takes 2 bytes at least: bounded */
			for (i = 0; !ret && i < count; i++) {
				ret = rd_varint(&r, &a);	/* gap */
				if (!ret)
					ret = rd_varint(&r, &b);
			}
			for (i = 0; !ret && type == 0x03 && i < 3; i++)
				ret = rd_varint(&r, &a);	/* ECN */
			break;
		case 0x06:	/* CRYPTO */
			ret = rd_varint(&r, &a);
			if (!ret)
				ret = rd_varint(&r, &b);
			if (!ret && r.len - r.off < b)
				ret = -EBADMSG;
			if (!ret)
				ret = quic_flow_crypto(f, a, p + r.off, b);
			if (!ret)
				r.off += (size_t)b;
			break;
		case 0x1c:	/* CONNECTION_CLOSE */
			ret = rd_varint(&r, &a);	/* error code */
			if (!ret)
				ret = rd_varint(&r, &a);	/* frame type */
			if (!ret)
				ret = rd_varint(&r, &b);
			if (!ret)
				ret = rd_skip(&r, b);
			break;
		default:
			return -EBADMSG;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * quic_flow_initial() - decrypt one Initial packet and take its frames
 * @f:		the flow
 * @hdr:	its header
 * @pkt:	the packet
 * @plain:	scratch for the plaintext, @hdr->len bytes at least
 *
 * Return: 0 or -errno.
 */
static int quic_flow_initial(struct quic_flow *f, const struct quic_hdr *hdr,
			     const uint8_t *pkt, uint8_t *plain)
{
	bool same_dcid;
	size_t plen;
	uint64_t pn;
	int ret;

	if (!f->keyed)
		ret = quic_flow_rekey(f, hdr->version, hdr->dcid,
				      hdr->dcid_len);
	else if (f->version != hdr->version)
		ret = quic_flow_rekey(f, hdr->version, f->dcid, f->dcid_len);
	else
		ret = 0;
	if (ret)
		return ret;

	ret = quic_flow_decrypt(f, hdr, pkt, plain, &plen, &pn);
	same_dcid = hdr->dcid_len == f->dcid_len &&
		    !memcmp(hdr->dcid, f->dcid, f->dcid_len);
	if (ret == -EKEYREJECTED && !same_dcid && f->ret != QUIC_FLOW_DONE) {
		/* a Retry's answer: new keys, the stream starts over */
		ret = quic_flow_rekey(f, hdr->version, hdr->dcid,
				      hdr->dcid_len);
		if (ret)
			return ret;
		quic_flow_reset_stream(f);
		ret = quic_flow_decrypt(f, hdr, pkt, plain, &plen, &pn);
	}
	if (ret)
		return ret;
	if ((int64_t)pn > f->largest_pn)
		f->largest_pn = (int64_t)pn;
	f->packets++;
	return quic_flow_frames(f, plain, plen);
}

/**
 * quic_flow_hello() - parse the ClientHello(s) the stream holds so far
 * @f:	the flow
 *
 * Return: QUIC_FLOW_NEED_MORE, QUIC_FLOW_DONE or -errno.
 */
static int quic_flow_hello(struct quic_flow *f)
{
	int done = f->ret;

	while (f->contig - f->hello_end >= TLS_HELLO_HDR_LEN) {
		const uint8_t *m = f->crypto + f->hello_end;
		size_t body = (size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3];
		struct tls_hello_info info;
		int ret;

		ret = tls_hello_parse_handshake(m, f->contig - f->hello_end,
						&info);
		if (ret == TLS_HELLO_NEED_MORE) {
			if (body > QUIC_CRYPTO_MAX - f->hello_end -
				   TLS_HELLO_HDR_LEN)
				return -E2BIG;
			break;
		}
		if (ret < 0)
			return ret;
		if (done != QUIC_FLOW_DONE) {
			f->hello = info;
			done = QUIC_FLOW_DONE;
		} else if (info.has_sni != f->hello.has_sni ||
			   strcmp(info.sni, f->hello.sni)) {
			return -EPROTO;
		}
		f->hello_end += info.len;
	}
	return done;
}

/**
 * quic_flow_feed() - take one datagram the client sends on this flow
 * @f:		the flow, from quic_flow_init()
 * @dgram:	the UDP payload
 * @len:	its length
 *
 * Before DONE, the datagram must start with an Initial packet.  After
 * DONE, datagrams are still checked (Initial packets must decrypt with
 * the flow's keys and repeat the same CRYPTO bytes; a second ClientHello
 * must name the same server); datagrams of short-header packets only, or
 * of Handshake packets, pass.
 *
 * Return: QUIC_FLOW_NEED_MORE, QUIC_FLOW_DONE (the ClientHello is in
 * &f->hello), or -errno (see quic_initial.h), sticky.
 */
int quic_flow_feed(struct quic_flow *f, const uint8_t *dgram, size_t len)
{
	uint8_t plain[QUIC_DGRAM_MAX];
	const uint8_t *dcid = NULL;
	size_t off = 0, dcid_len = 0;
	int ret;

	if (f->ret < 0)
		return f->ret;
	if (!f->aead || !f->hpctx)
		return -EINVAL;
	if (len > QUIC_DGRAM_MAX) {
		f->ret = -E2BIG;
		return f->ret;
	}
	while (off < len) {
		struct quic_hdr hdr;

		if (!(dgram[off] & 0x80)) {
			/* a short header runs to the end of the datagram */
			if (!off && f->ret != QUIC_FLOW_DONE) {
				f->ret = -EBADMSG;
				return f->ret;
			}
			break;
		}
		ret = quic_initial_header(dgram + off, len - off, &hdr);
		if (!ret && !off && hdr.type != QUIC_PKT_INITIAL &&
		    f->ret != QUIC_FLOW_DONE)
			ret = -EBADMSG;
		if (!ret && off && (hdr.dcid_len != dcid_len ||
				    memcmp(hdr.dcid, dcid, dcid_len)))
			ret = -EBADMSG;	/* RFC 9000 12.2 */
		if (!ret && hdr.type == QUIC_PKT_INITIAL)
			ret = quic_flow_initial(f, &hdr, dgram + off, plain);
		if (ret) {
			f->ret = ret;
			return ret;
		}
		if (!off) {
			dcid = hdr.dcid;
			dcid_len = hdr.dcid_len;
		}
		off += hdr.len;
	}
	if (!len && f->ret != QUIC_FLOW_DONE)
		f->ret = -EBADMSG;
	else
		f->ret = quic_flow_hello(f);
	return f->ret;
}
