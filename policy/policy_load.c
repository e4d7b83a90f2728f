// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_load.c - YAML (libyaml) to a validated policy, with every error
 *
 * Theory of operation: libyaml loads the whole file as one document (a
 * node graph with source marks); we then walk the graph along the schema,
 * reporting each problem as "FILE:LINE:COL: message (expected ...)" and
 * carrying on, so a user sees every problem of a file at once.  Only when
 * no problem was found is the policy returned.  A YAML syntax error stops
 * libyaml, so it is reported alone.
 *
 * Anchors and aliases are refused: an alias makes libyaml hand out the same
 * node twice, which would let a small file expand into a huge policy (and a
 * recursive alias into a cycle).  Each node may be visited once.
 */
#define _GNU_SOURCE	/* vasprintf() */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "policy_internal.h"

#define POLICY_FILE_MAX	(16 << 20)	/* bytes: a policy is no data set */
#define MSG_LEN		512
#define POLICY_MAX_DEPTH 32	/* the schema needs 5 levels of nesting */

/**
 * struct loader - state of one load
 * @name:	file name for messages
 * @errs:	where problems go (may be NULL)
 * @n_errors:	problems reported so far
 * @nomem:	an allocation failed
 * @doc:	the loaded document
 * @seen:	one flag per node of @doc: visited already
 * @n_nodes:	number of nodes in @doc
 * @p:		the policy being built
 * @msgs:	problems noted, written sorted by lerr_flush()
 * @n_msgs:	number of @msgs
 * @msgs_cap:	allocated entries of @msgs
 * @rules_cap:	allocated entries of @p->rules
 */
struct lmsg {
	size_t line;
	size_t col;
	size_t seq;
	char *text;
};

struct loader {
	const char *name;
	FILE *errs;
	unsigned int n_errors;
	bool nomem;
	yaml_document_t doc;
	uint8_t *seen;
	size_t n_nodes;
	struct policy *p;
	struct lmsg *msgs;
	size_t n_msgs;
	size_t msgs_cap;
	size_t rules_cap;
};

static void lerr_at(struct loader *l, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * lerr_at() - note one problem at a source position
 * @l:		loader
 * @m:		libyaml mark (0-based line and column)
 * @fmt:	message format
 *
 * Problems are found in schema order, not file order (a mapping's keys are
 * checked before its values), so they are kept and written sorted by
 * position at the end of the load, see lerr_flush().
 */
static void lerr_at(struct loader *l, yaml_mark_t m, const char *fmt, ...)
{
	struct lmsg *nm;
	va_list ap;
	char *text;
	int ret;

	l->n_errors++;
	if (!l->errs)
		return;
	va_start(ap, fmt);
	ret = vasprintf(&text, fmt, ap);
	va_end(ap);
	nm = l->msgs;
	if (ret >= 0 && l->n_msgs == l->msgs_cap) {
		size_t cap = l->msgs_cap ? l->msgs_cap * 2 : 16;

		nm = reallocarray(l->msgs, cap, sizeof(*nm));
		if (nm)
			l->msgs_cap = cap;
	}
	if (ret < 0 || !nm) {
		if (ret >= 0)
			free(text);
		l->nomem = true;
		return;
	}
	l->msgs = nm;
	nm[l->n_msgs].line = m.line + 1;
	nm[l->n_msgs].col = m.column + 1;
	nm[l->n_msgs].seq = l->n_msgs;
	nm[l->n_msgs].text = text;
	l->n_msgs++;
}

static int lmsg_cmp(const void *a, const void *b)
{
	const struct lmsg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Write the noted problems in file order and forget them */
static void lerr_flush(struct loader *l)
{
	size_t i;

	if (l->n_msgs)
		qsort(l->msgs, l->n_msgs, sizeof(*l->msgs), lmsg_cmp);
	for (i = 0; i < l->n_msgs; i++) {
		fprintf(l->errs, "%s:%zu:%zu: %s\n", l->name, l->msgs[i].line,
			l->msgs[i].col, l->msgs[i].text);
		free(l->msgs[i].text);
	}
	free(l->msgs);
	l->msgs = NULL;
	l->n_msgs = 0;
}

#define lerr(l, node, ...) lerr_at(l, (node)->start_mark, __VA_ARGS__)

/**
 * lnode() - get a node by id, refusing to visit any node twice
 * @l:		loader
 * @id:		node id from the document
 *
 * Return: the node, or NULL (reported) when it was reached through an
 * alias a second time.
 */
static yaml_node_t *lnode(struct loader *l, int id)
{
	yaml_node_t *n = yaml_document_get_node(&l->doc, id);
	size_t idx;

	if (!n)
		return NULL;
	idx = (size_t)(n - l->doc.nodes.start);
	if (l->seen[idx]) {
		lerr(l, n,
		     "this anchored value is used again through an alias: "
		     "anchors and aliases are not supported (expected the "
		     "value written out where it is used)");
		return NULL;
	}
	l->seen[idx] = 1;
	return n;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_NO_NODE:
		break;
	}
	return "nothing";
}

/**
 * get_str() - a node's scalar text
 * @l:		loader
 * @n:		node
 * @what:	the key, for messages
 * @expect:	what a good value looks like, for messages
 *
 * Return: the NUL-terminated text, or NULL (reported) if @n is no
 * scalar, is empty, or holds a NUL byte.
 */
static const char *get_str(struct loader *l, yaml_node_t *n, const char *what,
			   const char *expect)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE) {
		lerr(l, n, "'%s' is %s (expected %s)", what, node_kind(n),
		     expect);
		return NULL;
	}
	s = (const char *)n->data.scalar.value;
	if (!n->data.scalar.length) {
		lerr(l, n, "'%s' is empty (expected %s)", what, expect);
		return NULL;
	}
	if (strlen(s) != n->data.scalar.length) {
		lerr(l, n, "'%s' contains a NUL character (expected %s)",
		     what, expect);
		return NULL;
	}
	return s;
}

/**
 * get_enum() - a scalar that must be one of a table's strings
 * @l:		loader
 * @n:		node
 * @what:	the key
 * @tab:	the accepted strings
 * @n_tab:	number of @tab
 *
 * Return: the index in @tab, or -EINVAL (reported).
 */
static int get_enum(struct loader *l, yaml_node_t *n, const char *what,
		    const char *const *tab, size_t n_tab)
{
	char expect[128] = "one of: ";
	const char *s;
	size_t i;

	for (i = 0; i < n_tab; i++) {
		strcat(expect, tab[i]);
		if (i + 1 < n_tab)
			strcat(expect, ", ");
	}
	s = get_str(l, n, what, expect);
	if (!s)
		return -EINVAL;
	for (i = 0; i < n_tab; i++)
		if (!strcmp(s, tab[i]))
			return (int)i;
	lerr(l, n, "unknown %s '%s' (expected %s)", what, s, expect);
	return -EINVAL;
}

static int get_bool(struct loader *l, yaml_node_t *n, const char *what)
{
	static const char *const tab[] = { "false", "true" };

	return get_enum(l, n, what, tab, ARRAY_SIZE(tab));
}

/**
 * get_uint() - a non-negative decimal number
 * @l:		loader
 * @n:		node
 * @what:	the key
 * @max:	largest value accepted
 * @out:	the value
 *
 * Return: 0, or -EINVAL (reported).
 */
