/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics.h - counters in Prometheus text format, and the denial summary */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "loop.h"

/* Counting: cheap, no allocation, callable before metrics_init() */
void metrics_decision(const char *verdict, const char *reason,
		      const char *proto, const char *dst, unsigned int port,
		      const char *name);
void metrics_dns(const char *verdict, const char *rcode, const char *qname);
void metrics_notification(void);
void metrics_in_flight(unsigned int n);
void metrics_exec_sessions(unsigned int n);

/**
 * metrics_relay_bytes() - count bytes the relay moved
 * @up:		bytes from CMD to the destination
 * @down:	bytes from the destination to CMD
 *
 * For the relay: call it whenever bytes were spliced (any granularity).
 */
void metrics_relay_bytes(uint64_t up, uint64_t down);

/* Exporting: --metrics PATH|ADDR */
int metrics_init(const char *spec, unsigned int interval_s);
void metrics_handler(union loop_ref ref, uint32_t events);
void metrics_timer(void);
void metrics_exit(void);

/* The text and the summary, for the exporters and the unit tests */
size_t metrics_render(char *buf, size_t size);
void metrics_summary(FILE *out, size_t top);
void metrics_reset(void);

/**
 * enum metrics_http - what a request gets
 * @METRICS_HTTP_MORE:		incomplete, read on
 * @METRICS_HTTP_OK:		GET or HEAD of /metrics: the text
 * @METRICS_HTTP_NOT_FOUND:	another path
 * @METRICS_HTTP_BAD_METHOD:	not GET or HEAD (read-only)
 * @METRICS_HTTP_BAD_REQUEST:	not HTTP, or too long
 */
enum metrics_http {
	METRICS_HTTP_MORE,
	METRICS_HTTP_OK,
	METRICS_HTTP_NOT_FOUND,
	METRICS_HTTP_BAD_METHOD,
	METRICS_HTTP_BAD_REQUEST,
};

enum metrics_http metrics_http_parse(const char *req, size_t len,
				     size_t max, bool *head);
bool metrics_spec_is_addr(const char *spec);

#endif /* METRICS_H */
