/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.h - the one public header of the policy library
 *
 * The policy library turns a YAML file (and command-line --allow specs) into
 * a validated, immutable policy, and answers decisions about it.  It does no
 * I/O beyond reading the policy file and writing diagnostics to the stream
 * it is given, and it depends on nothing in supervisor/.
 *
 * All structures are opaque; a loaded policy is never modified, so the
 * supervisor can swap policies on reload by replacing one pointer.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct policy;
struct policy_rule;

/* Application protocols a rule may name.  Each maps to one transport. */
enum policy_proto {
	POLICY_PROTO_ANY,	/* tcp, udp and icmp; every port */
	POLICY_PROTO_TCP,
	POLICY_PROTO_UDP,
	POLICY_PROTO_SSH,	/* tcp, default port 22 */
	POLICY_PROTO_HTTP,	/* tcp, default port 80 */
	POLICY_PROTO_HTTPS,	/* tcp, default port 443 */
	POLICY_PROTO_TLS,	/* tcp, port required */
	POLICY_PROTO_FTP,	/* tcp, default port 21 */
	POLICY_PROTO_ICMP,	/* icmp, no port */
	POLICY_PROTO_QUIC,	/* udp, default port 443 */
	POLICY_PROTO_NUM
};

/* What a connect or send travels on, as the supervisor sees the socket */
enum policy_transport {
	POLICY_TRANSPORT_TCP,
	POLICY_TRANSPORT_UDP,
	POLICY_TRANSPORT_ICMP,
	POLICY_TRANSPORT_NUM
};

enum policy_verdict {
	POLICY_VERDICT_DENY,
	POLICY_VERDICT_ALLOW,
	POLICY_VERDICT_AUDIT,	/* mode: audit and the call would be denied */
	POLICY_VERDICT_NUM
};

enum policy_mode {
	POLICY_MODE_ENFORCE,
	POLICY_MODE_AUDIT,
	POLICY_MODE_NUM
};

/* The DNS stub's answer for a name (see policy_name_verdict()) */
enum policy_name_verdict {
	POLICY_NAME_DENY,		/* no rule could allow it: NXDOMAIN */
	POLICY_NAME_DENY_NODATA,	/* denied, but a descendant is allowed */
	POLICY_NAME_ALLOW,		/* some rule could allow it: forward */
	POLICY_NAME_NUM
};

enum policy_dns_deny_answer {
	POLICY_DNS_DENY_NXDOMAIN,
	POLICY_DNS_DENY_NODATA,
	POLICY_DNS_DENY_REFUSED,
	POLICY_DNS_DENY_NUM
};

extern const char *const policy_proto_str[POLICY_PROTO_NUM];
extern const char *const policy_transport_str[POLICY_TRANSPORT_NUM];
extern const char *const policy_verdict_str[POLICY_VERDICT_NUM];

/**
 * struct policy_query - one call to decide
 * @names:	names the destination address is known by (from the DNS
 *		stub, CNAME chain included), or NULL
 * @n_names:	number of entries in @names
 * @family:	AF_INET or AF_INET6 (v4-mapped addresses arrive as AF_INET;
 *		policy_decide() also unmaps any that do not)
 * @addr:	4 or 16 bytes, network order
 * @port:	destination port, host order (0 for icmp)
 * @transport:	what the socket is
 * @gateway:	the address is the container's gateway (the host side of
 *		slirp/pasta, a bridge): special, allowed only by a rule for
 *		exactly this address
 */
struct policy_query {
	const char *const *names;
	size_t n_names;
	int family;
	const uint8_t *addr;
	uint16_t port;
	enum policy_transport transport;
	bool gateway;
};

