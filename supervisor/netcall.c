// SPDX-License-Identifier: GPL-2.0-or-later
/* netcall.c - the notified socket calls, decided and performed by us
 *
 * Theory of operation
 *
 * Each handler follows the same steps, in this order:
 *
 *   1. bound the arguments as the kernel would (addrlen, msg_namelen,
 *      iovlen, controllen, vlen) and copy everything the call would read
 *      from the target's memory into our own buffers, once;
 *   2. check that the notification is still valid: the thread is alive and
 *      the memory we read was its own;
 *   3. fetch the socket with pidfd_getfd() and take its family, type and
 *      protocol from the object itself, not from the fd number;
 *   4. read the destination the way the kernel would (sockaddr_canon()),
 *      decide, and log;
 *   5. perform the call on the duplicate with our copy, without our
 *      capabilities (privs.c), and answer with the kernel's result.
 *
 * Nothing that was read from the target is ever answered with CONTINUE:
 * another thread could rewrite it between our check and the kernel's read.
 * Only socket(), whose arguments are registers, may be continued.
 *
 * Sends on a socket the target opened blocking are made with MSG_DONTWAIT;
 * when the kernel has no room, the notification waits (notify_pend_rerun)
 * instead of the loop.
 */

#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "control.h"
#include "dns_stub.h"
#include "ingress_sock.h"
#include "log.h"
#include "lookup.h"
#include "netcall.h"
#include "notify.h"
#include "policy.h"
#include "privs.h"
#include "quic_gate.h"
#include "relay.h"
#include "sockaddr.h"
#include "stall.h"
#include "target.h"
#include "util.h"
#include "verdict.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP	262
#endif

/* Largest payload copied for one send: a stream send beyond it is sent in
 * part (as the kernel may do), a datagram beyond it fails with EMSGSIZE. */
#define SEND_MAX	(256 * 1024)
/* Largest ancillary data: the kernel's default optmem_max is 128 KiB on
 * 6.x but 20 KiB on older kernels; real programs send a few fds. */
#define CONTROL_MAX	(16 * 1024)
/* ... plus room for the UDP_SEGMENT cmsg quic_gate_check() may append */
#define CONTROL_ROOM	(CONTROL_MAX + 64)
#define SCM_MAX_FD	253

/* Per thread: a thread that runs the loop may leave it in a stalled read
 * of target memory and finish its notification later (stall.c) */
static __thread uint8_t *payload;
static __thread uint8_t *control;
static __thread struct iovec *iovs;
static uint32_t native_arch;

/* The calling thread's buffers; each thread that runs the loop needs them */
int netcall_thread_init(void)
{
	payload = malloc(SEND_MAX);
	control = malloc(CONTROL_ROOM);
	iovs = calloc(UIO_MAXIOV, sizeof(*iovs));
	if (!payload || !control || !iovs)
		return -ENOMEM;
	return 0;
}

int netcall_init(void)
{
	int ret;

	native_arch = seccomp_arch_native();
	ret = netcall_thread_init();
	return ret ? ret : quic_gate_init();
}

/**
 * struct sock_info - what the fetched socket is
 */
struct sock_info {
	int family;
	int type;
	int proto;
	bool nonblock;
	int flags;
};

static int sock_info_get(int fd, struct sock_info *si, bool want_flags)
{
	socklen_t sl = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &si->family, &sl))
		return -errno;
	sl = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &si->type, &sl))
		return -errno;
	sl = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &si->proto, &sl))
		return -errno;
	si->flags = -1;
	si->nonblock = false;
	if (!want_flags)
		return 0;
	si->flags = fcntl(fd, F_GETFL);
	if (si->flags < 0)
		return -errno;
	si->nonblock = si->flags & O_NONBLOCK;
	return 0;
}

static bool sock_stream_connected(int fd, const struct sock_info *si)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (si->type != SOCK_STREAM)
		return false;
	return !getpeername(fd, (struct sockaddr *)&ss, &sl);
}

/**
 * nc_fetch_socket() - our duplicate of the target's fd, and what it is
 * @t:		target
 * @fd:		its fd number
 * @si:		what the socket is
 * @want_flags:	also read the file status flags (O_NONBLOCK); sends
 *		need them only when the kernel has no room (nc_may_wait()),
 *		so they leave them unread (si->flags -1) and save a syscall
 *
 * The decision is made on the object fetched here, whatever the fd number
 * refers to by the time the target looks again.
 *
 * Return: our fd, or -errno (ENOTSOCK for other files)
 */
static int nc_fetch_socket(struct target *t, int fd, struct sock_info *si,
			   bool want_flags)
{
	int dup, ret;

	dup = target_getfd(t, fd);
	if (dup == -EMFILE || dup == -ENFILE) {
		log_errno_ours(-dup);	/* warns */
		return -ENOBUFS;
	}
	if (dup < 0)
		return dup == -ESRCH ? -ESRCH : -EBADF;
	ret = sock_info_get(dup, si, want_flags);
	if (ret) {
		close(dup);
		return ret;
	}
	return dup;
}

/* ------------------------------------------------------------------ */
/* socket()                                                           */

static void nc_socket_unix(const struct seccomp_notif *req, struct target *t,
			   int type, int proto);

/**
 * nc_socket() - decide a socket() the filter did not let through
 *
 * The filter lets AF_UNIX and plain AF_INET(6) stream/datagram sockets
 * with protocol 0 through; we see the rest.  Arguments are registers, so
 * an allowed call may be continued.  Values are truncated to int as the
 * kernel does.
 */
static void nc_socket(const struct seccomp_notif *req, struct target *t)
{
	int family = (int)req->data.args[0];
	int type = (int)req->data.args[1];
	int proto = (int)req->data.args[2];
	int base = type & 0xf;
	const char *reason = NULL;
	int err = 0;

	if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)) {
		err = EINVAL;
		reason = "invalid type flags";
	} else if (family == AF_INET || family == AF_INET6) {
		bool icmp = (family == AF_INET && proto == IPPROTO_ICMP) ||
			    (family == AF_INET6 && proto == IPPROTO_ICMPV6);

		if (base == SOCK_STREAM && proto == IPPROTO_MPTCP &&
		    policy_has_ingress(verdict_policy()) &&
		    policy_mode(verdict_policy()) == POLICY_MODE_ENFORCE)
			/* as with net.mptcp.enabled=0: programs fall back to
			 * TCP, whose listeners the kernel can filter */
			err = ENOPROTOOPT, reason = "mptcp cannot be filtered "
						    "(ingress)";
		else if (base == SOCK_STREAM &&
			 (!proto || proto == IPPROTO_TCP ||
			  proto == IPPROTO_MPTCP))
			reason = "tcp";
		else if (base == SOCK_DGRAM && (!proto || proto == IPPROTO_UDP))
			reason = "udp";
		else if (base == SOCK_DGRAM && icmp &&
			 policy_allows_icmp(verdict_policy()))
			reason = "icmp allowed by a rule";
		else if (base == SOCK_DGRAM && icmp)
			err = EPERM, reason = "no rule allows icmp";
		else if (base == SOCK_RAW || base == SOCK_PACKET)
			err = EPERM, reason = "raw sockets are not allowed";
		else
			err = EPERM, reason = "socket type or protocol the "
					      "policy cannot decide";
	} else if (family == AF_NETLINK && proto == NETLINK_ROUTE &&
		   (base == SOCK_RAW || base == SOCK_DGRAM)) {
		reason = "netlink route";
	} else if (family == AF_UNIX) {
		if (policy_unix_deny_fd_passing(verdict_policy())) {
			nc_socket_unix(req, t, type, proto);
			return;
		}
		reason = "unix";
	} else {
		err = EAFNOSUPPORT;
		reason = "address family not allowed";
	}

	if (err) {
		verdict_log_socket(t, family, type, proto, false, err, reason);
		notify_respond(req->id, 0, err);
		return;
	}
	notify_continue(req->id);
}

