// SPDX-License-Identifier: GPL-2.0-or-later
/* bench-connect.c - time the network calls that egress-supervise notifies
 *
 *	bench-connect [-d SECS | -n N] [-j JOBS] [-w SECS] [-m PID]... [-P]
 *		      MODE [ADDR PORT]
 *
 * MODE is what one "call" is:
 *
 *   connect	socket() + blocking connect() + close() to ADDR:PORT (TCP);
 *		the result is connects/s.  close() resets (SO_LINGER 0) so a
 *		long run does not fill the port range with TIME_WAIT.
 *   deny	one blocking connect() to ADDR:PORT on one TCP socket, expected
 *		to fail at once: EACCES/EPERM when the supervisor denies it,
 *		ECONNREFUSED when run directly against a closed port.
 *   unspec	connect(AF_UNSPEC) on a UDP socket of ADDR's family: a notified
 *		call that performs no network I/O.
 *   sendto	sendto() of a 1-byte datagram to ADDR:PORT (UDP).
 *   sendmsg	sendmsg() of a 1-byte datagram without an address on a UDP
 *		socket connected to ADDR:PORT.
 *   sendmmsg	sendmmsg() of one 1-byte datagram, as sendmsg.
 *   nop	getppid(): the cost of a plain system call.
 *   floor	getppid() under a seccomp filter of our own that notifies it to
 *		a minimal listener process (receive, answer 0, nothing else):
 *		the kernel's and the scheduler's part of any notification, the
 *		floor under what a supervisor can reach on this machine.
 *   floor-sync	floor, with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set on the
 *		listener (Linux 6.6+), as egress-supervise does.
 *
 * ADDR and PORT are required for the network modes only.  nop and floor*
 * must run directly, not under egress-supervise.
 *
 * JOBS worker processes (default 1) loop for SECS seconds (default 2) after
 * a warm-up of -w SECS (default 0.2), or for N calls each.  The result is
 * one line of KEY=VALUE pairs on stdout, for scripts:
 *
 *	mode=connect dst=198.51.100.2:7000 jobs=1 secs=2.000 calls=81234
 *	errors=0 errno=- rate=40617.0 ns_per_call=24620 cpu_client=99.0
 *	cpu_parent=35.2 cpu_mon=12.0
 *
 * rate is calls/s of all workers together; ns_per_call is the time one
 * worker spends in one call (secs * jobs / calls).  cpu_* are percent of
 * one CPU over the timed interval: the workers, the parent of this process
 * with -P (under egress-supervise: the supervisor) and the processes named
 * with -m (e.g. the server, to show it is not the bottleneck).
 *
 * Exit status: 0 when the calls behaved as MODE expects, 1 when a call
 * failed unexpectedly (the first errno is printed), 2 on usage errors.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MON_MAX		8
#define CHECK_EVERY	64	/* calls between two looks at the clock */

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS	SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP	(1UL << 0)
#endif

enum mode {
	MODE_CONNECT,
	MODE_DENY,
	MODE_UNSPEC,
	MODE_SENDTO,
	MODE_SENDMSG,
	MODE_SENDMMSG,
	MODE_NOP,
	MODE_FLOOR,
	MODE_FLOOR_SYNC,
	MODE_NUM,
};

static const char *const mode_str[] = {
	"connect", "deny", "unspec", "sendto", "sendmsg", "sendmmsg",
	"nop", "floor", "floor-sync",
};

_Static_assert(sizeof(mode_str) / sizeof(mode_str[0]) == MODE_NUM,
	       "mode_str matches enum mode");

/* What one worker tells the parent through its pipe */
struct result {
	uint64_t calls;
	uint64_t errors;
	int first_errno;
	double secs;
};

