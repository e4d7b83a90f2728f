// SPDX-License-Identifier: GPL-2.0-or-later
/* spawn.c - start CMD under the filter
 *
 * The child prepares itself, loads the filter, and must get the listener to
 * us.  Once the filter is loaded its own sendmsg() would be notified to a
 * supervisor that does not have the listener yet, so it cannot pass it with
 * SCM_RIGHTS.  Instead it writes the fd *number* down a pipe (write(2) is
 * not filtered) and we take the fd with pidfd_getfd(); the child waits for
 * our go-ahead, closes its copy and execs.  No exemption in the filter is
 * needed, so none can be abused later.
 *
 * Child, in order: default signal mask; a private mount namespace with
 * the stub's resolv.conf (resolvconf.c; when that fails, the supervisor
 * rewrites the file before letting the child go on); capability bounding
 * set without CAP_NET_RAW, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_ADMIN
 * (and the same out of the ambient, inheritable, permitted sets);
 * no_new_privs; dumpable (so that we may take the listener); filter;
 * hand-over; --user; the given working directory and environment (exec);
 * environment scrubbed of socket activation; the given stdin, stdout and
 * stderr (exec); every fd above 2 close-on-exec; our own --listen sockets
 * as fd 3, 4, ... with LISTEN_FDS and LISTEN_PID (CMD only); exec.
 * Failures travel back as messages on the same pipe, exec failures become
 * 126/127.
 *
 * CMD and every process started by `egress-supervise exec` go through the
 * same code: spawn_start() forks, spawn_step() handles one message of the
 * child.  CMD is started before the loop, waiting on the pipe
 * (spawn_cmd()); an exec'd process is started from the loop, whose pipe
 * is just another fd in the epoll set (control.c), so the loop never waits
 * for a child.
 */

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shim/shim_proto.h"
#include "filter.h"
#include "log.h"
#include "resolvconf.h"
#include "spawn.h"
#include "util.h"

enum spawn_msg_type {
	SPAWN_MSG_LISTENER,	/* val: fd number in the child */
	SPAWN_MSG_SETUP,	/* val: errno of a failed setup step */
	SPAWN_MSG_EXEC,		/* val: errno of execvp() */
	SPAWN_MSG_CWD,		/* val: errno of chdir() */
};

struct spawn_msg {
	int type;
	int val;
	int resolv;		/* LISTENER: 0 or -errno of the private mount */
	char what[64];
};

static const cap_value_t spawn_drop_caps[] = {
	CAP_NET_RAW, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_ADMIN,
};

static void child_send(int fd, int type, int val, int resolv,
		       const char *what)
{
	struct spawn_msg m = { .type = type, .val = val, .resolv = resolv };

	snprintf(m.what, sizeof(m.what), "%s", what);
	if (write(fd, &m, sizeof(m)) != sizeof(m))
		_exit(EXIT_SUPERVISOR);
}

static void __attribute__((noreturn)) child_fail(int fd, const char *what)
{
	child_send(fd, SPAWN_MSG_SETUP, errno, 0, what);
	_exit(EXIT_SUPERVISOR);
}

static int child_drop_caps(void)
{
	cap_t caps;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(spawn_drop_caps); i++) {
		cap_value_t c = spawn_drop_caps[i];

		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, c, 0, 0);
		if (cap_drop_bound(c) && CAP_IS_SUPPORTED(c) &&
		    prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) {
			/* Without CAP_SETPCAP the bound stays; no_new_privs
			 * still keeps file capabilities from granting it,
			 * so it only matters if we hold it ourselves. */
			cap_flag_value_t v = CAP_CLEAR;

			caps = cap_get_proc();
			if (caps)
				cap_get_flag(caps, c, CAP_PERMITTED, &v);
			cap_free(caps);
			if (v == CAP_SET)
				return -1;
		}
	}
	caps = cap_get_proc();
	if (!caps)
		return -1;
	cap_set_flag(caps, CAP_EFFECTIVE, ARRAY_SIZE(spawn_drop_caps),
		     spawn_drop_caps, CAP_CLEAR);
	cap_set_flag(caps, CAP_PERMITTED, ARRAY_SIZE(spawn_drop_caps),
		     spawn_drop_caps, CAP_CLEAR);
	cap_set_flag(caps, CAP_INHERITABLE, ARRAY_SIZE(spawn_drop_caps),
		     spawn_drop_caps, CAP_CLEAR);
	if (cap_set_proc(caps)) {
		cap_free(caps);
		return -1;
	}
	cap_free(caps);
	return 0;
}

