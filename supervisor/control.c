// SPDX-License-Identifier: GPL-2.0-or-later
/* control.c - the exec channel: more supervised processes on request
 *
 * Theory of operation
 *
 * `podman exec` (kubectl exec, nsenter) starts a process beside CMD that
 * no filter covers.  `egress-supervise exec -- PROG` instead asks the
 * running supervisor, over a unix socket, to start PROG the way CMD was
 * started: forked by the supervisor, through spawn.c (capability drop,
 * no_new_privs, the same filter program, --user, the stub's resolv.conf),
 * with the client's argv, environment, working directory and stdin,
 * stdout and stderr (SCM_RIGHTS).  The new filter brings a new listener,
 * which notify.c handles beside CMD's.  The supervisor reaps the process
 * and sends its exit status back; the client forwards its signals.
 *
 * Who may ask: the socket is 0600 in a 0700 directory of the supervisor's
 * uid, and a connection is accepted only from that uid or root, never from
 * a process under more seccomp filters than the supervisor (CMD and its
 * children have one more: ours), and never from the supervisor's own pid
 * (a unix connect CMD makes is performed by the supervisor, so its peer is
 * us).  CMD's connects to the socket are also denied by netcall.c, by
 * inode (control_is_socket()), whatever path or link it uses.
 *
 * A lock file beside the socket (flock, held for the supervisor's life)
 * makes one supervisor own the path: a second one finds it locked and runs
 * without an exec channel; a stale socket of a killed one is replaced.
 *
 * Sessions are bounded (CONTROL_SESSIONS); one that sends nothing within
 * CONTROL_IDLE_MS is closed.  Session states:
 *
 *   READING   connected, waiting for the RUN message (may only send it)
 *   SPAWNING  forked; the child's spawn pipe is in the loop; SIGNALs are
 *             kept for when it runs
 *   RUNNING   exec'd; SIGNALs are delivered; its exit is sent on reaping
 *
 * The client hanging up sends SIGHUP to the process (once it runs).  When
 * the supervisor exits, exec'd processes are killed: without their
 * supervisor their filtered calls would only fail.
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "control.h"
#include "control_proto.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "util.h"

#define CONTROL_SESSIONS	16
#define CONTROL_IDLE_MS		5000
#define CONTROL_DEFAULT_ROOT	"/run/egress-supervise/control.sock"

enum control_state {
	CONTROL_FREE,
	CONTROL_READING,	/* waiting for RUN */
	CONTROL_SPAWNING,	/* the child is setting itself up */
	CONTROL_RUNNING,	/* exec'd, until reaped */
};

struct control_session {
	enum control_state state;
	int fd;			/* the client, -1 after it hung up */
	uint64_t since_ms;
	struct spawn_child sc;
	pid_t pid;
	bool exited;		/* reaped while SPAWNING */
	int status;
	int pending_sig;	/* SIGNAL received while SPAWNING */
};

static struct {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	int lock_fd;
	dev_t dev;
	ino_t ino;
	struct spawn_opts tmpl;
	struct control_session s[CONTROL_SESSIONS];
	unsigned int running;
} ctl = { .listen_fd = -1, .lock_fd = -1 };

static uint8_t msg_buf[sizeof(struct control_hdr) + CONTROL_MSG_MAX];

/**
 * control_default_path() - where the exec channel is, by default
 * @buf:	room for a path under $XDG_RUNTIME_DIR
 * @size:	its size
 *
 * $EGRESS_SUPERVISE_CONTROL; else, as root, /run/egress-supervise/; else
 * $XDG_RUNTIME_DIR/egress-supervise/.  The same for the supervisor and
 * the client.
 *
 * Return: the path, or NULL when there is none
 */
const char *control_default_path(char *buf, size_t size)
{
	const char *env = getenv("EGRESS_SUPERVISE_CONTROL");

	if (env && *env)
		return env;
	if (!geteuid())
		return CONTROL_DEFAULT_ROOT;
	env = getenv("XDG_RUNTIME_DIR");
	if (!env || !*env)
		return NULL;
	snprintf(buf, size, "%s/egress-supervise/control.sock", env);
	return buf;
}

