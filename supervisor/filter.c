// SPDX-License-Identifier: GPL-2.0-or-later
/* filter.c - the seccomp filter CMD runs under
 *
 * The filter is built with libseccomp in the supervisor, exported as BPF,
 * and loaded by the child with seccomp(2) directly, because the flags we
 * need (NEW_LISTENER with WAIT_KILLABLE_RECV) are not all expressible
 * through the libseccomp version Debian 12 ships.
 *
 * What it does (default: allow):
 * - any architecture but the native one kills the process: the i386 ABI
 *   (int 0x80, socketcall) and x32 numbers never reach a socket call;
 * - connect, sendmsg, sendmmsg, and sendto with an address notify the
 *   supervisor, which performs them itself (sendto with a NULL address
 *   carries no destination and stays in the kernel); getpeername and
 *   getsockopt(SO_PEERNAME) notify so that sockets moved into the relay
 *   show their original peer;
 * - with an ingress section in the policy, listen() and bind() (with an
 *   address length of 16 or more) notify, so that the supervisor filters
 *   the socket before performing the call (ingress_sock.c);
 * - socket() stays in the kernel only for AF_UNIX, and for AF_INET/AF_INET6
 *   stream or datagram sockets with protocol 0; everything else notifies
 *   and the supervisor decides (TCP/UDP/MPTCP by number, ICMP if the policy
 *   allows it, netlink route; raw, packet, SCTP, ... fail);
 * - with unix.deny_fd_passing in the policy at start, socket(AF_UNIX)
 *   notifies too: the supervisor makes a socket that refuses fds and hands
 *   it over (SECCOMP_IOCTL_NOTIF_ADDFD); setsockopt(SO_PASSRIGHTS), which
 *   could turn that back on, always notifies;
 * - io_uring fails with ENOSYS (its SQEs would connect and send unseen);
 * - IP source routing (IP_OPTIONS, IPv6 routing headers) fails with EPERM,
 *   and so does UDP_CORK (a corked datagram grows by sends we never see);
 * - the ways to reach into the supervisor fail with EPERM: ptrace,
 *   process_vm_readv/writev, kcmp and pidfd_open aimed at its pid, and
 *   PR_SET_DUMPABLE (a non-dumpable target could no longer be read);
 * - seccomp(2) with SECCOMP_FILTER_FLAG_NEW_LISTENER fails with EPERM: a
 *   listener installed by CMD would receive CMD's notifications before
 *   ours and could answer them with CONTINUE;
 * - userfaultfd, and USERFAULTFD_IOC_NEW on /dev/userfaultfd, fail with
 *   EPERM: a page that faults forever would stall the supervisor's reads;
 *   so do new user namespaces (CLONE_NEWUSER in clone and unshare; clone3
 *   fails with ENOSYS), in which CMD could mount FUSE to the same end,
 *   unless --allow-userns.
 *
 * Integer arguments are compared on their low 32 bits (MASKED_EQ with
 * 0xffffffff) where the kernel reads an int, so garbage in the upper half
 * cannot make a rule miss while the kernel still sees the same value.  The
 * socket() fast path instead compares all 64 bits: anything unusual there
 * notifies, and the supervisor truncates like the kernel does.
 */

#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "filter.h"

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS	83	/* Linux 6.16 */
#endif

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW	_IO(0xAA, 0x00)
#endif
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV	(1UL << 5)
#endif

#define INT32(x)	0xffffffffULL, (scmp_datum_t)(uint32_t)(x)

static bool notify_unix;

/* unix.deny_fd_passing: send socket(AF_UNIX) to the supervisor too */
void filter_notify_unix_sockets(bool notify)
{
	notify_unix = notify;
}

