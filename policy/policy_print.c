// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_print.c - the normalized policy as YAML, for `egress-supervise check`
 *
 * Normalized means: every setting spelled out with its effective value,
 * add_domains and --allow specs written as the rules they became, names in
 * lower case A-labels, default ports resolved.  The output is itself a
 * valid policy that loads to the same rules; a comment above each rule says
 * where it came from.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy_internal.h"

/**
 * print_quoted() - write a YAML double-quoted scalar
 * @out:	stream
 * @s:		UTF-8 text (valid: it came through libyaml or our checks)
 *
 * Escapes what YAML would fold or refuse: controls, DEL, C1 controls, line
 * and paragraph separators, the BOM and noncharacters.
 */
static void print_quoted(FILE *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;

	fputc('"', out);
	while (i < len) {
		uint32_t c;
		size_t n = utf8_decode(u + i, len - i, &c);

		if (!n) {
			fprintf(out, "\\x%02x", u[i]);
			i++;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", (char)c);
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
			fprintf(out, "\\x%02x", (unsigned int)c);
		else if (c == 0x2028 || c == 0x2029 || c == 0xfeff ||
			 (c & 0xfffe) == 0xfffe)
			fprintf(out, "\\u%04x", (unsigned int)c);
		else
			fwrite(u + i, 1, n, out);
		i += n;
	}
	fputc('"', out);
}

/* A comment's text on one line: controls become '?' */
static void print_comment(FILE *out, const char *indent, const char *s)
{
	fprintf(out, "%s# ", indent);
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
	fputc('\n', out);
}

/* "    port: [...]" of a rule or an ingress rule; nothing without ports */
static void print_ports(FILE *out, const struct policy_port_range *ports,
			size_t n)
{
	size_t i;

	if (!n)
		return;
	fputs("    port: [", out);
	for (i = 0; i < n; i++) {
		const struct policy_port_range *pr = &ports[i];

		if (i)
			fputs(", ", out);
		if (pr->lo == pr->hi)
			fprintf(out, "%u", pr->lo);
		else
			fprintf(out, "\"%u-%u\"", pr->lo, pr->hi);
	}
	fputs("]\n", out);
}

static void print_methods(FILE *out, char *const *m, size_t n)
{
	size_t i;

	fputc('[', out);
	for (i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", m[i]);
	fputc(']', out);
}

static void print_rule(FILE *out, const struct policy_rule *r)
{
	char net[64];
	size_t i;

	print_comment(out, "  ", r->origin);
	fputs("  - dst: ", out);
	if (r->dst_kind == RULE_DST_NET) {
		pnet_format(&r->net, net, sizeof(net));
		print_quoted(out, net);
	} else {
		print_quoted(out, r->name.text);
	}
	fprintf(out, "\n    proto: %s\n", policy_proto_str[r->proto]);
	print_ports(out, r->ports, r->n_ports);
	fprintf(out, "    action: %s\n", policy_action_str[r->action]);
	if (r->allow_broad)
		fputs("    allow_broad: true\n", out);
	if (r->verify_banner)
		fputs("    verify_banner: true\n", out);
	if (r->n_methods) {
		fputs("    methods: ", out);
		print_methods(out, r->methods, r->n_methods);
		fputc('\n', out);
	}
	if (r->n_path_rules) {
		fputs("    path_rules:\n", out);
		for (i = 0; i < r->n_path_rules; i++) {
			const struct path_rule *pr = &r->path_rules[i];

			fputs("      - { path: ", out);
			print_quoted(out, pr->path);
			fprintf(out, ", action: %s",
				policy_action_str[pr->action]);
			if (pr->n_methods) {
				fputs(", methods: ", out);
				print_methods(out, pr->methods, pr->n_methods);
			}
			fputs(" }\n", out);
		}
	}
	if (r->n_path_rules || r->has_path_default)
		fprintf(out, "    path_default: %s\n",
			policy_action_str[r->path_default]);
	if (r->intercept)
		fputs("    intercept: true\n", out);
	if (r->skip_tls_verify)
		fputs("    insecure_skip_tls_verify: true\n", out);
}

static void print_path(FILE *out, const char *key, const char *v)
{
	if (!v)
		return;
	fprintf(out, "  %s: ", key);
	print_quoted(out, v);
	fputc('\n', out);
}

static void print_list(FILE *out, const char *key, char *const *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	fprintf(out, "%s: [", key);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		print_quoted(out, v[i]);
	}
	fputs("]\n", out);
}

static void print_ingress(FILE *out, const struct policy *p)
{
	size_t i;

	if (!p->has_ingress)
		return;
	if (!p->n_ingress) {
		fputs("ingress: []\n", out);
		return;
	}
	fputs("ingress:\n", out);
	for (i = 0; i < p->n_ingress; i++) {
		const struct policy_ingress_rule *r = &p->ingress[i];
		struct pnet n = { .family = r->family, .plen = r->plen };
		char net[64];

		memcpy(n.addr, r->addr, sizeof(n.addr));
		pnet_format(&n, net, sizeof(net));
		print_comment(out, "  ", r->origin);
		fputs("  - src: ", out);
		print_quoted(out, net);
		fprintf(out, "\n    proto: %s\n", policy_proto_str[r->proto]);
		print_ports(out, r->ports, r->n_ports);
	}
}

void policy_print(const struct policy *p, FILE *out)
{
	size_t i;

	if (p->path)
		print_comment(out, "", p->path);
	else
		fputs("# no policy file\n", out);
	fprintf(out, "version: 1\nmode: %s\ndefault: %s\ndeny_errno: %s\n",
		policy_mode_str[p->mode], policy_action_str[p->dflt],
		errno_name(p->deny_errno));
	fputs("dns:\n", out);
	if (p->n_dns_upstream) {
		fputs("  upstream: [", out);
		for (i = 0; i < p->n_dns_upstream; i++) {
			if (i)
				fputs(", ", out);
			print_quoted(out, p->dns_upstream[i]);
		}
		fputs("]\n", out);
	} else {
		fputs("  # upstream: the nameservers of /etc/resolv.conf\n",
		      out);
	}
	fputs("  listen: ", out);
	print_quoted(out, p->dns_listen ? p->dns_listen :
					  POLICY_DNS_LISTEN_DEFAULT);
	fprintf(out, "\n  min_ttl: %u\n  max_ttl: %u\n  grace: %u\n"
		"  deny_answer: %s\n", p->dns_min_ttl, p->dns_max_ttl,
		p->dns_grace, policy_dns_deny_answer_str[p->dns_deny_answer]);
	if (p->n_unix_allow || p->n_unix_deny || p->unix_deny_fd_passing) {
		fputs("unix:\n", out);
		print_list(out, "  allow", p->unix_allow, p->n_unix_allow);
		print_list(out, "  deny", p->unix_deny, p->n_unix_deny);
		if (p->unix_deny_fd_passing)
			fputs("  deny_fd_passing: true\n", out);
	}
	print_ingress(out, p);
	if (p->tls_ca_dir || p->tls_ca_cert || p->tls_ca_key ||
	    p->tls_upstream_ca) {
		fputs("tls:\n", out);
		print_path(out, "ca_dir", p->tls_ca_dir);
		print_path(out, "ca_cert", p->tls_ca_cert);
		print_path(out, "ca_key", p->tls_ca_key);
		print_path(out, "upstream_ca", p->tls_upstream_ca);
	}
	if (!p->n_rules) {
		fputs("rules: []\n", out);
		return;
	}
	fputs("rules:\n", out);
	for (i = 0; i < p->n_rules; i++)
		print_rule(out, &p->rules[i]);
}