/**
 * control_filters() - how many seccomp filters a process is under
 * @pid:	the process (0: ourselves)
 *
 * Return: the count, or -1 when the kernel does not say
 */
int control_filters(pid_t pid)
{
	char path[64], line[128];
	int n = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp_filters: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* The directory of the default path: ours, 0700, created if missing */
static int control_dir(const char *path)
{
	char dir[sizeof(ctl.path)];
	char *slash;
	struct stat st;
	int fd, ret = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		ret = -errno;
	else if (st.st_uid != geteuid() || (st.st_mode & 022))
		ret = -EPERM;	/* someone else could swap our socket */
	close(fd);
	return ret;
}

/**
 * control_init() - listen for exec requests
 * @path:	the socket, "none" for no exec channel, NULL for the default
 * @tmpl:	how CMD was started (filter, --user, signal mask, resolv);
 *		argv and stdio are the client's.  Must outlive the loop.
 *
 * A path another supervisor owns, or one that cannot be made, leaves the
 * supervisor without an exec channel, with a warning: CMD still runs.
 *
 * Return: 0, or -errno for an explicitly given path that cannot be used
 */
int control_init(const char *path, const struct spawn_opts *tmpl)
{
	union loop_ref ref = { .type = LOOP_CONTROL_LISTEN };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[sizeof(ctl.path)], lock[sizeof(ctl.path) + 8];
	const char *env = getenv("EGRESS_SUPERVISE_CONTROL");
	/* a path the user chose must work; the default may be unavailable */
	bool explicit = path || (env && *env);
	struct stat st;
	mode_t old;
	size_t i;
	int fd, ret;

	for (i = 0; i < CONTROL_SESSIONS; i++)
		ctl.s[i].fd = -1;
	ctl.tmpl = *tmpl;
	/* --listen sockets are CMD's: never an exec'd process's */
	ctl.tmpl.listen_fds = NULL;
	ctl.tmpl.n_listen_fds = 0;
	if (path && !strcmp(path, "none"))
		return 0;
	if (!path)
		path = control_default_path(buf, sizeof(buf));
	if (!path)
		return 0;
	if (strlen(path) + 1 > sizeof(sun.sun_path) ||
	    strlen(path) + 6 > sizeof(lock))
		return explicit ? -ENAMETOOLONG : 0;

	if (!explicit) {
		ret = control_dir(path);
		if (ret) {
			log_warn("no exec channel: %s: %s", path,
				 strerror(-ret));
			return 0;
		}
	}

	snprintf(lock, sizeof(lock), "%s.lock", path);
	ctl.lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			   0600);
	if (ctl.lock_fd < 0) {
		ret = -errno;
		goto fail;
	}
	if (flock(ctl.lock_fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		if (ret == -EWOULDBLOCK) {
			log_warn("no exec channel: another supervisor serves "
				 "%s (choose another with --control PATH)",
				 path);
			close(ctl.lock_fd);
			ctl.lock_fd = -1;
			return explicit ? -EADDRINUSE : 0;
		}
		goto fail;
	}

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);		/* a stale socket: the lock is ours */
	old = umask(077);
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old);
	/* 0600 as documented (the umask left 0700: x means nothing here) */
	if (!ret && (chmod(path, 0600) || listen(fd, 8) || stat(path, &st)))
		ret = -errno;
	if (ret) {
		close(fd);
		goto fail;
	}
	ref.fd = fd;
	ret = loop_add(fd, EPOLLIN, ref);
	if (ret) {
		close(fd);
		unlink(path);
		goto fail;
	}
	ctl.listen_fd = fd;
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
	return 0;
fail:
	if (ctl.lock_fd >= 0)
		close(ctl.lock_fd);
	ctl.lock_fd = -1;
	if (explicit)
		return ret;
	log_warn("no exec channel: %s: %s", path, strerror(-ret));
	return 0;
}

/**
 * control_is_socket() - is this file our exec channel?
 * @fd:		an fd of the file (O_PATH will do)
 *
 * By inode, so no path, symlink, hard link or bind mount reaches it.
 */