static int filter_rules_socket(scmp_filter_ctx ctx)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	uint64_t f;
	size_t i;
	int ret;

	/* Families other than AF_UNIX (1), AF_INET (2), AF_INET6 (10) */
	ret = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(socket), 1,
			       SCMP_A0(SCMP_CMP_GT, AF_INET6));
	for (f = 0; !ret && f < AF_INET6; f++) {
		if (f == AF_UNIX || f == AF_INET)
			continue;
		ret = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(socket),
				       1, SCMP_A0(SCMP_CMP_EQ, f));
	}

	/* AF_INET(6): types other than STREAM (1) and DGRAM (2), and any
	 * protocol other than 0.  SOCK_TYPE_MASK is 0xf. */
	for (i = 0; !ret && i < ARRAY_SIZE(fams); i++) {
		struct scmp_arg_cmp fam = SCMP_A0(SCMP_CMP_EQ, fams[i]);
		static const struct {
			uint64_t mask, val;
		} types[] = { { 0xf, 0 }, { 0xf, 3 }, { 0xc, 4 }, { 0xc, 8 },
			      { 0xc, 12 } };
		size_t t;

		for (t = 0; !ret && t < ARRAY_SIZE(types); t++) {
			ret = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
					       SCMP_SYS(socket), 2, fam,
					       SCMP_A1(SCMP_CMP_MASKED_EQ,
						       types[t].mask,
						       types[t].val));
		}
		if (!ret)
			ret = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
					       SCMP_SYS(socket), 2, fam,
					       SCMP_A2(SCMP_CMP_NE, 0));
	}
	if (!ret && notify_unix)
		ret = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(socket),
				       1, SCMP_A0(SCMP_CMP_MASKED_EQ,
						  INT32(AF_UNIX)));
	return ret;
}

static bool allow_userns;
static bool notify_ingress;

/* The policy has an ingress section: listen() and bind() notify */
void filter_notify_ingress(bool on)
{
	notify_ingress = on;
}

/* --allow-userns: let CMD create user namespaces (weaker, see above) */
void filter_allow_userns(bool allow)
{
	allow_userns = allow;
}

static int filter_rules_self(scmp_filter_ctx ctx, pid_t sup)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	int ret = 0;

	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(ptrace), 1,
				SCMP_A1(SCMP_CMP_MASKED_EQ, INT32(sup)));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(process_vm_readv), 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, INT32(sup)));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(process_vm_writev), 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, INT32(sup)));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(kcmp), 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, INT32(sup)));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(kcmp), 1,
				SCMP_A1(SCMP_CMP_MASKED_EQ, INT32(sup)));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(pidfd_open), 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, INT32(sup)));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(prctl), 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ,
					INT32(PR_SET_DUMPABLE)));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(seccomp), 1,
				SCMP_A1(SCMP_CMP_MASKED_EQ,
					SECCOMP_FILTER_FLAG_NEW_LISTENER,
					SECCOMP_FILTER_FLAG_NEW_LISTENER));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(userfaultfd), 0);
	if (!allow_userns) {
		/* A user namespace lets CMD mount FUSE, and a FUSE-backed
		 * page can stall our memory reads for ever; clone3 hides its
		 * flags in memory, so it is refused as unknown (glibc then
		 * uses clone) */
		ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(unshare), 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ,
						CLONE_NEWUSER, CLONE_NEWUSER));
		ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(clone), 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ,
						CLONE_NEWUSER, CLONE_NEWUSER));
		ret |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
					SCMP_SYS(clone3), 0);
	}
	/* the same through /dev/userfaultfd (Linux 6.1) */
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1,
				SCMP_A1(SCMP_CMP_MASKED_EQ,
					INT32(USERFAULTFD_IOC_NEW)));
	return ret;
}