/**
 * nc_redirect_dns() - point a DNS query's destination at the stub
 * @sock_family:	the socket's family (IPv6 sockets get ::ffff:stub)
 * @d:			destination; its emu address is replaced
 */
static void nc_redirect_dns(int sock_family, struct sa_dest *d)
{
	const struct sockaddr_in *stub = dns_stub_addr();

	memset(&d->emu, 0, sizeof(d->emu));
	if (sock_family == AF_INET || d->emu_len == sizeof(*stub)) {
		memcpy(&d->emu, stub, sizeof(*stub));
		d->emu_len = sizeof(*stub);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&d->emu;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = stub->sin_port;
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &stub->sin_addr, 4);
		d->emu_len = sizeof(*s6);
	}
}

/* ------------------------------------------------------------------ */
/* connect()                                                          */

/*
 * What an AF_UNIX peer sees of CMD.  The kernel takes a stream client's
 * credentials at connect() from the task that calls it (SO_PEERCRED,
 * SO_PEERGROUPS, SO_PEERPIDFD), and a datagram's SCM_CREDENTIALS (under
 * SO_PASSCRED) from the sender at each send: here, our thread.  Acting
 * under as_target_begin(), that thread has CMD's real and effective uid
 * and gid and its supplementary groups, so the peer's uid, gid and groups
 * are CMD's.  Its pid is ours: SO_PEERCRED's pid, SO_PEERPIDFD, and the
 * pid of SCM_CREDENTIALS are task_tgid(current) of the connecting or
 * sending task, and nothing lets a task connect under another's pid.  The
 * ways to give the peer CMD's pid were weighed and refused:
 * - answering with CONTINUE lets CMD's thread connect with CMD's pid, but
 *   the kernel then reads the address from CMD's memory again, after our
 *   check, and another thread can swap the path in between (invariant 1);
 * - connecting a socket ourselves and installing it in CMD with
 *   SECCOMP_IOCTL_NOTIF_ADDFD changes nothing: the credentials were taken
 *   at our connect();
 * - continuing, then checking which socket the connect reached (sock_diag
 *   UNIX_DIAG_PEER and UNIX_DIAG_VFS of the peer) comes too late: the
 *   connection exists when we look, and CMD's other threads may already
 *   have written to it;
 * - making CMD's own thread connect to a path that cannot be swapped needs
 *   its memory to hold still between our check and the kernel's read, and
 *   nothing in CMD's own address space can be made to.
 * So the peer sees CMD's uid, gid and groups, which is what servers
 * authenticate with (docker, podman, containerd, systemd, D-Bus EXTERNAL),
 * and the supervisor's pid.  A server that derives identity from the pid
 * (reading /proc/PID, a pidfd) finds the supervisor: with --user, a
 * process of another uid than SO_PEERCRED says.  README: known limits.
 */

/**
 * struct as_target - the supervisor's ids while acting for a target
 */
#define AS_TARGET_GROUPS	64

struct as_target {
	bool switched;
	uid_t ruid, euid;
	gid_t rgid, egid;
	int ngroups;
	gid_t groups[AS_TARGET_GROUPS];
};