/**
 * child_pass_fds() - the --listen sockets as fd 3, 4, ... (the systemd
 * socket activation protocol, sd_listen_fds(3))
 * @o:		the options with the sockets
 *
 * Each is first copied above the range it goes to, so that moving one
 * never overwrites another; the copies stay close-on-exec.  LISTEN_PID is
 * our own pid, which CMD keeps across exec.
 *
 * Return: 0, or -1 with errno set
 */
static int child_pass_fds(const struct spawn_opts *o)
{
	int base = 3 + (int)o->n_listen_fds, tmp[64];
	char buf[32];
	size_t i;

	if (o->n_listen_fds > ARRAY_SIZE(tmp)) {
		errno = EMFILE;
		return -1;
	}
	for (i = 0; i < o->n_listen_fds; i++) {
		tmp[i] = fcntl(o->listen_fds[i], F_DUPFD_CLOEXEC, base);
		if (tmp[i] < 0)
			return -1;
	}
	for (i = 0; i < o->n_listen_fds; i++)
		if (dup2(tmp[i], 3 + (int)i) < 0)
			return -1;
	snprintf(buf, sizeof(buf), "%zu", o->n_listen_fds);
	if (setenv("LISTEN_FDS", buf, 1))
		return -1;
	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	return setenv("LISTEN_PID", buf, 1);
}

/*
 * The shim: prepended to LD_PRELOAD (entries CMD already had stay), with
 * the name of our lookup socket.  Checked as the user CMD runs as: ld.so
 * would complain on every exec about a file that user cannot read.
 * Without it, a lookup socket inherited from an outer supervisor's
 * environment is dropped: it is not ours.
 */
static void child_shim(const struct spawn_opts *o)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;

	unsetenv(SHIM_ENV_SOCKET);
	unsetenv(SHIM_ENV_UDP_CONNECT);
	if (!o->shim_path || !o->shim_socket || access(o->shim_path, R_OK))
		return;
	if (old && *old) {
		if (asprintf(&v, "%s:%s", o->shim_path, old) < 0)
			return;
		setenv("LD_PRELOAD", v, 1);
		free(v);
	} else {
		setenv("LD_PRELOAD", o->shim_path, 1);
	}
	setenv(SHIM_ENV_SOCKET, o->shim_socket, 1);
	if (o->shim_udp_connect)
		setenv(SHIM_ENV_UDP_CONNECT, "1", 1);
}

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS	83	/* Linux 6.16 */
#endif

/* SO_PASSRIGHTS off if @fd is an AF_UNIX socket (best effort) */
static void child_fd_no_fds(int fd)
{
	socklen_t sl = sizeof(int);
	int dom, off = 0;

	if (!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &sl) &&
	    dom == AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off));
}

/*
 * unix.deny_fd_passing: standard fds that are AF_UNIX sockets (a stream
 * to journald, a socket the runtime passed) refuse fds like every socket
 * CMD makes (--listen sockets are TCP or UDP).  Without SO_PASSRIGHTS
 * nothing can be done here.
 */
static void child_no_fds(const struct spawn_opts *o)
{
	int fd;

	/* an exec'd process's stdio (o->stdio) becomes 0-2 later */
	for (fd = 0; fd <= 2; fd++)
		child_fd_no_fds(o->stdio ? o->stdio[fd] : fd);
}

