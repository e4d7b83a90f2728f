// SPDX-License-Identifier: GPL-2.0-or-later
/* conn.c - the shim's connections to the supervisor
 *
 * A process keeps up to SHIM_CONNS connections to the supervisor's lookup
 * socket, made on its first lookup; each carries one request at a time,
 * so threads look up in parallel without sharing a reply stream, and a
 * thread that finds them all busy uses libc.
 *
 * The program owns the fd table, not us: it may close our fd (daemons
 * close everything) and get the number back for a file of its own.  So
 * each connection remembers the inode of its socket and is checked with
 * fstat() before use; a connection whose number now names another file is
 * forgotten, never closed.  After fork() the child gets copies of the
 * parent's connections, whose replies the parent would read: the child
 * closes its copies (when still ours) and makes its own (checked by pid
 * on each call, so raw clone() children are covered too).  Every fd is
 * close-on-exec.
 *
 * Anything unexpected - no supervisor (killed: connect fails with ENOSYS,
 * reads with EOF), out of slots, a malformed or late reply, a 15 s wait -
 * makes the caller use libc, whose queries go to the same stub.  The
 * supervisor stays the one that decides: a connect to an address our
 * answer gave is checked like any other.
 */

#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

#define SHIM_CONNS		4
#define SHIM_TIMEOUT_MS		15000	/* the stub gives up upstream at 4.5 s */
#define SHIM_RETRY_MS		1000	/* after a refused connect */
#define SHIM_FD_MIN		64	/* out of the way of small fd numbers */

struct shim_conn {
	int fd;		/* -1: none */
	dev_t dev;
	ino_t ino;
	bool busy;
};

#define SHIM_STR(x)	SHIM_STR2(x)
#define SHIM_STR2(x)	#x

static struct {
	pthread_mutex_t lock;
	bool enabled;
	bool lookups;
	struct sockaddr_un addr;
	socklen_t addrlen;
	pid_t pid;
	uint32_t next_id;
	uint64_t retry_ms;
	struct shim_conn c[SHIM_CONNS];
} sc = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Is @c's fd still the socket we made? */
static bool conn_ours(const struct shim_conn *c)
{
	struct stat st;

	return c->fd >= 0 && !fstat(c->fd, &st) && S_ISSOCK(st.st_mode) &&
	       st.st_dev == c->dev && st.st_ino == c->ino;
}

/* Drop a connection; close its fd only while it is still ours */
static void conn_drop(struct shim_conn *c)
{
	if (conn_ours(c))
		close(c->fd);
	c->fd = -1;
	c->busy = false;
}

/* After fork: the copies are the parent's conversations (lock held) */
static void conn_forked(void)
{
	size_t i;

	for (i = 0; i < SHIM_CONNS; i++)
		conn_drop(&sc.c[i]);
	sc.pid = getpid();
	sc.retry_ms = 0;
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&sc.lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&sc.lock);
}

static void atfork_child(void)
{
	pthread_mutex_init(&sc.lock, NULL);
	conn_forked();
}

__attribute__((constructor)) static void conn_init(void)
{
	const char *name = getenv(SHIM_ENV_SOCKET);
	size_t len, i;

	for (i = 0; i < SHIM_CONNS; i++)
		sc.c[i].fd = -1;
	if (!name || !*name)
		return;
	len = strlen(name);
	if (len + 1 > sizeof(sc.addr.sun_path))
		return;
	sc.addr.sun_family = AF_UNIX;
	memcpy(sc.addr.sun_path + 1, name, len);	/* abstract */
	sc.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				 len);
	sc.pid = getpid();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	sc.enabled = true;
	/* The lookups follow the glibc the shim was built with, step by
	 * step; a program running on another (its own copy, a different
	 * release) gets its own libc's answers */
	sc.lookups = !strcmp(gnu_get_libc_version(),
			     SHIM_STR(__GLIBC__) "." SHIM_STR(__GLIBC_MINOR__));
}

/* Was the program started by a supervisor (the sends' fast paths)? */
bool shim_enabled(void)
{
	return sc.enabled;
}

/* ... and does it run on the glibc whose lookups the shim follows? */
bool shim_lookups_enabled(void)
{
	return sc.enabled && sc.lookups;
}

/* Connect a new socket; the connect is notified and arranged by the
 * supervisor (lock not held: it takes a notification round trip) */
