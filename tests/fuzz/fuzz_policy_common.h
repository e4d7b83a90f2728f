/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_policy_common.h - invariants both policy fuzz targets check
 *
 * A policy that loads must print to YAML that loads again and prints the
 * same (comments aside: they name the rules' origins); decisions must not
 * crash on a few fixed queries.  Anything else is a finding: abort().
 */
#ifndef FUZZ_POLICY_COMMON_H
#define FUZZ_POLICY_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_internal.h"

static FILE *fuzz_devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static void fuzz_strip_comments(char *s)
{
	char *out = s, *line = s;

	while (*line) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		const char *t = line + strspn(line, " ");

		if (*t != '#') {
			memmove(out, line, len);
			out += len;
		}
		line += len;
	}
	*out = '\0';
}

static char *fuzz_print(const struct policy *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	policy_print(p, f);
	fclose(f);
	return buf;
}

static void fuzz_check_policy(const struct policy *p)
{
	static const uint8_t v4[][4] = {
		{ 198, 51, 100, 7 }, { 169, 254, 169, 254 }, { 0, 0, 0, 0 },
	};
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const char *const names[] = {
		"example.com", "a.b.example.com", "xn--bcher-kva.example", "com",
		"EXAMPLE.org.",
	};
	struct policy_decision d;
	struct policy *p2;
	char *out, *out2;
	size_t len, len2, i;

	for (i = 0; i < 3 * POLICY_TRANSPORT_NUM; i++) {
		struct policy_query q = {
			.names = names,
			.n_names = i % 4 ? ARRAY_SIZE(names) : 0,
			.family = AF_INET,
			.addr = v4[i % 3],
			.port = (uint16_t)(i * 211),
			.transport = (enum policy_transport)(i %
							     POLICY_TRANSPORT_NUM),
		};

		policy_decide(p, &q, &d);
		if (d.verdict >= POLICY_VERDICT_NUM || !d.rule || !d.reason)
			abort();
		q.family = AF_INET6;
		q.addr = v6;
		policy_decide(p, &q, &d);
		if (d.match)
			policy_http_verdict(p, d.match, "GET", "/v1/x", NULL);
	}
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (policy_name_verdict(p, names[i]) >= POLICY_NAME_NUM)
			abort();
	for (i = 0; i < 6; i++) {
		const struct policy_ingress_rule *r;
		size_t n = policy_ingress(p, &r), j;

		policy_ingress_decide(p, (enum policy_transport)(i % 3),
				      i < 3 ? AF_INET : AF_INET6,
				      i < 3 ? v4[i % 3] : v6,
				      (uint16_t)(i * 4099), &d);
		if (d.verdict == POLICY_VERDICT_AUDIT || !d.rule || !d.reason)
			abort();
		for (j = 0; j < n; j++) {
			size_t k;

			if (r[j].plen > (r[j].family == AF_INET ? 32u : 128u))
				abort();
			for (k = 0; k < r[j].n_ports; k++)
				if (r[j].ports[k].lo > r[j].ports[k].hi ||
				    (k && r[j].ports[k].lo <=
						  r[j].ports[k - 1].hi + 1))
					abort();
		}
	}

	out = fuzz_print(p, &len);
	p2 = policy_load_buffer("printed.yaml", out, len, NULL, 0, stderr);
	if (!p2) {
		fprintf(stderr, "printed policy does not load:\n%s\n", out);
		abort();
	}
	out2 = fuzz_print(p2, &len2);
	fuzz_strip_comments(out);
	fuzz_strip_comments(out2);
	if (strcmp(out, out2)) {
		fprintf(stderr, "print is not stable:\n%s\n---\n%s\n", out,
			out2);
		abort();
	}
	policy_free(p2);
	free(out);
	free(out2);
}

#endif /* FUZZ_POLICY_COMMON_H */