static void __attribute__((noreturn))
spawn_child(const struct spawn_opts *o, int to_parent, int from_parent)
{
	static const char *const scrub[] = {
		"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	};
	struct sigaction sa = { .sa_handler = SIG_DFL };
	int listener, sig, resolv = -EBADF;
	size_t i;
	char go;

	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigprocmask(SIG_SETMASK, o->sigmask, NULL);

	/* Needs CAP_SYS_ADMIN, so before the capabilities go */
	if (o->private_resolv)
		resolv = resolvconf_mount_private();

	if (child_drop_caps())
		child_fail(to_parent, "dropping capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_fail(to_parent, "setting no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		child_fail(to_parent, "becoming dumpable");

	if (o->no_fd_passing)
		child_no_fds(o);
	listener = filter_install(o->prog);
	if (listener < 0) {
		errno = -listener;
		child_fail(to_parent, "loading the seccomp filter");
	}
	child_send(to_parent, SPAWN_MSG_LISTENER, listener, resolv, "");
	if (read(from_parent, &go, 1) != 1)
		_exit(EXIT_SUPERVISOR);
	close(listener);
	close(from_parent);

	if (o->set_user) {
		if (setgroups(1, &o->gid))
			child_fail(to_parent, "setgroups");
		if (setresgid(o->gid, o->gid, o->gid))
			child_fail(to_parent, "setresgid");
		if (setresuid(o->uid, o->uid, o->uid))
			child_fail(to_parent, "setresuid");
	}
	/* As the user CMD runs as: its permissions apply */
	if (o->cwd && chdir(o->cwd)) {
		child_send(to_parent, SPAWN_MSG_CWD, errno, 0, "");
		_exit(EXIT_CANNOT_RUN);
	}

	if (o->envp)
		environ = o->envp;
	for (i = 0; i < ARRAY_SIZE(scrub); i++)
		unsetenv(scrub[i]);
	child_shim(o);
	if (o->nofile && setrlimit(RLIMIT_NOFILE, o->nofile))
		child_fail(to_parent, "setrlimit(RLIMIT_NOFILE)");

	if (o->stdio) {
		int hi[3];

		/* above 2 first, so that no dup2() overwrites another's */
		for (i = 0; i < 3; i++) {
			hi[i] = fcntl(o->stdio[i], F_DUPFD_CLOEXEC, 3);
			if (hi[i] < 0)
				child_fail(to_parent, "duplicating stdio");
		}
		for (i = 0; i < 3; i++)
			if (dup2(hi[i], (int)i) < 0)
				child_fail(to_parent, "dup2 of stdio");
	}

	/* Nothing of ours, nor anything the runtime passed, reaches CMD */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC))
		child_fail(to_parent, "close_range");
	if (o->n_listen_fds && child_pass_fds(o))
		child_fail(to_parent, "passing the --listen sockets");

	execvp(o->argv[0], o->argv);
	child_send(to_parent, SPAWN_MSG_EXEC, errno, 0, "");
	_exit(EXIT_CANNOT_RUN);
}

/* The child could not mount its own resolv.conf: rewrite the shared one */
static void spawn_resolv_fallback(int mount_err)
{
	int ret = resolvconf_rewrite();

	if (!ret) {
		log_warn("no private mount namespace for CMD (%s): rewrote "
			 RESOLVCONF_PATH " in place; it is restored on exit",
			 strerror(mount_err));
		return;
	}
	log_warn("WARNING: CMD's resolver does not point at the DNS stub: "
		 "no private mount (%s) and " RESOLVCONF_PATH
		 " not writable (%s). Queries to port 53 are still redirected "
		 "to the stub, but resolvers that check the reply address "
		 "will fail.", strerror(mount_err), strerror(-ret));
}

/**
 * spawn_start() - fork a child that will filter itself and exec
 * @o:		what to run and how (used by the child only: the parent may
 *		free what it points to once this returns)
 * @c:		the child's handle, for spawn_step()
 *
 * Return: 0, or an exit status for the supervisor (125) after saying why
 */
int spawn_start(const struct spawn_opts *o, struct spawn_child *c)
{
	int to_parent[2], from_parent[2];
	pid_t child;

	memset(c, 0, sizeof(*c));
	c->rd = c->wr = c->pidfd = c->listener = -1;
	if (pipe2(to_parent, O_CLOEXEC)) {
		log_warn("pipe: %s", strerror(errno));
		return EXIT_SUPERVISOR;
	}
	if (pipe2(from_parent, O_CLOEXEC)) {
		log_warn("pipe: %s", strerror(errno));
		close(to_parent[0]);
		close(to_parent[1]);
		return EXIT_SUPERVISOR;
	}

	child = fork();
	if (child < 0) {
		log_warn("fork: %s", strerror(errno));
		close(to_parent[0]);
		close(to_parent[1]);
		close(from_parent[0]);
		close(from_parent[1]);
		return EXIT_SUPERVISOR;
	}
	if (!child) {
		close(to_parent[0]);
		close(from_parent[1]);
		spawn_child(o, to_parent[1], from_parent[0]);
	}
	close(to_parent[1]);
	close(from_parent[0]);
	c->pid = child;
	c->rd = to_parent[0];
	c->wr = from_parent[1];
	c->private_resolv = o->private_resolv;
	snprintf(c->argv0, sizeof(c->argv0), "%s", o->argv[0]);
	c->pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (c->pidfd < 0)
		log_warn("pidfd_open: %s", strerror(errno));
	return 0;
}