/* The target's real and effective uid and gid, from /proc/PID/status */
static int target_ids(pid_t pid, struct as_target *ids)
{
	char path[64], line[256];
	unsigned int r, e;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ids->ngroups = 0;
	while (fgets(line, sizeof(line), f) && found < 3) {
		if (!strncmp(line, "Groups:", 7)) {
			char *p = line + 7, *end;
			unsigned long g;

			found++;
			while (ids->ngroups < AS_TARGET_GROUPS) {
				g = strtoul(p, &end, 10);
				if (end == p)
					break;
				ids->groups[ids->ngroups++] = (gid_t)g;
				p = end;
			}
		} else if (sscanf(line, "Uid: %u %u", &r, &e) == 2) {
			ids->ruid = r;
			ids->euid = e;
			found++;
		} else if (sscanf(line, "Gid: %u %u", &r, &e) == 2) {
			ids->rgid = r;
			ids->egid = e;
			found++;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -EIO;
}

/**
 * as_target_begin() - take the target's real and effective uid and gid
 * @t:	target
 * @s:	what to restore with as_target_end()
 *
 * An AF_UNIX peer judges its client by the credentials of whoever connects
 * or sends: SO_PEERCRED (effective ids at connect), SCM_CREDENTIALS under
 * SO_PASSCRED (real ids at send), and the permission check on the socket
 * file.  Performed by us, a call would carry the supervisor's ids (often
 * root's): CMD could reach sockets it may not, or be taken for root by a
 * server that trusts uid 0 - a confused deputy.  So the call is made
 * under the target's ids and supplementary groups.  The saved ids stay ours, which is what lets us
 * return.  Raw syscalls: they change this thread only; the loop's other
 * threads, which may run while this one waits on a path lookup
 * (stall.c), keep our ids.  The pid a peer sees is still ours: see "What
 * an AF_UNIX peer sees of CMD" above.
 *
 * Return: 0, or -errno (then the call must not be made)
 */
static int as_target_begin(struct target *t, struct as_target *s)
{
	struct as_target want;
	int ret;

	s->switched = false;
	getresuid(&s->ruid, &s->euid, &(uid_t){ 0 });
	getresgid(&s->rgid, &s->egid, &(gid_t){ 0 });
	s->ngroups = getgroups(AS_TARGET_GROUPS, s->groups);
	if (s->ngroups < 0)
		return -errno;
	ret = target_ids(t->pid, &want);
	if (ret)
		return ret;
	if (want.ruid == s->ruid && want.euid == s->euid &&
	    want.rgid == s->rgid && want.egid == s->egid &&
	    want.ngroups == s->ngroups &&
	    !memcmp(want.groups, s->groups,
		    (size_t)want.ngroups * sizeof(gid_t)))
		return 0;
	/* groups and gids first: that needs the privilege the uids drop */
	if (syscall(SYS_setgroups, want.ngroups, want.groups))
		return -errno;
	if (syscall(SYS_setresgid, want.rgid, want.egid, -1)) {
		ret = -errno;
		syscall(SYS_setgroups, s->ngroups, s->groups);
		return ret;
	}
	if (syscall(SYS_setresuid, want.ruid, want.euid, -1)) {
		ret = -errno;
		syscall(SYS_setresgid, s->rgid, s->egid, -1);
		syscall(SYS_setgroups, s->ngroups, s->groups);
		return ret;
	}
	s->switched = true;
	return 0;
}

static void as_target_end(const struct as_target *s)
{
	if (!s->switched)
		return;
	if (syscall(SYS_setresuid, s->ruid, s->euid, -1) ||
	    syscall(SYS_setresgid, s->rgid, s->egid, -1) ||
	    syscall(SYS_setgroups, s->ngroups, s->groups))
		die("cannot return to our own credentials: %s",
		    strerror(errno));
}

/**
 * struct unix_ctx - acting for a target on an AF_UNIX address
 * @as:		the ids we took (as_target_begin())
 * @pathfd:	O_PATH fd of the socket file the decision was made on
 */
struct unix_ctx {
	struct as_target as;
	int pathfd;
};

static void unix_leave(struct unix_ctx *u)
{
	if (u->pathfd >= 0)
		close(u->pathfd);
	as_target_end(&u->as);
}

/* The name an AF_UNIX address is decided by: "@..." for abstract */
static void unix_name(const struct sockaddr_un *sun, socklen_t len,
		      char *out, size_t size)
{
	size_t n = len - offsetof(struct sockaddr_un, sun_path), i, o = 0;

	if (!sun->sun_path[0]) {
		out[o++] = '@';
		for (i = 1; i < n && o < size - 1; i++) {
			unsigned char c = (unsigned char)sun->sun_path[i];

			out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		out[o] = '\0';
		return;
	}
	snprintf(out, size, "%.*s", (int)strnlen(sun->sun_path, n),
		 sun->sun_path);
}

/**
 * unix_enter() - decide an AF_UNIX destination, in the target's context
 * @t:		target
 * @event:	"connect" or "send", for the log
 * @d:		the destination (SA_UNIX); a named one is rewritten to
 *		/proc/self/fd/N of the socket file that was decided
 * @u:		context to leave with unix_leave(), also on error
 *
 * Theory: the kernel resolves a socket path at connect time, so a path we
 * checked could be swapped (rename, symlink) before it is used, and
 * answering CONTINUE would let another thread change the path itself.
 * Instead the path is opened once (O_PATH, symlinks followed, relative to
 * the target's directory, under the target's ids), the file found is what
 * is decided - its resolved path, and the literal path too - and the
 * connect is made to that very inode through /proc/self/fd/N.  The peer
 * then sees the target's ids (as_target_begin()).
 *
 * The path is the target's choice and may lead through a FUSE or network
 * file system whose lookups take as long as its server wants: it is
 * resolved outside the loop's lock where each loop thread has its own
 * root and working directory (stall_begin_fs()), relative to a directory
 * fd rather than by chdir().
 *
 * Return: 0 to go on, or -errno to answer (denials: the policy's errno)
 */
static int unix_enter(struct target *t, const char *event, struct sa_dest *d,
		      struct unix_ctx *u)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&d->emu;
	char name[sizeof(sun->sun_path) + 2], real[PATH_MAX], lit[PATH_MAX];
	char link[64], cwd[64];
	cleanup_close int dirfd = -1;
	struct verdict v;
	int ret, away;
	ssize_t n;

	u->pathfd = -1;
	ret = as_target_begin(t, &u->as);
	if (ret)
		return ret == -EPERM ? -EACCES : ret;
	if (d->emu_len <= offsetof(struct sockaddr_un, sun_path))
		return 0;	/* unnamed: autobind, nothing to decide */

	unix_name(sun, d->emu_len, name, sizeof(name));
	if (name[0] == '@') {
		verdict_decide_unix(t, event, name, NULL, &v);
		return v.allow ? 0 : -v.err;
	}

	snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", t->pid);
	away = stall_begin_fs(t);
	if (away < 0)
		return away;
	if (name[0] != '/')
		dirfd = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (name[0] == '/' || dirfd >= 0)
		u->pathfd = openat(dirfd, name, O_PATH | O_CLOEXEC);
	ret = u->pathfd < 0 ? -errno : 0;
	if (away)
		stall_end(t);
	if (ret)
		return ret;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", u->pathfd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n < 0)
		return -errno;
	real[n] = '\0';
	if (control_is_socket(u->pathfd)) {
		/* the exec channel: never, whatever path led here */
		verdict_deny_supervisor(t, event, real, &v);
		return -v.err;
	}
	n = name[0] != '/' ? readlink(cwd, lit, sizeof(lit) - 1) : -1;
	if (n > 0) {
		lit[n] = '\0';
		snprintf(lit + n, sizeof(lit) - (size_t)n, "/%s", name);
	} else {
		snprintf(lit, sizeof(lit), "%s", name);
	}

	verdict_decide_unix(t, event, real, strcmp(real, lit) ? lit : NULL,
			    &v);
	if (!v.allow)
		return -v.err;

	memset(sun->sun_path, 0, sizeof(sun->sun_path));
	memcpy(sun->sun_path, link, strlen(link));
	d->emu_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				 strlen(link) + 1);
	return 0;
}

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS	83	/* Linux 6.16 */
#endif

/**
 * unix_no_fds() - unix.deny_fd_passing: refuse fds sent to this socket
 * @fd:	our duplicate of CMD's socket
 *
 * A socket received over an allowed unix socket never passed the filter;
 * with SO_PASSRIGHTS off the kernel makes the sender's sendmsg() fail
 * instead.  A kernel without it cannot keep the promise: the call is
 * refused (fail closed).
 *
 * Return: 0 or -EPERM
 */
static int unix_no_fds(int fd)
{
	int off = 0;

	if (!policy_unix_deny_fd_passing(verdict_policy()))
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off))) {
		log_warn("unix.deny_fd_passing needs SO_PASSRIGHTS (Linux "
			 "6.16): %s; refusing the call", strerror(errno));
		return -EPERM;
	}
	return 0;
}

/**
 * nc_socket_unix() - an AF_UNIX socket for CMD that refuses fds
 * @req:	the socket() notification (the filter sends AF_UNIX ones
 *		only when the policy had deny_fd_passing at start)
 * @t:		target
 * @type:	type and SOCK_NONBLOCK/SOCK_CLOEXEC, checked by nc_socket()
 * @proto:	protocol
 *
 * unix.deny_fd_passing covers every AF_UNIX socket of CMD, also those it
 * binds, listens and accepts on itself (an accepted socket inherits
 * SO_PASSRIGHTS from its listener) and its datagram sockets: a peer
 * outside the filter could otherwise hand CMD a socket through them.
 * No call that could set the option is notified after socket(), so we
 * create the socket (under CMD's ids: its owner is CMD), turn
 * SO_PASSRIGHTS off, and install it in CMD with SECCOMP_IOCTL_NOTIF_ADDFD,
 * which also answers the call with the new fd number.  Turning the option
 * back on is refused (nc_setsockopt()).  Arguments are registers: nothing
 * was read from the target.
 */
