/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spawn.h - start CMD under the filter */
#ifndef SPAWN_H
#define SPAWN_H

#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

struct spawn_opts {
	char **argv;
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
};

int spawn_cmd(const struct spawn_opts *o, pid_t *pid, int *listener);

#endif /* SPAWN_H */
