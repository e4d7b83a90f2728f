// SPDX-License-Identifier: GPL-2.0-or-later
/* reaper.c - init duties: signals to CMD, reaping, CMD's exit status
 *
 * The supervisor is usually PID 1 of the container.  Signals arrive through
 * a signalfd in the main loop: SIGCHLD reaps every child that has exited
 * (orphans re-parented to us too: outside a pid namespace we are a child
 * subreaper), the termination and user signals are forwarded to CMD.  When
 * CMD itself exits, the supervisor exits with CMD's status, or 128+N when
 * CMD was killed by signal N.
 */

#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "log.h"
#include "loop.h"
#include "reaper.h"
#include "util.h"

static const int forwarded[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
};

static int sig_fd = -1;
static pid_t cmd_pid;
static bool cmd_exited;
static int cmd_status;
static void (*hup_cb)(void);
static void (*child_cb)(pid_t pid, int wstatus);

/**
 * reaper_init() - take signals into the loop, become a subreaper
 * @old_mask:	the mask before ours, for the child to restore
 *
 * Return: 0 or -errno
 */
int reaper_init(sigset_t *old_mask)
{
	union loop_ref ref = { .type = LOOP_SIGNAL };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t mask;
	size_t i;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	for (i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &mask, old_mask))
		return -errno;
	/* We send on sockets of targets that may be closed: never die */
	sigaction(SIGPIPE, &ign, NULL);

	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		return -errno;
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	ref.fd = sig_fd;
	return loop_add(sig_fd, EPOLLIN, ref);
}

void reaper_set_cmd(pid_t pid)
{
	cmd_pid = pid;
}

void reaper_on_hup(void (*cb)(void))
{
	hup_cb = cb;
}

/* Told of every reaped child but CMD (the exec'd ones, orphans) */
void reaper_on_child(void (*cb)(pid_t pid, int wstatus))
{
	child_cb = cb;
}

static void reaper_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != cmd_pid) {
			if (child_cb)
				child_cb(pid, status);
			continue;
		}
		cmd_exited = true;
		if (WIFEXITED(status))
			cmd_status = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			cmd_status = 128 + WTERMSIG(status);
		else
			cmd_status = EXIT_SUPERVISOR;
	}
}

void reaper_handler(void)
{
	struct signalfd_siginfo si;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGCHLD) {
			reaper_reap();
			continue;
		}
		if (sig == SIGHUP && hup_cb)
			hup_cb();
		if (cmd_pid > 0 && !cmd_exited)
			kill(cmd_pid, sig);
	}
	/* A SIGCHLD can be merged with one we already read */
	reaper_reap();
}

/**
 * reaper_done() - has CMD exited?
 * @status:	its exit status for us to return
 */
bool reaper_done(int *status)
{
	if (cmd_exited)
		*status = cmd_status;
	return cmd_exited;
}
