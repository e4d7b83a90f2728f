// SPDX-License-Identifier: GPL-2.0-or-later
/* exec_client.c - `egress-supervise exec`: run a command through the
 * running supervisor, under its filter
 *
 * Connects to the exec channel (control.c), makes sure the other end is a
 * supervisor and not something CMD put there (our uid or root, and under
 * no more seccomp filters than we are: everything CMD starts is under one
 * more), sends argv, the environment, the working directory and our
 * stdin, stdout and stderr, forwards the signals a terminal or an engine
 * sends (HUP, INT, QUIT, USR1, USR2, TERM, WINCH, CONT), and exits with
 * the process's status.
 */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "control.h"
#include "control_proto.h"
#include "util.h"

extern char **environ;

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "egress-supervise exec: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: egress-supervise exec [--control PATH] [--] CMD [ARGS...]\n"
"\n"
"Run CMD inside the container through the running supervisor, under the\n"
"same filter, user and policy as its command, with this environment,\n"
"directory, stdin, stdout and stderr; exit with CMD's status.\n"
"\n"
"  --control PATH  the supervisor's exec channel (default:\n"
"                  $EGRESS_SUPERVISE_CONTROL, else as root\n"
"                  /run/egress-supervise/control.sock, else\n"
"                  $XDG_RUNTIME_DIR/egress-supervise/control.sock)\n");
}

/* Append a NUL-terminated string; false when it does not fit */
static bool put(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s) + 1;

	if (*len + n > CONTROL_MSG_MAX)
		return false;
	memcpy(buf + *len, s, n);
	*len += n;
	return true;
}

static void send_run(int sock, char **argv)
{
	struct control_hdr h = {
		.magic = CONTROL_MAGIC,
		.version = CONTROL_VERSION,
		.type = CONTROL_RUN,
	};
	char cbuf[CMSG_SPACE(3 * sizeof(int))], cwd[4096];
	struct iovec iov[2];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	size_t len = 0, i;
	int fds[3];
	char *buf;

	buf = malloc(CONTROL_MSG_MAX);
	if (!buf)
		fail(EXIT_SUPERVISOR, "out of memory");
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	put(buf, &len, cwd);
	for (i = 0; argv[i]; i++) {
		if (!put(buf, &len, argv[i]))
			fail(EXIT_SUPERVISOR, "the command line is too long");
		h.argc++;
	}
	for (i = 0; environ && environ[i]; i++) {
		if (!put(buf, &len, environ[i]))
			fail(EXIT_SUPERVISOR, "the environment is too large "
			     "(at most %d KiB with the command line)",
			     CONTROL_MSG_MAX / 1024);
		h.envc++;
	}
	if (h.argc + h.envc > CONTROL_ARGS_MAX)
		fail(EXIT_SUPERVISOR, "too many arguments and environment "
		     "variables (at most %d)", CONTROL_ARGS_MAX);
	h.len = (uint32_t)len;

	/* a closed standard fd is passed as /dev/null */
	for (i = 0; i < 3; i++) {
		fds[i] = (int)i;
		if (fcntl((int)i, F_GETFD) < 0) {
			fds[i] = open("/dev/null", i ? O_WRONLY : O_RDONLY);
			if (fds[i] < 0)
				fail(EXIT_SUPERVISOR, "/dev/null: %s",
				     strerror(errno));
		}
	}
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	iov[0] = (struct iovec){ &h, sizeof(h) };
	iov[1] = (struct iovec){ buf, len };
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		fail(EXIT_SUPERVISOR, "sending the request: %s",
		     strerror(errno));
	free(buf);
}

