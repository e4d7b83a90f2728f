// SPDX-License-Identifier: GPL-2.0-or-later
/* target.c - handles on the processes whose calls we decide
 *
 * Every notification names a thread id.  Opening a pidfd and reading
 * /proc/PID/comm for each call would cost more than the call itself, so
 * handles are cached in a small direct-mapped table keyed by thread id.
 * A cached handle can outlive its thread and the id can be reused; that is
 * harmless because:
 * - a pidfd names one thread for ever: pidfd_getfd() on a dead thread's
 *   pidfd fails with ESRCH, and we then reopen by id;
 * - the notification id is checked with SECCOMP_IOCTL_NOTIF_ID_VALID after
 *   every read and fetch, so the thread was alive (and the id its own) the
 *   whole time.
 *
 * Reading or writing target memory can block for as long as the target's
 * pages take to come in, which on a FUSE or network file it maps is as
 * long as that server wants: each such call is bracketed by stall_begin()
 * and stall_end(), and stall.c explains why that keeps the loop going.
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "log.h"
#include "stall.h"
#include "target.h"
#include "util.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD	O_EXCL
#endif

#define TARGET_SLOTS	16384
#define TARGET_WINDOW	16	/* slots probed from a thread's home slot */
#define TGID_SLOTS	4096

static struct target targets[TARGET_SLOTS];
/* Pending calls per process (thread group); ids that share a slot share a
 * count, which only makes the bound stricter for them */
static unsigned int tgid_pending[TGID_SLOTS];
static int pidfd_thread_ok = 1;

void target_init(void)
{
	size_t i;

	for (i = 0; i < TARGET_SLOTS; i++) {
		targets[i].pid = 0;
		targets[i].pidfd = -1;
		targets[i].memfd = -1;
	}
}

static pid_t target_tgid(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	}
	fclose(f);
	return tgid;
}

static int target_pidfd_open(pid_t pid)
{
	long fd;

	if (pidfd_thread_ok) {
		fd = syscall(SYS_pidfd_open, pid, PIDFD_THREAD);
		if (fd >= 0 || errno != EINVAL)
			return fd < 0 ? -errno : (int)fd;
		pidfd_thread_ok = 0;	/* kernel < 6.9 */
	}
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno == EINVAL) {
		/* Not a thread group leader: its fd table is the leader's
		 * unless it was cloned without CLONE_FILES, which old kernels
		 * give us no way to reach. */
		pid_t tgid = target_tgid(pid);

		if (tgid > 0)
			fd = syscall(SYS_pidfd_open, tgid, 0);
	}
	return fd < 0 ? -errno : (int)fd;
}

static void target_comm(struct target *t)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", t->pid);
	strcpy(t->comm, "?");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, t->comm, sizeof(t->comm) - 1);
	close(fd);
	if (n <= 0) {
		strcpy(t->comm, "?");
		return;
	}
	t->comm[n] = '\0';
	if (n && t->comm[n - 1] == '\n')
		t->comm[n - 1] = '\0';
}

static void target_reset(struct target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->memfd >= 0)
		close(t->memfd);
	t->pidfd = -1;
	t->memfd = -1;
	t->pid = 0;
	t->tgid = 0;
}

/**
 * target_get() - the cached handle for a thread, opening one if needed
 * @pid:	thread id from the notification
 *
 * Threads are looked up in a window of slots from their home slot, so
 * that many threads with calls in flight (which keep their slot) cannot
 * crowd out other processes.  Only when every slot of the window is busy
 * does the caller get NULL, and answers the call with EAGAIN.
 *
 * Return: handle, or NULL
 */
struct target *target_get(pid_t pid)
{
	unsigned int home = (unsigned int)pid % TARGET_SLOTS, i;
	struct target *t = NULL;
	int fd;

	for (i = 0; i < TARGET_WINDOW; i++) {
		struct target *c = &targets[(home + i) % TARGET_SLOTS];

		if (c->pid == pid && c->pidfd >= 0)
			return c;
		if (!t && !c->pending && !c->busy)
			t = c;
	}
	if (!t)
		return NULL;
	target_reset(t);
	fd = target_pidfd_open(pid);
	if (fd < 0)
		return NULL;
	t->pid = pid;
	t->pidfd = fd;
	t->tgid = target_tgid(pid);
	if (t->tgid <= 0)
		t->tgid = pid;
	target_comm(t);
	return t;
}

/**
 * target_pending_get() - count a call in flight, within the bounds
 * @t:		target
 * @max:	bound for one process (all its threads)
 *
 * Return: true if counted; false: over the bound, the call is refused
 */