static void nc_socket_unix(const struct seccomp_notif *req, struct target *t,
			   int type, int proto)
{
	cleanup_close int s = -1;
	struct as_target as;
	int ret;

	ret = as_target_begin(t, &as);
	if (ret) {
		notify_respond(req->id, 0, -ret);
		return;
	}
	s = socket(AF_UNIX, type | SOCK_CLOEXEC, proto);
	ret = s < 0 ? -errno : 0;
	as_target_end(&as);
	if (!ret)
		ret = unix_no_fds(s);
	if (ret == -EPERM)
		verdict_log_socket(t, AF_UNIX, type, proto, false, EPERM,
				   "unix.deny_fd_passing needs SO_PASSRIGHTS");
	if (!ret)
		ret = notify_addfd(req->id, s, type & SOCK_CLOEXEC);
	if (ret < 0 && ret != -ENOENT)
		notify_respond(req->id, 0, -ret);
}

/**
 * nc_setsockopt() - SO_PASSRIGHTS, the one option the filter sends us
 *
 * Under unix.deny_fd_passing CMD's AF_UNIX sockets have SO_PASSRIGHTS off
 * (nc_socket_unix(), unix_no_fds()); turning it on again is refused.  The
 * value lies in CMD's memory: it is read once and the option set on our
 * duplicate, never continued.
 */
static void nc_setsockopt(const struct seccomp_notif *req, struct target *t)
{
	int fd = (int)req->data.args[0];
	int level = (int)req->data.args[1];
	int name = (int)req->data.args[2];
	uint64_t uval = req->data.args[3];
	int len = (int)req->data.args[4];
	cleanup_close int dup = -1;
	struct sock_info si;
	int val, ret;

	if (level != SOL_SOCKET || name != SO_PASSRIGHTS) {
		notify_respond(req->id, 0, ENOSYS);
		return;
	}
	dup = nc_fetch_socket(t, fd, &si, false);
	if (dup < 0) {
		notify_respond(req->id, 0, -dup);
		return;
	}
	/* sk_setsockopt(): an int, at least */
	if (len < (int)sizeof(int)) {
		notify_respond(req->id, 0, EINVAL);
		return;
	}
	ret = target_read(t, &val, uval, sizeof(val));
	if (!notify_valid(req->id))
		return;
	if (ret) {
		notify_respond(req->id, 0, -ret);
		return;
	}
	if (val && policy_unix_deny_fd_passing(verdict_policy())) {
		verdict_log_socket(t, si.family, si.type, si.proto, false,
				   EPERM, "SO_PASSRIGHTS on: "
				   "unix.deny_fd_passing");
		notify_respond(req->id, 0, EPERM);
		return;
	}
	ret = setsockopt(dup, SOL_SOCKET, SO_PASSRIGHTS, &val, sizeof(val)) ?
		      -errno : 0;
	notify_respond(req->id, 0, -ret);
}

/**
 * nc_unix_connect() - decide, and connect our duplicate to an AF_UNIX name
 */
static int nc_unix_connect(struct target *t, int fd, struct sa_dest *d)
{
	struct unix_ctx u;
	int ret, away = 0;

	ret = unix_enter(t, "connect", d, &u);
	if (!ret)
		ret = unix_no_fds(fd);
	/* the socket file's permissions may ask its file system */
	if (!ret)
		ret = away = stall_begin_fs(t);
	if (ret >= 0) {
		privs_drop();
		ret = connect(fd, (const struct sockaddr *)&d->emu,
			      d->emu_len) ? -errno : 0;
		privs_raise();
		if (away)
			stall_end(t);
	}
	unix_leave(&u);
	return ret;
}

/**
 * nc_answer() - close our duplicate, then answer the call
 *
 * In this order so that the target holds the last reference to the
 * socket: its close() then does the teardown (a TCP FIN or reset) on its
 * own time, not the supervisor's.
 */
static void nc_answer(const struct seccomp_notif *req, int *dup, int64_t val,
		      int err)
{
	close(steal_fd(dup));
	notify_respond(req->id, val, err);
}

/**
 * nc_connect_done() - has a connect in progress already completed?
 *
 * On loopback and near hosts the handshake is often over by the time
 * connect() returns EINPROGRESS; a zero-timeout poll answers at once and
 * spares the pending slot and its epoll round.
 *
 * Return: 0 or the connect's -errno when it has completed, -EINPROGRESS
 */
static int nc_connect_done(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t sl = sizeof(int);
	int err = 0;

	if (poll(&p, 1, 0) != 1)
		return -EINPROGRESS;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl))
		return -errno;
	return -err;
}

static void nc_connect(const struct seccomp_notif *req, struct target *t)
{
	int fd = (int)req->data.args[0];
	uint64_t uaddr = req->data.args[1];
	int alen = (int)req->data.args[2];
	struct sockaddr_storage ss;
	cleanup_close int dup = -1;
	struct sock_info si;
	struct sa_dest d;
	struct verdict v;
	int ret;

	dup = nc_fetch_socket(t, fd, &si, true);
	if (dup < 0) {
		notify_respond(req->id, 0, -dup);
		return;
	}
	/* move_addr_to_kernel() */
	if (alen < 0 || (size_t)alen > sizeof(ss)) {
		notify_respond(req->id, 0, EINVAL);
		return;
	}
	ret = target_read(t, &ss, uaddr, (size_t)alen);
	/* Also proves that the fd came from the live target */
	if (!notify_valid(req->id))
		return;
	if (ret) {
		notify_respond(req->id, 0, -ret);
		return;
	}
	ret = sockaddr_canon(si.family, si.type, si.proto, SA_CONNECT, &ss,
			     (size_t)alen, &d);
	if (ret) {
		notify_respond(req->id, 0, -ret);
		return;
	}

	switch (d.kind) {
	case SA_ADDR:
		verdict_decide(t, "connect", si.type, si.proto, &d, &v);
		if (!v.allow) {
			notify_respond(req->id, 0, v.err);
			return;
		}
		if (v.dns_redirect)
			nc_redirect_dns(si.family, &d);
		if (v.relay != RELAY_NONE && si.type == SOCK_STREAM) {
			relay_connect(req, t, steal_fd(&dup), si.family,
				      si.flags, &d, v.relay, v.rule);
			return;
		}
		break;
	case SA_UNIX:
		/* The shim's lookup socket: connected by us, arranged */
		if (lookup_is_socket(&d)) {
			ret = lookup_connect(t, dup, si.flags);
			nc_answer(req, &dup, 0, -ret);
			return;
		}
		/* A full backlog would block: answered EAGAIN instead */
		if (!si.nonblock)
			fcntl(dup, F_SETFL, si.flags | O_NONBLOCK);
		ret = nc_unix_connect(t, dup, &d);
		if (!si.nonblock)
			fcntl(dup, F_SETFL, si.flags);
		notify_respond(req->id, 0, -ret);
		return;
	case SA_NONE:
	case SA_OTHER:
		/* Disconnect, or a netlink peer: no destination to decide */
		break;
	}

	/* Only a stream connect can wait: others complete at once */
	if (si.type != SOCK_STREAM || si.nonblock) {
		privs_drop();
		ret = connect(dup, (const struct sockaddr *)&d.emu,
			      d.emu_len) ? -errno : 0;
		privs_raise();
		nc_answer(req, &dup, 0, -ret);
		return;
	}

	/* Start it non-blocking on the shared file description */
	if (fcntl(dup, F_SETFL, si.flags | O_NONBLOCK)) {
		notify_respond(req->id, 0, errno);
		return;
	}
	privs_drop();
	ret = connect(dup, (const struct sockaddr *)&d.emu, d.emu_len) ?
		      -errno : 0;
	privs_raise();
	if (ret == -EINPROGRESS)
		ret = nc_connect_done(dup);
	if (ret == -EINPROGRESS) {
		ret = notify_pend_connect(req, t, dup, si.flags);
		if (!ret) {
			steal_fd(&dup);
			return;
		}
		log_warn("pid %d: too many connects in flight", t->pid);
		ret = -EAGAIN;
	}
	fcntl(dup, F_SETFL, si.flags);
	nc_answer(req, &dup, 0, -ret);
}