static int get_uint(struct loader *l, yaml_node_t *n, const char *what,
		    unsigned long max, unsigned long *out)
{
	const char *s = get_str(l, n, what, "a number");
	unsigned long v = 0;
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9') {
			lerr(l, n, "'%s' is '%s' (expected a number 0-%lu)",
			     what, s, max);
			return -EINVAL;
		}
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max) {
			lerr(l, n, "'%s' is %s, too large (expected 0-%lu)",
			     what, s, max);
			return -EINVAL;
		}
	}
	*out = v;
	return 0;
}

/**
 * check_mapping() - a mapping with known keys, each at most once
 * @l:		loader
 * @n:		node
 * @what:	what the mapping is, for messages ("a rule")
 * @keys:	accepted keys, NULL-terminated
 *
 * Reports unknown and duplicate keys and non-scalar keys.  Callers then
 * walk the pairs themselves and see only accepted keys.
 *
 * Return: true if @n is a mapping (even with bad keys).
 */
static bool check_mapping(struct loader *l, yaml_node_t *n, const char *what,
			  const char *const *keys)
{
	yaml_node_pair_t *a, *b;
	char expect[256] = "";
	size_t i;

	if (n->type != YAML_MAPPING_NODE) {
		lerr(l, n, "%s is %s (expected a mapping of key: value)", what,
		     node_kind(n));
		return false;
	}
	for (i = 0; keys[i]; i++) {
		strcat(expect, keys[i]);
		if (keys[i + 1])
			strcat(expect, ", ");
	}
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top;
	     a++) {
		yaml_node_t *k = lnode(l, a->key);
		const char *ks;

		if (!k)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			lerr(l, k, "a key in %s is %s (expected one of: %s)",
			     what, node_kind(k), expect);
			continue;
		}
		ks = (const char *)k->data.scalar.value;
		for (i = 0; keys[i] && strcmp(keys[i], ks); i++)
			;
		if (!keys[i]) {
			lerr(l, k, "unknown key '%s' in %s (expected one of: "
			     "%s)", ks, what, expect);
			continue;
		}
		for (b = n->data.mapping.pairs.start; b < a; b++) {
			yaml_node_t *bk;

			bk = yaml_document_get_node(&l->doc, b->key);
			if (bk && bk->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)bk->data.scalar.value, ks)) {
				lerr(l, k, "duplicate key '%s' (expected each "
				     "key once; first at %zu:%zu)", ks,
				     bk->start_mark.line + 1,
				     bk->start_mark.column + 1);
				break;
			}
		}
	}
	return true;
}

/* Key of a pair, known to be a scalar after check_mapping() */
static const char *pair_key(struct loader *l, yaml_node_pair_t *pr)
{
	yaml_node_t *k = yaml_document_get_node(&l->doc, pr->key);

	if (!k || k->type != YAML_SCALAR_NODE)
		return "";
	return (const char *)k->data.scalar.value;
}

/**
 * rule_origin() - "FILE:LINE" of a rule
 * @l:		loader
 * @n:		the rule's node
 *
 * Return: malloc'ed string, or NULL (out of memory noted in @l).
 */
static char *rule_origin(struct loader *l, yaml_node_t *n)
{
	size_t len = strlen(l->name) + 24;
	char *s = malloc(len);

	if (!s) {
		l->nomem = true;
		return NULL;
	}
	snprintf(s, len, "%s:%zu", l->name, n->start_mark.line + 1);
	return s;
}

/**
 * add_rule() - append a finished rule to the policy
 * @l:		loader
 * @r:		the rule, moved into the policy (zeroed) or freed
 */
static void add_rule(struct loader *l, struct policy_rule *r)
{
	struct policy *p = l->p;
	struct policy_rule *nr;

	if (p->n_rules == l->rules_cap) {
		size_t cap = l->rules_cap ? l->rules_cap * 2 : 16;

		nr = reallocarray(p->rules, cap, sizeof(*nr));
		if (!nr) {
			l->nomem = true;
			rule_free(r);
			return;
		}
		p->rules = nr;
		l->rules_cap = cap;
	}
	p->rules[p->n_rules++] = *r;
	if (r->dst_kind == RULE_DST_NAME)
		p->has_name_rules = true;
	memset(r, 0, sizeof(*r));
}

static void note_ret(struct loader *l, int ret)
{
	if (ret == -ENOMEM)
		l->nomem = true;
}

/**
 * load_port_list() - port: N, "A-B", "A,B" or a list of those
 * @l:		loader
 * @n:		the port node
 * @out:	the ranges, malloc'ed
 * @n_out:	number of @out
 *
 * Return: 0, or -EINVAL (reported).
 */
static int load_port_list(struct loader *l, yaml_node_t *n,
			  struct policy_port_range **out, size_t *n_out)
{
	char msg[MSG_LEN];
	yaml_node_item_t *it;
	size_t count, i = 0;
	int ret, bad = 0;

	if (n->type == YAML_SCALAR_NODE) {
		const char *s = get_str(l, n, "port", "a port 1-65535, a "
					"range A-B, or a list of them");

		if (!s)
			return -EINVAL;
		ret = ports_parse(s, out, n_out, msg, sizeof(msg));
		note_ret(l, ret);
		if (ret == -EINVAL)
			lerr(l, n, "%s", msg);
		return ret;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		lerr(l, n, "'port' is %s (expected a port 1-65535, a range "
		     "A-B, or a list of them)", node_kind(n));
		return -EINVAL;
	}
	count = (size_t)(n->data.sequence.items.top -
			 n->data.sequence.items.start);
	if (!count) {
		lerr(l, n, "'port' is an empty list (expected at least one "
		     "port, or no 'port' key for the default)");
		return -EINVAL;
	}
	*out = calloc(count, sizeof(**out));
	if (!*out) {
		l->nomem = true;
		return -ENOMEM;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *pn = lnode(l, *it);
		const char *s;

		if (!pn) {
			bad = -EINVAL;
			continue;
		}
		s = get_str(l, pn, "port", "a port 1-65535 or a range A-B");
		if (!s) {
			bad = -EINVAL;
			continue;
		}
		if (port_range_parse(s, &(*out)[i], msg, sizeof(msg))) {
			lerr(l, pn, "%s", msg);
			bad = -EINVAL;
			continue;
		}
		i++;
	}
	*n_out = i;
	return bad;
}

/* A rule's ports (see load_port_list()) */
static int load_ports(struct loader *l, struct policy_rule *r, yaml_node_t *n)
{
	return load_port_list(l, n, &r->ports, &r->n_ports);
}

static const char *const http_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT",
	"TRACE",
};

/**
 * load_methods() - a list of HTTP methods, normalized to upper case
 * @l:		loader
 * @n:		the list's node
 * @out:	the methods, malloc'ed
 * @n_out:	number of @out
 *
 * Return: 0, or -EINVAL (reported).
 */
static int load_methods(struct loader *l, yaml_node_t *n, char ***out,
			size_t *n_out)
{
	static const char expect[] = "a list of GET, HEAD, POST, PUT, DELETE, "
				     "PATCH, OPTIONS, CONNECT, TRACE";
	yaml_node_item_t *it;
	size_t count;
	int bad = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		lerr(l, n, "'methods' is %s (expected %s)", node_kind(n),
		     expect);
		return -EINVAL;
	}
	count = (size_t)(n->data.sequence.items.top -
			 n->data.sequence.items.start);
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out) {
		l->nomem = true;
		return -ENOMEM;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *mn = lnode(l, *it);
		const char *s;
		char up[16];
		size_t i;

		if (!mn || !(s = get_str(l, mn, "method", expect))) {
			bad = -EINVAL;
			continue;
		}
		for (i = 0; i < sizeof(up) - 1 && s[i]; i++)
			up[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i];
		up[i] = '\0';
		for (i = 0; i < ARRAY_SIZE(http_methods); i++)
			if (strlen(s) < sizeof(up) &&
			    !strcmp(up, http_methods[i]))
				break;
		if (i == ARRAY_SIZE(http_methods)) {
			lerr(l, mn, "unknown method '%s' (expected one of: "
			     "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, "
			     "CONNECT, TRACE)", s);
			bad = -EINVAL;
			continue;
		}
		(*out)[*n_out] = strdup(http_methods[i]);
		if (!(*out)[*n_out]) {
			l->nomem = true;
			return -ENOMEM;
		}
		(*n_out)++;
	}
	if (!count) {
		lerr(l, n, "'methods' is an empty list (expected %s)", expect);
		bad = -EINVAL;
	}
	return bad;
}

