/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h - JSON lines per decision, one human line per denial */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

int log_open(const char *path);	/* NULL or "-": stderr */
void log_close(void);
bool log_to_stderr(void);

/*
 * Build one JSON object and write it as one line:
 *
 *	struct log_line l;
 *	log_begin(&l, "connect");
 *	log_str(&l, "verdict", "deny");
 *	log_int(&l, "pid", 42);
 *	log_end(&l);
 *
 * Strings are escaped; a line that would exceed the buffer is truncated
 * at a key boundary and marked "truncated": true.  "ts" is added by
 * log_begin().  No allocation.
 */
struct log_line {
	char buf[4096];
	size_t len;
	bool truncated;
};

void log_begin(struct log_line *l, const char *event);
void log_str(struct log_line *l, const char *key, const char *val);
void log_int(struct log_line *l, const char *key, long long val);
void log_bool(struct log_line *l, const char *key, bool val);
/* A JSON array of strings */
void log_strv(struct log_line *l, const char *key, const char *const *v,
	      size_t n);
void log_end(struct log_line *l);

/* "egress-supervise: " + printf, on stderr, for humans */
void log_human(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Supervisor trouble (not decisions): stderr, prefixed */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_errno_ours(int err);

#endif /* LOG_H */
