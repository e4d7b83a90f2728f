/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spawn.h - start CMD under the filter */
#ifndef SPAWN_H
#define SPAWN_H

#include <linux/filter.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

/**
 * struct spawn_opts - what to run, and how
 * @argv:	the command
 * @envp:	its environment, or NULL for ours
 * @cwd:	its working directory, or NULL for ours
 * @stdio:	its stdin, stdout and stderr, or NULL for ours
 * @set_user:	run it as @uid:@gid (--user)
 * @prog:	the filter
 * @sigmask:	the signal mask to restore in the child
 * @private_resolv: give it the stub's resolv.conf
 * @nofile:	its RLIMIT_NOFILE, or NULL for ours (the supervisor raises
 *		its own once CMD runs; exec'd processes get CMD's)
 */
struct spawn_opts {
	char **argv;
	char **envp;
	const char *cwd;
	const int *stdio;
	bool set_user;
	uid_t uid;
	gid_t gid;
	const struct sock_fprog *prog;
	const sigset_t *sigmask;	/* restored in the child */
	bool private_resolv;		/* give CMD the stub's resolv.conf */
	const int *listen_fds;		/* --listen: passed as fd 3, 4, ... */
	size_t n_listen_fds;
	const char *shim_path;		/* preload this shim, or NULL */
	const char *shim_socket;	/* its lookup socket name */
	bool shim_udp_connect;		/* --shim-udp-connect */
	const struct rlimit *nofile;
	bool no_fd_passing;		/* unix.deny_fd_passing */
};

/**
 * struct spawn_child - a child between fork and exec
 * @pid:	its pid
 * @rd:		its messages (the supervisor may make it non-blocking)
 * @wr:		our go-ahead once we hold the listener
 * @pidfd:	to take the listener with pidfd_getfd()
 * @listener:	the listener, once taken
 * @handed_over: the listener message was handled
 * @private_resolv: from the options, for the fallback
 * @argv0:	for messages
 * @why:	what went wrong, when spawn_step() returned a status
 */
struct spawn_child {
	pid_t pid;
	int rd, wr, pidfd, listener;
	bool handed_over;
	bool private_resolv;
	char argv0[64];
	char why[192];
};

int spawn_cmd(const struct spawn_opts *o, pid_t *pid, int *listener);
int spawn_start(const struct spawn_opts *o, struct spawn_child *c);
int spawn_step(struct spawn_child *c);
void spawn_abort(struct spawn_child *c);

#endif /* SPAWN_H */