/* Limits on a path regular expression, see regex_check() */
#define REGEX_MAX_LEN	512
#define REGEX_MAX_COST	4096
#define REGEX_MAX_DEPTH	32

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/**
 * regex_check() - refuse regular expressions that blow up regcomp()
 * @re:		the expression (after the '~')
 * @msg:	error message
 * @msg_len:	size of @msg
 *
 * glibc's regcomp() copies the subtree under each '+' and {m,n}, so nested
 * repetitions cost memory exponential in their depth ("((a+)+)+..." or
 * "a++++..." took gigabytes under the fuzzer).  We estimate the size of the
 * expanded tree as regcomp builds it and refuse what is too large, as well
 * as stacked repetition operators (which mean nothing more than one) and
 * back-references (exponential to match).
 *
 * Return: 0, or -EINVAL with @msg set.
 */
static int regex_check(const char *re, char *msg, size_t msg_len)
{
	uint64_t sum[REGEX_MAX_DEPTH + 1] = { 0 }, last = 0;
	bool prev_rep = false;
	size_t i, depth = 0;

	if (strlen(re) > REGEX_MAX_LEN) {
		snprintf(msg, msg_len, "regular expression is longer than %d "
			 "characters (expected a shorter one)", REGEX_MAX_LEN);
		return -EINVAL;
	}
	for (i = 0; re[i]; i++) {
		unsigned long m = 0, n = 0;
		bool rep = false;
		char *end;

		switch (re[i]) {
		case '\\':
			if (re[i + 1] >= '1' && re[i + 1] <= '9') {
				snprintf(msg, msg_len,
					 "back-reference '\\%c' in regular "
					 "expression (expected none: they can "
					 "take exponential time)", re[i + 1]);
				return -EINVAL;
			}
			if (re[i + 1])
				i++;
			last = 1;
			sum[depth] = sat_add(sum[depth], 1);
			break;
		case '[':
			/* a bracket expression is one atom: skip to its ']' */
			i++;
			if (re[i] == '^')
				i++;
			if (re[i] == ']')
				i++;
			while (re[i] && re[i] != ']') {
				if (re[i] == '[' && (re[i + 1] == ':' ||
						     re[i + 1] == '.' ||
						     re[i + 1] == '=')) {
					char close = re[i + 1];

					i += 2;
					while (re[i] && !(re[i] == close &&
							  re[i + 1] == ']'))
						i++;
					if (re[i])
						i++;
				}
				if (re[i])
					i++;
			}
			if (!re[i])
				i--;
			last = 1;
			sum[depth] = sat_add(sum[depth], 1);
			break;
		case '(':
			if (depth == REGEX_MAX_DEPTH) {
				snprintf(msg, msg_len, "regular expression "
					 "nests deeper than %d groups "
					 "(expected fewer)", REGEX_MAX_DEPTH);
				return -EINVAL;
			}
			sum[++depth] = 0;
			last = 0;
			break;
		case ')':
			if (!depth) {
				last = 1;
				sum[0] = sat_add(sum[0], 1);
				break;
			}
			last = sum[depth] ? sum[depth] : 1;
			depth--;
			sum[depth] = sat_add(sum[depth], last);
			break;
		case '|':
			last = 0;
			break;
		case '*':
		case '?':
			rep = true;
			break;
		case '+':
			rep = true;
			sum[depth] = sat_add(sum[depth], last);
			last = sat_mul(last, 2);
			break;
		case '{':
			if (re[i + 1] < '0' || re[i + 1] > '9') {
				last = 1;
				sum[depth] = sat_add(sum[depth], 1);
				break;
			}
			m = strtoul(re + i + 1, &end, 10);
			n = m;
			if (*end == ',' && end[1] >= '0' && end[1] <= '9')
				n = strtoul(end + 1, &end, 10);
			else if (*end == ',')
				end++;
			if (*end != '}') {
				last = 1;
				sum[depth] = sat_add(sum[depth], 1);
				break;
			}
			rep = true;
			if (m > n)
				n = m;
			sum[depth] = sat_add(sum[depth], sat_mul(last, n));
			last = sat_mul(last, n + 1);
			i = (size_t)(end - re);
			break;
		default:
			last = 1;
			sum[depth] = sat_add(sum[depth], 1);
			break;
		}
		if (rep && prev_rep) {
			snprintf(msg, msg_len, "repetition of a repetition at "
				 "'%.2s' in regular expression (expected one "
				 "of *, +, ? or {m,n} per item)", re + i - 1);
			return -EINVAL;
		}
		prev_rep = rep;
		if (sum[depth] > REGEX_MAX_COST || last > REGEX_MAX_COST) {
			snprintf(msg, msg_len, "regular expression is too "
				 "complex once its repetitions are expanded "
				 "(expected fewer nested '+' and {m,n})");
			return -EINVAL;
		}
	}
	while (depth) {
		uint64_t g = sum[depth] ? sum[depth] : 1;

		depth--;
		sum[depth] = sat_add(sum[depth], g);
	}
	if (sum[0] > REGEX_MAX_COST) {
		snprintf(msg, msg_len, "regular expression is too complex "
			 "once its repetitions are expanded (expected fewer "
			 "nested '+' and {m,n})");
		return -EINVAL;
	}
	return 0;
}

/**
 * load_path_rule() - one entry of path_rules
 * @l:		loader
 * @pr:		the entry to fill
 * @n:		its node
 *
 * Return: 0, or -EINVAL (reported).
 */
static int load_path_rule(struct loader *l, struct path_rule *pr,
			  yaml_node_t *n)
{
	static const char *const keys[] = { "path", "action", "methods", NULL };
	yaml_node_pair_t *a;
	bool have_path = false;
	int bad = 0, ret;

	pr->line = n->start_mark.line + 1;
	if (!check_mapping(l, n, "a path rule", keys))
		return -EINVAL;
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top;
	     a++) {
		const char *k = pair_key(l, a);
		yaml_node_t *v = lnode(l, a->value);
		const char *s;

		if (!v) {
			bad = -EINVAL;
			continue;
		}
		if (!strcmp(k, "path")) {
			have_path = true;
			s = get_str(l, v, "path", "'/prefix' or '~regex'");
			if (!s || pr->path) {
				bad = -EINVAL;
				continue;
			}
			if (s[0] != '/' && s[0] != '~') {
				lerr(l, v, "path '%s' is neither a prefix nor "
				     "a regular expression (expected '/prefix' "
				     "or '~regex')", s);
				bad = -EINVAL;
				continue;
			}
			if (s[0] == '~') {
				char err[128], msg[MSG_LEN];

				if (regex_check(s + 1, msg, sizeof(msg))) {
					lerr(l, v, "%s", msg);
					bad = -EINVAL;
					continue;
				}
				ret = regcomp(&pr->re, s + 1,
					      REG_EXTENDED | REG_NOSUB);
				if (ret) {
					regerror(ret, &pr->re, err,
						 sizeof(err));
					lerr(l, v, "bad regular expression "
					     "'%s': %s (expected a POSIX "
					     "extended regular expression)",
					     s + 1, err);
					bad = -EINVAL;
					continue;
				}
				pr->is_regex = true;
			}
			pr->path = strdup(s);
			if (!pr->path)
				l->nomem = true;
		} else if (!strcmp(k, "action")) {
			ret = get_enum(l, v, "action", policy_action_str,
				       POLICY_ACTION_NUM);
			if (ret < 0)
				bad = ret;
			else
				pr->action = (enum policy_action)ret;
		} else if (!strcmp(k, "methods") && !pr->methods) {
			ret = load_methods(l, v, &pr->methods, &pr->n_methods);
			if (ret < 0)
				bad = ret;
		}
	}
	if (!have_path) {
		lerr(l, n, "path rule without 'path' (expected path: /prefix "
		     "or path: ~regex)");
		bad = -EINVAL;
	}
	return bad;
}

