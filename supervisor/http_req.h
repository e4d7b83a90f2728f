/* SPDX-License-Identifier: GPL-2.0-or-later */
/* http_req.h - HTTP/1.x request head parser and request body framing
 *
 * Pure code over byte buffers: no allocation, no I/O, no global state.
 *
 * http_req_parse() reads one request head (request line, header fields,
 * empty line) from the start of a buffer the caller grows until it gets an
 * answer.  It is strict where a server could frame or route the request
 * differently from what we decided on (RFC 9112 11.2, request smuggling):
 * one Host, one framing (Content-Length or chunked, never both), CRLF line
 * ends only, no obs-fold, no whitespace before a field's colon.
 *
 * &http_req.path is what the policy's path_rules are matched against: the
 * request target reduced to one spelling per resource so that a prefix
 * ("/v1/") or a regular expression cannot be sidestepped by encoding:
 *  - percent-encoded octets are decoded, except that an encoded "/" stays
 *    "%2F" (it is data inside a segment, RFC 3986 2.2) and the decoded
 *    characters '%', '?' and '#' are written "%25", "%3F" and "%23" so
 *    that the result has one reading; hex digits are upper case;
 *  - '\' (raw or %5C) is a "/", as many servers read it;
 *  - empty segments are dropped ("//a" is "/a"), "." and ".." segments
 *    (also %2e spelled) are removed as in RFC 3986 5.2.4, ".." never goes
 *    above the root;
 *  - what servers disagree on is refused (-EBADMSG) rather than guessed:
 *    a "." or ".." next to a '\' (a server that keeps '\' as data would
 *    not remove it), a "." or ".." piece around a "%2F" (a server that
 *    decodes "%2F" first would), a "." or ".." before a ';' (Tomcat drops
 *    ";params" before removing dot segments), a segment of dots and spaces
 *    other than "." and ".." (Windows strips trailing dots and spaces),
 *    and "%00" or any other control character;
 *  - the query is kept verbatim after "?"; a fragment ('#') is refused.
 * The path of the absolute form is used the same way; OPTIONS "*" is "*";
 * CONNECT has no path ("").
 * Known limit: a server that decodes "%2F" to "/" before routing sees
 * "/admin%2Fx" as "/admin/x" while a path rule for "/admin/" does not
 * match it; write such deny rules without the final slash ("/admin"), or
 * deny &http_req.encoded_slash requests.
 *
 * http_body_consume() follows the body that comes after a head (bytes of a
 * Content-Length, or the chunked coding with its trailer section, RFC 9112
 * 7.1) so the relay knows where the next request of a persistent
 * connection begins.  It only counts and checks: the bytes are forwarded
 * as they came.
 *
 * http_resp_head() reads the status of the server's response, for one
 * purpose: after an Upgrade request only a 101 answer turns the
 * connection into something else (RFC 9110 7.8); with any other final
 * status the next bytes of the client are HTTP requests again and must be
 * read as such.
 */
#ifndef HTTP_REQ_H
#define HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_HEAD_MAX		16384	/* request line + headers */
#define HTTP_METHOD_SIZE	16
#define HTTP_HOST_SIZE		256
#define HTTP_PATH_SIZE		4096
#define HTTP_CHUNK_LINE_MAX	1024	/* chunk-size, extensions, CRLF */
#define HTTP_TRAILER_MAX	HTTP_HEAD_MAX	/* trailer section of a body */

enum http_body_kind {
	HTTP_BODY_NONE,
	HTTP_BODY_LENGTH,
	HTTP_BODY_CHUNKED,
	HTTP_BODY_NUM
};

extern const char *const http_body_kind_str[HTTP_BODY_NUM];

