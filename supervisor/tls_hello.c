// SPDX-License-Identifier: GPL-2.0-or-later
/* tls_hello.c - TLS ClientHello parser: SNI, ALPN, ECH, versions
 *
 * Theory of operation
 *
 * The relay sees the client's first bytes before anything reaches the
 * server.  Those bytes are hostile: every length in them is a promise that
 * is checked against the bytes really there, and every vector must end
 * exactly where its enclosing structure ends (RFC 8446 3.4), so there are
 * no unread gaps in which a second opinion could hide.
 *
 * tls_hello_feed() is a small state machine over the stream:
 *   record header (5 bytes) -> record body (copied into the message buffer)
 *   -> next record header ... until the Handshake message is complete.
 * Only handshake records are legal before the ClientHello completes
 * (RFC 8446 5: no alert, change_cipher_spec or data before it), and
 * zero-length handshake fragments are refused (RFC 8446 5.1).  The message
 * length is known after its first four bytes, so an oversized ClientHello
 * is refused (-E2BIG) before it is buffered.
 */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tls_hello.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

const char *const tls_hello_result_str[TLS_HELLO_RESULT_NUM] = {
	[TLS_HELLO_NEED_MORE] = "need more",
	[TLS_HELLO_DONE] = "done",
};
static_assert(ARRAY_SIZE(tls_hello_result_str) == TLS_HELLO_RESULT_NUM,
	      "tls_hello_result_str must name every enum tls_hello_result");

static_assert(TLS_HELLO_MAX < (1u << 24), "a ClientHello length is 24 bits");

/* A bounded reader: every get checks against @len first */
struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static size_t rd_left(const struct rd *r)
{
	return r->len - r->off;
}

static int rd_u8(struct rd *r, unsigned int *v)
{
	if (rd_left(r) < 1)
		return -EBADMSG;
	*v = r->p[r->off++];
	return 0;
}

static int rd_u16(struct rd *r, unsigned int *v)
{
	if (rd_left(r) < 2)
		return -EBADMSG;
	*v = (unsigned int)r->p[r->off] << 8 | r->p[r->off + 1];
	r->off += 2;
	return 0;
}

static int rd_skip(struct rd *r, size_t n)
{
	if (rd_left(r) < n)
		return -EBADMSG;
	r->off += n;
	return 0;
}

/**
 * rd_vec() - split off a vector with a length prefix
 * @r:		the enclosing reader
 * @lenbytes:	1 or 2, the size of the length prefix
 * @min:	the smallest legal length of the vector's body
 * @sub:	the body, as a reader of its own
 *
 * Return: 0, or -EBADMSG if the prefix or the body is not all there.
 */
