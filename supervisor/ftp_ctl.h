/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ftp_ctl.h - follow an FTP control connection's replies for PASV/EPSV
 *
 * Pure code over byte buffers: no allocation, no I/O, no global state.
 *
 * The relay forwards the server's control bytes unchanged and feeds a copy
 * to ftp_ctl_feed(), which splits them into lines and replies (RFC 959
 * 4.2) and reports each 227 (PASV, RFC 959 4.1.2 and RFC 1123 4.1.2.6)
 * and 229 (EPSV, RFC 2428 3) reply, so that the relay can let the
 * client's data connection through to the address and port the server
 * named.  Nothing is rewritten.
 *
 * Reading rules:
 *  - a line ends at LF; one CR before it is dropped; a line is at most
 *    FTP_LINE_MAX bytes, CR LF included;
 *  - outside a multi-line reply, a line is a reply: three digits (the
 *    first 1 to 6) followed by SP, '-' (a multi-line reply begins) or
 *    the end of the line;
 *  - inside a multi-line reply of code xyz, only a line that starts with
 *    "xyz" followed by SP or the end of the line ends it; the lines in
 *    between are text, whatever they look like ("227 ..." inside a 150
 *    reply is not a PASV reply);
 *  - a multi-line 227 or 229 is refused (servers send them on one line;
 *    clients disagree on which line to read);
 *  - 227: printable ASCII only; the first digit of the text must begin
 *    "h1,h2,h3,h4,p1,p2" (six numbers of one to three digits, 0 to 255,
 *    commas, no spaces; a seventh number is refused); the port must not
 *    be 0;
 *  - 229: printable ASCII only; the first '(' must begin "(<d><d><d>port<d>)"
 *    with d one character from '!' to '~' other than a digit, port 1 to
 *    65535 in one to five digits.
 * Anything else is -EBADMSG, sticky: the relay should end the session.
 *
 * ftp_ctl_feed() stores at most @max replies per call; if more complete
 * in one piece, it returns fewer bytes than it was given and the caller
 * feeds the rest again (in a loop, until all bytes are consumed).
 */
#ifndef FTP_CTL_H
#define FTP_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define FTP_LINE_MAX	1024	/* bytes of one line, CR LF included */

/**
 * struct ftp_pasv - one passive-mode reply
 * @code:	227 or 229
 * @family:	AF_INET for 227 (@addr holds the address), AF_UNSPEC for
 *		229 (the control connection's peer address applies)
 * @addr:	h1.h2.h3.h4 of a 227, zero for 229
 * @port:	the data port, never 0
 */
struct ftp_pasv {
	int code;
	int family;
	uint8_t addr[4];
	uint16_t port;
};

/**
 * struct ftp_ctl - reply follower of one control connection
 * @ret:	0, or the sticky -EBADMSG
 * @multi:	code of the multi-line reply being read, 0 outside one
 * @len:	bytes of the current line in @line (CR included, not LF)
 * @line:	the current line
 */
struct ftp_ctl {
	int ret;
	int multi;
	size_t len;
	char line[FTP_LINE_MAX];
};

void ftp_ctl_init(struct ftp_ctl *c);
ssize_t ftp_ctl_feed(struct ftp_ctl *c, const uint8_t *buf, size_t len,
		     struct ftp_pasv *out, size_t max, size_t *n);

#endif /* FTP_CTL_H */