/**
 * struct policy_decision - what decide said, and why
 * @verdict:	allow, deny, or audit (would deny, allowed because of mode)
 * @proto:	protocol of the matching rule (tells the supervisor whether the
 *		flow needs inspection); POLICY_PROTO_ANY when no rule matched
 * @rule:	the matching rule as users know it, e.g. "policy.yaml:14" or
 *		"--allow 198.51.100.0/24:22/tcp"; "default" when none matched.
 *		Points into the policy: valid as long as the policy lives.
 * @name:	the name that made the match, or NULL (CIDR/IP rule, default)
 * @reason:	short, stable, machine-readable:
 *		"rule"		  an allow rule matched
 *		"deny_rule"	  a deny rule matched (deny rules win)
 *		"default"	  no rule matched; the policy's default applied
 *		"special_address" a special destination no allow rule's
 *				  network lies within (the gateway: no rule
 *				  for exactly its address)
 *		"unknown_ip"	  no rule matched, default deny, the address has
 *				  no names and the policy has name rules (the
 *				  program connected to an IP it did not resolve
 *				  through the stub)
 *		With verdict audit the reason is the deny's reason.
 * @match:	the matching rule, NULL when none matched; for
 *		policy_http_verdict() and policy_rule_verify_banner()
 */
struct policy_decision {
	enum policy_verdict verdict;
	enum policy_proto proto;
	const char *rule;
	const char *name;
	const char *reason;
	const struct policy_rule *match;
};

/**
 * policy_load() - build a policy from a file and command-line specs
 * @path:	YAML file, or NULL for none (then: default deny, no rules)
 * @allow:	--allow specs "DST[:PORTS][/PROTO]", added after the file's rules
 * @n_allow:	number of entries in @allow
 * @errs:	every problem is written here, one per line, as
 *		"FILE:LINE:COL: message" (or "--allow 'SPEC': message")
 *
 * Return: the policy, or NULL when there was any error (all of them have
 * been reported, not only the first); errno is set to EINVAL for errors in
 * the input, to something else for I/O and memory errors.
 */
struct policy *policy_load(const char *path, const char *const *allow,
			   size_t n_allow, FILE *errs);

void policy_free(struct policy *p);

/**
 * policy_decide() - decide one connect or send
 * Pure: no I/O, no allocation.  Deny rules win over allow rules; among
 * allow rules any match is enough; no match: the policy's default.
 * Special destinations (unspecified, link-local, metadata, broadcast,
 * multicast, NAT64/6to4/Teredo) are denied unless a rule's CIDR lies within
 * the special range itself.
 */
void policy_decide(const struct policy *p, const struct policy_query *q,
		   struct policy_decision *d);

/**
 * policy_name_verdict() - may the DNS stub resolve this name?
 * @p:		the policy
 * @name:	the queried name, any case, trailing dot or not
 *
 * Allow when some allow rule's name pattern (any proto) matches and no
 * deny rule for every proto and port ("- dst: X, action: deny") matches;
 * with default allow, every name not so denied.  DENY_NODATA when the name
 * is not allowed but a name strictly below it could be (rule
 * "*.example.com", query "example.com"), since NXDOMAIN would tell
 * resolvers nothing exists below it (RFC 8020).  Pure of the mode: in audit
 * mode the stub decides itself whether to forward anyway.
 *
 * Return: the verdict.
 */
enum policy_name_verdict policy_name_verdict(const struct policy *p,
					     const char *name);

/**
 * policy_http_verdict() - may this HTTP request pass an http rule (or an
 * https rule whose flows the relay intercepts)?
 * @p:		the policy (for the mode), or NULL
 * @rule:	&policy_decision.match of the flow's decision
 * @method:	request method, upper case as on the wire
 * @path:	request target as in the request line (origin-form, with query)
 * @reason:	set to "method", "path_rule", "path_default" or "rule" (not
 *		an http rule nor an intercepted https rule: nothing to
 *		check), may be NULL
 *
 * The rule's methods list (if any) must hold @method; then the first path
 * rule whose methods (if any) hold @method and whose prefix or regular
 * expression matches @path decides; else path_default (deny when
 * path_rules exist and no path_default was written; allow otherwise).
 * Not pure: regexec() may allocate.  For the relay, not the notify loop.
 *
 * Return: allow, deny, or audit (deny in audit mode).
 */