/* ------------------------------------------------------------------ */
/* sends                                                              */

/**
 * struct send_args - one message to send, copied out of the target
 */
struct send_args {
	struct sockaddr_storage name;
	int namelen;			/* 0: no address */
	size_t len;			/* bytes in payload */
	size_t clen;			/* bytes in control */
	int flags;
	int fds[SCM_MAX_FD];		/* our copies of SCM_RIGHTS fds */
	int nfds;
};

static void send_args_close(struct send_args *a)
{
	int i;

	for (i = 0; i < a->nfds; i++)
		close(a->fds[i]);
	a->nfds = 0;
}

/* Read iovecs and their data into the payload buffer */
static int nc_read_iov(struct target *t, uint64_t uiov, size_t iovlen,
		       bool stream, struct send_args *a)
{
	size_t i, total = 0;
	int ret;

	if (iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	ret = target_read(t, iovs, uiov, iovlen * sizeof(*iovs));
	if (ret)
		return ret;
	for (i = 0; i < iovlen; i++) {
		size_t n = iovs[i].iov_len;

		if (n > SEND_MAX - total) {
			if (!stream)
				return -EMSGSIZE;
			n = SEND_MAX - total;
		}
		ret = target_read(t, payload + total,
				  (uint64_t)(uintptr_t)iovs[i].iov_base, n);
		if (ret)
			return ret;
		total += n;
		if (total == SEND_MAX)
			break;
	}
	a->len = total;
	return 0;
}

/**
 * nc_cmsg_check() - vet ancillary data, and take the fds it passes
 *
 * Source routing options would send to the first hop instead of the
 * decided address: refused.  SCM_RIGHTS carries fd numbers of the target,
 * which we replace with our own duplicates of the same files.
 */
static int nc_cmsg_check(struct target *t, struct send_args *a)
{
	struct msghdr m = { .msg_control = control,
			    .msg_controllen = a->clen };
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_len < sizeof(*c) ||
		    c->cmsg_len > a->clen - ((uint8_t *)c - control))
			return -EINVAL;
		if (c->cmsg_level == SOL_IP &&
		    (c->cmsg_type == IP_RETOPTS || c->cmsg_type == IP_OPTIONS))
			return -EPERM;
		if (c->cmsg_level == SOL_IPV6 &&
		    (c->cmsg_type == IPV6_RTHDR ||
		     c->cmsg_type == IPV6_2292RTHDR))
			return -EPERM;
		/* Credentials we would vouch for: refused (as_target_begin) */
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS)
			return -EPERM;
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    policy_unix_deny_fd_passing(verdict_policy()))
			return -EPERM;
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int *fds = (int *)CMSG_DATA(c);
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			size_t i;

			for (i = 0; i < n; i++) {
				int nfd;

				if (a->nfds == SCM_MAX_FD)
					return -EINVAL;
				nfd = target_getfd(t, fds[i]);
				if (nfd < 0)
					return -EBADF;
				a->fds[a->nfds++] = nfd;
				fds[i] = nfd;
			}
		}
	}
	return 0;
}

/* Read a struct msghdr's contents; the msghdr itself is already copied */
static int nc_read_msghdr(struct target *t, const struct msghdr *um,
			  bool stream, struct send_args *a)
{
	int ret;

	a->namelen = 0;
	/* the kernel's msg_namelen is an int: negative is EINVAL */
	if (um->msg_name && (int)um->msg_namelen < 0)
		return -EINVAL;
	if (um->msg_name && um->msg_namelen) {
		/* __copy_msghdr() clamps, it does not fail */
		a->namelen = (int)MIN(um->msg_namelen, sizeof(a->name));
		ret = target_read(t, &a->name,
				  (uint64_t)(uintptr_t)um->msg_name,
				  (size_t)a->namelen);
		if (ret)
			return ret;
	}
	ret = nc_read_iov(t, (uint64_t)(uintptr_t)um->msg_iov, um->msg_iovlen,
			  stream, a);
	if (ret)
		return ret;
	a->clen = 0;
	if (um->msg_control && um->msg_controllen) {
		if (um->msg_controllen > CONTROL_MAX)
			return -ENOBUFS;
		a->clen = um->msg_controllen;
		ret = target_read(t, control,
				  (uint64_t)(uintptr_t)um->msg_control,
				  a->clen);
	}
	return ret;
}

/**
 * nc_send_one() - decide and send one message on our duplicate
 * @t:		target
 * @dup:	our duplicate of its socket
 * @si:		what the socket is
 * @a:		the message (name, payload in payload[], control[])
 * @event:	for the log
 *
 * Return: bytes sent, or -errno
 */
