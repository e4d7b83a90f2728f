// SPDX-License-Identifier: GPL-2.0-or-later
/* ssh_banner.c - does the server speak SSH-2? (its identification line)
 *
 * Stateless: the relay keeps the server's first bytes and calls again with
 * more until the answer is not 0; each call reads from the start (at most
 * SSH_BANNER_TOTAL_MAX bytes).
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ssh_banner.h"

#define SSH_PREFIX	"SSH-"

/* Does @l (@n bytes) agree with the prefix @p as far as both go? */
static bool prefix_ok(const uint8_t *l, size_t n, const char *p)
{
	size_t k = strlen(p);

	return !memcmp(l, p, n < k ? n : k);
}

/**
 * ssh_ident() - is this a good SSH-2 identification line?
 * @l:		the line from "SSH-" up to, without, the LF
 * @n:		its length (a final CR included)
 * @complete:	the LF follows; else @l is what came so far
 *
 * Return: 1 (complete and good), 0 (not complete, good so far) or
 * -EBADMSG.
 */
static int ssh_ident(const uint8_t *l, size_t n, bool complete)
{
	size_t i, sw;

	if (n + 1 > SSH_BANNER_MAX)
		return -EBADMSG;
	if (n && l[n - 1] == '\r')
		n--;	/* a CR in the middle is refused below */
	if (n >= 8 && !memcmp(l, "SSH-2.0-", 8))
		i = 8;
	else if (n >= 9 && !memcmp(l, "SSH-1.99-", 9))
		i = 9;
	else if (!complete && (prefix_ok(l, n, "SSH-2.0-") ||
			       prefix_ok(l, n, "SSH-1.99-")))
		return 0;
	else
		return -EBADMSG;
	for (sw = i; i < n && l[i] != ' '; i++)
		if (l[i] < 0x21 || l[i] > 0x7e)
			return -EBADMSG;
	if (i == sw && (complete || i < n))
		return -EBADMSG;	/* no softwareversion */
	for (; i < n; i++)
		if (l[i] < 0x20 || l[i] > 0x7e)
			return -EBADMSG;
	return complete ? 1 : 0;
}

/**
 * ssh_banner_check() - look for the server's identification line
 * @buf:	the server's bytes from the start of the connection
 * @len:	how many
 *
 * Return: 1 when a valid SSH-2 identification line is complete in @buf; 0
 * if more bytes are needed; -EBADMSG if the server is not an SSH-2 server
 * (another version, a bad line, a line beginning "SSH-" that is not a
 * good one) or sends too much before it (see ssh_banner.h).
 */
int ssh_banner_check(const uint8_t *buf, size_t len)
{
	size_t limit = len < SSH_BANNER_TOTAL_MAX ? len : SSH_BANNER_TOTAL_MAX;
	unsigned int lines = 0;
	size_t pos = 0;

	for (;;) {
		const uint8_t *lf = memchr(buf + pos, '\n', limit - pos);
		size_t n = lf ? (size_t)(lf - (buf + pos)) : limit - pos;
		const uint8_t *l = buf + pos;

		if (n >= 4 && !memcmp(l, SSH_PREFIX, 4)) {
			/* the identification line, complete or not: RFC 4253
			 * 4.2, other lines MUST NOT begin with "SSH-" */
			int ret = ssh_ident(l, n, lf != NULL);

			if (!ret && len >= SSH_BANNER_TOTAL_MAX)
				ret = -EBADMSG;
			return ret;
		}
		if (memchr(l, '\0', n) || n + 1 > SSH_BANNER_PRE_LINE_MAX)
			return -EBADMSG;
		if (lf && ++lines > SSH_BANNER_PRE_LINES)
			return -EBADMSG;
		if (!lf)
			break;
		pos += n + 1;
	}
	return len >= SSH_BANNER_TOTAL_MAX ? -EBADMSG : 0;
}