enum policy_verdict policy_http_verdict(const struct policy *p,
					const struct policy_rule *rule,
					const char *method, const char *path,
					const char **reason);

/* ssh rule with verify_banner: true (the relay checks the server banner) */
bool policy_rule_verify_banner(const struct policy_rule *rule);
/* http rule with methods, path_rules or path_default: requests are read */
bool policy_rule_has_paths(const struct policy_rule *rule);
/* https allow rule whose TLS the relay terminates (intercept: true, or path
 * rules): its requests are decided like an http rule's */
bool policy_rule_intercepts(const struct policy_rule *rule);
/* ... with insecure_skip_tls_verify: true (upstream not verified) */
bool policy_rule_skip_tls_verify(const struct policy_rule *rule);
/* Some rule intercepts: the supervisor needs its CA */
bool policy_intercepts(const struct policy *p);

/**
 * policy_errno_parse() - errno value of a name deny_errno accepts
 * @name:	"EACCES", "EPERM", "ECONNREFUSED", "ENETUNREACH",
 *		"EHOSTUNREACH" or "ETIMEDOUT"
 *
 * For --deny-errno, so the command line and the file accept the same names.
 *
 * Return: the errno value, or -EINVAL.
 */
int policy_errno_parse(const char *name);
const char *policy_errno_name(int err);	/* "EACCES" for unknown values */

/**
 * policy_unix_decide() - may CMD reach this AF_UNIX socket?
 * @p:		the policy
 * @name:	the socket's absolute path (symlinks resolved by the caller),
 *		or "@name" for an abstract socket
 * @d:		filled like policy_decide(): verdict, rule ("FILE:LINE" of
 *		the unix list, "builtin", "default"), reason:
 *		"unix_deny_rule"  a unix.deny glob matches
 *		"unix_rule"	  a unix.allow glob matches
 *		"engine_socket"	  a container engine or orchestration socket
 *				  (docker, podman, containerd, cri-o,
 *				  buildkit, kubelet) not in unix.allow
 *		"abstract_socket" an abstract socket not in unix.allow
 *		"unix_default"	  any other named socket: allowed
 *
 * Globs are fnmatch(3) patterns ('*' also matches '/').  Deny wins over
 * allow; allow wins over the built-in list.  Audit mode applies.
 */
void policy_unix_decide(const struct policy *p, const char *name,
			struct policy_decision *d);

/* unix.deny_fd_passing: no SCM_RIGHTS to or from CMD's unix sockets */
bool policy_unix_deny_fd_passing(const struct policy *p);

/*
 * Ingress: who may reach CMD's listening sockets.
 *
 * The policy's ingress list restricts the (transport, port) pairs its rules
 * name: a pair is covered when some rule's proto matches the transport
 * (any matches both) and its ports hold the port (no ports: every port).
 * On a covered pair only the sources of the rules covering it are accepted;
 * pairs no rule covers are not restricted.  The supervisor turns this into
 * a socket filter per socket; the container's own traffic (it arrives on
 * lo) is always accepted, by the filter, not by these rules.
 */

/* A port range, host order, lo <= hi */
struct policy_port_range {
	uint16_t lo;
	uint16_t hi;
};

/**
 * struct policy_ingress_rule - one validated entry of the ingress list
 * @origin:	"FILE:LINE" of the rule
 * @family:	AF_INET or AF_INET6 (IPv4-mapped IPv6 networks are stored
 *		as IPv4: that is how their packets arrive)
 * @addr:	the source network, network order, host bits zero
 * @plen:	prefix length
 * @proto:	POLICY_PROTO_TCP, POLICY_PROTO_UDP or POLICY_PROTO_ANY
 * @ports:	local ports, sorted and merged; NULL with @n_ports 0 means
 *		every port
 * @n_ports:	number of @ports
 */
