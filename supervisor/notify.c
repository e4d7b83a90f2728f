// SPDX-License-Identifier: GPL-2.0-or-later
/* notify.c - the seccomp listener: receive, answer, and calls in flight
 *
 * Theory of operation
 *
 * The listener becomes readable when a target thread stopped in a notified
 * call.  notify_handler() receives one notification and hands it to
 * netcall_dispatch(), which reads the arguments, decides, performs the call
 * on its own duplicate of the target's socket and answers.  The loop never
 * blocks on a target:
 *
 * - a blocking connect() is started non-blocking on the duplicate; the
 *   notification stays unanswered in a PENDING_CONNECT slot until the
 *   duplicate is writable, then the target gets the kernel's own result
 *   (SO_ERROR) and its file status flags are restored;
 * - a blocking send that would block waits in a PENDING_RERUN slot for the
 *   duplicate to become writable, then the whole call is handled again
 *   from the start: memory read, decision, send.  Re-reading is safe: what
 *   is sent is always what was decided.
 *
 * - a call of a process on whose memory another call of ours hangs (a
 *   page that takes for ever to come in, see stall.c) waits in a
 *   PENDING_STALLED slot, without reading anything, until that call
 *   returns; then it is handled from the start.
 *
 * Slots are bounded, globally and per process; a slot whose notification is
 * no longer valid (the target died) is released by notify_timer().
 *
 * There is one listener per filter installed: CMD's, and one for each
 * process started by `egress-supervise exec` (control.c), all loaded with
 * the same program.  Each is its own entry in the epoll set; the one whose
 * notification is being handled is the current one (notify_fd), which
 * notify_respond() and notify_valid() use, and each slot remembers its
 * listener.  A listener that hangs up (no task uses its filter any more)
 * is closed once no slot refers to it.  With
 * WAIT_KILLABLE_RECV the target cannot be interrupted by a non-fatal signal
 * while we hold its notification, so no call is ever performed twice.
 *
 * Each notification is handled from a copy on the handling thread's stack:
 * a thread can leave the loop in a stalled read and finish later (stall.c),
 * and then answers through its own listener again (notify_resume()).
 *
 * Slot states:	FREE -> CONNECT | RERUN -> FREE
 */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "log.h"
#include "metrics.h"
#include "netcall.h"
#include "notify.h"
#include "stall.h"
#include "util.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS	SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP	(1UL << 0)
#endif

#define PENDING_MAX		8192
#define PENDING_PER_PROCESS	1024

enum pending_state {
	PENDING_FREE,
	PENDING_CONNECT,	/* waiting for the connect to complete */
	PENDING_RERUN,		/* waiting for room to send */
	PENDING_STALLED,	/* waiting for a stalled call on its process */
};

struct pending {
	enum pending_state state;
	unsigned int lidx;		/* its listener */
	struct seccomp_notif req;
	struct target *t;
	int dupfd;
	int saved_flags;
};

#define NOTIFY_LISTENERS	64

/**
 * struct notify_listener - one seccomp listener
 * @fd:		the listener, -1 when the slot is free
 * @gone:	hung up: no task uses its filter any more
 * @pending:	slots that will answer through it
 */
static struct notify_listener {
	int fd;
	bool gone;
	unsigned int pending;
} listeners[NOTIFY_LISTENERS];

static int notify_fd = -1;		/* the current listener */
static unsigned int notify_cur;		/* its index */
/* The listener of the notification this thread handles (stall.c) */
static __thread int thread_cur = -1;
static struct seccomp_notif *req_buf;
static struct seccomp_notif_resp *resp_buf;
static size_t resp_size;
static struct pending pending[PENDING_MAX];
static unsigned int pending_used;

/**
 * notify_init() - take over the listener and prepare buffers
 * @listener:	the fd from the child's filter
 *
 * Return: 0 or -errno
 */
