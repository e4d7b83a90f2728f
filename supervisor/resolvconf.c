// SPDX-License-Identifier: GPL-2.0-or-later
/* resolvconf.c - make CMD's resolver use the stub
 *
 * CMD must send its queries to the stub.  In order of preference:
 *
 * 1. a private mount namespace for CMD in which a read-only copy of
 *    resolv.conf naming the stub is bind-mounted over /etc/resolv.conf: no
 *    file on disk changes, and CMD (without CAP_SYS_ADMIN) cannot undo it;
 * 2. /etc/resolv.conf rewritten in place, its original kept beside it and
 *    put back when the last supervisor using it exits (or, if all were
 *    killed, when one starts again);
 * 3. a loud warning.
 *
 * Either way, queries CMD sends to port 53 of any other address are
 * redirected to the stub by netcall.c; this only spares resolvers a
 * mismatched reply address.  The new file keeps the original's search,
 * domain and options lines (Kubernetes' ndots:5 matters).
 */

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "log.h"
#include "resolvconf.h"
#include "util.h"

/* Where the original is kept while the file is rewritten in place, so that
 * a supervisor that was killed (no chance to restore) is repaired by the
 * next start. */
#define RESOLVCONF_BACKUP	RESOLVCONF_PATH ".egress-supervise"
#define RESOLVCONF_HEADER	"# written by egress-supervise"

static char *content;
static size_t content_len;
static int lock_fd = -1;	/* the backup, locked: see resolvconf_rewrite() */
/**
 * resolvconf_nameservers() - the nameserver addresses of a resolv.conf
 * @path:	file
 * @out:	malloc'ed array of malloc'ed strings
 *
 * Return: how many (0 when none or unreadable)
 */
size_t resolvconf_nameservers(const char *path, char ***out)
{
	char line[512], addr[256];
	char **v = NULL;
	size_t n = 0;
	FILE *f;

	*out = NULL;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char **nv;

		if (sscanf(line, " nameserver %255s", addr) != 1)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n] = strdup(addr);
		if (v[n])
			n++;
	}
	fclose(f);
	*out = v;
	return n;
}

/**
 * resolvconf_prepare() - compose the stub's resolv.conf
 * @path:	the original, whose search/domain/options lines are kept
 * @stub_ip:	the stub's address
 *
 * Return: 0 or -errno
 */
int resolvconf_prepare(const char *path, const char *stub_ip)
{
	char line[1024];
	FILE *f, *in;

	f = open_memstream(&content, &content_len);
	if (!f)
		return -errno;
	fprintf(f, RESOLVCONF_HEADER ": queries go through its DNS stub\n"
		   "nameserver %s\n", stub_ip);
	in = fopen(path, "re");
	if (in) {
		while (fgets(line, sizeof(line), in)) {
			const char *s = line + strspn(line, " \t");

			if (!strncmp(s, "search", 6) ||
			    !strncmp(s, "domain", 6) ||
			    !strncmp(s, "options", 7))
				fputs(line, f);
		}
		fclose(in);
	}
	if (fclose(f))
		return -EIO;
	return 0;
}

