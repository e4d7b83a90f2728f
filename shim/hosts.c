// SPDX-License-Identifier: GPL-2.0-or-later
/* hosts.c - /etc/hosts, as glibc's "files" module reads it
 *
 * Read again on every lookup, as glibc does.  A line is: leading blanks,
 * an address, the official name, aliases; '#' starts a comment.  With
 * AF_UNSPEC (getaddrinfo's gethostbyname4_r) every matching line gives one
 * address of its own family and the first one's name is the canonical
 * name; with AF_INET or AF_INET6 (gethostbyname3_r) only lines of that
 * family count (for AF_INET, also v4-mapped IPv6 and ::1 as 127.0.0.1),
 * and the first line gives the name and aliases.  Without "multi on" in
 * host.conf only the first matching line counts.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

#define HOSTS_FILE		"/etc/hosts"
#define HOSTS_FILE_MAX		(4 << 20)
#define HOSTS_FIELDS		64

/* h_errno values, as <netdb.h> has them */
#ifndef NETDB_INTERNAL
#define NETDB_INTERNAL		(-1)
#endif

/**
 * struct hosts_line - one parsed line
 * @family:	of @addr
 * @addr:	the address, in the family asked for
 * @nfields:	names on the line: [0] official, then aliases
 * @field:	pointers into the caller's copy of the line
 */
struct hosts_line {
	int family;
	uint8_t addr[16];
	size_t nfields;
	char *field[HOSTS_FIELDS];
};

/* The address of a line, read for @af as files-hosts.c does; false: skip */
static bool hosts_addr(const char *text, int af, struct hosts_line *l)
{
	uint8_t a6[16];

	if (inet_pton(af == AF_INET6 ? AF_INET6 : AF_INET, text, l->addr) > 0) {
		l->family = af == AF_INET6 ? AF_INET6 : AF_INET;
		return true;
	}
	if (af == AF_INET6 || inet_pton(AF_INET6, text, a6) <= 0)
		return false;
	if (af == AF_UNSPEC) {
		memcpy(l->addr, a6, 16);
		l->family = AF_INET6;
		return true;
	}
	/* AF_INET: v4-mapped addresses, and ::1 as 127.0.0.1 */
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a6)) {
		memcpy(l->addr, a6 + 12, 4);
	} else if (IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a6)) {
		static const uint8_t lo[4] = { 127, 0, 0, 1 };

		memcpy(l->addr, lo, 4);
	} else {
		return false;
	}
	l->family = AF_INET;
	return true;
}

/* Split one line (modified in place); false for lines glibc skips */
static bool hosts_line(char *line, int af, struct hosts_line *l)
{
	char *p = line, *addr;

	p[strcspn(p, "#\n")] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return false;
	addr = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	if (*p)
		*p++ = '\0';
	if (!hosts_addr(addr, af, l))
		return false;
	l->nfields = 0;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || l->nfields == HOSTS_FIELDS)
			break;
		l->field[l->nfields++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	/* the official name may be empty ("1.2.3.4" alone): it matches
	 * nothing */
	return true;
}

static bool hosts_matches(const struct hosts_line *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->nfields; i++)
		if (!strcasecmp(l->field[i], name))
			return true;
	return false;
}

static void hosts_add_addr(struct shim_result *r, const struct hosts_line *l)
{
	struct shim_addr *a;

	if (r->naddrs == SHIM_RES_ADDRS)
		return;
	a = &r->addrs[r->naddrs++];
	memset(a, 0, sizeof(*a));
	a->family = l->family;
	memcpy(a->addr, l->addr, l->family == AF_INET ? 4 : 16);
}

static void hosts_add_alias(struct shim_result *r, const char *name)
{
	if (r->naliases == SHIM_RES_ALIASES)
		return;
	snprintf(r->aliases[r->naliases++], SHIM_NAME_SIZE, "%s", name);
}

/**
 * shim_hosts_parse() - look @name up in the text of a hosts file
 * @text:	the file (not modified)
 * @len:	its length
 * @name:	the name, compared without regard to case
 * @af:		AF_UNSPEC, AF_INET or AF_INET6 (see the file's comment)
 * @multi:	every matching line, not only the first
 * @r:		status, herrno, addresses, name and aliases
 *
 * Return: 0, or SHIM_FALLBACK (a line too long, out of memory)
 */