int notify_init(int listener)
{
	struct seccomp_notif_sizes sizes;
	size_t i;
	int ret;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes))
		return -errno;
	req_buf = calloc(1, MAX(sizes.seccomp_notif, sizeof(*req_buf)));
	resp_size = MAX(sizes.seccomp_notif_resp, sizeof(*resp_buf));
	resp_buf = calloc(1, resp_size);
	if (!req_buf || !resp_buf)
		return -ENOMEM;

	for (i = 0; i < PENDING_MAX; i++)
		pending[i].dupfd = -1;
	for (i = 0; i < NOTIFY_LISTENERS; i++)
		listeners[i].fd = -1;
	ret = notify_add(listener);
	return ret < 0 ? ret : 0;
}

/**
 * notify_add() - handle the notifications of one more listener
 * @listener:	a listener of a filter loaded with our program; ours on
 *		success
 *
 * Return: its index, or -errno (-ENOSPC when NOTIFY_LISTENERS are in use)
 */
int notify_add(int listener)
{
	union loop_ref ref = { .type = LOOP_NOTIFY, .fd = listener };
	unsigned int i;
	int ret;

	for (i = 0; i < NOTIFY_LISTENERS; i++)
		if (listeners[i].fd < 0)
			break;
	if (i == NOTIFY_LISTENERS)
		return -ENOSPC;

	/* Linux 6.6: wake the target on the CPU that answered it */
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
	      SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	ref.idx = i;
	ret = loop_add(listener, EPOLLIN, ref);
	if (ret)
		return ret;
	listeners[i] = (struct notify_listener){ .fd = listener };
	return (int)i;
}

/* Make listener @i the one answers go to */
static void notify_use(unsigned int i)
{
	notify_cur = i;
	notify_fd = listeners[i].fd;
	thread_cur = (int)i;
}

/**
 * notify_resume() - a thread back from a stalled call takes its listener
 *
 * While it was away another thread may have made another listener the
 * current one; the notification it finishes must be answered through its
 * own.  A listener closed meanwhile leaves answers failing (EBADF).
 */
void notify_resume(void)
{
	if (thread_cur < 0)
		return;
	notify_cur = (unsigned int)thread_cur;
	notify_fd = listeners[thread_cur].fd;
}

/* Close a hung-up listener once nothing will answer through it */
static void listener_put(unsigned int i)
{
	struct notify_listener *l = &listeners[i];

	if (!l->gone || l->pending || l->fd < 0)
		return;
	if (notify_fd == l->fd)
		notify_fd = -1;	/* answers to it fail with EBADF */
	close(l->fd);
	l->fd = -1;
	l->gone = false;
}

static int notify_send(void)
{
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, resp_buf))
		return -errno;
	return 0;
}

/**
 * notify_respond() - answer a notification with a result
 * @id:		notification id
 * @val:	return value when @err is 0
 * @err:	positive errno, or 0
 *
 * Return: 0, or -ENOENT when the target went away (not an error)
 */
int notify_respond(uint64_t id, int64_t val, int err)
{
	memset(resp_buf, 0, resp_size);
	resp_buf->id = id;
	resp_buf->val = err ? 0 : val;
	resp_buf->error = err ? -err : 0;
	return notify_send();
}

/**
 * notify_continue() - let the kernel perform the call itself
 *
 * Only for calls whose decision used register arguments alone (socket());
 * never after reading target memory: the target could change it.
 */
int notify_continue(uint64_t id)
{
	memset(resp_buf, 0, resp_size);
	resp_buf->id = id;
	resp_buf->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	return notify_send();
}

/**
 * notify_addfd() - install our fd in the target and answer with its number
 * @id:		notification id
 * @srcfd:	our fd; the target gets its own reference to the same file
 * @cloexec:	O_CLOEXEC on the target's fd
 *
 * SECCOMP_ADDFD_FLAG_SEND (5.14) does both at once; before it the fd is
 * installed, then the call answered.
 *
 * Return: the target's fd number, or -errno (-ENOENT: the target went
 * away; otherwise the notification is still to be answered)
 */