static int rd_vec(struct rd *r, int lenbytes, size_t min, struct rd *sub)
{
	unsigned int n;
	int ret;

	ret = lenbytes == 1 ? rd_u8(r, &n) : rd_u16(r, &n);
	if (ret)
		return ret;
	if (n < min || rd_left(r) < n)
		return -EBADMSG;
	sub->p = r->p + r->off;
	sub->len = n;
	sub->off = 0;
	r->off += n;
	return 0;
}

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa */
static bool tls_is_grease(unsigned int v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/**
 * tls_hello_sni() - read the server_name extension (RFC 6066 3)
 * @ext:	the extension's body
 * @info:	where the host_name goes
 *
 * Unknown name types are skipped (their HostName-shaped body is still
 * checked for bounds); only host_name (0) is kept.
 *
 * Return: 0, -EBADMSG if malformed or with two host_names, -EINVAL if the
 * host_name is not a DNS name.
 */
static int tls_hello_sni(struct rd *ext, struct tls_hello_info *info)
{
	struct rd list, name;
	bool refused = false;
	unsigned int type;
	int ret;

	ret = rd_vec(ext, 2, 1, &list);
	if (ret || rd_left(ext))
		return -EBADMSG;
	while (rd_left(&list)) {
		size_t i, label = 0;

		ret = rd_u8(&list, &type);
		if (!ret)
			ret = rd_vec(&list, 2, 1, &name);
		if (ret)
			return ret;
		if (type != 0)
			continue;
		if (info->has_sni)
			return -EBADMSG;	/* RFC 6066 3: one per type */
		info->has_sni = true;
		if (name.len > TLS_SNI_SIZE - 3) {
			refused = true;
			continue;
		}
		for (i = 0; i < name.len; i++) {
			uint8_t c = name.p[i];

			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			if (c == '.') {
				if (!label)
					refused = true;	/* empty label */
				label = 0;
			} else if ((c >= 'a' && c <= 'z') ||
				   (c >= '0' && c <= '9') || c == '-' ||
				   c == '_') {
				if (++label > 63)
					refused = true;
			} else {
				refused = true;
			}
			info->sni[i] = (char)c;
		}
		if (!label)
			refused = true;	/* "" or a final dot */
		info->sni[name.len] = '\0';
		info->sni_len = name.len;
	}
	/* after the whole list: two host_names are malformed, not refused */
	if (refused) {
		info->sni[0] = '\0';
		info->sni_len = 0;
		return -EINVAL;
	}
	return 0;
}

/* application_layer_protocol_negotiation (RFC 7301 3.1) */
static int tls_hello_alpn(struct rd *ext, struct tls_hello_info *info)
{
	struct rd list, name;
	int ret;

	ret = rd_vec(ext, 2, 2, &list);
	if (ret || rd_left(ext))
		return -EBADMSG;
	info->has_alpn = true;
	while (rd_left(&list)) {
		bool printable = true;
		size_t i;

		ret = rd_vec(&list, 1, 1, &name);
		if (ret)
			return ret;
		info->alpn_count++;
		for (i = 0; i < name.len; i++)
			if (name.p[i] < 0x21 || name.p[i] > 0x7e)
				printable = false;
		if (!printable || name.len >= TLS_ALPN_SIZE ||
		    info->nalpn >= TLS_ALPN_MAX)
			continue;
		memcpy(info->alpn[info->nalpn], name.p, name.len);
		info->alpn[info->nalpn][name.len] = '\0';
		info->nalpn++;
	}
	return 0;
}

/* supported_versions, ClientHello form (RFC 8446 4.2.1) */
static int tls_hello_versions(struct rd *ext, struct tls_hello_info *info)
{
	struct rd list;
	unsigned int v;
	uint16_t best = 0;
	int ret;

	ret = rd_vec(ext, 1, 2, &list);
	if (ret || rd_left(ext) || list.len % 2)
		return -EBADMSG;
	while (rd_left(&list)) {
		if (rd_u16(&list, &v))
			return -EBADMSG;	/* cannot happen: even length */
		if (info->nversions < TLS_VERSIONS_MAX)
			info->versions[info->nversions++] = (uint16_t)v;
		if (!tls_is_grease(v) && v > best)
			best = (uint16_t)v;
	}
	if (best)
		info->version = best;
	return 0;
}

/**
 * tls_hello_extensions() - walk the extension block of a ClientHello
 * @exts:	the block's body
 * @info:	results
 *
 * Return: 0 or -errno, see tls_hello_parse_handshake().  -EINVAL (a
 * refused host_name) is reported only after the whole block has been
 * checked, so a malformed message is always -EBADMSG.
 */
static int tls_hello_extensions(struct rd *exts, struct tls_hello_info *info)
{
	uint64_t seen[65536 / 64];
	int refused = 0;

	memset(seen, 0, sizeof(seen));
	while (rd_left(exts)) {
		unsigned int type;
		struct rd body;
		int ret;

		ret = rd_u16(exts, &type);
		if (!ret)
			ret = rd_vec(exts, 2, 0, &body);
		if (ret)
			return ret;
		if (seen[type / 64] & (1ull << (type % 64)))
			return -EBADMSG;	/* RFC 8446 4.2 */
		seen[type / 64] |= 1ull << (type % 64);
		info->nextensions++;

		switch (type) {
		case TLS_EXT_SERVER_NAME:
			ret = tls_hello_sni(&body, info);
			if (ret == -EINVAL) {
				refused = ret;
				ret = 0;
			}
			break;
		case TLS_EXT_ALPN:
			ret = tls_hello_alpn(&body, info);
			break;
		case TLS_EXT_SUPPORTED_VERSIONS:
			ret = tls_hello_versions(&body, info);
			break;
		case TLS_EXT_ECH:
			info->has_ech = true;
			break;
		default:
			break;
		}
		if (ret)
			return ret;
	}
	return refused;
}

/**
 * tls_hello_parse_handshake() - parse one complete Handshake message
 * @msg:	the message: msg_type, uint24 length, body
 * @len:	bytes at @msg; bytes after the message are ignored
 * @info:	results, cleared first
 *
 * Return: TLS_HELLO_DONE with @info filled; TLS_HELLO_NEED_MORE if @len
 * does not hold the whole message yet; -EBADMSG if the message is not a
 * well-formed ClientHello; -EINVAL if its host_name is not a DNS name;
 * -E2BIG if it is longer than TLS_HELLO_MAX.
 */
int tls_hello_parse_handshake(const uint8_t *msg, size_t len,
			      struct tls_hello_info *info)
{
	struct rd r, sid, suites, comp, exts;
	unsigned int v;
	size_t body;
	int ret;

	memset(info, 0, sizeof(*info));
	if (len >= 1 && msg[0] != TLS_HANDSHAKE_CLIENT_HELLO)
		return -EBADMSG;
	if (len < TLS_HELLO_HDR_LEN)
		return TLS_HELLO_NEED_MORE;
	body = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];
	if (body > TLS_HELLO_MAX)
		return -E2BIG;
	if (len < TLS_HELLO_HDR_LEN + body)
		return TLS_HELLO_NEED_MORE;
	info->len = TLS_HELLO_HDR_LEN + body;

	r.p = msg + TLS_HELLO_HDR_LEN;
	r.len = body;
	r.off = 0;
	ret = rd_u16(&r, &v);
	if (ret)
		return ret;
	info->legacy_version = (uint16_t)v;
	info->version = (uint16_t)v;
	if ((v >> 8) != 3)
		return -EBADMSG;
	ret = rd_skip(&r, 32);			/* random */
	if (!ret)
		ret = rd_vec(&r, 1, 0, &sid);	/* legacy_session_id */
	if (!ret && sid.len > 32)
		ret = -EBADMSG;
	if (!ret)
		ret = rd_vec(&r, 2, 2, &suites);
	if (!ret && suites.len % 2)
		ret = -EBADMSG;
	if (!ret)
		ret = rd_vec(&r, 1, 1, &comp);
	if (ret)
		return ret;
	if (!rd_left(&r))
		return TLS_HELLO_DONE;		/* no extensions (TLS <= 1.2) */
	ret = rd_vec(&r, 2, 0, &exts);
	if (ret || rd_left(&r))
		return -EBADMSG;
	ret = tls_hello_extensions(&exts, info);
	return ret ? ret : TLS_HELLO_DONE;
}

