/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_internal.h - what the policy library's files share, not its users
 *
 * A policy is an array of rules.  Each rule has one destination (a name
 * pattern or a network), one protocol, a list of port ranges (resolved from
 * the protocol's default at load time, so matching never looks defaults up)
 * and an action.  Everything is validated and normalized at load time, so
 * policy_decide() only compares.
 */
#ifndef POLICY_INTERNAL_H
#define POLICY_INTERNAL_H

#include <assert.h>
#include <regex.h>
#include <stdarg.h>

#include "policy.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define PNAME_MAX_LEN		253	/* RFC 1035 2.3.4, without root */
#define PNAME_MAX_LABELS	127
#define PNAME_LABEL_MAX		63

/* The DNS stub's defaults, also documented in egress-supervise-policy(5) */
#define POLICY_DNS_LISTEN_DEFAULT	"127.0.0.53"
#define POLICY_DNS_MIN_TTL_DEFAULT	60
#define POLICY_DNS_MAX_TTL_DEFAULT	3600
#define POLICY_DNS_GRACE_DEFAULT	60

enum policy_action {
	POLICY_ACTION_ALLOW,
	POLICY_ACTION_DENY,
	POLICY_ACTION_NUM
};
extern const char *const policy_action_str[POLICY_ACTION_NUM];
extern const char *const policy_mode_str[POLICY_MODE_NUM];
extern const char *const policy_dns_deny_answer_str[POLICY_DNS_DENY_NUM];
extern const char *const policy_name_verdict_str[POLICY_NAME_NUM];

/**
 * enum pname_kind - how the leftmost part of a name pattern matches
 * @PNAME_EXACT:	"a.example.com": exactly as many labels as written
 * @PNAME_WILD:		"*.example.com": one or more labels, not the apex
 * @PNAME_DOT:		".example.com": the apex and every subdomain
 */
enum pname_kind {
	PNAME_EXACT,
	PNAME_WILD,
	PNAME_DOT,
	PNAME_NUM
};

/**
 * struct pname - a parsed, normalized name pattern
 * @text:	the normalized pattern (lower case, A-labels, no trailing dot)
 * @kind:	see enum pname_kind
 * @labels:	the labels after the leading "*." or ".", leftmost first;
 *		they point into @buf and may contain '*' (within-label glob)
 * @n_labels:	number of @labels
 * @buf:	storage for @labels, NUL-separated
 */
struct pname {
	char *text;
	enum pname_kind kind;
	char **labels;
	size_t n_labels;
	char *buf;
};

/**
 * struct dname - a name split into labels without copying, for matching
 * @s:		the name (not NUL-terminated at label ends)
 * @n:		number of labels
 * @off:	offset of each label in @s
 * @len:	length of each label
 */
struct dname {
	const char *s;
	size_t n;
	uint16_t off[PNAME_MAX_LABELS];
	uint8_t len[PNAME_MAX_LABELS];
};

/**
 * struct pnet - an IPv4 or IPv6 network
 * @family:	AF_INET or AF_INET6
 * @plen:	prefix length (32 or 128 for a single address)
 * @addr:	network order, host bits zero
 */
struct pnet {
	int family;
	unsigned int plen;
	uint8_t addr[16];
};

/**
 * struct path_rule - one entry of an http rule's path_rules
 * @path:	"/prefix" or "~regex" as written
 * @is_regex:	@path starts with '~'; @re is compiled from the rest
 * @re:		the compiled expression (REG_EXTENDED | REG_NOSUB)
 * @action:	allow or deny when it matches
 * @methods:	methods it applies to (NULL: all), upper case
 * @n_methods:	number of @methods
 * @line:	line in the policy file, for messages
 */
struct path_rule {
	char *path;
	bool is_regex;
	regex_t re;
	enum policy_action action;
	char **methods;
	size_t n_methods;
	size_t line;
};

enum rule_dst {
	RULE_DST_NAME,
	RULE_DST_NET,
	RULE_DST_NUM
};

/**
 * struct policy_rule - one validated rule
 * @origin:		"FILE:LINE" or "--allow SPEC", for decisions
 * @action:		allow or deny
 * @proto:		application protocol
 * @dst_kind:		name pattern or network
 * @name:		the pattern, for RULE_DST_NAME
 * @net:		the network, for RULE_DST_NET
 * @ports:		port ranges; NULL with @n_ports 0 means every port
 * @n_ports:		number of @ports
 * @allow_broad:	the user accepted a pattern with < 2 fixed labels
 * @verify_banner:	ssh: check the server's banner (relay)
 * @path_rules:		http: request path rules, first match wins
 * @n_path_rules:	number of @path_rules
 * @path_default:	http: action when no path rule matches
 * @has_path_default:	@path_default was written
 * @methods:		http: methods allowed at all (NULL: all)
 * @n_methods:		number of @methods
 * @intercept:		https: the relay terminates TLS (intercept: true, or
 *			any of path_rules, path_default, methods)
 * @skip_tls_verify:	https, intercepted: the upstream certificate is not
 *			verified (insecure_skip_tls_verify: true)
 */
struct policy_rule {
	char *origin;
	enum policy_action action;
	enum policy_proto proto;
	enum rule_dst dst_kind;
	struct pname name;
	struct pnet net;
	struct policy_port_range *ports;
	size_t n_ports;
	bool allow_broad;
	bool verify_banner;
	struct path_rule *path_rules;
	size_t n_path_rules;
	enum policy_action path_default;
	bool has_path_default;
	char **methods;
	size_t n_methods;
	bool intercept;
	bool skip_tls_verify;
};

struct policy {
	char *path;
	enum policy_mode mode;
	enum policy_action dflt;
	int deny_errno;
	char **dns_upstream;
	size_t n_dns_upstream;
	char *dns_listen;
	unsigned int dns_min_ttl;
	unsigned int dns_max_ttl;
	unsigned int dns_grace;
	enum policy_dns_deny_answer dns_deny_answer;
	struct policy_rule *rules;
	size_t n_rules;
	bool has_name_rules;
	char **unix_allow;	/* path globs, "@name" globs for abstract */
	size_t n_unix_allow;
	char **unix_deny;
	size_t n_unix_deny;
	int unix_line_allow, unix_line_deny;	/* for the log's rule */
	bool unix_deny_fd_passing;
	bool has_ingress;	/* an ingress section, even an empty one */
	struct policy_ingress_rule *ingress;
	size_t n_ingress;
	size_t n_ingress_ranges;	/* port ranges of all ingress rules */
	char *tls_ca_dir;	/* tls: interception CA and upstream trust */
	char *tls_ca_cert;
	char *tls_ca_key;
	char *tls_upstream_ca;
};

/* policy_name.c */
int pname_parse(struct pname *p, const char *text, bool allow_broad,
		char *msg, size_t msg_len);
void pname_free(struct pname *p);
bool pname_is_broad(const struct pname *p);
int dname_split(struct dname *d, const char *name);
bool pname_match(const struct pname *p, const struct dname *d);
bool pname_match_descendant(const struct pname *p, const struct dname *d);
bool pname_covers_descendants(const struct pname *p, const struct dname *d);
bool pname_glob(const char *pat, const char *s, size_t len);
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
int punycode_encode(const uint32_t *cp, size_t n, char *out, size_t out_len);

/* policy_addr.c */
int pnet_parse(struct pnet *n, const char *text, char *msg, size_t msg_len);
bool pnet_looks_like_addr(const char *text);
bool pnet_contains(const struct pnet *n, int family, const uint8_t *addr);
bool pnet_within(const struct pnet *inner, const struct pnet *outer);
const struct pnet *pnet_special(int family, const uint8_t *addr);
int pnet_format(const struct pnet *n, char *buf, size_t len);
int ports_parse(const char *text, struct policy_port_range **ranges, size_t *n,
		char *msg, size_t msg_len);
int port_range_parse(const char *text, struct policy_port_range *r, char *msg,
		     size_t msg_len);
int proto_parse(const char *text);
int errno_parse(const char *name);
const char *errno_name(int err);
const char *policy_proto_list(void);

/* policy_rule.c */
int rule_set_dst(struct policy_rule *r, const char *dst, char *msg,
		 size_t msg_len);
int rule_finish_ports(struct policy_rule *r, char *msg, size_t msg_len);
int rule_parse_spec(struct policy_rule *r, const char *spec, char *msg,
		    size_t msg_len);
void rule_free(struct policy_rule *r);
void policy_init_defaults(struct policy *p);

/* policy_ingress.c */
int ingress_ports_normalize(struct policy_ingress_rule *r,
			    const struct policy_port_range *ranges, size_t n);
void ingress_rule_free(struct policy_ingress_rule *r);

/* policy_load.c */
struct policy *policy_load_buffer(const char *name, const char *buf,
				  size_t len, const char *const *allow,
				  size_t n_allow, FILE *errs);

#endif /* POLICY_INTERNAL_H */