static struct {
	enum mode mode;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	const char *dst_str;
	double secs;
	uint64_t count;
	double warmup;
	int jobs;
	pid_t mon[MON_MAX];
	int n_mon;
	bool parent;
} opt = {
	.secs = 2.0,
	.warmup = 0.2,
	.jobs = 1,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts;
	double d = t - now();

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-connect [-d SECS | -n N] [-j JOBS] [-w SECS] "
		"[-m PID]... [-P] MODE [ADDR PORT]\n"
		"MODE: connect | deny | unspec | sendto | sendmsg | sendmmsg |\n"
		"      nop | floor | floor-sync\n");
	exit(2);
}

/**
 * parse_dst() - ADDR and PORT into opt.dst
 * @addr:	IPv4 or IPv6 literal (brackets allowed)
 * @port:	decimal port
 *
 * Return: 0, or -1 when either is not valid
 */
static int parse_dst(const char *addr, const char *port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&opt.dst;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&opt.dst;
	char buf[INET6_ADDRSTRLEN + 2];
	char *end;
	long p;
	size_t n;

	p = strtol(port, &end, 10);
	if (*end || p < 0 || p > 65535)
		return -1;
	n = strlen(addr);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, addr, n + 1);
	if (buf[0] == '[' && n > 2 && buf[n - 1] == ']') {
		buf[n - 1] = '\0';
		memmove(buf, buf + 1, n - 1);
	}

	memset(&opt.dst, 0, sizeof(opt.dst));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		opt.dstlen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		opt.dstlen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/**
 * proc_cpu_ticks() - user + system clock ticks of a process so far
 * @pid:	the process
 *
 * Return: ticks, or -1 when /proc/PID/stat cannot be read
 */
static long long proc_cpu_ticks(pid_t pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and ')': the fields follow the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

/**
 * call_once() - one call of the benchmarked kind
 * @fd:		the worker's socket (unused by MODE_CONNECT)
 *
 * Return: 0 when the call did what the mode expects, else the errno
 */
static int call_once(int fd)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	static char byte = 'b';
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = mh };
	int s, err;

	switch (opt.mode) {
	case MODE_CONNECT:
		s = socket(opt.dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return errno;
		if (connect(s, (struct sockaddr *)&opt.dst, opt.dstlen)) {
			err = errno;
			close(s);
			return err;
		}
		setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		close(s);
		return 0;
	case MODE_DENY:
		if (!connect(fd, (struct sockaddr *)&opt.dst, opt.dstlen))
			return EISCONN;	/* it was meant to fail */
		err = errno;
		if (err == EACCES || err == EPERM || err == ECONNREFUSED)
			return 0;
		return err;
	case MODE_UNSPEC:
		if (connect(fd, (struct sockaddr *)&unspec, sizeof(unspec)))
			return errno;
		return 0;
	case MODE_SENDTO:
		if (sendto(fd, &byte, 1, 0, (struct sockaddr *)&opt.dst,
			   opt.dstlen) != 1)
			return errno;
		return 0;
	case MODE_SENDMSG:
		if (sendmsg(fd, &mh, 0) != 1)
			return errno;
		return 0;
	case MODE_SENDMMSG:
		if (sendmmsg(fd, &mm, 1, 0) != 1)
			return errno;
		return 0;
	case MODE_NOP:
	case MODE_FLOOR:
	case MODE_FLOOR_SYNC:
		/* the listener answers 0: not our parent's pid */
		if (syscall(SYS_getppid) < 0)
			return errno;
		return 0;
	case MODE_NUM:
		break;
	}
	return EINVAL;
}

/**
 * floor_listener() - the minimal supervisor of the floor modes
 * @sock:	our end of a socketpair; the listener fd arrives on it
 * @sync:	set SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 *
 * Receives and answers (0) until the filtered process is gone.  This is the
 * least any supervisor does per notification: two ioctls and two switches.
 */
static void floor_listener(int sock, bool sync)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct seccomp_notif_resp resp;
	struct seccomp_notif req;
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		_exit(1);
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		_exit(1);
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	if (sync)
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		      SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			/* RECV fails at once, again and again, when no task
			 * uses the filter any more: POLLHUP tells that case */
			if (poll(&pfd, 1, -1) < 0 || pfd.revents & POLLHUP)
				_exit(0);
			continue;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