/* Is the other end a supervisor (not something started under one)? */
static void check_peer(int sock, const char *path)
{
	struct ucred cr;
	socklen_t sl = sizeof(cr);
	int mine = control_filters(0), theirs;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &sl))
		fail(EXIT_SUPERVISOR, "%s: %s", path, strerror(errno));
	if (cr.uid != geteuid() && cr.uid != 0)
		fail(EXIT_SUPERVISOR, "%s is served by uid %u, neither us nor "
		     "root: not talking to it", path, (unsigned int)cr.uid);
	theirs = control_filters(cr.pid);
	if (theirs >= 0 && mine >= 0 && theirs > mine)
		fail(EXIT_SUPERVISOR, "%s is served by pid %d, which runs "
		     "under more seccomp filters than we do (a supervised "
		     "process?): not talking to it", path, (int)cr.pid);
}

static void forward(int sock, int sig)
{
	struct control_hdr h = {
		.magic = CONTROL_MAGIC,
		.version = CONTROL_VERSION,
		.type = CONTROL_SIGNAL,
		.val = sig,
	};

	if (send(sock, &h, sizeof(h), MSG_NOSIGNAL) < 0 && errno != EPIPE)
		fprintf(stderr, "egress-supervise exec: forwarding signal "
				"%d: %s\n", sig, strerror(errno));
}

/**
 * exec_client_main() - `egress-supervise exec [--control PATH] [--] CMD`
 * @argc:	as main() has it, argv[1] being "exec"
 * @argv:	likewise
 *
 * Return: CMD's exit status, or 125 when it could not be run
 */
int exec_client_main(int argc, char **argv)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2,
				    SIGTERM, SIGWINCH, SIGCONT };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = NULL;
	char buf[sizeof(sun.sun_path)];
	uint8_t in[sizeof(struct control_hdr) + 1024];
	sigset_t mask;
	int i = 2, sock, sfd;
	size_t k;

	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--control") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strncmp(argv[i], "--control=", 10)) {
			path = argv[i] + 10;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-') {
			usage(stderr);
			return EXIT_SUPERVISOR;
		} else {
			break;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_SUPERVISOR;
	}
	if (!path)
		path = control_default_path(buf, sizeof(buf));
	if (!path)
		fail(EXIT_SUPERVISOR, "no exec channel path: set --control "
		     "PATH, $EGRESS_SUPERVISE_CONTROL or $XDG_RUNTIME_DIR");
	if (strlen(path) >= sizeof(sun.sun_path))
		fail(EXIT_SUPERVISOR, "%s: path too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);

	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		fail(EXIT_SUPERVISOR, "socket: %s", strerror(errno));
	if (connect(sock, (struct sockaddr *)&sun, sizeof(sun)))
		fail(EXIT_SUPERVISOR, "%s: %s (is egress-supervise running "
		     "here, with this exec channel?)", path, strerror(errno));
	check_peer(sock, path);

	/* signals arrive as data from now on */
	sigemptyset(&mask);
	for (k = 0; k < ARRAY_SIZE(sigs); k++)
		sigaddset(&mask, sigs[k]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		fail(EXIT_SUPERVISOR, "signalfd: %s", strerror(errno));

	send_run(sock, argv + i);

	for (;;) {
		struct pollfd pf[2] = { { sock, POLLIN, 0 },
					{ sfd, POLLIN, 0 } };
		const struct control_hdr *h = (const struct control_hdr *)in;
		ssize_t n;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(EXIT_SUPERVISOR, "poll: %s", strerror(errno));
		}
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				forward(sock, (int)si.ssi_signo);
		}
		if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(sock, in, sizeof(in) - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(EXIT_SUPERVISOR, "the supervisor went away");
		if ((size_t)n < sizeof(*h) || h->magic != CONTROL_MAGIC)
			fail(EXIT_SUPERVISOR, "the supervisor sent garbage");
		in[n] = '\0';
		if (h->type == CONTROL_EXIT) {
			if (h->len && (size_t)n > sizeof(*h))
				fprintf(stderr, "egress-supervise exec: %s\n",
					(const char *)in + sizeof(*h));
			return h->val >= 0 && h->val <= 255 ? h->val
							    : EXIT_SUPERVISOR;
		}
		/* CONTROL_STARTED: nothing to do but wait */
	}
}