/**
 * tls_hello_init() - start reading a new stream
 * @h:	the state
 */
void tls_hello_init(struct tls_hello *h)
{
	h->ret = TLS_HELLO_NEED_MORE;
	h->consumed = 0;
	h->record_version = 0;
	h->rec_hdr_len = 0;
	h->rec_left = 0;
	h->msg_len = 0;
	h->msg_want = 0;
	memset(&h->info, 0, sizeof(h->info));
}

/* Check a complete record header; the first byte was checked already */
static int tls_hello_record(struct tls_hello *h)
{
	unsigned int version = (unsigned int)h->rec_hdr[1] << 8 | h->rec_hdr[2];
	size_t len = (size_t)h->rec_hdr[3] << 8 | h->rec_hdr[4];

	/* 3.0 to 3.4: anything else is not a TLS client we understand */
	if ((version >> 8) != 3 || (version & 0xff) > 4)
		return -EBADMSG;
	if (len == 0 || len > TLS_RECORD_MAX)
		return -EBADMSG;
	if (!h->record_version)
		h->record_version = (uint16_t)version;
	h->rec_left = len;
	return 0;
}

static int tls_hello_step(struct tls_hello *h, const uint8_t *data,
			  size_t len, size_t *used)
{
	size_t n;

	*used = 0;
	if (!h->rec_left) {
		if (data[0] != TLS_CONTENT_HANDSHAKE && h->rec_hdr_len == 0)
			return -EBADMSG;
		n = TLS_RECORD_HDR_LEN - h->rec_hdr_len;
		if (n > len)
			n = len;
		memcpy(h->rec_hdr + h->rec_hdr_len, data, n);
		h->rec_hdr_len = (uint8_t)(h->rec_hdr_len + n);
		*used = n;
		if (h->rec_hdr_len < TLS_RECORD_HDR_LEN)
			return TLS_HELLO_NEED_MORE;
		h->rec_hdr_len = 0;
		return tls_hello_record(h);
	}

	/* record body: as much of it as belongs to the message */
	n = h->rec_left < len ? h->rec_left : len;
	if (!h->msg_want) {
		size_t hdr = TLS_HELLO_HDR_LEN - h->msg_len;

		if (n > hdr)
			n = hdr;
	} else if (n > h->msg_want - h->msg_len) {
		n = h->msg_want - h->msg_len;
	}
	memcpy(h->msg + h->msg_len, data, n);
	h->msg_len += n;
	h->rec_left -= n;
	*used = n;
	if (h->msg[0] != TLS_HANDSHAKE_CLIENT_HELLO)
		return -EBADMSG;
	if (!h->msg_want && h->msg_len == TLS_HELLO_HDR_LEN) {
		size_t body = (size_t)h->msg[1] << 16 |
			      (size_t)h->msg[2] << 8 | h->msg[3];

		if (body > TLS_HELLO_MAX)
			return -E2BIG;
		h->msg_want = TLS_HELLO_HDR_LEN + body;
	}
	if (!h->msg_want || h->msg_len < h->msg_want)
		return TLS_HELLO_NEED_MORE;
	return tls_hello_parse_handshake(h->msg, h->msg_len, &h->info);
}