/**
 * load_path_rules() - an http rule's path_rules list
 * @l:		loader
 * @r:		the rule
 * @n:		the list's node
 *
 * Return: 0, or -EINVAL (reported) if any entry is bad.
 */
static int load_path_rules(struct loader *l, struct policy_rule *r,
			   yaml_node_t *n)
{
	yaml_node_item_t *it;
	size_t count;
	int bad = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		lerr(l, n, "'path_rules' is %s (expected a list of { path, "
		     "action, methods })", node_kind(n));
		return -EINVAL;
	}
	count = (size_t)(n->data.sequence.items.top -
			 n->data.sequence.items.start);
	r->path_rules = calloc(count ? count : 1, sizeof(*r->path_rules));
	if (!r->path_rules) {
		l->nomem = true;
		return -ENOMEM;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *pn = lnode(l, *it);
		struct path_rule *pr = &r->path_rules[r->n_path_rules++];

		if (!pn || load_path_rule(l, pr, pn) < 0)
			bad = -EINVAL;
	}
	return bad;
}

/* The keys of a rule, in the order "expected one of" lists them */
enum rule_key {
	RULE_KEY_DST,
	RULE_KEY_PROTO,
	RULE_KEY_PORT,
	RULE_KEY_ACTION,
	RULE_KEY_PATH_RULES,
	RULE_KEY_PATH_DEFAULT,
	RULE_KEY_METHODS,
	RULE_KEY_ALLOW_BROAD,
	RULE_KEY_VERIFY_BANNER,
	RULE_KEY_INTERCEPT,
	RULE_KEY_SKIP_VERIFY,
	RULE_KEY_NUM
};

/* NULL-terminated for check_mapping() */
static const char *const rule_key_str[RULE_KEY_NUM + 1] = {
	[RULE_KEY_DST] = "dst",
	[RULE_KEY_PROTO] = "proto",
	[RULE_KEY_PORT] = "port",
	[RULE_KEY_ACTION] = "action",
	[RULE_KEY_PATH_RULES] = "path_rules",
	[RULE_KEY_PATH_DEFAULT] = "path_default",
	[RULE_KEY_METHODS] = "methods",
	[RULE_KEY_ALLOW_BROAD] = "allow_broad",
	[RULE_KEY_VERIFY_BANNER] = "verify_banner",
	[RULE_KEY_INTERCEPT] = "intercept",
	[RULE_KEY_SKIP_VERIFY] = "insecure_skip_tls_verify",
	[RULE_KEY_NUM] = NULL,
};
static_assert(ARRAY_SIZE(rule_key_str) == RULE_KEY_NUM + 1,
	      "rule_key_str out of sync with enum rule_key");

/**
 * load_rule() - one entry of rules
 * @l:		loader
 * @n:		its node
 *
 * Every key is checked even after a problem, so all of them are reported.
 */
static void load_rule(struct loader *l, yaml_node_t *n)
{
	yaml_node_t *v[RULE_KEY_NUM + 1] = { NULL };
	yaml_node_t *dst, *proto, *port, *action, *path_rules, *path_default,
		*methods, *broad, *banner, *intercept, *skip_verify;
	struct policy_rule r = { 0 };
	char msg[MSG_LEN];
	yaml_node_pair_t *a;
	int bad = 0, pp_bad = 0, ret;

	if (!check_mapping(l, n, "a rule", rule_key_str))
		return;
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top;
	     a++) {
		const char *k = pair_key(l, a);
		size_t i;

		for (i = 0; i < RULE_KEY_NUM && strcmp(rule_key_str[i], k); i++)
			;
		if (i == RULE_KEY_NUM)
			continue;	/* unknown: reported */
		if (v[i]) {
			bad = -EINVAL;	/* duplicate: reported */
			continue;
		}
		v[i] = lnode(l, a->value);
		if (!v[i])
			bad = -EINVAL;
	}
	dst = v[RULE_KEY_DST];
	proto = v[RULE_KEY_PROTO];
	port = v[RULE_KEY_PORT];
	action = v[RULE_KEY_ACTION];
	path_rules = v[RULE_KEY_PATH_RULES];
	path_default = v[RULE_KEY_PATH_DEFAULT];
	methods = v[RULE_KEY_METHODS];
	broad = v[RULE_KEY_ALLOW_BROAD];
	banner = v[RULE_KEY_VERIFY_BANNER];
	intercept = v[RULE_KEY_INTERCEPT];
	skip_verify = v[RULE_KEY_SKIP_VERIFY];

	r.action = POLICY_ACTION_ALLOW;
	r.proto = POLICY_PROTO_ANY;
	r.origin = rule_origin(l, n);
	if (broad) {
		ret = get_bool(l, broad, "allow_broad");
		if (ret < 0)
			bad = ret;
		else
			r.allow_broad = ret;
	}
	if (action) {
		ret = get_enum(l, action, "action", policy_action_str,
			       POLICY_ACTION_NUM);
		if (ret < 0)
			bad = ret;
		else
			r.action = (enum policy_action)ret;
	}
	if (proto) {
		const char *s = get_str(l, proto, "proto", "one of: tcp, udp, "
					"ssh, http, https, tls, ftp, icmp, "
					"quic, any");

		ret = s ? proto_parse(s) : -EINVAL;
		if (ret < 0 && s)
			lerr(l, proto, "unknown proto '%s' (expected one of: "
			     "%s)", s, policy_proto_list());
		if (ret < 0)
			bad = pp_bad = ret;
		else
			r.proto = (enum policy_proto)ret;
	}
	if (!dst) {
		lerr(l, n, "rule without 'dst' (expected dst: a name pattern, "
		     "an IP address or a CIDR)");
		bad = -EINVAL;
	} else {
		const char *s = get_str(l, dst, "dst", "a name pattern, an IP "
					"address or a CIDR");

		if (!s) {
			bad = -EINVAL;
		} else {
			ret = rule_set_dst(&r, s, msg, sizeof(msg));
			note_ret(l, ret);
			if (ret == -EINVAL)
				lerr(l, dst, "%s", msg);
			if (ret < 0)
				bad = ret;
		}
	}
	if (port && load_ports(l, &r, port) < 0)
		bad = pp_bad = -EINVAL;
	if (!pp_bad) {
		ret = rule_finish_ports(&r, msg, sizeof(msg));
		note_ret(l, ret);
		if (ret == -EINVAL)
			lerr(l, port ? port : proto ? proto : n, "%s", msg);
		if (ret < 0)
			bad = ret;
	}
	if (banner) {
		ret = get_bool(l, banner, "verify_banner");
		if (ret >= 0 && r.proto != POLICY_PROTO_SSH) {
			lerr(l, banner, "verify_banner applies to proto ssh "
			     "only (expected proto: ssh in this rule)");
			ret = -EINVAL;
		}
		if (ret < 0)
			bad = ret;
		else
			r.verify_banner = ret;
	}
	if ((path_rules || path_default || methods) &&
	    ((r.proto != POLICY_PROTO_HTTP && r.proto != POLICY_PROTO_HTTPS) ||
	     r.action != POLICY_ACTION_ALLOW)) {
		yaml_node_t *at = path_rules ? path_rules :
				  path_default ? path_default : methods;

		lerr(l, at, "path_rules, path_default and methods apply to "
		     "allow rules with proto http or https only (expected "
		     "proto: http or https, action: allow)");
		bad = -EINVAL;
	}
	if (r.proto == POLICY_PROTO_HTTPS && r.action == POLICY_ACTION_ALLOW &&
	    (path_rules || path_default || methods))
		r.intercept = true;	/* requests are read: inside TLS */
	if (intercept) {
		ret = get_bool(l, intercept, "intercept");
		if (ret >= 0 && (r.proto != POLICY_PROTO_HTTPS ||
				 r.action != POLICY_ACTION_ALLOW)) {
			lerr(l, intercept, "intercept applies to allow rules "
			     "with proto https only (expected proto: https, "
			     "action: allow)");
			ret = -EINVAL;
		} else if (ret == 0 && r.intercept) {
			lerr(l, intercept, "intercept: false, but path_rules, "
			     "path_default or methods need the requests "
			     "inside TLS (expected intercept: true, or no "
			     "path rules)");
			ret = -EINVAL;
		}
		if (ret < 0)
			bad = ret;
		else if (ret)
			r.intercept = true;
	}
	if (skip_verify) {
		ret = get_bool(l, skip_verify, "insecure_skip_tls_verify");
		if (ret >= 0 && !r.intercept && !bad) {
			lerr(l, skip_verify, "insecure_skip_tls_verify applies "
			     "to https rules the relay intercepts (expected "
			     "intercept: true or path_rules in this rule)");
			ret = -EINVAL;
		}
		if (ret < 0)
			bad = ret;
		else
			r.skip_tls_verify = ret;
	}
	if (path_rules && load_path_rules(l, &r, path_rules) < 0)
		bad = -EINVAL;
	if (path_default) {
		ret = get_enum(l, path_default, "path_default",
			       policy_action_str, POLICY_ACTION_NUM);
		if (ret < 0) {
			bad = ret;
		} else {
			r.path_default = (enum policy_action)ret;
			r.has_path_default = true;
		}
	}
	if (methods && load_methods(l, methods, &r.methods, &r.n_methods) < 0)
		bad = -EINVAL;
	if (!path_default && path_rules)
		r.path_default = POLICY_ACTION_DENY;

	if (bad || !r.origin)
		rule_free(&r);
	else
		add_rule(l, &r);
}