int notify_addfd(uint64_t id, int srcfd, bool cloexec)
{
	struct seccomp_notif_addfd a = {
		.id = id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = (uint32_t)srcfd,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};
	int fd;

	fd = ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	if (fd >= 0)
		return fd;
	if (errno != EINVAL)
		return -errno;
	a.flags = 0;
	fd = ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	if (fd < 0)
		return -errno;
	notify_respond(id, fd, 0);
	return fd;
}

bool notify_valid(uint64_t id)
{
	return !ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
}

static bool notify_park(const struct seccomp_notif *req);

void notify_handler(union loop_ref ref, uint32_t events)
{
	struct notify_listener *l;
	struct seccomp_notif req;

	if (ref.idx >= NOTIFY_LISTENERS)
		return;
	l = &listeners[ref.idx];
	if (l->fd != ref.fd || l->gone)
		return;
	if (events & EPOLLHUP) {
		/* no task uses the filter any more */
		loop_del(l->fd);
		l->gone = true;
		listener_put(ref.idx);
		return;
	}
	notify_use(ref.idx);
	memset(req_buf, 0, sizeof(*req_buf));
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, req_buf)) {
		/* ENOENT: the target died before we got to it */
		if (errno != ENOENT && errno != EINTR)
			log_warn("receiving a notification: %s",
				 strerror(errno));
		return;
	}
	metrics_notification();
	req = *req_buf;
	if (!notify_park(&req))
		netcall_dispatch(&req);
}

static struct pending *pending_get(void)
{
	static unsigned int hint;
	unsigned int i;

	if (pending_used >= PENDING_MAX)
		return NULL;
	for (i = 0; i < PENDING_MAX; i++) {
		unsigned int n = (hint + i) % PENDING_MAX;

		if (pending[n].state == PENDING_FREE) {
			hint = n + 1;
			return &pending[n];
		}
	}
	return NULL;
}

static int pending_add(struct pending *p, enum pending_state state,
		       const struct seccomp_notif *req, struct target *t,
		       int dupfd)
{
	union loop_ref ref = {
		.type = LOOP_PENDING,
		.idx = (uint32_t)(p - pending),
		.fd = dupfd,
	};
	int ret;

	if (!target_pending_get(t, PENDING_PER_PROCESS))
		return -EAGAIN;
	ret = dupfd < 0 ? 0 :
			  loop_add(dupfd, EPOLLOUT | EPOLLERR | EPOLLHUP, ref);
	if (ret) {
		target_pending_put(t);
		return ret;
	}
	p->state = state;
	p->lidx = notify_cur;
	listeners[notify_cur].pending++;
	p->req = *req;
	p->t = t;
	p->dupfd = dupfd;
	pending_used++;
	metrics_in_flight(pending_used);
	return 0;
}

static void pending_release(struct pending *p)
{
	if (p->dupfd >= 0) {
		loop_del(p->dupfd);
		close(p->dupfd);
	}
	p->dupfd = -1;
	target_pending_put(p->t);
	pending_used--;
	metrics_in_flight(pending_used);
	p->state = PENDING_FREE;
	listeners[p->lidx].pending--;
	listener_put(p->lidx);
}

/**
 * notify_pend_connect() - answer a blocking connect when it completes
 * @req:	the notification
 * @t:		its target
 * @dupfd:	our duplicate, connect already started non-blocking (owned
 *		by the slot on success)
 * @saved_flags: the file status flags to restore before answering
 *
 * Return: 0, or -errno (-EAGAIN when out of slots; the caller answers)
 */
