// SPDX-License-Identifier: GPL-2.0-or-later
/* es-naive-sup.c - a deliberately unsafe supervisor, to test the tests
 *
 * usage: es-naive-sup [--sync] [--allow A.B.C.D[/N]]... -- CMD [ARGS...]
 *
 * Does what ARCHITECTURE.md forbids: it reads connect()'s address, checks it,
 * and answers SECCOMP_USER_NOTIF_FLAG_CONTINUE, so the kernel reads the
 * address a second time. Only connect() is supervised and only IPv4 is
 * decided (other families pass). Integration tests run with
 * ES_BIN=es-naive-sup must fail where they claim to catch this mistake
 * (10-toctou in particular); it is never a model for the real program.
 *
 * With --sync it makes the second classic mistake instead: it performs an
 * allowed connect itself, on a pidfd_getfd duplicate with its own copy of
 * the address (no TOCTOU), but blocking, inside its only loop: one connect
 * to a black hole stalls every other process (11-blackhole catches it).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ALLOW 32

static struct {
	uint32_t net, mask;
} allow[MAX_ALLOW];
static int nallow;
static int sync_connect;

/* The thread group of a notified thread (pidfd_open wants a leader). */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = tid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Tgid:", 5))
			tgid = atoi(line + 5);
	if (f)
		fclose(f);
	return tgid;
}

/* The allowed connect, done here on a duplicate of the target's socket. */
static void connect_here(struct seccomp_notif *req,
			 struct seccomp_notif_resp *resp,
			 const struct sockaddr_in *sin, size_t len)
{
	int pidfd = syscall(SYS_pidfd_open, tgid_of(req->pid), 0);
	int fd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd,
					  (int)req->data.args[0], 0);

	if (fd < 0) {
		resp->error = -EBADF;
	} else if (connect(fd, (const struct sockaddr *)sin, len)) {
		resp->error = -errno;
	} else {
		resp->val = 0;
	}
	if (fd >= 0)
		close(fd);
	if (pidfd >= 0)
		close(pidfd);
}

static int install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_connect, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]), .filter = f,
	};

	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static void send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c = 0;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &mh, 0) < 0)
		_exit(125);
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	int fd;

	if (recvmsg(sock, &mh, 0) <= 0 || !CMSG_FIRSTHDR(&mh))
		return -1;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	return fd;
}

static int allowed(const struct sockaddr_in *sin)
{
	uint32_t a = ntohl(sin->sin_addr.s_addr);

	if ((a >> 24) == 127)
		return 1;
	for (int i = 0; i < nallow; i++)
		if ((a & allow[i].mask) == allow[i].net)
			return 1;
	return 0;
}

static void handle(int lfd)
{
	struct seccomp_notif req = { 0 };
	struct seccomp_notif_resp resp = { 0 };
	struct sockaddr_in sin = { 0 };
	struct iovec local, remote;
	size_t len;

	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req))
		return;
	resp.id = req.id;
	len = req.data.args[2] < sizeof(sin) ? req.data.args[2] : sizeof(sin);
	local = (struct iovec){ .iov_base = &sin, .iov_len = len };
	remote = (struct iovec){ .iov_base = (void *)req.data.args[1],
				 .iov_len = len };
	if (process_vm_readv(req.pid, &local, 1, &remote, 1, 0) < 2 ||
	    ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id)) {
		resp.error = -EACCES;
	} else if (sync_connect && sin.sin_family == AF_INET &&
		   allowed(&sin)) {
		connect_here(&req, &resp, &sin, len);
	} else if (sin.sin_family != AF_INET || allowed(&sin)) {
		/* The mistake under test: the kernel reads the address again. */
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
		fprintf(stderr, "es-naive-sup: DENY tcp %s:%d pid %d\n", a,
			ntohs(sin.sin_port), req.pid);
		resp.error = -EACCES;
	}
	ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

int main(int argc, char **argv)
{
	int sv[2], lfd, i, status;
	pid_t child;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		char *slash, buf[64];
		struct in_addr a;
		int bits = 32;

		if (!strcmp(argv[i], "--sync")) {
			sync_connect = 1;
			continue;
		}
		if (strcmp(argv[i], "--allow") || i + 1 >= argc ||
		    nallow == MAX_ALLOW)
			return 125;
		snprintf(buf, sizeof(buf), "%s", argv[++i]);
		slash = strchr(buf, '/');
		if (slash) {
			*slash = '\0';
			bits = atoi(slash + 1);
		}
		if (inet_pton(AF_INET, buf, &a) != 1 || bits < 0 || bits > 32)
			return 125;
		allow[nallow].mask = bits ? ~0u << (32 - bits) : 0;
		allow[nallow].net = ntohl(a.s_addr) & allow[nallow].mask;
		nallow++;
	}
	if (i + 1 >= argc)
		return 125;
	argv += i + 1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 125;
	child = fork();
	if (child < 0)
		return 125;
	if (child == 0) {
		close(sv[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(125);
		lfd = install_filter();
		if (lfd < 0)
			_exit(125);
		send_fd(sv[1], lfd);
		close(lfd);
		close(sv[1]);
		execvp(argv[0], argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(sv[1]);
	lfd = recv_fd(sv[0]);
	if (lfd < 0)
		return 125;
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		pid_t w = waitpid(child, &status, WNOHANG);

		if (w == child)
			break;
		if (poll(&p, 1, 50) > 0 && (p.revents & POLLIN))
			handle(lfd);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