static ssize_t nc_send_one(struct target *t, int dup,
			   const struct sock_info *si, struct send_args *a)
{
	struct iovec iov = { .iov_base = payload, .iov_len = a->len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct sa_dest d = { .kind = SA_NONE };
	ssize_t n;
	int ret, away;

	if (a->clen) {
		ret = nc_cmsg_check(t, a);
		if (ret)
			return ret;
		m.msg_control = control;
		m.msg_controllen = a->clen;
	}

	/* A connected stream socket ignores the address (tcp_sendmsg()):
	 * send none, so the address we did not decide is never used; and
	 * MSG_FASTOPEN there would only fail with EISCONN (a re-run of a
	 * fast open that waited for its connection). */
	if (sock_stream_connected(dup, si)) {
		a->flags &= ~MSG_FASTOPEN;
	} else if (a->namelen) {
		ret = sockaddr_canon(si->family, si->type, si->proto, SA_SEND,
				     &a->name, (size_t)a->namelen, &d);
		if (ret)
			return ret;
	}
	if (d.kind == SA_ADDR) {
		struct verdict v;

		verdict_decide(t, "send", si->type, si->proto, &d, &v);
		if (!v.allow)
			return -v.err;
		/* TCP Fast Open to a destination whose rule inspects: the
		 * data would go out before the relay saw it.  Refused; the
		 * program's plain connect() takes the relay's path. */
		if (v.relay != RELAY_NONE && si->type == SOCK_STREAM) {
			log_human("DENY tcp fast open to a %s-inspected "
				  "destination, pid %d (%s): use connect()",
				  relay_kind_str[v.relay], t->pid, t->comm);
			return -EOPNOTSUPP;
		}
		if (v.dns_redirect)
			nc_redirect_dns(si->family, &d);
		if (v.quic) {
			struct quic_gate_msg q = {
				.sock = dup, .dst = &d, .rule = v.rule,
				.buf = payload, .len = a->len,
				.ctl = control, .clen = a->clen,
				.ctl_cap = CONTROL_ROOM, .flags = a->flags,
			};
			int err = v.err;

			switch (quic_gate_check(t, &q, &err)) {
			case QUIC_GATE_HOLD:
				return (ssize_t)a->len;
			case QUIC_GATE_DENY:
				return -err;
			case QUIC_GATE_SEND:
			case QUIC_GATE_VERDICT_NUM:
				break;
			}
			/* the datagram boundaries that were checked */
			a->clen = q.clen;
			m.msg_control = control;
			m.msg_controllen = a->clen;
		}
	}
	if (d.kind != SA_NONE) {
		m.msg_name = &d.emu;
		m.msg_namelen = d.emu_len;
	}

	if (si->family == AF_UNIX) {
		struct unix_ctx u;

		if (d.kind == SA_UNIX) {
			ret = unix_enter(t, "send", &d, &u);
			m.msg_namelen = d.emu_len;
			if (!ret)
				ret = unix_no_fds(dup);
		} else {
			u.pathfd = -1;
			ret = as_target_begin(t, &u.as);
			if (ret == -EPERM)
				ret = -EACCES;
		}
		n = -1;
		away = 0;
		if (!ret && d.kind == SA_UNIX)
			ret = away = stall_begin_fs(t);	/* as for a connect */
		if (ret >= 0) {
			privs_drop();
			n = sendmsg(dup, &m, a->flags | MSG_DONTWAIT |
					     MSG_NOSIGNAL);
			ret = n < 0 ? -errno : 0;
			privs_raise();
			if (away)
				stall_end(t);
		}
		unix_leave(&u);
	} else {
		/* Capabilities only matter to an IP datagram send through its
		 * ancillary data (SO_MARK, SO_PRIORITY, a foreign source in
		 * IP_PKTINFO, ...): without any, the two capset() calls are
		 * a seventh of the syscalls of a notified sendto(). */
		bool drop = a->clen || si->type != SOCK_DGRAM;

		if (drop)
			privs_drop();
		n = sendmsg(dup, &m, a->flags | MSG_DONTWAIT | MSG_NOSIGNAL);
		ret = n < 0 ? -errno : 0;
		if (drop)
			privs_raise();
	}
	if (n < 0) {
		/* The kernel would have sent SIGPIPE to the caller */
		if (ret == -EPIPE && !(a->flags & MSG_NOSIGNAL))
			target_signal(t, SIGPIPE);
		return ret;
	}
	return n;
}

/**
 * nc_may_wait() - should this call wait instead of returning @n?
 *
 * We send with MSG_DONTWAIT.  A target that did not ask for that would
 * have blocked for room (EAGAIN), or, for a TCP fast open without a
 * cookie, until the connection is up (EINPROGRESS: the SYN is out, no data
 * was taken).  Either way the call is handled again when the socket is
 * writable.
 */
static bool nc_may_wait(int dup, const struct sock_info *si, int flags,
			ssize_t n)
{
	int fl;

	if (n != -EAGAIN && n != -EINPROGRESS)
		return false;
	fl = si->flags >= 0 ? si->flags : fcntl(dup, F_GETFL);
	if (fl < 0)
		return false;
	return !(fl & O_NONBLOCK) && !(flags & MSG_DONTWAIT);
}

/* Answer a send with its result @n, or let it wait (taking over @dup) */
static void nc_send_done(const struct seccomp_notif *req, struct target *t,
			 int *dup, const struct sock_info *si, int flags,
			 ssize_t n)
{
	if (nc_may_wait(*dup, si, flags, n) &&
	    !notify_pend_rerun(req, t, *dup)) {
		steal_fd(dup);
		return;
	}
	nc_answer(req, dup, n < 0 ? 0 : n, n < 0 ? (int)-n : 0);
}

static void nc_sendto(const struct seccomp_notif *req, struct target *t)
{
	int fd = (int)req->data.args[0];
	uint64_t ubuf = req->data.args[1];
	size_t len = (size_t)req->data.args[2];
	int flags = (int)req->data.args[3];
	uint64_t uaddr = req->data.args[4];
	int alen = (int)req->data.args[5];
	struct send_args a = { .flags = flags };
	cleanup_close int dup = -1;
	struct sock_info si;
	ssize_t n;
	int ret;

	dup = nc_fetch_socket(t, fd, &si, false);
	if (dup < 0) {
		notify_respond(req->id, 0, -dup);
		return;
	}
	if (alen < 0 || (size_t)alen > sizeof(a.name)) {
		notify_respond(req->id, 0, EINVAL);
		return;
	}
	if (len > SEND_MAX) {
		if (si.type != SOCK_STREAM) {
			notify_respond(req->id, 0, EMSGSIZE);
			return;
		}
		len = SEND_MAX;
	}
	a.namelen = alen;
	ret = target_read2(t, &a.name, uaddr, (size_t)alen, payload, ubuf,
			   len);
	if (!notify_valid(req->id))
		return;
	if (ret) {
		notify_respond(req->id, 0, -ret);
		return;
	}
	a.len = len;

	n = nc_send_one(t, dup, &si, &a);
	nc_send_done(req, t, &dup, &si, flags, n);
}

static void nc_sendmsg(const struct seccomp_notif *req, struct target *t)
{
	int fd = (int)req->data.args[0];
	uint64_t umsg = req->data.args[1];
	int flags = (int)req->data.args[2];
	struct send_args a = { .flags = flags };
	cleanup_close int dup = -1;
	struct sock_info si;
	struct msghdr um;
	ssize_t n;
	int ret;

	dup = nc_fetch_socket(t, fd, &si, false);
	if (dup < 0) {
		notify_respond(req->id, 0, -dup);
		return;
	}
	ret = target_read(t, &um, umsg, sizeof(um));
	if (!ret)
		ret = nc_read_msghdr(t, &um, si.type == SOCK_STREAM, &a);
	if (!notify_valid(req->id))
		return;
	if (ret) {
		notify_respond(req->id, 0, -ret);
		return;
	}

	n = nc_send_one(t, dup, &si, &a);
	send_args_close(&a);
	nc_send_done(req, t, &dup, &si, flags, n);
}

/**
 * nc_sendmmsg() - every message decided on its own, sent one by one
 *
 * Like the kernel: the count of messages sent, or the first error when
 * none was; msg_len of each sent message is written back.
 */
static void nc_sendmmsg(const struct seccomp_notif *req, struct target *t)
{
	int fd = (int)req->data.args[0];
	uint64_t uvec = req->data.args[1];
	unsigned int vlen = (unsigned int)req->data.args[2];
	int flags = (int)req->data.args[3];
	cleanup_close int dup = -1;
	struct sock_info si;
	unsigned int i;
	ssize_t n = 0;

	dup = nc_fetch_socket(t, fd, &si, false);
	if (dup < 0) {
		notify_respond(req->id, 0, -dup);
		return;
	}
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;

	for (i = 0; i < vlen; i++) {
		uint64_t uaddr = uvec + (uint64_t)i * sizeof(struct mmsghdr);
		struct send_args a = { .flags = flags };
		struct mmsghdr mm;
		unsigned int sent;
		int ret;

		ret = target_read(t, &mm, uaddr, sizeof(mm));
		if (!ret)
			ret = nc_read_msghdr(t, &mm.msg_hdr,
					     si.type == SOCK_STREAM, &a);
		if (!notify_valid(req->id))
			return;
		if (ret) {
			n = ret;
			break;
		}
		n = nc_send_one(t, dup, &si, &a);
		send_args_close(&a);
		if (n < 0)
			break;
		sent = (unsigned int)n;
		target_write(t, uaddr + offsetof(struct mmsghdr, msg_len),
			     &sent, sizeof(sent));
	}

	if (i > 0) {
		notify_respond(req->id, i, 0);
		return;
	}
	nc_send_done(req, t, &dup, &si, flags, n);
}

/* ------------------------------------------------------------------ */
/* listen() and bind(): notified only with an ingress section          */

/**
 * target_status() - the target's effective capabilities and umask
 * @pid:	thread id
 * @caps:	CapEff as a bit mask
 * @mask:	Umask (022 when the kernel does not say)
 *
 * Return: 0 or -errno
 */
static int target_status(pid_t pid, uint64_t *caps, mode_t *mask)
{
	char path[64], line[256];
	unsigned long long c;
	unsigned int m;
	bool found = false;
	FILE *f;

	*mask = 022;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Umask: %o", &m) == 1) {
			*mask = (mode_t)m & 0777;
		} else if (sscanf(line, "CapEff: %llx", &c) == 1) {
			*caps = c;
			found = true;
		}
	}
	fclose(f);
	return found ? 0 : -EIO;
}

