/* SPDX-License-Identifier: GPL-2.0-or-later */
/* loop.h - the supervisor's one epoll loop: references and registration */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>
#include <time.h>

/* What an epoll registration belongs to; one handler per type */
enum loop_type {
	LOOP_NONE,
	LOOP_NOTIFY,		/* the seccomp listener */
	LOOP_SIGNAL,		/* signalfd: SIGCHLD and forwarded signals */
	LOOP_PENDING,		/* a duplicate socket waiting for an emulated call */
	LOOP_DNS_UDP,		/* the stub's UDP socket */
	LOOP_DNS_TCP_LISTEN,	/* the stub's TCP listener */
	LOOP_DNS_TCP,		/* one accepted stub TCP connection */
	LOOP_DNS_UPSTREAM,	/* a c-ares socket */
	LOOP_RELAY_LISTEN,	/* a relay listener */
	LOOP_RELAY,		/* one side of a relayed flow */
	LOOP_SHIM_LISTEN,	/* the shim's lookup listener */
	LOOP_SHIM,		/* one shim's lookup connection */
	LOOP_METRICS_LISTEN,	/* --metrics ADDR: the listener */
	LOOP_METRICS_CONN,	/* one scraper's connection */
	LOOP_CONTROL_LISTEN,	/* the exec channel's listener */
	LOOP_CONTROL,		/* one exec client */
	LOOP_CONTROL_SPAWN,	/* an exec'd child's spawn pipe */
	LOOP_TYPE_NUM
};

/**
 * union loop_ref - packed into epoll_data.u64
 * @type:	enum loop_type
 * @fd:		file descriptor registered
 * @idx:	index into the owner's table (meaning depends on @type)
 */
union loop_ref {
	struct {
		uint32_t type:8;
		uint32_t idx:24;
		int32_t fd;
	};
	uint64_t u64;
};

int loop_init(void);
int loop_add(int fd, uint32_t events, union loop_ref ref);
int loop_mod(int fd, uint32_t events, union loop_ref ref);
void loop_del(int fd);
int loop_fd(void);

/* The clock read once per loop iteration (CLOCK_MONOTONIC) */
extern struct timespec loop_now;

static inline uint64_t loop_now_ms(void)
{
	return (uint64_t)loop_now.tv_sec * 1000 + loop_now.tv_nsec / 1000000;
}

#endif /* LOOP_H */