static int filter_rules(scmp_filter_ctx ctx, pid_t sup)
{
	const uint32_t enosys = SCMP_ACT_ERRNO(ENOSYS);
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	int ret = 0;

	ret |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0);
	ret |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendto), 1,
				SCMP_A4(SCMP_CMP_NE, 0));
	ret |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendmsg), 0);
	ret |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendmmsg), 0);
	/* The relay shows the original destination (see netcall.c) */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getpeername), 0);
	ret |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getsockopt), 2,
				SCMP_A1(SCMP_CMP_MASKED_EQ, INT32(SOL_SOCKET)),
				SCMP_A2(SCMP_CMP_MASKED_EQ, INT32(SO_PEERNAME)));
	ret |= filter_rules_socket(ctx);
	if (notify_ingress) {
		/* Every listen; binds of 16 bytes and more (the least an IP
		 * socket takes: netcall.c continues the rest unread) */
		ret |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(listen),
					0);
		ret |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(bind), 1,
					SCMP_A2(SCMP_CMP_GE,
						sizeof(struct sockaddr_in)));
	}

	ret |= seccomp_rule_add(ctx, enosys, SCMP_SYS(io_uring_setup), 0);
	ret |= seccomp_rule_add(ctx, enosys, SCMP_SYS(io_uring_enter), 0);
	ret |= seccomp_rule_add(ctx, enosys, SCMP_SYS(io_uring_register), 0);

	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(setsockopt), 2,
				SCMP_A1(SCMP_CMP_MASKED_EQ, INT32(SOL_IP)),
				SCMP_A2(SCMP_CMP_MASKED_EQ, INT32(IP_OPTIONS)));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(setsockopt), 2,
				SCMP_A1(SCMP_CMP_MASKED_EQ, INT32(SOL_IPV6)),
				SCMP_A2(SCMP_CMP_MASKED_EQ, INT32(IPV6_RTHDR)));
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(setsockopt), 2,
				SCMP_A1(SCMP_CMP_MASKED_EQ, INT32(SOL_IPV6)),
				SCMP_A2(SCMP_CMP_MASKED_EQ,
					INT32(IPV6_2292RTHDR)));
	/* A corked UDP socket joins later sends into one datagram, and a
	 * send without an address never reaches us: the datagram would not
	 * be the one quic_gate.c checked.  MSG_MORE is refused there. */
	ret |= seccomp_rule_add(ctx, eperm, SCMP_SYS(setsockopt), 2,
				SCMP_A1(SCMP_CMP_MASKED_EQ, INT32(IPPROTO_UDP)),
				SCMP_A2(SCMP_CMP_MASKED_EQ, INT32(UDP_CORK)));
	/* SO_PASSRIGHTS: CMD may not let fds in again (deny_fd_passing) */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(setsockopt), 2,
				SCMP_A1(SCMP_CMP_MASKED_EQ, INT32(SOL_SOCKET)),
				SCMP_A2(SCMP_CMP_MASKED_EQ,
					INT32(SO_PASSRIGHTS)));
	ret |= filter_rules_self(ctx, sup);
	return ret;
}

static scmp_filter_ctx filter_ctx(pid_t supervisor)
{
	scmp_filter_ctx ctx;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return NULL;
	/* Native architecture only; x32 numbers count as another ABI */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) ||
	    filter_rules(ctx, supervisor)) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/**
 * filter_build() - build the BPF program for CMD
 * @supervisor:	our pid, as CMD sees it (the same pid namespace)
 * @prog:	filled with a malloc'ed program
 *
 * Return: 0 or -errno
 */
int filter_build(pid_t supervisor, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx = filter_ctx(supervisor);
	cleanup_close int fd = -1;
	struct sock_filter *buf;
	off_t size;
	int ret;

	if (!ctx)
		return -EINVAL;
	fd = memfd_create("egress-supervise-bpf", MFD_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = seccomp_export_bpf(ctx, fd);
	if (ret)
		goto out;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		ret = -E2BIG;
		goto out;
	}
	buf = malloc((size_t)size);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (pread(fd, buf, (size_t)size, 0) != size) {
		free(buf);
		ret = -EIO;
		goto out;
	}
	prog->filter = buf;
	prog->len = (unsigned short)(size / sizeof(struct sock_filter));
	ret = 0;
out:
	seccomp_release(ctx);
	return ret;
}

void filter_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
}

/**
 * filter_install() - load the filter into the calling process (the child)
 * @prog:	from filter_build()
 *
 * The caller has set no_new_privs.  WAIT_KILLABLE_RECV (5.19) makes a
 * target whose notification we have received wait for our answer even when
 * a non-fatal signal arrives, so an emulated connect cannot be restarted
 * behind our back.  Older kernels get the plain listener.
 *
 * Return: the listener fd, or -errno
 */
int filter_install(const struct sock_fprog *prog)
{
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	long fd;

	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	if (fd < 0 && errno == EINVAL) {
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags,
			     prog);
	}
	if (fd < 0)
		return -errno;
	return (int)fd;
}

/**
 * filter_dump() - print the filter as libseccomp pseudo code (--dump-filter)
 */
int filter_dump(FILE *out)
{
	scmp_filter_ctx ctx = filter_ctx(getpid());
	int ret;

	if (!ctx)
		return -EINVAL;
	fflush(out);
	ret = seccomp_export_pfc(ctx, fileno(out));
	seccomp_release(ctx);
	return ret;
}