static int conn_open(dev_t *dev, ino_t *ino)
{
	struct stat st;
	int fd, hi;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, SHIM_FD_MIN);
	if (hi >= 0) {
		close(fd);
		fd = hi;
	}
	if (shim_real.connect(fd, (struct sockaddr *)&sc.addr, sc.addrlen) ||
	    fstat(fd, &st)) {
		close(fd);
		return -1;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return fd;
}

/* Take an idle connection, or make one; -1: use libc */
static int conn_get(void)
{
	size_t i, free_slot = SHIM_CONNS;
	dev_t dev;
	ino_t ino;
	int fd;

	pthread_mutex_lock(&sc.lock);
	if (sc.pid != getpid())
		conn_forked();
	for (i = 0; i < SHIM_CONNS; i++) {
		struct shim_conn *c = &sc.c[i];

		if (c->fd >= 0 && !c->busy) {
			if (!conn_ours(c)) {
				/* the program took the number: forget it */
				c->fd = -1;
			} else {
				c->busy = true;
				pthread_mutex_unlock(&sc.lock);
				return (int)i;
			}
		}
		if (c->fd < 0 && !c->busy && free_slot == SHIM_CONNS)
			free_slot = i;
	}
	if (free_slot == SHIM_CONNS || (sc.retry_ms && now_ms() < sc.retry_ms)) {
		pthread_mutex_unlock(&sc.lock);
		return -1;
	}
	sc.c[free_slot].busy = true;	/* reserved while we connect */
	pthread_mutex_unlock(&sc.lock);

	fd = conn_open(&dev, &ino);

	pthread_mutex_lock(&sc.lock);
	if (fd < 0) {
		sc.c[free_slot].busy = false;
		sc.retry_ms = now_ms() + SHIM_RETRY_MS;
		pthread_mutex_unlock(&sc.lock);
		return -1;
	}
	sc.c[free_slot] = (struct shim_conn){ .fd = fd, .dev = dev,
					      .ino = ino, .busy = true };
	sc.retry_ms = 0;
	pthread_mutex_unlock(&sc.lock);
	return (int)free_slot;
}

static void conn_put(int i, bool ok)
{
	pthread_mutex_lock(&sc.lock);
	if (!ok)
		conn_drop(&sc.c[i]);
	sc.c[i].busy = false;
	pthread_mutex_unlock(&sc.lock);
}

/* One exchange on @fd; false on anything unexpected */
static bool conn_exchange(int fd, const struct shim_req *req,
			  struct shim_resp *resp)
{
	uint64_t deadline = now_ms() + SHIM_TIMEOUT_MS;
	ssize_t n;

	do
		n = send(fd, req, sizeof(*req), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*req))
		return false;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		int r;

		if (now >= deadline)
			return false;
		r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		n = recv(fd, resp, sizeof(*resp), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return n == (ssize_t)sizeof(*resp) &&
		       resp->magic == SHIM_MAGIC &&
		       resp->version == SHIM_VERSION && resp->op == req->op &&
		       resp->id == req->id;
	}
}

void shim_req_init(struct shim_req *req, enum shim_op op)
{
	memset(req, 0, sizeof(*req));
	req->magic = SHIM_MAGIC;
	req->version = SHIM_VERSION;
	req->op = (uint16_t)op;
}

/**
 * shim_call() - one request to the supervisor, one response
 * @req:	the request (its id is set here)
 * @resp:	the response
 *
 * Not async-signal-safe (nor are the functions that use it).  Thread
 * cancellation is held off meanwhile: a request cut in half would leave
 * the connection out of step.
 *
 * Return: 0, or -1 when the caller must use libc
 */
int shim_call(struct shim_req *req, struct shim_resp *resp)
{
	int i, saved = errno, cancel;
	bool ok;

	if (!sc.lookups || !sc.enabled)
		return -1;
	if (!shim_real.connect)
		shim_real_init();
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	i = conn_get();
	if (i < 0) {
		pthread_setcancelstate(cancel, NULL);
		errno = saved;
		return -1;
	}
	req->id = __atomic_add_fetch(&sc.next_id, 1, __ATOMIC_RELAXED);
	ok = conn_exchange(sc.c[i].fd, req, resp);
	conn_put(i, ok);
	pthread_setcancelstate(cancel, NULL);
	errno = saved;
	return ok ? 0 : -1;
}
