/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tls_hello.h - TLS ClientHello parser: SNI, ALPN, ECH, versions
 *
 * Pure code over byte buffers: no allocation, no I/O, no global state.
 *
 * Two entry points:
 *  - tls_hello_feed() takes a TCP byte stream in pieces of any size and
 *    reassembles the first Handshake message across TLS records (RFC 8446
 *    5.1: a handshake message may span records, and a record may arrive
 *    in any number of segments) into a bounded buffer inside the state;
 *  - tls_hello_parse_handshake() takes one complete Handshake message, as
 *    QUIC carries it in CRYPTO frames without the record layer (RFC 9001
 *    4.1.3).
 * Both end in the same ClientHello parser, which fills a struct
 * tls_hello_info.
 *
 * The SNI is what the policy decides on, so it is read strictly: one
 * host_name at most (RFC 6066 3), which must be a DNS name (labels of 1 to
 * 63 bytes of [A-Za-z0-9_-], 253 bytes at most, no final dot), returned in
 * lowercase.  Every extension type may appear once (RFC 8446 4.2), so a
 * server cannot read a second server_name that we did not see.
 *
 * Errors: -EBADMSG for bytes that are not TLS, a malformed record or
 * message, or a first message that is not a ClientHello; -EINVAL for a
 * well-formed ClientHello whose host_name is not a DNS name we can show
 * the policy; -E2BIG for a ClientHello larger than TLS_HELLO_MAX.
 */
#ifndef TLS_HELLO_H
#define TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TLS_HELLO_MAX		16384	/* body of the ClientHello, bytes */
#define TLS_HELLO_HDR_LEN	4	/* msg_type, uint24 length */
#define TLS_RECORD_HDR_LEN	5	/* type, version, uint16 length */
#define TLS_RECORD_MAX		16384	/* RFC 8446 5.1: 2^14 */
#define TLS_SNI_SIZE		256	/* 253 bytes of name + NUL, padded */
#define TLS_ALPN_MAX		8	/* protocols kept in the results */
#define TLS_ALPN_SIZE		32	/* bytes of one kept name + NUL */
#define TLS_VERSIONS_MAX	16	/* supported_versions kept */
#define TLS_ALERT_LEN		7	/* one alert record */

/* Extension types we read (IANA TLS ExtensionType Values) */
#define TLS_EXT_SERVER_NAME		0
#define TLS_EXT_ALPN			16
#define TLS_EXT_SUPPORTED_VERSIONS	43
#define TLS_EXT_ECH			0xfe0d

#define TLS_CONTENT_ALERT		21
#define TLS_CONTENT_HANDSHAKE		22
#define TLS_HANDSHAKE_CLIENT_HELLO	1
#define TLS_ALERT_FATAL			2
#define TLS_ALERT_ACCESS_DENIED		49

/* Positive results of tls_hello_feed() and tls_hello_parse_handshake() */
enum tls_hello_result {
	TLS_HELLO_NEED_MORE = 0,
	TLS_HELLO_DONE = 1,
	TLS_HELLO_RESULT_NUM
};

extern const char *const tls_hello_result_str[TLS_HELLO_RESULT_NUM];

/**
 * struct tls_hello_info - what a ClientHello tells the policy and the logs
 * @record_version:	legacy_record_version of the first record (0 when
 *			the message came without a record layer)
 * @legacy_version:	ClientHello.legacy_version (0x0303 for TLS 1.2
 *			and 1.3)
 * @version:		the highest version offered: the highest non-GREASE
 *			entry of supported_versions, else @legacy_version
 * @nversions:		entries of supported_versions kept in @versions
 * @versions:		supported_versions in order, GREASE included
 * @has_sni:		a server_name extension with a host_name was present
 * @sni:		that host_name, lowercase, NUL-terminated ("" if none)
 * @sni_len:		strlen(@sni)
 * @has_alpn:		an application_layer_protocol_negotiation extension
 *			was present
 * @alpn_count:		protocols it lists
 * @nalpn:		protocols kept in @alpn: the first TLS_ALPN_MAX
 *			whose names are printable ASCII shorter than
 *			TLS_ALPN_SIZE; the others are counted only
 * @alpn:		kept protocol names, NUL-terminated
 * @has_ech:		an encrypted_client_hello extension (0xfe0d) was
 *			present: the real SNI may be hidden in it, and @sni
 *			is only the outer (public) name
 * @nextensions:	extensions in the message
 * @len:		bytes of the Handshake message, header included
 */
struct tls_hello_info {
	uint16_t record_version;
	uint16_t legacy_version;
	uint16_t version;
	unsigned int nversions;
	uint16_t versions[TLS_VERSIONS_MAX];
	bool has_sni;
	char sni[TLS_SNI_SIZE];
	size_t sni_len;
	bool has_alpn;
	unsigned int alpn_count;
	unsigned int nalpn;
	char alpn[TLS_ALPN_MAX][TLS_ALPN_SIZE];
	bool has_ech;
	unsigned int nextensions;
	size_t len;
};

/**
 * struct tls_hello - reassembly state of one TCP stream's ClientHello
 * @ret:	sticky result: TLS_HELLO_NEED_MORE until the message is
 *		complete, then TLS_HELLO_DONE or a -errno
 * @consumed:	stream bytes used; with TLS_HELLO_DONE, exactly up to the
 *		end of the ClientHello (bytes after it in the same read are
 *		not looked at); meaningless after an error
 * @record_version: legacy_record_version of the first record
 * @rec_hdr:	the record header being read
 * @rec_hdr_len: bytes of it so far
 * @rec_left:	body bytes of the current record still to come
 * @msg_len:	bytes of the Handshake message in @msg so far
 * @msg_want:	its full length, header included, once the header is in
 * @info:	the results, valid when @ret is TLS_HELLO_DONE
 * @msg:	the Handshake message, header included
 *
 * About 16.5 KiB; keep it only while a connection is being peeked at.
 */
struct tls_hello {
	int ret;
	size_t consumed;
	uint16_t record_version;
	uint8_t rec_hdr[TLS_RECORD_HDR_LEN];
	uint8_t rec_hdr_len;
	size_t rec_left;
	size_t msg_len;
	size_t msg_want;
	struct tls_hello_info info;
	uint8_t msg[TLS_HELLO_HDR_LEN + TLS_HELLO_MAX];
};

void tls_hello_init(struct tls_hello *h);
int tls_hello_feed(struct tls_hello *h, const uint8_t *data, size_t len);
int tls_hello_parse_handshake(const uint8_t *msg, size_t len,
			      struct tls_hello_info *info);
ssize_t tls_hello_alert_denied(uint8_t *buf, size_t size, uint16_t version);
const char *tls_hello_version_str(uint16_t version);

#endif /* TLS_HELLO_H */