int shim_hosts_parse(const char *text, size_t len, const char *name, int af,
		     bool multi, struct shim_result *r)
{
	const char *end = text + len, *p = text;
	struct hosts_line l;
	bool found = false;
	char buf[8192];

	r->naddrs = 0;
	r->naliases = 0;
	r->name[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t i;

		if (n >= sizeof(buf))
			return SHIM_FALLBACK;
		memcpy(buf, p, n);
		buf[n] = '\0';
		p = nl ? nl + 1 : end;
		if (!hosts_line(buf, af, &l) || !hosts_matches(&l, name))
			continue;
		if (!found) {
			found = true;
			snprintf(r->name, sizeof(r->name), "%s",
				 l.nfields ? l.field[0] : "");
			for (i = 1; af != AF_UNSPEC && i < l.nfields; i++)
				hosts_add_alias(r, l.field[i]);
		} else if (af != AF_UNSPEC) {
			/* gethostbyname3_multi(): the others' names too */
			for (i = 1; i < l.nfields; i++)
				hosts_add_alias(r, l.field[i]);
			if (strcmp(r->name, l.field[0]))
				hosts_add_alias(r, l.field[0]);
		}
		hosts_add_addr(r, &l);
		if (!multi)
			break;
	}
	r->status = found ? SHIM_NSS_SUCCESS : SHIM_NSS_NOTFOUND;
	r->herrno = found ? 0 : HOST_NOT_FOUND;
	return 0;
}

/**
 * shim_hosts_parse_addr() - the name of an address in a hosts file
 * @text, @len:	the file
 * @af:		AF_INET or AF_INET6: lines are read for that family, and the
 *		first whose address is @addr gives the name (gethostbyaddr2_r)
 * @addr:	4 or 16 bytes
 * @r:		status, herrno, name
 *
 * Return: 0, or SHIM_FALLBACK
 */
int shim_hosts_parse_addr(const char *text, size_t len, int af,
			  const uint8_t *addr, struct shim_result *r)
{
	const char *end = text + len, *p = text;
	struct hosts_line l;
	char buf[8192];

	r->naddrs = 0;
	r->naliases = 0;
	r->name[0] = '\0';
	r->status = SHIM_NSS_NOTFOUND;
	r->herrno = HOST_NOT_FOUND;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n >= sizeof(buf))
			return SHIM_FALLBACK;
		memcpy(buf, p, n);
		buf[n] = '\0';
		p = nl ? nl + 1 : end;
		if (!hosts_line(buf, af, &l) || l.family != af ||
		    memcmp(l.addr, addr, af == AF_INET ? 4 : 16))
			continue;
		snprintf(r->name, sizeof(r->name), "%s",
			 l.nfields ? l.field[0] : "");
		r->status = SHIM_NSS_SUCCESS;
		r->herrno = 0;
		break;
	}
	return 0;
}

/* Read /etc/hosts whole; NULL: the caller uses libc */
static char *hosts_read(size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	*len = 0;
	fd = open(HOSTS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || st.st_size > HOSTS_FILE_MAX ||
	    !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	while (*len < (size_t)st.st_size &&
	       (n = read(fd, buf + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	return buf;
}

/* shim_hosts_parse_addr() on /etc/hosts */
int shim_hosts_addr(int af, const uint8_t *addr, struct shim_result *r)
{
	size_t len;
	char *buf = hosts_read(&len);
	int ret;

	if (!buf)
		return SHIM_FALLBACK;
	ret = shim_hosts_parse_addr(buf, len, af, addr, r);
	free(buf);
	return ret;
}

/**
 * shim_hosts() - look @name up in /etc/hosts
 *
 * Return: 0, or SHIM_FALLBACK (no file, or one we cannot read whole: glibc
 * would leave an h_errno we cannot know)
 */
int shim_hosts(const char *name, int af, bool multi, struct shim_result *r)
{
	size_t len;
	char *buf = hosts_read(&len);
	int ret;

	if (!buf)
		return SHIM_FALLBACK;
	ret = shim_hosts_parse(buf, len, name, af, multi, r);
	free(buf);
	return ret;
}
