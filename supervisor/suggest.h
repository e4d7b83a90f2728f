/* SPDX-License-Identifier: GPL-2.0-or-later */
/* suggest.h - a minimal policy from a decision log */
#ifndef SUGGEST_H
#define SUGGEST_H

#include <stdbool.h>
#include <stdio.h>

/**
 * struct suggest_opts - what `egress-supervise suggest` was asked
 * @source:	name of the log, for the header comment
 * @all:	also cover what was allowed (not only denied or audited), so
 *		the output can replace the policy the log was made with
 * @min_wildcard: distinct names below one registrable domain (same
 *		proto and port) from which they become "*.domain"; 0: never
 */
struct suggest_opts {
	const char *source;
	bool all;
	unsigned int min_wildcard;
};

int suggest_run(FILE *in, const struct suggest_opts *o, FILE *out,
		FILE *err);
bool suggest_is_public_suffix(const char *name);
const char *suggest_registrable(const char *name);

#endif /* SUGGEST_H */