bool control_is_socket(int fd)
{
	struct stat st;

	return ctl.listen_fd >= 0 && !fstat(fd, &st) &&
	       st.st_dev == ctl.dev && st.st_ino == ctl.ino;
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */

static void session_send(struct control_session *s, int type, int val,
			 const char *text)
{
	struct control_hdr h = {
		.magic = CONTROL_MAGIC,
		.version = CONTROL_VERSION,
		.type = (uint16_t)type,
		.val = val,
	};
	struct iovec iov[2] = { { &h, sizeof(h) } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 1 };

	if (s->fd < 0)
		return;
	if (text) {
		h.len = (uint32_t)strlen(text) + 1;
		iov[1].iov_base = (void *)text;
		iov[1].iov_len = h.len;
		mh.msg_iovlen = 2;
	}
	/* tiny messages to a client that reads them: never blocks */
	if (sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_warn("exec: telling the client: %s", strerror(errno));
}

static void session_count(void)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < CONTROL_SESSIONS; i++)
		n += ctl.s[i].state == CONTROL_SPAWNING ||
		     ctl.s[i].state == CONTROL_RUNNING;
	ctl.running = n;
	metrics_exec_sessions(n);
}

static void session_drop_client(struct control_session *s)
{
	if (s->fd < 0)
		return;
	loop_del(s->fd);
	close(s->fd);
	s->fd = -1;
}

static void session_free(struct control_session *s)
{
	session_drop_client(s);
	if (s->sc.rd >= 0)
		loop_del(s->sc.rd);
	spawn_abort(&s->sc);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->sc.rd = s->sc.wr = s->sc.pidfd = s->sc.listener = -1;
	session_count();
}

/* Refuse a request: say why, with an exit status, and hang up */
static void session_refuse(struct control_session *s, int status,
			   const char *why)
{
	log_warn("exec: refused: %s", why);
	session_send(s, CONTROL_EXIT, status, why);
	session_free(s);
}

static int wait_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return EXIT_SUPERVISOR;
}

static bool signal_forwarded(int sig)
{
	static const int ok[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2,
				  SIGTERM, SIGWINCH, SIGCONT };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++)
		if (ok[i] == sig)
			return true;
	return false;
}

/* The process runs: tell the client; deliver what it asked meanwhile */
static void session_started(struct control_session *s)
{
	s->state = CONTROL_RUNNING;
	session_send(s, CONTROL_STARTED, s->pid, NULL);
	if (s->fd < 0) {
		/* the client hung up while we were starting it */
		kill(s->pid, SIGHUP);
		s->pending_sig = 0;
	}
	if (s->pending_sig)
		kill(s->pid, s->pending_sig);
	s->pending_sig = 0;
	if (s->exited) {
		session_send(s, CONTROL_EXIT, s->status, NULL);
		session_free(s);
	} else if (s->fd < 0) {
		session_free(s);
	}
}