bool target_pending_get(struct target *t, unsigned int max)
{
	unsigned int *n = &tgid_pending[(unsigned int)t->tgid % TGID_SLOTS];

	if (*n >= max)
		return false;
	(*n)++;
	t->pending++;
	return true;
}

void target_pending_put(struct target *t)
{
	unsigned int *n = &tgid_pending[(unsigned int)t->tgid % TGID_SLOTS];

	if (*n)
		(*n)--;
	t->pending--;
}

/**
 * target_read() - copy memory out of the target
 * @t:		target
 * @dst:	our buffer
 * @addr:	address in the target
 * @len:	bytes; all of them or an error
 *
 * process_vm_readv() first; /proc/PID/mem when it is refused (some
 * container seccomp profiles deny it).  The caller checks the notification
 * id afterwards.
 *
 * Return: 0 or -errno (-EFAULT for unreadable target memory)
 */
int target_read(struct target *t, void *dst, uint64_t addr, size_t len)
{
	struct iovec local = { .iov_base = dst, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr,
				.iov_len = len };
	ssize_t n;
	int ret;

	if (!len)
		return 0;
	if (t->memfd < 0) {
		ret = stall_begin(t);
		if (ret)
			return ret;
		n = process_vm_readv(t->pid, &local, 1, &remote, 1, 0);
		ret = n < 0 ? -errno : 0;
		stall_end(t);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0 || ret == -EFAULT)
			return -EFAULT;
		if (ret != -EPERM && ret != -ENOSYS)
			return ret;
	}
	if (t->memfd < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/mem", t->pid);
		t->memfd = open(path, O_RDONLY | O_CLOEXEC);
		if (t->memfd < 0)
			return -errno;
	}
	ret = stall_begin(t);
	if (ret)
		return ret;
	n = pread(t->memfd, dst, len, (off_t)addr);
	stall_end(t);
	if (n == (ssize_t)len)
		return 0;
	return -EFAULT;
}

/**
 * target_read2() - copy two areas out of the target in one call
 *
 * For sendto(): address and payload with one process_vm_readv().
 *
 * Return: 0 or -errno, as target_read()
 */
int target_read2(struct target *t, void *dst1, uint64_t addr1, size_t len1,
		 void *dst2, uint64_t addr2, size_t len2)
{
	struct iovec local[2] = { { dst1, len1 }, { dst2, len2 } };
	struct iovec remote[2] = { { (void *)(uintptr_t)addr1, len1 },
				   { (void *)(uintptr_t)addr2, len2 } };
	ssize_t n;
	int ret;

	if (t->memfd < 0) {
		ret = stall_begin(t);
		if (ret)
			return ret;
		n = process_vm_readv(t->pid, local, 2, remote, 2, 0);
		ret = n < 0 ? -errno : 0;
		stall_end(t);
		if (n == (ssize_t)(len1 + len2))
			return 0;
		if (n >= 0 || ret == -EFAULT)
			return -EFAULT;
	}
	ret = target_read(t, dst1, addr1, len1);
	return ret ? ret : target_read(t, dst2, addr2, len2);
}

/**
 * target_write() - copy results into the target (sendmmsg msg_len)
 */
int target_write(struct target *t, uint64_t addr, const void *src,
		 size_t len)
{
	struct iovec local = { .iov_base = (void *)src, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr,
				.iov_len = len };
	ssize_t n;
	int ret;

	ret = stall_begin(t);
	if (ret)
		return ret;
	n = process_vm_writev(t->pid, &local, 1, &remote, 1, 0);
	ret = n < 0 ? -errno : 0;
	stall_end(t);
	if (n == (ssize_t)len)
		return 0;
	return ret ? ret : -EFAULT;
}

/**
 * target_getfd() - duplicate one of the target's fds into the supervisor
 * @t:	target
 * @fd:	its fd number
 *
 * Return: our fd (O_CLOEXEC), or -errno (-EBADF: no such fd)
 */
int target_getfd(struct target *t, int fd)
{
	long ret;

	ret = syscall(SYS_pidfd_getfd, t->pidfd, fd, 0);
	if (ret < 0 && errno == ESRCH) {
		/* Stale handle of an earlier thread with this id */
		pid_t pid = t->pid;
		int nfd = target_pidfd_open(pid);

		if (nfd < 0)
			return nfd;
		close(t->pidfd);
		t->pidfd = nfd;
		ret = syscall(SYS_pidfd_getfd, t->pidfd, fd, 0);
	}
	return ret < 0 ? -errno : (int)ret;
}

/**
 * target_signal() - send a signal the kernel would have sent (SIGPIPE)
 */
int target_signal(struct target *t, int sig)
{
	if (syscall(SYS_pidfd_send_signal, t->pidfd, sig, NULL, 0))
		return -errno;
	return 0;
}