/**
 * load_list() - a list whose every item @item loads
 * @l:		loader
 * @n:		the list's node
 * @key:	its key, for the error
 * @expected:	what it should be, for the error
 * @item:	loads one item (items that are aliases are skipped, reported)
 */
static void load_list(struct loader *l, yaml_node_t *n, const char *key,
		      const char *expected,
		      void (*item)(struct loader *l, yaml_node_t *n))
{
	yaml_node_item_t *it;

	if (n->type != YAML_SEQUENCE_NODE) {
		lerr(l, n, "'%s' is %s (expected %s)", key, node_kind(n),
		     expected);
		return;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *in = lnode(l, *it);

		if (in)
			item(l, in);
	}
}

/* The rules list; each good rule is added in file order */
static void load_rules(struct loader *l, yaml_node_t *n)
{
	load_list(l, n, "rules",
		  "a list of rules, each starting with '- dst: ...'",
		  load_rule);
}

/* One add_domains entry: the name becomes an https rule */
static void load_add_domain(struct loader *l, yaml_node_t *dn)
{
	struct policy_rule r = { 0 };
	char msg[MSG_LEN];
	const char *s;
	int ret;

	s = get_str(l, dn, "add_domains entry", "a name pattern");
	if (!s)
		return;
	r.action = POLICY_ACTION_ALLOW;
	r.proto = POLICY_PROTO_HTTPS;
	r.origin = rule_origin(l, dn);
	ret = rule_set_dst(&r, s, msg, sizeof(msg));
	if (!ret)
		ret = rule_finish_ports(&r, msg, sizeof(msg));
	note_ret(l, ret);
	if (ret == -EINVAL)
		lerr(l, dn, "%s", msg);
	if (ret < 0 || !r.origin)
		rule_free(&r);
	else
		add_rule(l, &r);
}

/* add_domains: each name becomes an https rule */
static void load_add_domains(struct loader *l, yaml_node_t *n)
{
	load_list(l, n, "add_domains",
		  "a list of names, e.g. [github.com, .githubusercontent.com]",
		  load_add_domain);
}

/**
 * get_ip() - a scalar that must be one IPv4 or IPv6 address
 * @l:		loader
 * @n:		node
 * @what:	the key
 *
 * Return: malloc'ed copy, or NULL (reported).
 */
static char *get_ip(struct loader *l, yaml_node_t *n, const char *what)
{
	const char *s = get_str(l, n, what, "an IP address");
	uint8_t buf[16];
	char *copy;

	if (!s)
		return NULL;
	if (inet_pton(AF_INET, s, buf) != 1 &&
	    inet_pton(AF_INET6, s, buf) != 1) {
		lerr(l, n, "'%s' is '%s', not an IP address (expected e.g. "
		     "198.51.100.53 or 2001:db8::53)", what, s);
		return NULL;
	}
	copy = strdup(s);
	if (!copy)
		l->nomem = true;
	return copy;
}

/**
 * load_upstream() - dns.upstream: one address or a list of them
 * @l:		loader
 * @n:		the node
 */
static void load_upstream(struct loader *l, yaml_node_t *n)
{
	struct policy *p = l->p;
	yaml_node_item_t *it;
	size_t count;

	if (n->type == YAML_SCALAR_NODE) {
		char *ip = get_ip(l, n, "upstream");

		if (!ip)
			return;
		p->dns_upstream = calloc(1, sizeof(char *));
		if (!p->dns_upstream) {
			free(ip);
			l->nomem = true;
			return;
		}
		p->dns_upstream[p->n_dns_upstream++] = ip;
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		lerr(l, n, "'upstream' is %s (expected a list of IP "
		     "addresses)", node_kind(n));
		return;
	}
	count = (size_t)(n->data.sequence.items.top -
			 n->data.sequence.items.start);
	p->dns_upstream = calloc(count ? count : 1, sizeof(char *));
	if (!p->dns_upstream) {
		l->nomem = true;
		return;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *un = lnode(l, *it);
		char *ip = un ? get_ip(l, un, "upstream") : NULL;

		if (ip)
			p->dns_upstream[p->n_dns_upstream++] = ip;
	}
	if (!count)
		lerr(l, n, "'upstream' is an empty list (expected at least one "
		     "address, or no 'upstream' for /etc/resolv.conf)");
}

/**
 * load_dns() - the dns mapping: the stub's settings
 * @l:		loader
 * @n:		the mapping's node
 */
