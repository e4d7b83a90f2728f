// SPDX-License-Identifier: GPL-2.0-or-later
/* conf.c - glibc's name service configuration, and when we can follow it
 *
 * The shim answers a lookup only where it knows what glibc would do:
 * nsswitch.conf says "hosts: files dns" and nothing else; resolv.conf has
 * no option we do not follow (sortlist, no-aaaa); host.conf does not ask
 * for reorder or trim; gai.conf keeps the default tables; no nscd; none of
 * the environment variables that change the resolver is set.  Anything
 * else and every lookup goes to libc, which sends it to the same stub.
 *
 * nsswitch.conf and resolv.conf are read again when they change (glibc
 * 2.33+ does the same); host.conf and gai.conf once, as glibc reads them.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

#define CONF_FILE_MAX		65536
#define RES_MAXNDOTS		15

static const char *const conf_env_unsupported[] = {
	"LOCALDOMAIN",	"RES_OPTIONS",	"HOSTALIASES",
	"RESOLV_HOST_CONF", "RESOLV_MULTI", "RESOLV_REORDER",
	"RESOLV_SPOOF_CHECK", "RESOLV_ADD_TRIM_DOMAINS",
	"RESOLV_OVERRIDE_TRIM_DOMAINS",
};

/* Each line of @text in turn: *line and *len, false at the end */
static bool next_line(const char **text, const char **line, size_t *len)
{
	const char *nl;

	if (!**text)
		return false;
	*line = *text;
	nl = strchr(*text, '\n');
	*len = nl ? (size_t)(nl - *text) : strlen(*text);
	*text = nl ? nl + 1 : *text + *len;
	return true;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/**
 * shim_conf_nsswitch_ok() - does nsswitch.conf say exactly "hosts: files dns"?
 * @text:	the file's content
 *
 * Return: true only for one hosts line naming files, then dns, without
 * action items
 */
bool shim_conf_nsswitch_ok(const char *text)
{
	const char *line;
	size_t len;
	int lines = 0;
	bool ok = false;

	while (next_line(&text, &line, &len)) {
		char buf[512], *p, *tok, *save = NULL;
		const char *want[] = { "files", "dns" };
		size_t n = 0;

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if ((p = strchr(buf, '#')))
			*p = '\0';
		p = buf + strspn(buf, " \t");
		if (strncmp(p, "hosts", 5))
			continue;
		p += 5;
		p += strspn(p, " \t");
		if (*p != ':')
			continue;
		lines++;
		ok = true;
		for (tok = strtok_r(p + 1, " \t\r", &save); tok;
		     tok = strtok_r(NULL, " \t\r", &save)) {
			if (n >= 2 || strcmp(tok, want[n]))
				ok = false;
			n++;
		}
		if (n != 2)
			ok = false;
	}
	return lines == 1 && ok;
}

/* resolv.conf options, as res_setoptions() reads them */
static int conf_options(const char *p, struct shim_conf *c)
{
	while (*p) {
		while (is_blank(*p))
			p++;
		if (!strncmp(p, "ndots:", 6)) {
			int n = atoi(p + 6);

			c->ndots = n < 0 ? 0 : n > RES_MAXNDOTS ? RES_MAXNDOTS
							       : (unsigned int)n;
		} else if (!strncmp(p, "no_tld_query", 12) ||
			   !strncmp(p, "no-tld-query", 12)) {
			c->no_tld_query = true;
		} else if (!strncmp(p, "no-aaaa", 7)) {
			return SHIM_FALLBACK;
		}
		while (*p && !is_blank(*p))
			p++;
	}
	return 0;
}

static bool conf_match(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len > n && !strncmp(line, word, n) && is_blank(line[n]);
}

/**
 * shim_conf_resolv() - the parts of resolv.conf a lookup depends on
 * @text:	the file's content
 * @c:		ndots, no_tld_query and the search list are set
 *
 * As glibc reads it: lines start in column 0; the last "domain" or
 * "search" line wins; options accumulate.
 *
 * Return: 0, or SHIM_FALLBACK for what the shim does not follow
 */
int shim_conf_resolv(const char *text, struct shim_conf *c)
{
	const char *line;
	size_t len;

	c->ndots = 1;
	c->no_tld_query = false;
	c->nsearch = 0;
	while (next_line(&text, &line, &len)) {
		char buf[4096], *p;

		if (len >= sizeof(buf))
			return SHIM_FALLBACK;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (buf[0] == ';' || buf[0] == '#')
			continue;
		if (conf_match(buf, len, "domain") ||
		    conf_match(buf, len, "search")) {
			bool domain = buf[0] == 'd';
			size_t n = 0;

			p = buf + 6;
			p += strspn(p, " \t");
			if (!*p || *p == '\r')
				continue;
			while (*p) {
				size_t l = strcspn(p, " \t");

				if (n == SHIM_SEARCH_MAX || l >= SHIM_NAME_SIZE)
					return SHIM_FALLBACK;
				memcpy(c->search[n], p, l);
				c->search[n++][l] = '\0';
				if (domain)
					break;
				p += l;
				p += strspn(p, " \t");
			}
			c->nsearch = n;
		} else if (conf_match(buf, len, "options")) {
			if (conf_options(buf + 7, c))
				return SHIM_FALLBACK;
		} else if (conf_match(buf, len, "sortlist")) {
			return SHIM_FALLBACK;
		}
	}
	return 0;
}

/**
 * shim_conf_hostconf() - host.conf, as glibc's res_hconf reads it
 * @text:	the file's content
 * @c:		multi is set
 *
 * Return: 0, or SHIM_FALLBACK for reorder and trim
 */
int shim_conf_hostconf(const char *text, struct shim_conf *c)
{
	const char *line;
	size_t len;

	c->multi = false;
	while (next_line(&text, &line, &len)) {
		char buf[1024], *p, *arg;

		if (len >= sizeof(buf))
			return SHIM_FALLBACK;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if ((p = strchr(buf, '#')))
			*p = '\0';
		p = buf + strspn(buf, " \t\r");
		if (!*p)
			continue;
		arg = p + strcspn(p, " \t,\r");
		arg += strspn(arg, " \t,\r");
		if (!strncasecmp(p, "multi", 5)) {
			if (!strncasecmp(arg, "on", 2))
				c->multi = true;
			else if (!strncasecmp(arg, "off", 3))
				c->multi = false;
		} else if (!strncasecmp(p, "reorder", 7)) {
			if (!strncasecmp(arg, "on", 2))
				return SHIM_FALLBACK;
		} else if (!strncasecmp(p, "trim", 4)) {
			return SHIM_FALLBACK;
		}
	}
	return 0;
}

/* gai.conf with nothing but comments and blank lines: glibc's defaults */
bool shim_conf_gai_default(const char *text)
{
	const char *line;
	size_t len, i;

	while (next_line(&text, &line, &len)) {
		for (i = 0; i < len && line[i] != '#'; i++)
			if (!isspace((unsigned char)line[i]))
				return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* reading the files                                                   */

/* The file's content, NUL-terminated, or NULL (missing: *missing) */
static char *conf_read(const char *path, bool *missing)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	*missing = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*missing = errno == ENOENT;
		return NULL;
	}
	buf = malloc(CONF_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (len < CONF_FILE_MAX &&
	       (n = read(fd, buf + len, CONF_FILE_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len == CONF_FILE_MAX || memchr(buf, '\0', len)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* Files glibc reads once per process */
static struct {
	pthread_once_t once;
	bool ok;
	bool multi;
} once_conf = { .once = PTHREAD_ONCE_INIT };

static void conf_once(void)
{
	struct shim_conf c;
	bool missing;
	char *t;

	once_conf.ok = true;
	t = conf_read("/etc/host.conf", &missing);
	if (t) {
		if (shim_conf_hostconf(t, &c))
			once_conf.ok = false;
		once_conf.multi = c.multi;
		free(t);
	} else if (!missing) {
		once_conf.ok = false;
	}
	t = conf_read("/etc/gai.conf", &missing);
	if (t) {
		if (!shim_conf_gai_default(t))
			once_conf.ok = false;
		free(t);
	} else if (!missing) {
		once_conf.ok = false;
	}
}

struct conf_stamp {
	bool valid;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

static bool stamp_same(const struct conf_stamp *s, const char *path,
		       struct conf_stamp *now)
{
	struct stat st;

	memset(now, 0, sizeof(*now));
	if (stat(path, &st)) {
		now->valid = false;
		return s->valid == false;
	}
	now->valid = true;
	now->dev = st.st_dev;
	now->ino = st.st_ino;
	now->size = st.st_size;
	now->mtim = st.st_mtim;
	now->ctim = st.st_ctim;
	return s->valid && s->dev == now->dev && s->ino == now->ino &&
	       s->size == now->size && s->mtim.tv_sec == now->mtim.tv_sec &&
	       s->mtim.tv_nsec == now->mtim.tv_nsec &&
	       s->ctim.tv_sec == now->ctim.tv_sec &&
	       s->ctim.tv_nsec == now->ctim.tv_nsec;
}

static struct {
	pthread_mutex_t lock;
	bool loaded;
	struct conf_stamp nss, resolv;
	struct shim_conf conf;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * After fork the lock may have been held by a thread the child does not
 * have, and the cache half written: reset both (no prepare handler takes
 * the lock, so no order of locks across handlers can deadlock)
 */
static void conf_atfork_child(void)
{
	pthread_mutex_init(&cache.lock, NULL);
	cache.loaded = false;
}

__attribute__((constructor)) static void conf_init(void)
{
	pthread_atfork(NULL, NULL, conf_atfork_child);
}

static void conf_load(struct shim_conf *c)
{
	bool missing;
	char *t;

	memset(c, 0, sizeof(*c));
	c->ndots = 1;
	t = conf_read("/etc/nsswitch.conf", &missing);
	/* no file: glibc's default is "dns [!UNAVAIL=return] files" */
	c->ok = t && shim_conf_nsswitch_ok(t);
	free(t);
	if (!c->ok)
		return;
	t = conf_read("/etc/resolv.conf", &missing);
	if (t && shim_conf_resolv(t, c))
		c->ok = false;
	free(t);
	if (!t && !missing)
		c->ok = false;
	if (c->ok && !c->nsearch) {
		/* as res_init: the domain of the host name */
		char host[256] = "", *dot;

		if (!gethostname(host, sizeof(host) - 1) &&
		    (dot = strchr(host, '.')) && dot[1]) {
			snprintf(c->search[0], sizeof(c->search[0]), "%s",
				 dot + 1);
			c->nsearch = 1;
		}
	}
}

/**
 * shim_conf_get() - the configuration a lookup runs under now
 * @c:		filled in; @c->ok false means: use libc
 *
 * Return: 0, or -1 (then @c->ok is false too)
 */
int shim_conf_get(struct shim_conf *c)
{
	struct conf_stamp nss, resolv;
	struct stat st;
	size_t i;

	c->ok = false;
	pthread_once(&once_conf.once, conf_once);
	if (!once_conf.ok)
		return -1;
	for (i = 0; i < sizeof(conf_env_unsupported) /
				sizeof(conf_env_unsupported[0]); i++)
		if (getenv(conf_env_unsupported[i]))
			return -1;
	/* nscd answers before nsswitch, from outside the filter */
	if (!stat("/var/run/nscd/socket", &st))
		return -1;

	pthread_mutex_lock(&cache.lock);
	if (!stamp_same(&cache.nss, "/etc/nsswitch.conf", &nss) ||
	    !stamp_same(&cache.resolv, "/etc/resolv.conf", &resolv) ||
	    !cache.loaded) {
		conf_load(&cache.conf);
		cache.nss = nss;
		cache.resolv = resolv;
		cache.loaded = true;
	}
	*c = cache.conf;
	pthread_mutex_unlock(&cache.lock);
	c->multi = once_conf.multi;
	return c->ok ? 0 : -1;
}