/**
 * struct http_req - one request head, as the policy and the logs see it
 * @method:	as on the wire: 1 to 15 of A-Z and '-'
 * @host:	lowercase, without port or final dot, from the absolute-form
 *		or authority-form target if there is one (RFC 9112 3.2.2:
 *		then it wins over Host), else from the Host header; an IPv6
 *		literal without brackets, in its canonical text form (RFC
 *		5952); "" when there is none (HTTP/1.0 without Host, or an
 *		empty Host)
 * @port:	explicit port of that authority, 0 if none
 * @target:	the request-target as on the wire, cut to fit (for logs)
 * @path:	the normalized path and "?query" (see the file comment);
 *		"*" for OPTIONS *, "" for CONNECT
 * @version:	10 or 11
 * @body:	how the request body is framed
 * @content_length: with HTTP_BODY_LENGTH, its length
 * @connect:	CONNECT (authority-form target)
 * @upgrade:	HTTP/1.1 with an Upgrade header and Connection: upgrade
 *		(websocket, h2c): the server may answer 101 and stop
 *		speaking HTTP/1.1
 * @keep_alive:	the connection persists after this request: HTTP/1.1
 *		unless Connection: close, HTTP/1.0 only with Connection:
 *		keep-alive (and no close)
 * @encoded_slash: @path holds "%2F" (an encoded '/' some servers decode)
 * @has_host:	a Host header was present
 * @head_len:	bytes of the head: leading empty lines, request line,
 *		header lines and the final CRLF
 */
struct http_req {
	char method[HTTP_METHOD_SIZE];
	char host[HTTP_HOST_SIZE];
	uint16_t port;
	char target[HTTP_PATH_SIZE];
	char path[HTTP_PATH_SIZE];
	int version;
	enum http_body_kind body;
	uint64_t content_length;
	bool connect;
	bool upgrade;
	bool keep_alive;
	bool encoded_slash;
	bool has_host;
	size_t head_len;
};

/* States of struct http_body: what the next byte may be.  A tracker that
 * was never initialized (all zero) is in the error state. */
enum http_body_state {
	HTTP_BODY_S_ERROR,	 /* malformed: nothing more */
	HTTP_BODY_S_DONE,	 /* the body has ended: nothing more */
	HTTP_BODY_S_LENGTH,	 /* @left bytes of a Content-Length body */
	HTTP_BODY_S_SIZE,	 /* hex digits of a chunk-size */
	HTTP_BODY_S_SIZE_WS,	 /* SP/HTAB after the size: ';' must come */
	HTTP_BODY_S_EXT,	 /* chunk extensions, up to CR */
	HTTP_BODY_S_SIZE_LF,	 /* LF after the chunk line's CR */
	HTTP_BODY_S_DATA,	 /* @left bytes of chunk data */
	HTTP_BODY_S_DATA_CR,	 /* CR after chunk data */
	HTTP_BODY_S_DATA_LF,	 /* LF after chunk data */
	HTTP_BODY_S_TRAILER,	 /* start of a trailer field or final CRLF */
	HTTP_BODY_S_TRAILER_NAME, /* trailer field name, up to ':' */
	HTTP_BODY_S_TRAILER_VALUE, /* trailer field value, up to CR */
	HTTP_BODY_S_TRAILER_LF,	 /* LF after a trailer field's CR */
	HTTP_BODY_S_FINAL_LF,	 /* LF of the final empty line */
	HTTP_BODY_S_NUM
};

/**
 * struct http_body - where a request body ends
 * @state:	see enum http_body_state
 * @left:	bytes of the body (LENGTH) or of the chunk (DATA) to come
 * @line:	bytes of the current chunk line or trailer line
 * @trailer:	bytes of the trailer section so far
 * @total:	bytes consumed so far (framing included)
 */
struct http_body {
	enum http_body_state state;
	uint64_t left;
	size_t line;
	size_t trailer;
	uint64_t total;
};

int http_req_parse(const uint8_t *buf, size_t len, struct http_req *r);
void http_body_init(struct http_body *b, const struct http_req *r);
ssize_t http_body_consume(struct http_body *b, const uint8_t *buf, size_t len,
			  bool *done);
int http_resp_head(const uint8_t *buf, size_t len, int *status,
		   size_t *head_len);

#endif /* HTTP_REQ_H */
