/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.h - small helpers shared by the supervisor's files */
#ifndef UTIL_H
#define UTIL_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))

/* Hand ownership of an fd out of a cleanup_close variable */
static inline int steal_fd(int *fd)
{
	int ret = *fd;

	*fd = -1;
	return ret;
}

const char *util_errno_name(int err);	/* "EACCES", or "E123" */

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The exit status used when the supervisor itself fails (podman/docker) */
#define EXIT_SUPERVISOR	125
#define EXIT_CANNOT_RUN	126
#define EXIT_NOT_FOUND	127

#endif /* UTIL_H */