/**
 * tls_hello_feed() - take the next bytes of the client's stream
 * @h:		state from tls_hello_init()
 * @data:	bytes, in stream order, following those fed before
 * @len:	how many
 *
 * Feeding is idempotent once a result is reached: later calls return it
 * again without looking at @data.
 *
 * Return: TLS_HELLO_NEED_MORE, TLS_HELLO_DONE (&h->info is valid and
 * &h->consumed says where the ClientHello ended), or -errno as for
 * tls_hello_parse_handshake(), -EBADMSG also for a record layer that is
 * not TLS handshake records.
 */
int tls_hello_feed(struct tls_hello *h, const uint8_t *data, size_t len)
{
	while (h->ret == TLS_HELLO_NEED_MORE && len) {
		size_t used;

		h->ret = tls_hello_step(h, data, len, &used);
		h->consumed += used;
		data += used;
		len -= used;
		if (h->ret == TLS_HELLO_NEED_MORE)
			continue;
		h->info.record_version = h->record_version;
	}
	return h->ret;
}

/**
 * tls_hello_alert_denied() - a fatal access_denied alert record
 * @buf:	where to write it
 * @size:	room at @buf
 * @version:	record version to use, normally the client's
 *		&tls_hello_info.legacy_version; anything outside 3.0 to 3.3
 *		becomes 3.3, the legacy_record_version of TLS 1.3
 *
 * The relay sends this in place of the server's first flight when it
 * denies a ClientHello (RFC 8446 6.2: access_denied, "a valid certificate
 * or PSK was received, but ... the sender decided not to proceed").  It is
 * sent in the clear, which every TLS version allows before keys exist.
 *
 * Return: TLS_ALERT_LEN, or -ENOSPC if @size is smaller.
 */
ssize_t tls_hello_alert_denied(uint8_t *buf, size_t size, uint16_t version)
{
	if (size < TLS_ALERT_LEN)
		return -ENOSPC;
	if (version < 0x0300 || version > 0x0303)
		version = 0x0303;
	buf[0] = TLS_CONTENT_ALERT;
	buf[1] = (uint8_t)(version >> 8);
	buf[2] = version & 0xff;
	buf[3] = 0;
	buf[4] = 2;
	buf[5] = TLS_ALERT_FATAL;
	buf[6] = TLS_ALERT_ACCESS_DENIED;
	return TLS_ALERT_LEN;
}

/**
 * tls_hello_version_str() - a protocol version for logs
 * @version:	wire value
 *
 * Return: "TLSv1.3" and friends, "GREASE", or "unknown".
 */
const char *tls_hello_version_str(uint16_t version)
{
	switch (version) {
	case 0x0300:
		return "SSLv3";
	case 0x0301:
		return "TLSv1.0";
	case 0x0302:
		return "TLSv1.1";
	case 0x0303:
		return "TLSv1.2";
	case 0x0304:
		return "TLSv1.3";
	default:
		return tls_is_grease(version) ? "GREASE" : "unknown";
	}
}