static void spawn_close(struct spawn_child *c)
{
	if (c->rd >= 0)
		close(c->rd);
	if (c->wr >= 0)
		close(c->wr);
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->rd = c->wr = c->pidfd = -1;
}

/**
 * spawn_step() - handle what the child said (or that it said nothing)
 * @c:		the child
 *
 * Reads one message from the child's pipe: the listener's number (then
 * the listener is taken into @c->listener and the child may go on), a
 * failure, or end of file, which means that exec succeeded.  With a
 * non-blocking pipe, call it whenever the pipe is readable.
 *
 * On failure the listener is closed; the child, which exits at once, is
 * left to the caller to reap.
 *
 * Return: -EAGAIN while the child is not done; 0 once it exec'd (the
 * listener is in @c->listener, the caller owns it); else an exit status
 * (125, 126, 127) after saying why
 */
int spawn_step(struct spawn_child *c)
{
	struct spawn_msg m;
	int ret;
	ssize_t n;

	n = read(c->rd, &m, sizeof(m));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -EAGAIN;

	if (n == sizeof(m) && m.type == SPAWN_MSG_LISTENER && c->listener < 0 &&
	    !c->handed_over) {
		c->handed_over = true;
		if (c->pidfd >= 0)
			c->listener = (int)syscall(SYS_pidfd_getfd, c->pidfd,
						   m.val, 0);
		if (c->listener < 0) {
			snprintf(c->why, sizeof(c->why),
				 "taking the listener from the child: %s",
				 strerror(errno));
			log_warn("%s", c->why);
			ret = EXIT_SUPERVISOR;
			goto fail;
		}
		if (c->private_resolv && m.resolv)
			spawn_resolv_fallback(-m.resolv);
		if (write(c->wr, "", 1) != 1) {
			snprintf(c->why, sizeof(c->why),
				 "lost contact with the child");
			log_warn("%s", c->why);
			ret = EXIT_SUPERVISOR;
			goto fail;
		}
		return -EAGAIN;
	}

	if (n == 0 && c->handed_over && c->pidfd >= 0) {
		spawn_close(c);
		return 0;	/* close-on-exec: exec succeeded */
	}
	if (n != sizeof(m)) {
		snprintf(c->why, sizeof(c->why), "lost contact with the child");
		ret = EXIT_SUPERVISOR;
	} else if (m.type == SPAWN_MSG_EXEC) {
		snprintf(c->why, sizeof(c->why), "%s: %s", c->argv0,
			 strerror(m.val));
		ret = m.val == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
	} else if (m.type == SPAWN_MSG_CWD) {
		snprintf(c->why, sizeof(c->why),
			 "%s: cannot change to its directory: %s", c->argv0,
			 strerror(m.val));
		ret = EXIT_CANNOT_RUN;
	} else {
		snprintf(c->why, sizeof(c->why), "%s: %s", m.what,
			 strerror(m.val));
		ret = EXIT_SUPERVISOR;
	}
	log_warn("%s", c->why);
fail:
	if (c->listener >= 0)
		close(c->listener);
	c->listener = -1;
	spawn_close(c);
	return ret;
}

/**
 * spawn_abort() - forget a child whose start was not finished
 * @c:		the child (its pid is left to the reaper)
 */
void spawn_abort(struct spawn_child *c)
{
	if (c->listener >= 0)
		close(c->listener);
	c->listener = -1;
	spawn_close(c);
}

/**
 * spawn_cmd() - fork, filter and exec CMD, waiting for it
 * @o:		what to run and how
 * @pid:	CMD's pid
 * @listener:	the seccomp listener, ours
 *
 * Before the loop runs: it may wait for the child.
 *
 * Return: 0; or an exit status for the supervisor (125, 126, 127) after
 * printing why
 */
int spawn_cmd(const struct spawn_opts *o, pid_t *pid, int *listener)
{
	struct spawn_child c;
	int ret;

	*listener = -1;
	ret = spawn_start(o, &c);
	if (ret)
		return ret;
	*pid = c.pid;
	while ((ret = spawn_step(&c)) == -EAGAIN)
		;
	if (ret) {
		waitpid(c.pid, NULL, 0);
		return ret;
	}
	*listener = c.listener;
	return 0;
}