/**
 * floor_setup() - notify our getppid() to a listener child of ours
 * @sync:	the listener sets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 *
 * Return: 0, or an errno
 */
static int floor_setup(bool sync)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]), .filter = insns,
	};
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, b = 'l';
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int sv[2], lfd, err;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		floor_listener(sv[1], sync);
	}
	close(sv[1]);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return errno;
	lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			   SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (lfd < 0)
		return errno;
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &lfd, sizeof(lfd));
	err = sendmsg(sv[0], &mh, 0) == 1 ? 0 : errno;
	close(lfd);
	close(sv[0]);
	return err;
}

/**
 * worker_socket() - the socket a worker reuses for every call
 *
 * Return: fd, -1 for MODE_CONNECT (a new socket per call), or -errno
 */
static int worker_socket(void)
{
	int type = opt.mode == MODE_DENY ? SOCK_STREAM : SOCK_DGRAM;
	int fd;

	if (opt.mode == MODE_FLOOR || opt.mode == MODE_FLOOR_SYNC) {
		int err = floor_setup(opt.mode == MODE_FLOOR_SYNC);

		return err ? -err : -1;
	}
	if (opt.mode == MODE_CONNECT || opt.mode == MODE_NOP)
		return -1;
	fd = socket(opt.dst.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((opt.mode == MODE_SENDMSG || opt.mode == MODE_SENDMMSG) &&
	    connect(fd, (struct sockaddr *)&opt.dst, opt.dstlen)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/**
 * worker() - warm up until @t_start, then call until @t_end or opt.count
 * @t_start:	end of the warm-up (CLOCK_MONOTONIC seconds)
 * @t_end:	end of the timed run, ignored with opt.count
 * @r:		filled with the counts
 */
static void worker(double t_start, double t_end, struct result *r)
{
	uint64_t i;
	double t0;
	int fd, err;

	memset(r, 0, sizeof(*r));
	fd = worker_socket();
	if (fd < -1) {
		r->errors = 1;
		r->first_errno = -fd;
		return;
	}

	while (now() < t_start)
		for (i = 0; i < CHECK_EVERY; i++)
			call_once(fd);

	t0 = now();
	for (;;) {
		for (i = 0; i < CHECK_EVERY; i++) {
			err = call_once(fd);
			r->calls++;
			if (err) {
				if (!r->errors++)
					r->first_errno = err;
			}
			if (opt.count && r->calls >= opt.count)
				break;
		}
		r->secs = now() - t0;
		if (opt.count ? r->calls >= opt.count : t0 + r->secs >= t_end)
			break;
	}
	if (fd >= 0)
		close(fd);
}

static void parse_args(int argc, char **argv)
{
	char *end;
	int c, m;

	while ((c = getopt(argc, argv, "d:n:j:w:m:P")) != -1) {
		switch (c) {
		case 'd':
			opt.secs = strtod(optarg, &end);
			if (*end || opt.secs <= 0)
				usage();
			break;
		case 'n':
			opt.count = strtoull(optarg, &end, 10);
			if (*end || !opt.count)
				usage();
			break;
		case 'j':
			opt.jobs = atoi(optarg);
			if (opt.jobs < 1 || opt.jobs > 256)
				usage();
			break;
		case 'w':
			opt.warmup = strtod(optarg, &end);
			if (*end || opt.warmup < 0)
				usage();
			break;
		case 'm':
			if (opt.n_mon == MON_MAX)
				usage();
			opt.mon[opt.n_mon++] = atoi(optarg);
			break;
		case 'P':
			opt.parent = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 1)
		usage();
	for (m = 0; m < MODE_NUM; m++)
		if (!strcmp(argv[optind], mode_str[m]))
			break;
	if (m == MODE_NUM)
		usage();
	opt.mode = (enum mode)m;
	if (m >= MODE_NOP && argc - optind == 1) {
		opt.dst_str = "-";
		return;
	}
	if (argc - optind != 3)
		usage();
	if (parse_dst(argv[optind + 1], argv[optind + 2])) {
		fprintf(stderr, "bench-connect: bad address %s port %s\n",
			argv[optind + 1], argv[optind + 2]);
		exit(2);
	}
	opt.dst_str = argv[optind + 1];
}

/* Percent of one CPU used by @pid between @t0 and @t1 ticks over @secs */
static double cpu_pct(long long t0, long long t1, double secs)
{
	if (t0 < 0 || t1 < 0 || secs <= 0)
		return -1;
	return 100.0 * (double)(t1 - t0) / (double)sysconf(_SC_CLK_TCK) / secs;
}

int main(int argc, char **argv)
{
	long long mon0[MON_MAX + 1], mon1[MON_MAX + 1];
	pid_t mon[MON_MAX + 1], pids[256];
	struct result total = { 0 }, r;
	double t_start, t_end, t_done, secs, pct;
	struct rusage ru;
	int pipes[256], fds[2], i, n_mon = 0, status;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (opt.parent)
		mon[n_mon++] = getppid();
	for (i = 0; i < opt.n_mon; i++)
		mon[n_mon++] = opt.mon[i];

	t_start = now() + opt.warmup;
	t_end = t_start + opt.secs;
	for (i = 0; i < opt.jobs; i++) {
		if (pipe2(fds, O_CLOEXEC)) {
			perror("bench-connect: pipe");
			return 1;
		}
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("bench-connect: fork");
			return 1;
		}
		if (!pids[i]) {
			close(fds[0]);
			worker(t_start, t_end, &r);
			if (write(fds[1], &r, sizeof(r)) != sizeof(r))
				_exit(1);
			_exit(0);
		}
		close(fds[1]);
		pipes[i] = fds[0];
	}

	sleep_until(t_start);
	for (i = 0; i < n_mon; i++)
		mon0[i] = proc_cpu_ticks(mon[i]);
	if (!opt.count)
		sleep_until(t_end);

	secs = 0;
	for (i = 0; i < opt.jobs; i++) {
		if (read(pipes[i], &r, sizeof(r)) != sizeof(r)) {
			fprintf(stderr, "bench-connect: worker %d died\n", i);
			return 1;
		}
		/* the last worker to finish ends the interval */
		if (i == 0 || r.secs > secs)
			secs = r.secs;
		total.calls += r.calls;
		if (r.errors && !total.errors)
			total.first_errno = r.first_errno;
		total.errors += r.errors;
	}
	t_done = now();
	for (i = 0; i < n_mon; i++)
		mon1[i] = proc_cpu_ticks(mon[i]);
	for (i = 0; i < opt.jobs; i++)
		waitpid(pids[i], &status, 0);
	/* workers' CPU includes the warm-up: scale by their whole life */
	getrusage(RUSAGE_CHILDREN, &ru);

	printf("mode=%s dst=%s jobs=%d secs=%.3f calls=%llu errors=%llu "
	       "errno=%s rate=%.1f ns_per_call=%.0f",
	       mode_str[opt.mode], opt.dst_str, opt.jobs, secs,
	       (unsigned long long)total.calls,
	       (unsigned long long)total.errors,
	       total.errors ? strerrorname_np(total.first_errno) : "-",
	       secs > 0 ? (double)total.calls / secs : 0.0,
	       total.calls ? secs * 1e9 * opt.jobs / (double)total.calls : 0.0);
	printf(" cpu_client=%.1f",
	       100.0 * ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
			((double)ru.ru_utime.tv_usec +
			 (double)ru.ru_stime.tv_usec) / 1e6) /
	       (t_done - t_start + opt.warmup));
	for (i = 0; i < n_mon; i++) {
		pct = cpu_pct(mon0[i], mon1[i], t_done - t_start);
		printf(" %s=%.1f", opt.parent && i == 0 ? "cpu_parent" :
		       "cpu_mon", pct);
	}
	printf("\n");

	return total.errors ? 1 : 0;
}