int notify_pend_connect(const struct seccomp_notif *req, struct target *t,
			int dupfd, int saved_flags)
{
	struct pending *p = pending_get();
	int ret;

	if (!p)
		return -EAGAIN;
	ret = pending_add(p, PENDING_CONNECT, req, t, dupfd);
	if (!ret)
		p->saved_flags = saved_flags;
	return ret;
}

/**
 * notify_pend_rerun() - handle a call again once its socket is writable
 */
int notify_pend_rerun(const struct seccomp_notif *req, struct target *t,
		      int dupfd)
{
	struct pending *p = pending_get();

	if (!p)
		return -EAGAIN;
	return pending_add(p, PENDING_RERUN, req, t, dupfd);
}

void notify_pending_handler(union loop_ref ref, uint32_t events)
{
	struct pending *p = &pending[ref.idx];
	struct seccomp_notif req;
	socklen_t sl = sizeof(int);
	int err = 0;

	(void)events;
	if (p->state == PENDING_FREE || p->dupfd != ref.fd)
		return;

	notify_use(p->lidx);
	if (p->state == PENDING_CONNECT) {
		uint64_t id = p->req.id;

		if (getsockopt(p->dupfd, SOL_SOCKET, SO_ERROR, &err, &sl))
			err = errno;
		fcntl(p->dupfd, F_SETFL, p->saved_flags);
		/* close first: the target keeps the last reference */
		pending_release(p);
		notify_respond(id, 0, err);
		return;
	}

	/* PENDING_RERUN: start over with a fresh read of the target */
	req = p->req;
	pending_release(p);
	if (!notify_park(&req))
		netcall_dispatch(&req);
}

/**
 * notify_park() - hold a call of a process whose memory hangs
 * @req:	the notification (of the current listener), not yet answered
 *
 * While a call of ours on a process's memory hangs (stall.c), its other
 * calls would most likely hang on the same page or on its mmap lock, and
 * each would cost the loop a takeover: they wait in a slot instead, and
 * notify_unpark() runs them when the hanging call returns.
 *
 * Return: true if the call was taken care of (parked, or answered EAGAIN
 * when out of slots), false if the caller should handle it now
 */
static bool notify_park(const struct seccomp_notif *req)
{
	struct pending *p;
	struct target *t;

	if (!stall_any())
		return false;
	t = target_get((pid_t)req->pid);
	if (!t || !stall_stuck(t->tgid))
		return false;
	p = pending_get();
	if (!p || pending_add(p, PENDING_STALLED, req, t, -1)) {
		log_warn("pid %d: too many calls wait for a stalled read",
			 req->pid);
		notify_respond(req->id, 0, EAGAIN);
	}
	return true;
}

/**
 * notify_unpark() - run the calls parked for a process
 * @tgid:	the process, whose hanging call just returned
 *
 * Called by the thread that made that call, with the loop's lock.  The
 * process is no longer marked, so nothing new gets parked for it.
 */
void notify_unpark(pid_t tgid)
{
	size_t i;

	for (i = 0; i < PENDING_MAX && pending_used; i++) {
		struct pending *p = &pending[i];
		struct seccomp_notif req;

		if (p->state != PENDING_STALLED || p->t->tgid != tgid)
			continue;
		notify_use(p->lidx);
		req = p->req;
		pending_release(p);
		if (!notify_park(&req))
			netcall_dispatch(&req);
	}
}

/**
 * notify_timer() - release slots whose target went away
 *
 * Called about once a second.  A dead target's connect to a black hole
 * would otherwise hold a slot and an fd until the kernel gives up.
 */
void notify_timer(void)
{
	size_t i;

	if (!pending_used)
		return;
	for (i = 0; i < PENDING_MAX; i++) {
		struct pending *p = &pending[i];

		if (p->state == PENDING_FREE)
			continue;
		notify_use(p->lidx);
		if (notify_valid(p->req.id))
			continue;
		if (p->state == PENDING_CONNECT)
			fcntl(p->dupfd, F_SETFL, p->saved_flags);
		pending_release(p);
	}
}