/* Is the directory @fd the root we have ourselves? */
static bool same_root(int fd)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat("/", &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/**
 * nc_unix_bind() - bind an AF_UNIX socket of the target's as it would
 * @t:		target
 * @fd:		our duplicate
 * @ss:		the address (our copy)
 * @len:	its length
 *
 * A named socket is a file: it is created where the target's path leads,
 * from its root and working directory (/proc/PID/root and /cwd, which also
 * lead into its mount namespace), owned by its uid and gid (as_target_begin()),
 * with its umask and no capability it lacks.  We chroot to its root for
 * the call, and back through a directory fd of ours; without
 * CAP_SYS_CHROOT that works only when the target's root is ours.
 *
 * Return: 0 or -errno
 */
static int nc_unix_bind(struct target *t, int fd, struct sockaddr_storage *ss,
			socklen_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
	cleanup_close int root = -1, cwd = -1, here = -1, ours = -1;
	bool named = len > offsetof(struct sockaddr_un, sun_path) &&
		     sun->sun_path[0];
	bool chrooted = false;
	struct as_target as;
	mode_t mask, old;
	char path[64];
	uint64_t caps = 0;
	int ret;

	ret = target_status(t->pid, &caps, &mask);
	if (ret)
		return ret;
	if (named) {
		snprintf(path, sizeof(path), "/proc/%d/root", t->pid);
		root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/%d/cwd", t->pid);
		cwd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		ours = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0 || cwd < 0 || here < 0 || ours < 0)
			return -errno;
		if (!fchdir(root) && !chroot(".")) {
			chrooted = true;
		} else if (!same_root(root)) {
			if (fchdir(here))
				die("cannot return to our directory");
			log_warn("pid %d: cannot bind a unix socket in its root "
				 "(chroot: %s); refused", t->pid,
				 strerror(errno));
			return -EPERM;
		}
		if (fchdir(cwd))
			ret = -errno;
	}
	if (!ret) {
		ret = as_target_begin(t, &as);
		if (ret == -EPERM)
			ret = -EACCES;
		if (!ret) {
			old = umask(mask);
			privs_drop_keep(caps);
			ret = bind(fd, (struct sockaddr *)ss, len) ? -errno : 0;
			privs_raise();
			umask(old);
		}
		as_target_end(&as);
	}
	if (chrooted && (fchdir(ours) || chroot(".")))
		die("cannot return to our root: %s", strerror(errno));
	if (named && fchdir(here))
		die("cannot return to our directory: %s", strerror(errno));
	return ret;
}

/**
 * nc_listen() - listen on our duplicate, after the ingress filter
 *
 * Performed by us, never continued: between our look at the socket and
 * the kernel's listen(), another thread could put an unfiltered TCP socket
 * at that fd number.  Only registers are read, and the listening socket is
 * exactly the one we filtered.  A unix socket listens under the target's
 * ids (its peers' SO_PEERCRED shows them; the pid is ours: README, known
 * limits).
 */
static void nc_listen(const struct seccomp_notif *req, struct target *t)
{
	int fd = (int)req->data.args[0];
	int backlog = (int)req->data.args[1];
	cleanup_close int dup = -1;
	struct sock_info si;
	int ret;

	dup = nc_fetch_socket(t, fd, &si, false);
	if (dup < 0) {
		notify_respond(req->id, 0, -dup);
		return;
	}
	/* The socket came from the live target */
	if (!notify_valid(req->id))
		return;
	if (si.family == AF_INET || si.family == AF_INET6) {
		struct ingress_call c = {
			.t = t, .call = "listen", .fd = fd, .dup = dup,
			.family = si.family, .type = si.type,
			.proto = si.proto,
		};

		ret = ingress_sock_prepare(&c);
		if (ret) {
			nc_answer(req, &dup, 0, -ret);
			return;
		}
	}
	if (si.family == AF_UNIX) {
		struct as_target as;

		ret = as_target_begin(t, &as);
		if (ret == -EPERM)
			ret = -EACCES;
		if (!ret) {
			privs_drop();
			ret = listen(dup, backlog) ? -errno : 0;
			privs_raise();
		}
		as_target_end(&as);
	} else {
		privs_drop();
		ret = listen(dup, backlog) ? -errno : 0;
		privs_raise();
	}
	nc_answer(req, &dup, 0, -ret);
}