static void load_dns(struct loader *l, yaml_node_t *n)
{
	static const char *const keys[] = {
		"upstream", "listen", "min_ttl", "max_ttl", "grace",
		"deny_answer", NULL
	};
	struct policy *p = l->p;
	yaml_node_t *max_node = NULL;
	yaml_node_pair_t *a;
	bool seen[6] = { false };

	if (!check_mapping(l, n, "'dns'", keys))
		return;
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top;
	     a++) {
		const char *k = pair_key(l, a);
		unsigned long v;
		yaml_node_t *vn;
		size_t i;
		int ret;

		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i] || seen[i])
			continue;
		seen[i] = true;
		vn = lnode(l, a->value);
		if (!vn)
			continue;
		if (!strcmp(k, "upstream")) {
			load_upstream(l, vn);
		} else if (!strcmp(k, "listen")) {
			char *ip = get_ip(l, vn, "listen");

			if (ip) {
				free(p->dns_listen);
				p->dns_listen = ip;
			}
		} else if (!strcmp(k, "deny_answer")) {
			ret = get_enum(l, vn, "deny_answer",
				       policy_dns_deny_answer_str,
				       POLICY_DNS_DENY_NUM);
			if (ret >= 0)
				p->dns_deny_answer =
					(enum policy_dns_deny_answer)ret;
		} else if (!get_uint(l, vn, k, 7 * 86400, &v)) {
			if (!strcmp(k, "min_ttl")) {
				p->dns_min_ttl = (unsigned int)v;
			} else if (!strcmp(k, "max_ttl")) {
				p->dns_max_ttl = (unsigned int)v;
				max_node = vn;
			} else {
				p->dns_grace = (unsigned int)v;
			}
		}
	}
	if (p->dns_max_ttl < p->dns_min_ttl)
		lerr(l, max_node ? max_node : n,
		     "max_ttl %u is below min_ttl %u (expected max_ttl >= "
		     "min_ttl)", p->dns_max_ttl, p->dns_min_ttl);
}

/**
 * load_top() - the policy's top-level mapping
 * @l:		loader
 * @root:	the document's root node
 */
/* One list of the unix section: absolute path globs or "@" abstract globs */
static char **load_unix_list(struct loader *l, yaml_node_t *n,
			     const char *what, size_t *count)
{
	yaml_node_item_t *it;
	char **v;
	size_t max;

	if (n->type != YAML_SEQUENCE_NODE) {
		lerr(l, n, "'%s' is %s (expected a list of socket paths or "
		     "@abstract names)", what, node_kind(n));
		return NULL;
	}
	max = (size_t)(n->data.sequence.items.top -
		       n->data.sequence.items.start);
	v = calloc(max ? max : 1, sizeof(*v));
	if (!v) {
		l->nomem = true;
		return NULL;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *en = lnode(l, *it);
		const char *e = en ? get_str(l, en, what,
					     "a socket path or @name") : NULL;

		if (!e)
			continue;
		if (e[0] != '/' && e[0] != '@') {
			lerr(l, en, "'%s' in '%s' is neither an absolute path "
			     "nor an abstract name (expected /path/to.sock, "
			     "a glob like /run/*.sock, or @name)", e, what);
			continue;
		}
		if (strlen(e) > 107) {
			lerr(l, en, "'%s' in '%s' is longer than a socket "
			     "address can be (expected at most 107 bytes)",
			     e, what);
			continue;
		}
		v[*count] = strdup(e);
		if (!v[*count]) {
			l->nomem = true;
			continue;
		}
		(*count)++;
	}
	return v;
}

/**
 * load_unix() - the unix mapping: which AF_UNIX sockets CMD may reach
 * @l:		loader
 * @n:		the mapping's node
 */
static void load_unix(struct loader *l, yaml_node_t *n)
{
	static const char *const keys[] = { "allow", "deny",
					    "deny_fd_passing", NULL };
	struct policy *p = l->p;
	yaml_node_pair_t *a;

	if (!check_mapping(l, n, "'unix'", keys))
		return;
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top;
	     a++) {
		const char *k = pair_key(l, a);
		yaml_node_t *vn = lnode(l, a->value);

		if (!vn || !k)
			continue;
		if (!strcmp(k, "allow") && !p->unix_allow) {
			p->unix_line_allow = (int)vn->start_mark.line + 1;
			p->unix_allow = load_unix_list(l, vn, "unix.allow",
						       &p->n_unix_allow);
		} else if (!strcmp(k, "deny") && !p->unix_deny) {
			p->unix_line_deny = (int)vn->start_mark.line + 1;
			p->unix_deny = load_unix_list(l, vn, "unix.deny",
						      &p->n_unix_deny);
		} else if (!strcmp(k, "deny_fd_passing")) {
			p->unix_deny_fd_passing =
				get_bool(l, vn, "deny_fd_passing") == 1;
		}
	}
}

/* IPv4-mapped IPv6 networks (::ffff:0:0/96 and longer) as the IPv4
 * networks their packets arrive as */
static void ingress_unmap(struct policy_ingress_rule *r)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (r->family != AF_INET6 || r->plen < 96 ||
	    memcmp(r->addr, mapped, sizeof(mapped)))
		return;
	memmove(r->addr, r->addr + 12, 4);
	memset(r->addr + 4, 0, 12);
	r->family = AF_INET;
	r->plen -= 96;
}

/**
 * load_ingress_rule() - one entry of ingress: src, proto, port
 * @l:		loader
 * @n:		its node
 *
 * Every key is checked even after a problem, so all of them are reported.
 */