struct policy_ingress_rule {
	char *origin;
	int family;
	uint8_t addr[16];
	unsigned int plen;
	enum policy_proto proto;
	struct policy_port_range *ports;
	size_t n_ports;
};

/* Limits that keep every generated socket filter under BPF_MAXINSNS */
#define POLICY_INGRESS_MAX_RULES	128
#define POLICY_INGRESS_MAX_RANGES	256	/* port ranges, all rules */

/* The policy has an ingress section (even an empty one) */
bool policy_has_ingress(const struct policy *p);

/**
 * policy_ingress() - the ingress rules, in file order
 * @p:		the policy
 * @out:	set to the rules (valid as long as @p)
 *
 * Return: the number of rules.
 */
size_t policy_ingress(const struct policy *p,
		      const struct policy_ingress_rule **out);

/**
 * policy_ingress_covers() - does a rule apply to a transport and port?
 * @r:		the rule
 * @transport:	POLICY_TRANSPORT_TCP or POLICY_TRANSPORT_UDP
 * @port:	local port, host order
 *
 * Return: true if the rule's proto and ports include them.
 */
bool policy_ingress_covers(const struct policy_ingress_rule *r,
			   enum policy_transport transport, uint16_t port);

/**
 * policy_ingress_decide() - may a packet from @addr reach a local port?
 * @p:		the policy
 * @transport:	TCP or UDP
 * @family:	AF_INET or AF_INET6 (v4-mapped addresses are unmapped)
 * @addr:	the packet's source, 4 or 16 bytes, network order
 * @port:	its destination port (the socket's), host order
 * @d:		verdict ALLOW or DENY (never AUDIT: the caller applies the
 *		mode), rule ("FILE:LINE" of the first rule that allows it,
 *		"ingress" otherwise), reason:
 *		"not_covered"	  no rule names this transport and port
 *		"ingress_rule"	  a rule covering it allows the source
 *		"ingress_source"  rules cover it, none allows the source
 *
 * The reference the supervisor's socket filters are tested against.
 * Pure: no I/O, no allocation.  Loopback is not special here.
 */
void policy_ingress_decide(const struct policy *p,
			   enum policy_transport transport, int family,
			   const uint8_t *addr, uint16_t port,
			   struct policy_decision *d);

/**
 * policy_print() - write the normalized policy as YAML
 */
void policy_print(const struct policy *p, FILE *out);

/* Accessors for the settings the supervisor applies */
enum policy_mode policy_mode(const struct policy *p);

/**
 * policy_set_mode() - override the file's mode (--audit)
 * @p:		a policy just returned by policy_load(), not yet in use
 * @mode:	the mode to apply
 *
 * The only change a loaded policy ever sees, and only before it is shared:
 * decisions made with it afterwards (connect, DNS, unix, HTTP) all follow.
 */
void policy_set_mode(struct policy *p, enum policy_mode mode);
int policy_deny_errno(const struct policy *p);		/* e.g. EACCES */
bool policy_allows_icmp(const struct policy *p);	/* any icmp/any rule */
const char *policy_path(const struct policy *p);	/* NULL if none */

/* DNS settings (issue: DNS stub) */
size_t policy_dns_upstream(const struct policy *p, const char *const **out);
const char *policy_dns_listen(const struct policy *p);	/* "127.0.0.53" */
unsigned int policy_dns_min_ttl(const struct policy *p);
unsigned int policy_dns_max_ttl(const struct policy *p);
unsigned int policy_dns_grace(const struct policy *p);
enum policy_dns_deny_answer policy_dns_deny_answer(const struct policy *p);

/* TLS interception settings (tls:), NULL when not written */
const char *policy_tls_ca_dir(const struct policy *p);	/* ca.crt, ca.key */
const char *policy_tls_ca_cert(const struct policy *p);
const char *policy_tls_ca_key(const struct policy *p);
const char *policy_tls_upstream_ca(const struct policy *p);

#endif /* POLICY_H */
