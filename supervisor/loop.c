// SPDX-License-Identifier: GPL-2.0-or-later
/* loop.c - the one epoll instance and the clock of the current iteration */

#include <sys/epoll.h>

#include "loop.h"
#include "util.h"

static int epoll_fd = -1;
struct timespec loop_now;

int loop_init(void)
{
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &loop_now);
	return 0;
}

int loop_fd(void)
{
	return epoll_fd;
}

int loop_add(int fd, uint32_t events, union loop_ref ref)
{
	struct epoll_event ev = { .events = events, .data.u64 = ref.u64 };

	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

int loop_mod(int fd, uint32_t events, union loop_ref ref)
{
	struct epoll_event ev = { .events = events, .data.u64 = ref.u64 };

	if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev))
		return -errno;
	return 0;
}

void loop_del(int fd)
{
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}