static void load_ingress_rule(struct loader *l, yaml_node_t *n)
{
	static const char *const keys[] = { "src", "proto", "port", NULL };
	static const char *const protos[] = { "tcp", "udp", "any" };
	static const enum policy_proto proto_val[] = {
		POLICY_PROTO_TCP, POLICY_PROTO_UDP, POLICY_PROTO_ANY,
	};
	yaml_node_t *v[3] = { NULL };
	struct policy_ingress_rule r = { 0 }, *nr;
	struct policy_port_range *ranges = NULL;
	struct policy *p = l->p;
	size_t n_ranges = 0, i;
	char msg[MSG_LEN];
	yaml_node_pair_t *a;
	int bad = 0, ret;

	if (!check_mapping(l, n, "an ingress rule", keys))
		return;
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top;
	     a++) {
		const char *k = pair_key(l, a);

		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i])
			continue;	/* unknown: reported */
		if (v[i]) {
			bad = -EINVAL;	/* duplicate: reported */
			continue;
		}
		v[i] = lnode(l, a->value);
		if (!v[i])
			bad = -EINVAL;
	}
	r.proto = POLICY_PROTO_ANY;
	if (!v[0]) {
		lerr(l, n, "ingress rule without 'src' (expected src: an IP "
		     "address or a CIDR such as 198.51.100.0/24)");
		bad = -EINVAL;
	} else {
		const char *src = get_str(l, v[0], "src", "an IP address or a "
					  "CIDR");
		struct pnet net;

		if (!src) {
			bad = -EINVAL;
		} else if (!pnet_looks_like_addr(src)) {
			lerr(l, v[0], "'%s' is a name: ingress sources are not "
			     "resolved (expected an IP address or a CIDR such "
			     "as 198.51.100.0/24)", src);
			bad = -EINVAL;
		} else if (pnet_parse(&net, src, msg, sizeof(msg))) {
			lerr(l, v[0], "%s", msg);
			bad = -EINVAL;
		} else {
			r.family = net.family;
			r.plen = net.plen;
			memcpy(r.addr, net.addr, sizeof(r.addr));
			ingress_unmap(&r);
		}
	}
	if (v[1]) {
		const char *s = get_str(l, v[1], "proto", "one of: tcp, udp, "
					"any");

		for (i = 0; s && i < ARRAY_SIZE(protos) && strcmp(s, protos[i]);
		     i++)
			;
		if (s && i < ARRAY_SIZE(protos))
			r.proto = proto_val[i];
		else if (s && proto_parse(s) >= 0)
			lerr(l, v[1], "proto '%s' in an ingress rule (expected "
			     "one of: tcp, udp, any: an ingress rule names the "
			     "transport, not what runs over it)", s);
		else if (s)
			lerr(l, v[1], "unknown proto '%s' (expected one of: "
			     "tcp, udp, any)", s);
		if (!s || i == ARRAY_SIZE(protos))
			bad = -EINVAL;
	}
	if (v[2] && load_port_list(l, v[2], &ranges, &n_ranges) < 0)
		bad = -EINVAL;
	if (!bad) {
		ret = ingress_ports_normalize(&r, ranges, n_ranges);
		note_ret(l, ret);
		if (ret)
			bad = ret;
	}
	free(ranges);
	if (!bad && p->n_ingress == POLICY_INGRESS_MAX_RULES) {
		lerr(l, n, "more than %d ingress rules (expected at most %d: "
		     "each becomes code in every filtered socket's filter; "
		     "merge sources into wider networks)",
		     POLICY_INGRESS_MAX_RULES, POLICY_INGRESS_MAX_RULES);
		bad = -EINVAL;
	}
	if (!bad && p->n_ingress_ranges + r.n_ports >
			    POLICY_INGRESS_MAX_RANGES) {
		lerr(l, v[2] ? v[2] : n, "more than %d port ranges in the "
		     "ingress rules (expected at most %d in all: each is "
		     "tested by every filtered socket's filter)",
		     POLICY_INGRESS_MAX_RANGES, POLICY_INGRESS_MAX_RANGES);
		bad = -EINVAL;
	}
	if (!bad) {
		r.origin = rule_origin(l, n);
		if (!r.origin)
			bad = -ENOMEM;
	}
	if (bad) {
		ingress_rule_free(&r);
		return;
	}
	nr = reallocarray(p->ingress, p->n_ingress + 1, sizeof(*nr));
	if (!nr) {
		l->nomem = true;
		ingress_rule_free(&r);
		return;
	}
	p->ingress = nr;
	p->ingress[p->n_ingress++] = r;
	p->n_ingress_ranges += r.n_ports;
}

/**
 * load_ingress() - the ingress list: who may reach CMD's sockets
 * @l:		loader
 * @n:		the list's node
 */
static void load_ingress(struct loader *l, yaml_node_t *n)
{
	l->p->has_ingress = true;
	load_list(l, n, "ingress",
		  "a list of rules, each starting with '- src: ...'",
		  load_ingress_rule);
}

/**
 * load_tls() - the tls mapping: where the interception CA and the extra
 * upstream trust anchors are
 * @l:		loader
 * @n:		the mapping's node
 *
 * Paths must be absolute: the supervisor reads them from wherever it was
 * started, and a policy may be checked from elsewhere.
 */
static void load_tls(struct loader *l, yaml_node_t *n)
{
	static const char *const keys[] = { "ca_dir", "ca_cert", "ca_key",
					    "upstream_ca", NULL };
	struct policy *p = l->p;
	char **slot[] = { &p->tls_ca_dir, &p->tls_ca_cert, &p->tls_ca_key,
			  &p->tls_upstream_ca };
	yaml_node_pair_t *a;

	if (!check_mapping(l, n, "'tls'", keys))
		return;
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top;
	     a++) {
		const char *k = pair_key(l, a), *s;
		yaml_node_t *vn = lnode(l, a->value);
		size_t i;

		if (!vn || !k)
			continue;
		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i] || *slot[i])
			continue;
		s = get_str(l, vn, k, "an absolute path");
		if (!s)
			continue;
		if (s[0] != '/') {
			lerr(l, vn, "'%s' is '%s', not an absolute path "
			     "(expected e.g. /etc/egress-supervise/ca%s)", k, s,
			     i == 0 ? "" : i == 1 ? "/ca.crt" :
			     i == 2 ? "/ca.key" : "/upstream.pem");
			continue;
		}
		*slot[i] = strdup(s);
		if (!*slot[i])
			l->nomem = true;
	}
	if (p->tls_ca_dir && p->tls_ca_cert && p->tls_ca_key)
		lerr(l, n, "'ca_dir' with both 'ca_cert' and 'ca_key' names "
		     "nothing (expected ca_dir, or ca_cert and ca_key)");
}

static void load_top(struct loader *l, yaml_node_t *root)
{
	static const char *const keys[] = {
		"version", "mode", "default", "deny_errno", "dns",
		"add_domains", "rules", "unix", "ingress", "tls", NULL
	};
	static const char *const dflt_str[] = { "deny", "allow" };
	struct policy *p = l->p;
	bool have_version = false;
	yaml_node_pair_t *a;
	bool seen[ARRAY_SIZE(keys) - 1] = { false };

	if (!check_mapping(l, root, "the policy", keys))
		return;
	for (a = root->data.mapping.pairs.start;
	     a < root->data.mapping.pairs.top; a++) {
		const char *k = pair_key(l, a);
		yaml_node_t *vn;
		const char *s;
		size_t i;
		int ret;

		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i] || seen[i])
			continue;
		seen[i] = true;
		vn = lnode(l, a->value);
		if (!vn)
			continue;
		if (!strcmp(k, "version")) {
			have_version = true;
			s = get_str(l, vn, "version", "1");
			if (s && strcmp(s, "1"))
				lerr(l, vn, "unsupported version '%s' "
				     "(expected 1)", s);
		} else if (!strcmp(k, "mode")) {
			ret = get_enum(l, vn, "mode", policy_mode_str,
				       POLICY_MODE_NUM);
			if (ret >= 0)
				p->mode = (enum policy_mode)ret;
		} else if (!strcmp(k, "default")) {
			ret = get_enum(l, vn, "default", dflt_str, 2);
			if (ret >= 0)
				p->dflt = ret ? POLICY_ACTION_ALLOW :
						POLICY_ACTION_DENY;
		} else if (!strcmp(k, "deny_errno")) {
			s = get_str(l, vn, "deny_errno", "an errno name");
			ret = s ? errno_parse(s) : -EINVAL;
			if (s && ret < 0)
				lerr(l, vn, "unknown deny_errno '%s' (expected "
				     "one of: EACCES, EPERM, ECONNREFUSED, "
				     "ENETUNREACH, EHOSTUNREACH, ETIMEDOUT)",
				     s);
			if (ret >= 0)
				p->deny_errno = ret;
		} else if (!strcmp(k, "dns")) {
			load_dns(l, vn);
		} else if (!strcmp(k, "add_domains")) {
			load_add_domains(l, vn);
		} else if (!strcmp(k, "rules")) {
			load_rules(l, vn);
		} else if (!strcmp(k, "unix")) {
			load_unix(l, vn);
		} else if (!strcmp(k, "ingress")) {
			load_ingress(l, vn);
		} else if (!strcmp(k, "tls")) {
			load_tls(l, vn);
		}
	}
	if (!have_version)
		lerr(l, root, "no 'version' (expected 'version: 1' at the top "
		     "of the policy)");
}

/**
 * offset_mark() - line and column of a byte offset, for reader errors
 * @buf:	the input
 * @len:	its length
 * @off:	the offset
 *
 * Return: a mark with 0-based line and column.
 */