/**
 * nc_bind() - bind, performed on our duplicate after the ingress filter
 *
 * No IPv4 or IPv6 bind accepts fewer bytes than a sockaddr_in
 * (inet_bind(), inet6_bind()): such a call is continued without reading
 * anything, since whatever socket the kernel finds at the fd by then, it
 * cannot bind an IP socket (the filter sends us only calls of 16 bytes or
 * more; a length with garbage above 32 bits ends up here).  Every other
 * bind is read once and performed by us with our copy, for the same
 * reason as listen(): the socket we filtered is the socket that binds.
 * IP sockets bind with the target's effective capabilities, so a port
 * below ip_unprivileged_port_start needs CAP_NET_BIND_SERVICE as ever.
 */
static void nc_bind(const struct seccomp_notif *req, struct target *t)
{
	int fd = (int)req->data.args[0];
	uint64_t uaddr = req->data.args[1];
	int alen = (int)req->data.args[2];
	struct sockaddr_storage ss;
	cleanup_close int dup = -1;
	struct sock_info si;
	mode_t mask;
	uint64_t caps = 0;
	int ret;

	if (alen >= 0 && (size_t)alen < sizeof(struct sockaddr_in)) {
		notify_continue(req->id);
		return;
	}
	dup = nc_fetch_socket(t, fd, &si, false);
	if (dup < 0) {
		notify_respond(req->id, 0, -dup);
		return;
	}
	/* move_addr_to_kernel() */
	if (alen < 0 || (size_t)alen > sizeof(ss)) {
		nc_answer(req, &dup, 0, EINVAL);
		return;
	}
	memset(&ss, 0, sizeof(ss));
	ret = target_read(t, &ss, uaddr, (size_t)alen);
	if (!notify_valid(req->id))
		return;
	if (ret) {
		nc_answer(req, &dup, 0, -ret);
		return;
	}

	switch (si.family) {
	case AF_INET:
	case AF_INET6: {
		struct ingress_call c = {
			.t = t, .call = "bind", .fd = fd, .dup = dup,
			.family = si.family, .type = si.type,
			.proto = si.proto, .addr = &ss,
			.addrlen = (socklen_t)alen,
		};

		ret = ingress_sock_prepare(&c);
		if (!ret)
			ret = target_status(t->pid, &caps, &mask);
		if (!ret) {
			privs_drop_keep(caps);
			ret = bind(dup, (struct sockaddr *)&ss,
				   (socklen_t)alen) ? -errno : 0;
			privs_raise();
		}
		break;
	}
	case AF_UNIX:
		ret = nc_unix_bind(t, dup, &ss, (socklen_t)alen);
		break;
	default:
		privs_drop();
		ret = bind(dup, (struct sockaddr *)&ss, (socklen_t)alen) ?
			      -errno : 0;
		privs_raise();
		break;
	}
	nc_answer(req, &dup, 0, -ret);
}

/* ------------------------------------------------------------------ */
/* getpeername()                                                      */

/**
 * nc_peername() - the original destination of a relayed socket
 * @sockopt:	getsockopt(SO_PEERNAME) (args 3, 4), else getpeername()
 *
 * A socket the relay took over is connected to our loopback listener; the
 * program asked for, and is shown, the destination it connected to.  For
 * every other socket nothing is read from the target and the call is
 * continued: the kernel answers it (neither call carries a destination).
 * The lengths follow the kernel's: getpeername() truncates to the buffer
 * and reports the full length; SO_PEERNAME refuses a buffer longer than
 * the address (EINVAL), copies as many bytes as asked and reports those.
 */
static void nc_peername(const struct seccomp_notif *req, struct target *t,
			bool sockopt)
{
	uint64_t uaddr = req->data.args[sockopt ? 3 : 1];
	uint64_t ulen = req->data.args[sockopt ? 4 : 2];
	struct sockaddr_storage ss;
	cleanup_close int dup = -1;
	socklen_t len;
	struct stat st;
	int ulen_v, ret;

	dup = target_getfd(t, (int)req->data.args[0]);
	if (dup < 0 || fstat(dup, &st) || !S_ISSOCK(st.st_mode) ||
	    relay_peer_of(st.st_ino, st.st_dev, &ss, &len)) {
		notify_continue(req->id);
		return;
	}
	/* An output: what we write is what the program reads, once */
	ret = target_read(t, &ulen_v, ulen, sizeof(ulen_v));
	if (!notify_valid(req->id))
		return;
	if (ret) {
		notify_respond(req->id, 0, -ret);
		return;
	}
	if (ulen_v < 0 || (sockopt && (socklen_t)ulen_v > len)) {
		notify_respond(req->id, 0, EINVAL);
		return;
	}
	if (sockopt)
		len = (socklen_t)ulen_v;
	ret = target_write(t, uaddr, &ss, MIN((size_t)ulen_v, (size_t)len));
	if (!ret)
		ret = target_write(t, ulen, &len, sizeof(ulen_v));
	notify_respond(req->id, 0, -ret);
}

/**
 * netcall_dispatch() - handle one notification, answering it exactly once
 */
void netcall_dispatch(const struct seccomp_notif *req)
{
	struct target *t;

	if (req->data.arch != native_arch) {
		notify_respond(req->id, 0, ENOSYS);
		return;
	}
	t = target_get((pid_t)req->pid);
	if (!t) {
		notify_respond(req->id, 0, EAGAIN);
		return;
	}

	switch (req->data.nr) {
	case SYS_socket:
		nc_socket(req, t);
		break;
	case SYS_connect:
		nc_connect(req, t);
		break;
	case SYS_sendto:
		nc_sendto(req, t);
		break;
	case SYS_sendmsg:
		nc_sendmsg(req, t);
		break;
	case SYS_sendmmsg:
		nc_sendmmsg(req, t);
		break;
	case SYS_getpeername:
		nc_peername(req, t, false);
		break;
	case SYS_getsockopt:
		/* the filter notifies SOL_SOCKET, SO_PEERNAME only */
		if ((int)req->data.args[1] == SOL_SOCKET &&
		    (int)req->data.args[2] == SO_PEERNAME)
			nc_peername(req, t, true);
		else
			notify_continue(req->id);
		break;
	case SYS_listen:
		nc_listen(req, t);
		break;
	case SYS_bind:
		nc_bind(req, t);
		break;
	case SYS_setsockopt:
		nc_setsockopt(req, t);
		break;
	default:
		/* The filter notifies nothing else; refuse what we don't know */
		notify_respond(req->id, 0, ENOSYS);
		break;
	}
}