/* Split the RUN payload into argv and envp (pointers into msg_buf) */
static int session_parse(const struct control_hdr *h, size_t n,
			 const char **cwd, char ***argv, char ***envp)
{
	char *p = (char *)msg_buf + sizeof(*h), *end = p + h->len;
	char **v;
	size_t i, count = (size_t)h->argc + h->envc;

	if (h->magic != CONTROL_MAGIC || h->version != CONTROL_VERSION ||
	    h->type != CONTROL_RUN || n != sizeof(*h) + h->len ||
	    !h->argc || count > CONTROL_ARGS_MAX || !h->len ||
	    end[-1] != '\0')
		return -EINVAL;
	v = calloc(count + 2, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*cwd = p;
	p += strlen(p) + 1;
	for (i = 0; i < count; i++) {
		if (p >= end) {
			free(v);
			return -EINVAL;
		}
		/* argv first, then a NULL, then the environment */
		v[i < h->argc ? i : i + 1] = p;
		p += strlen(p) + 1;
	}
	if (p != end) {
		free(v);
		return -EINVAL;
	}
	*argv = v;
	*envp = v + h->argc + 1;
	return 0;
}

static void session_run(struct control_session *s, size_t n,
			const int *fds, size_t nfds)
{
	const struct control_hdr *h = (const struct control_hdr *)msg_buf;
	union loop_ref ref = { .type = LOOP_CONTROL_SPAWN };
	struct spawn_opts o = ctl.tmpl;
	char **argv = NULL, **envp;
	const char *cwd;
	int ret;

	if (n < sizeof(*h) || nfds != 3 ||
	    session_parse(h, n, &cwd, &argv, &envp)) {
		session_refuse(s, EXIT_SUPERVISOR, "malformed exec request");
		return;
	}
	o.argv = argv;
	o.envp = envp;
	o.cwd = *cwd ? cwd : NULL;
	o.stdio = fds;
	ret = spawn_start(&o, &s->sc);
	free(argv);
	if (ret) {
		session_refuse(s, ret, "cannot start the process");
		return;
	}
	s->pid = s->sc.pid;
	s->state = CONTROL_SPAWNING;
	session_count();
	fcntl(s->sc.rd, F_SETFL, O_NONBLOCK);
	ref.idx = (uint32_t)(s - ctl.s);
	ref.fd = s->sc.rd;
	if (loop_add(s->sc.rd, EPOLLIN, ref)) {
		kill(s->pid, SIGKILL);
		session_refuse(s, EXIT_SUPERVISOR, "cannot watch the process");
		return;
	}
	log_warn("exec: pid %d: %s", (int)s->pid, s->sc.argv0);
}

/* A message from the client */
static void session_read(struct control_session *s)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { msg_buf, sizeof(msg_buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	const struct control_hdr *h = (const struct control_hdr *)msg_buf;
	struct cmsghdr *cm;
	int fds[8];
	size_t nfds = 0, i;
	ssize_t n;

	n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k, c;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		c = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < c; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(fd));
			if (nfds < ARRAY_SIZE(fds))
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	if (n <= 0) {
		/* hung up */
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		if (s->state == CONTROL_RUNNING) {
			kill(s->pid, SIGHUP);
			session_free(s);
		} else if (s->state == CONTROL_SPAWNING) {
			session_drop_client(s);	/* SIGHUP once it runs */
		} else {
			session_free(s);
		}
		return;
	}

	if (s->state == CONTROL_READING && !(mh.msg_flags & (MSG_TRUNC |
							    MSG_CTRUNC))) {
		session_run(s, (size_t)n, fds, nfds);
	} else if (s->state == CONTROL_READING) {
		session_refuse(s, EXIT_SUPERVISOR, "exec request too large");
	} else if ((size_t)n >= sizeof(*h) && h->magic == CONTROL_MAGIC &&
		   h->type == CONTROL_SIGNAL && signal_forwarded(h->val)) {
		if (s->state == CONTROL_RUNNING)
			kill(s->pid, h->val);
		else
			s->pending_sig = h->val;
	}
	/* our duplicates; the child has its own */
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

/* The child's spawn pipe is readable */
static void session_spawn(struct control_session *s)
{
	int ret, idx;

	ret = spawn_step(&s->sc);
	if (s->sc.listener >= 0) {
		/* from now on the loop answers its calls */
		idx = notify_add(s->sc.listener);
		if (idx < 0) {
			log_warn("exec: pid %d: cannot watch its listener: %s",
				 (int)s->pid, strerror(-idx));
			kill(s->pid, SIGKILL);
			ret = EXIT_SUPERVISOR;
			if (s->sc.rd >= 0)
				loop_del(s->sc.rd);
			spawn_abort(&s->sc);
		} else {
			s->sc.listener = -1;	/* notify.c's now */
		}
	}
	if (ret == -EAGAIN)
		return;
	if (s->sc.rd >= 0)
		loop_del(s->sc.rd);
	if (ret) {
		/* the child exits at once; the reaper collects it */
		session_send(s, CONTROL_EXIT, ret, s->sc.why);
		session_free(s);
		return;
	}
	session_started(s);
}

static void control_accept(void)
{
	union loop_ref ref = { .type = LOOP_CONTROL };
	struct control_session *s;
	int fd, mine = control_filters(0);

	while ((fd = accept4(ctl.listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct ucred cr;
		socklen_t sl = sizeof(cr);
		int theirs;
		size_t i;

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) ||
		    (cr.uid != geteuid() && cr.uid != 0) ||
		    cr.pid == getpid() ||
		    ((theirs = control_filters(cr.pid)) >= 0 && mine >= 0 &&
		     theirs > mine)) {
			log_warn("exec: refused a connection from pid %d uid "
				 "%u: not outside the filter, or not our user",
				 (int)cr.pid, (unsigned int)cr.uid);
			close(fd);
			continue;
		}
		s = NULL;
		for (i = 0; i < CONTROL_SESSIONS; i++) {
			if (ctl.s[i].state == CONTROL_FREE) {
				s = &ctl.s[i];
				break;
			}
		}
		if (!s) {
			struct control_session tmp = { .fd = fd };

			log_warn("exec: refused: %d sessions already",
				 CONTROL_SESSIONS);
			session_send(&tmp, CONTROL_EXIT, EXIT_SUPERVISOR,
				     "too many exec sessions");
			close(fd);
			continue;
		}
		ref.idx = (uint32_t)i;
		ref.fd = fd;
		if (loop_add(fd, EPOLLIN, ref)) {
			close(fd);
			continue;
		}
		s->state = CONTROL_READING;
		s->fd = fd;
		s->since_ms = loop_now_ms();
		s->sc.rd = s->sc.wr = s->sc.pidfd = s->sc.listener = -1;
	}
}

void control_handler(union loop_ref ref, uint32_t events)
{
	struct control_session *s;

	(void)events;
	if (ref.type == LOOP_CONTROL_LISTEN) {
		control_accept();
		return;
	}
	if (ref.idx >= CONTROL_SESSIONS)
		return;
	s = &ctl.s[ref.idx];
	if (ref.type == LOOP_CONTROL && s->state != CONTROL_FREE &&
	    s->fd == ref.fd)
		session_read(s);
	else if (ref.type == LOOP_CONTROL_SPAWN &&
		 s->state == CONTROL_SPAWNING && s->sc.rd == ref.fd)
		session_spawn(s);
}

/**
 * control_reaped() - a child other than CMD was reaped
 * @pid:	its pid
 * @wstatus:	as waitpid() gave it
 */
void control_reaped(pid_t pid, int wstatus)
{
	size_t i;

	for (i = 0; i < CONTROL_SESSIONS; i++) {
		struct control_session *s = &ctl.s[i];

		if (s->pid != pid || (s->state != CONTROL_RUNNING &&
				      s->state != CONTROL_SPAWNING))
			continue;
		if (s->state == CONTROL_SPAWNING) {
			/* its exec news may still be in the pipe */
			s->exited = true;
			s->status = wait_status(wstatus);
			return;
		}
		session_send(s, CONTROL_EXIT, wait_status(wstatus), NULL);
		session_free(s);
		return;
	}
}

/**
 * control_timer() - close sessions that never asked anything
 */
void control_timer(void)
{
	uint64_t now = loop_now_ms();
	size_t i;

	for (i = 0; i < CONTROL_SESSIONS; i++)
		if (ctl.s[i].state == CONTROL_READING &&
		    now - ctl.s[i].since_ms >= CONTROL_IDLE_MS)
			session_free(&ctl.s[i]);
}

/**
 * control_exit() - the supervisor ends: so do the exec'd processes
 */
void control_exit(void)
{
	size_t i;

	for (i = 0; i < CONTROL_SESSIONS; i++) {
		struct control_session *s = &ctl.s[i];

		if (s->state == CONTROL_RUNNING ||
		    s->state == CONTROL_SPAWNING)
			kill(s->pid, SIGKILL);
		if (s->state != CONTROL_FREE)
			session_free(s);
	}
	if (ctl.listen_fd >= 0) {
		loop_del(ctl.listen_fd);
		close(ctl.listen_fd);
		ctl.listen_fd = -1;
		unlink(ctl.path);
	}
	if (ctl.lock_fd >= 0)
		close(ctl.lock_fd);
	ctl.lock_fd = -1;
}