static yaml_mark_t offset_mark(const char *buf, size_t len, size_t off)
{
	yaml_mark_t m = { 0 };
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	return m;
}

/**
 * report_syntax() - a libyaml error as FILE:LINE:COL
 * @l:		loader
 * @ps:		the failed parser
 * @buf:	the input, to place reader errors (they carry an offset)
 * @len:	its length
 */
static void report_syntax(struct loader *l, yaml_parser_t *ps,
			  const char *buf, size_t len)
{
	const char *problem = ps->problem ? ps->problem : "unknown error";
	const char *hint = "";
	yaml_mark_t m = ps->problem_mark;

	if (ps->error == YAML_READER_ERROR)
		m = offset_mark(buf, len, ps->problem_offset);
	else if (ps->error == YAML_MEMORY_ERROR)
		l->nomem = true;
	if (strstr(problem, "alias") ||
	    (ps->context && strstr(ps->context, "alias")))
		hint = "; quote patterns that start with '*', e.g. dst: "
		       "\"*.example.com\"";
	lerr_at(l, m, "YAML syntax error: %s%s%s (expected valid YAML%s)",
		problem, ps->context ? " " : "",
		ps->context ? ps->context : "", hint);
}

/**
 * prescan() - check the event stream before building the document
 * @l:		loader
 * @buf:	the YAML text
 * @len:	its length
 *
 * libyaml's scanner checks every pending "simple key" on each token, so
 * its cost grows with the square of the nesting depth (a million '[' took
 * minutes); and its loader turns aliases into shared nodes without telling
 * us where the alias was written.  One pass over the events, stopping at
 * POLICY_MAX_DEPTH, bounds the first and reports each alias at its place.
 *
 * Return: true if the document may be loaded.
 */
static bool prescan(struct loader *l, const char *buf, size_t len)
{
	unsigned int depth = 0, before = l->n_errors;
	yaml_parser_t ps;
	yaml_event_t ev;
	bool done = false;

	if (!yaml_parser_initialize(&ps)) {
		l->nomem = true;
		return false;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&ps, &ev)) {
			report_syntax(l, &ps, buf, len);
			break;
		}
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > POLICY_MAX_DEPTH) {
				lerr_at(l, ev.start_mark, "nested deeper than "
					"%d levels (expected the flat "
					"structure of a policy)",
					POLICY_MAX_DEPTH);
				done = true;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_ALIAS_EVENT:
			lerr_at(l, ev.start_mark, "alias '*%s': anchors and "
				"aliases are not supported (expected the value "
				"written out where it is used)",
				(const char *)ev.data.alias.anchor);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_NO_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		case YAML_SCALAR_EVENT:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&ps);
	return l->n_errors == before && !l->nomem;
}

/**
 * policy_add_specs() - append --allow rules, reporting bad ones
 * @l:		the loader of the file (its policy gets the rules)
 * @allow:	specs
 * @n_allow:	number of @allow
 *
 * Problems go straight to @l->errs, after the file's.
 */
static void policy_add_specs(struct loader *l, const char *const *allow,
			     size_t n_allow)
{
	size_t i;

	for (i = 0; i < n_allow; i++) {
		struct policy_rule r;
		char msg[MSG_LEN];
		int ret;

		ret = rule_parse_spec(&r, allow[i], msg, sizeof(msg));
		note_ret(l, ret);
		if (ret < 0) {
			if (ret == -EINVAL && l->errs)
				fprintf(l->errs, "--allow '%s': %s\n", allow[i],
					msg);
			rule_free(&r);
			l->n_errors++;
			continue;
		}
		add_rule(l, &r);
	}
}

/**
 * policy_load_buffer() - build a policy from YAML text
 * @name:	file name for messages and rule origins
 * @buf:	the YAML text, or NULL for no file
 * @len:	its length
 * @allow:	--allow specs, added after the file's rules
 * @n_allow:	number of @allow
 * @errs:	every problem, one per line (may be NULL)
 *
 * Return: the policy, or NULL with errno EINVAL (input) or ENOMEM.
 */
struct policy *policy_load_buffer(const char *name, const char *buf,
				  size_t len, const char *const *allow,
				  size_t n_allow, FILE *errs)
{
	struct loader l = { .name = name, .errs = errs };
	yaml_parser_t ps;
	struct policy *p;

	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	policy_init_defaults(p);
	l.p = p;
	if (name) {
		p->path = strdup(name);
		if (!p->path)
			l.nomem = true;
	}

	if (buf && prescan(&l, buf, len)) {
		yaml_node_t *root;

		if (!yaml_parser_initialize(&ps)) {
			policy_free(p);
			errno = ENOMEM;
			return NULL;
		}
		yaml_parser_set_input_string(&ps, (const unsigned char *)buf,
					     len);
		if (!yaml_parser_load(&ps, &l.doc)) {
			report_syntax(&l, &ps, buf, len);
			goto parsed;
		}
		root = yaml_document_get_root_node(&l.doc);
		l.n_nodes = (size_t)(l.doc.nodes.top - l.doc.nodes.start);
		l.seen = calloc(l.n_nodes ? l.n_nodes : 1, 1);
		if (!l.seen) {
			l.nomem = true;
		} else if (!root) {
			yaml_mark_t m = { 0 };

			lerr_at(&l, m, "empty policy (expected a mapping "
				"starting with 'version: 1')");
		} else {
			yaml_document_t next;

			load_top(&l, lnode(&l, 1));
			if (!yaml_parser_load(&ps, &next)) {
				report_syntax(&l, &ps, buf, len);
			} else {
				if (yaml_document_get_root_node(&next))
					lerr_at(&l, next.start_mark,
						"a second YAML document "
						"(expected one policy per "
						"file)");
				yaml_document_delete(&next);
			}
		}
		free(l.seen);
		yaml_document_delete(&l.doc);
parsed:
		yaml_parser_delete(&ps);
	}
	lerr_flush(&l);

	policy_add_specs(&l, allow, n_allow);
	if (!p->dns_listen && !l.nomem) {
		p->dns_listen = strdup(POLICY_DNS_LISTEN_DEFAULT);
		if (!p->dns_listen)
			l.nomem = true;
	}
	if (l.nomem || l.n_errors) {
		policy_free(p);
		errno = l.nomem ? ENOMEM : EINVAL;
		return NULL;
	}
	return p;
}

struct policy *policy_load(const char *path, const char *const *allow,
			   size_t n_allow, FILE *errs)
{
	struct policy *p;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int ret;

	if (!path)
		return policy_load_buffer(NULL, NULL, 0, allow, n_allow, errs);

	f = fopen(path, "re");
	if (!f) {
		ret = errno;
		if (errs)
			fprintf(errs, "%s: %s\n", path, strerror(ret));
		errno = ret;
		return NULL;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			char *nb;

			if (cap >= POLICY_FILE_MAX) {
				if (errs)
					fprintf(errs, "%s: larger than %d "
						"bytes (expected a policy "
						"file)\n", path,
						POLICY_FILE_MAX);
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got)
			continue;
		if (ferror(f)) {
			ret = errno ? errno : EIO;
			if (errs)
				fprintf(errs, "%s: %s\n", path, strerror(ret));
			free(buf);
			fclose(f);
			errno = ret;
			return NULL;
		}
		break;
	}
	fclose(f);
	p = policy_load_buffer(path, buf, len, allow, n_allow, errs);
	ret = errno;
	free(buf);
	errno = ret;
	return p;
}