bool resolvconf_ready(void)
{
	return content != NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * resolvconf_mount_private() - in the child: our resolv.conf, privately
 *
 * The file is created *after* unshare(): a bind mount's source must be on
 * a mount of the caller's (new) namespace, which rules out memfds and
 * files opened before; and the kernel refuses unlinked sources, which rules
 * out O_TMPFILE.  So a named file is written, bind-mounted, and unlinked at
 * once: the mount keeps it, and nothing is left on disk.
 *
 * Return: 0 or -errno (no CAP_SYS_ADMIN, no /etc/resolv.conf, ...)
 */
int resolvconf_mount_private(void)
{
	static const char *const dirs[] = { "/dev/shm", "/run", "/tmp" };
	char path[64];
	size_t i;
	int fd = -1, ret;

	if (!content)
		return -ENOENT;
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	for (i = 0; i < ARRAY_SIZE(dirs) && fd < 0; i++) {
		snprintf(path, sizeof(path), "%s/.egress-resolv.XXXXXX",
			 dirs[i]);
		fd = mkostemp(path, O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	ret = write_all(fd, content, content_len);
	if (!ret && fchmod(fd, 0644))
		ret = -errno;
	close(fd);
	if (!ret && mount(path, RESOLVCONF_PATH, NULL, MS_BIND, NULL))
		ret = -errno;
	if (!ret)
		mount(NULL, RESOLVCONF_PATH, NULL, MS_BIND | MS_REMOUNT |
		      MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	unlink(path);
	return ret;
}

static int copy_file(const char *from, const char *to)
{
	char buf[16384];
	ssize_t n;
	int in, out, ret;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	n = read(in, buf, sizeof(buf));
	close(in);
	if (n < 0 || n == sizeof(buf))
		return n < 0 ? -errno : -EFBIG;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return -errno;
	ret = write_all(out, buf, (size_t)n);
	if (!ret && fsync(out))
		ret = -errno;
	close(out);
	return ret;
}

/* Does the file start with our header? */
static bool is_ours(const char *path)
{
	char head[sizeof(RESOLVCONF_HEADER)] = "";
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, head, sizeof(head) - 1) < 0)
		head[0] = '\0';
	close(fd);
	return !strncmp(head, RESOLVCONF_HEADER, strlen(RESOLVCONF_HEADER));
}

/* Is there an original in the backup (not empty, not ours)? */
static bool backup_holds_original(void)
{
	struct stat st;

	return !stat(RESOLVCONF_BACKUP, &st) && st.st_size > 0 &&
	       !is_ours(RESOLVCONF_BACKUP);
}

/*
 * Put the original back, unlink the backup.  Only by the last user: the
 * caller holds the backup's exclusive lock.  A backup without an original
 * (a run killed while making it) is just removed.
 */
static void put_back(void)
{
	if (backup_holds_original() && is_ours(RESOLVCONF_PATH) &&
	    copy_file(RESOLVCONF_BACKUP, RESOLVCONF_PATH)) {
		log_warn("could not restore " RESOLVCONF_PATH " (its original "
			 "is in " RESOLVCONF_BACKUP ")");
		return;
	}
	unlink(RESOLVCONF_BACKUP);
}

/*
 * The backup file, open and locked (flock @op), as it is at its path now:
 * a file that was unlinked (put back) or replaced while we waited for the
 * lock is let go and the path opened again.
 * Return: fd, or -errno (-EWOULDBLOCK: LOCK_NB and held by others)
 */
static int backup_lock(int op, bool create)
{
	int i, fd, ret;

	for (i = 0; i < 16; i++) {
		struct stat a, b;

		fd = open(RESOLVCONF_BACKUP,
			  O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
		if (fd < 0)
			return -errno;
		if (flock(fd, op)) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (!fstat(fd, &a) && !stat(RESOLVCONF_BACKUP, &b) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);
		if (!create)
			return -ENOENT;
	}
	return -EAGAIN;
}

/**
 * resolvconf_recover() - repair what a killed supervisor left behind
 *
 * Called at start.  Every supervisor that relies on the rewritten file
 * holds a shared flock(2) on the backup for as long as it runs (see
 * resolvconf_rewrite()), so an exclusive lock that is granted at once
 * means nobody does: if the file is still ours, the backup goes back.
 */
void resolvconf_recover(void)
{
	bool ours;
	int fd;

	fd = backup_lock(LOCK_EX | LOCK_NB, false);
	if (fd < 0)
		return;	/* none, or in use */
	ours = is_ours(RESOLVCONF_PATH) && backup_holds_original();
	put_back();
	if (ours)
		log_warn("restored " RESOLVCONF_PATH " left behind by an "
			 "earlier run");
	close(fd);
}

/**
 * resolvconf_rewrite() - in the supervisor: rewrite the file in place
 *
 * Several supervisors may share one /etc (a host, a pod's containers):
 * the backup file is also a lock.  Each user holds a shared lock on it
 * while it runs; the first one (an exclusive lock granted at once) saves
 * the original, synced, before writing ours; the others find the file
 * already ours and only join.  The last one to leave puts the original
 * back (resolvconf_restore()); if all were killed, the next start does
 * (resolvconf_recover()).  Without the lock, a second supervisor would
 * have saved the first one's file as "the original".
 *
 * Return: 0 or -errno
 */
int resolvconf_rewrite(void)
{
	int fd, ret = 0;

	if (!content)
		return -ENOENT;
	/* Once: every exec'd process whose private mount failed comes here */
	if (lock_fd >= 0)
		return 0;
	fd = backup_lock(LOCK_EX | LOCK_NB, true);
	if (fd == -EWOULDBLOCK) {
		/* In use by a live supervisor: the file is ours already
		 * (it is written before the lock is shared) */
		fd = backup_lock(LOCK_SH, true);
		if (fd < 0)
			return fd;
		lock_fd = fd;
		return 0;
	}
	if (fd < 0)
		return fd;
	if (is_ours(RESOLVCONF_PATH) && backup_holds_original()) {
		/* left by a killed run: the backup is still the original */
	} else if (!is_ours(RESOLVCONF_PATH)) {
		ret = copy_file(RESOLVCONF_PATH, RESOLVCONF_BACKUP);
	}
	/* else: ours, with no original anywhere: nothing to save */
	if (!ret) {
		int out = open(RESOLVCONF_PATH, O_WRONLY | O_TRUNC | O_CLOEXEC);

		if (out < 0) {
			ret = -errno;
		} else {
			ret = write_all(out, content, content_len);
			close(out);
		}
	}
	if (ret) {
		put_back();
		close(fd);
		return ret;
	}
	flock(fd, LOCK_SH);	/* others may join now */
	lock_fd = fd;
	return 0;
}

/**
 * resolvconf_restore() - at exit: the last user puts the original back
 */
void resolvconf_restore(void)
{
	if (lock_fd < 0)
		return;
	/* Converting our shared lock succeeds only if nobody else holds one */
	if (!flock(lock_fd, LOCK_EX | LOCK_NB))
		put_back();
	close(lock_fd);
	lock_fd = -1;
}
