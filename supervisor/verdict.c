// SPDX-License-Identifier: GPL-2.0-or-later
/* verdict.c - decide one call against the policy, and log it
 *
 * The glue between a destination read from a target and the pure policy
 * library.  In order:
 * - port 53 of any address but the stub's goes to the stub instead, and
 *   port 853 (DNS over TLS/QUIC) is denied: every answer CMD uses passes
 *   through the stub, so no name escapes the policy;
 * - loopback is allowed (the container's own services);
 * - policy_decide() speaks, with the names the stub learned for the
 *   address (all of them, CNAME chains included: a deny rule on any wins).
 * In audit mode (the policy's, or --audit) every denial, the stub's own
 * included, becomes an audit: performed, logged with verdict "audit".
 * Every decision becomes one JSON line; every denial or audit also one
 * human line on stderr.
 */

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dns_stub.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "util.h"
#include "verdict.h"

static struct policy *current;
static int deny_errno_override;

void verdict_set_policy(struct policy *p)
{
	current = p;
}

struct policy *verdict_policy(void)
{
	return current;
}

void verdict_set_deny_errno(int err)
{
	deny_errno_override = err;
}

static enum policy_transport verdict_transport(int type, int proto)
{
	if (type == SOCK_STREAM)
		return POLICY_TRANSPORT_TCP;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return POLICY_TRANSPORT_ICMP;
	return POLICY_TRANSPORT_UDP;
}

#define VERDICT_NAMES_MAX	16
#define VERDICT_GATEWAYS	4

/* The container's default gateways, read at start (verdict_init()) */
static struct {
	int family;
	uint8_t addr[16];
} gateways[VERDICT_GATEWAYS];
static size_t n_gateways;

static void gateway_add(int family, const uint8_t *addr)
{
	if (n_gateways == VERDICT_GATEWAYS)
		return;
	gateways[n_gateways].family = family;
	memcpy(gateways[n_gateways].addr, addr, family == AF_INET ? 4 : 16);
	n_gateways++;
}

/**
 * verdict_init() - learn the default gateways of our network namespace
 *
 * The gateway of a rootless container (slirp4netns, pasta) or of a bridge
 * is the host: a destination that reaches the host's own services.  It is
 * decided as a special address (allowed only by a rule for exactly it).
 */
void verdict_init(void)
{
	char line[512], dst[64], gw[64];
	unsigned int flags, plen;
	FILE *f;

	f = fopen("/proc/net/route", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			uint32_t g;

			if (sscanf(line, "%*s %63s %63s %x", dst, gw, &flags) != 3 ||
			    strcmp(dst, "00000000") || !strcmp(gw, "00000000"))
				continue;
			g = (uint32_t)strtoul(gw, NULL, 16);	/* host order of
								   the kernel's
								   bytes */
			gateway_add(AF_INET, (const uint8_t *)&g);
		}
		fclose(f);
	}
	f = fopen("/proc/net/ipv6_route", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			uint8_t a[16];
			size_t i;

			if (sscanf(line, "%32s %x %*s %*s %32s", dst, &plen,
				   gw) != 3 || plen ||
			    strspn(dst, "0") != 32 || strspn(gw, "0") == 32)
				continue;
			for (i = 0; i < 16; i++) {
				char h[3] = { gw[2 * i], gw[2 * i + 1], 0 };

				a[i] = (uint8_t)strtoul(h, NULL, 16);
			}
			gateway_add(AF_INET6, a);
		}
		fclose(f);
	}
}

static bool verdict_is_gateway(int family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < n_gateways; i++) {
		if (gateways[i].family == family &&
		    !memcmp(gateways[i].addr, addr, family == AF_INET ? 4 : 16))
			return true;
	}
	return false;
}

/* 64:ff9b::/96 (RFC 6052): NAT64 of the IPv4 address in its last 32 bits */
static bool verdict_is_nat64(const struct sa_dest *d)
{
	static const uint8_t wkp[12] = { 0x00, 0x64, 0xff, 0x9b };

	return d->family == AF_INET6 && !memcmp(d->addr, wkp, sizeof(wkp));
}

/* The stub itself: queries to it need no redirection */
static bool verdict_is_stub(const struct sa_dest *d)
{
	const struct sockaddr_in *stub = dns_stub_addr();

	return d->family == AF_INET &&
	       !memcmp(d->addr, &stub->sin_addr, 4);
}

/* What a human reads after "DENY ...: " */
static const char *verdict_human_reason(const char *reason)
{
	if (!strcmp(reason, "relay_port"))
		return "the supervisor's relay is not a destination";
	if (!strcmp(reason, "default"))
		return "no rule allows it";
	if (!strcmp(reason, "deny_rule"))
		return "a deny rule matches";
	if (!strcmp(reason, "special_address"))
		return "special address (unspecified, link-local, broadcast, "
		       "multicast or translation prefix) not named by a rule";
	if (!strcmp(reason, "unknown_ip"))
		return "no DNS answer gave this address";
	if (!strcmp(reason, "engine_socket"))
		return "container engine socket (allow it by path in the "
		       "policy's unix section)";
	if (!strcmp(reason, "abstract_socket"))
		return "abstract unix socket not allowed by the policy";
	if (!strcmp(reason, "unix_deny_rule"))
		return "a unix.deny entry matches";
	if (!strcmp(reason, "dns_stub_down"))
		return "the DNS stub is not running";
	if (!strcmp(reason, "dns_over_tls"))
		return "DNS over TLS/QUIC bypasses the DNS stub";
	if (!strcmp(reason, "quic_connected_socket"))
		return "only a quic rule allows it, and the server name of a "
		       "connected UDP socket's QUIC cannot be checked (use "
		       "unconnected sends, or a udp rule)";
	if (!strcmp(reason, "supervisor_socket"))
		return "the supervisor's exec channel";
	return reason;
}

/* The relay's reasons, for humans */
const char *verdict_relay_reason(const char *reason)
{
	static const struct {
		const char *reason, *human;
	} r[] = {
		{ "sni_denied", "no rule allows the TLS server name" },
		{ "no_sni", "TLS without a server name, and no rule allows "
			    "the address itself" },
		{ "sni_mismatch", "the TLS server name has no allowed address "
				  "(domain fronting?)" },
		{ "sni_invalid", "the TLS server name is not a DNS name" },
		{ "not_tls", "not a TLS ClientHello on a port that needs one" },
		{ "host_denied", "no rule allows the HTTP Host" },
		{ "host_mismatch", "the HTTP Host has no allowed address" },
		{ "no_host", "HTTP request without a Host" },
		{ "not_http", "not an HTTP request on a port that needs one" },
		{ "method", "the HTTP method is not allowed" },
		{ "path_rule", "a path rule denies the HTTP path" },
		{ "path_default", "no path rule allows the HTTP path" },
		{ "connect_method", "HTTP CONNECT tunnels are not allowed" },
		{ "not_ssh", "the server did not identify itself as SSH" },
		{ "ftp_bounce", "an FTP passive reply names another host; "
			       "only the server's own address is allowed" },
		{ "upstream_tls", "the server's TLS failed (certificate?)" },
		{ "client_tls", "CMD refused the intercepting TLS (does it "
				"trust the CA? egress-supervise ca export)" },
		{ "no_ca", "interception needs a CA (egress-supervise ca init, "
			   "then restart)" },
		{ "intercept_busy", "too many intercepted connections" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(r); i++)
		if (!strcmp(reason, r[i].reason))
			return r[i].human;
	return reason;
}

/* What the relay must look at for a flow the rule @pd allows */
static enum relay_kind verdict_relay_kind(const struct policy_decision *pd)
{
	switch (pd->proto) {
	case POLICY_PROTO_HTTPS:
		return policy_rule_intercepts(pd->match) ? RELAY_TLS_INTERCEPT
							 : RELAY_TLS;
	case POLICY_PROTO_TLS:
		return RELAY_TLS;
	case POLICY_PROTO_HTTP:
		return RELAY_HTTP;
	case POLICY_PROTO_FTP:
		return RELAY_FTP;
	case POLICY_PROTO_SSH:
		return policy_rule_verify_banner(pd->match) ? RELAY_SSH
							    : RELAY_NONE;
	case POLICY_PROTO_ANY:
	case POLICY_PROTO_TCP:
	case POLICY_PROTO_UDP:
	case POLICY_PROTO_ICMP:
	case POLICY_PROTO_QUIC:
	case POLICY_PROTO_NUM:
		break;
	}
	return RELAY_NONE;
}

/**
 * verdict_decide_name() - decide a name the relay read (SNI, Host) at an
 * address
 * @name:	the name, or NULL (a ClientHello without SNI)
 * @d:		the address and port the flow goes to
 * @pd:		the decision; pd->name is set when a name rule matched (the
 *		caller then checks that the name maps to the address)
 *
 * Not logged here: the relay logs the flow's decision.
 */
static void verdict_decide_name_tr(const char *name, const struct sa_dest *d,
				   enum policy_transport tr,
				   struct policy_decision *pd)
{
	int family = d->family;
	const uint8_t *addr = d->addr;
	struct policy_query q;

	if (verdict_is_nat64(d)) {
		family = AF_INET;
		addr = d->addr + 12;
	}
	q = (struct policy_query){
		.names = name ? &name : NULL,
		.n_names = name ? 1 : 0,
		.family = family,
		.addr = addr,
		.port = d->port,
		.transport = tr,
		.gateway = verdict_is_gateway(family, addr),
	};
	policy_decide(current, &q, pd);
}

void verdict_decide_name(const char *name, const struct sa_dest *d,
			 struct policy_decision *pd)
{
	verdict_decide_name_tr(name, d, POLICY_TRANSPORT_TCP, pd);
}

/* The same for a name read from a UDP flow (the QUIC ClientHello's SNI) */
void verdict_decide_name_udp(const char *name, const struct sa_dest *d,
			     struct policy_decision *pd)
{
	verdict_decide_name_tr(name, d, POLICY_TRANSPORT_UDP, pd);
}

/**
 * verdict_name_maps() - did the stub give @d's address under @name?
 * @name:	a name read from the flow (SNI)
 * @d:		the destination; NAT64 addresses also count the names of the
 *		IPv4 address they carry, as in verdict_decide()
 *
 * Return: true if @name (any case) is one of the address's names.
 */
bool verdict_name_maps(const char *name, const struct sa_dest *d)
{
	const char *names[VERDICT_NAMES_MAX];
	int i, n;

	n = dns_stub_names(d->family, d->addr, names, VERDICT_NAMES_MAX);
	if (verdict_is_nat64(d))
		n += dns_stub_names(AF_INET, d->addr + 12, names + n,
				    VERDICT_NAMES_MAX - (size_t)n);
	for (i = 0; i < n; i++)
		if (!strcasecmp(names[i], name))
			return true;
	return false;
}

/**
 * verdict_decide() - decide a connect or send to an IP destination
 * @t:		who
 * @event:	"connect" or "send"
 * @sock_type:	SO_TYPE of the socket
 * @sock_proto:	SO_PROTOCOL
 * @d:		the canonical destination (kind SA_ADDR)
 * @v:		result
 */
void verdict_decide(struct target *t, const char *event, int sock_type,
		    int sock_proto, const struct sa_dest *d, struct verdict *v)
{
	enum policy_transport tr = verdict_transport(sock_type, sock_proto);
	struct policy_decision pd = { 0 };
	const char *names[VERDICT_NAMES_MAX];
	const char *verdict_s;
	char dst[INET6_ADDRSTRLEN];
	struct log_line l;
	int n_names = 0;

	v->dns_redirect = false;
	v->relay = RELAY_NONE;
	v->quic = false;
	if (tr == POLICY_TRANSPORT_TCP && relay_is_listener(d)) {
		pd.verdict = POLICY_VERDICT_DENY;
		pd.rule = "relay";
		pd.reason = "relay_port";
	} else if (tr != POLICY_TRANSPORT_ICMP && d->port == 53 &&
		   !dns_stub_up()) {
		pd.verdict = POLICY_VERDICT_DENY;
		pd.rule = "dns-stub";
		pd.reason = "dns_stub_down";
	} else if (tr != POLICY_TRANSPORT_ICMP && d->port == 53 &&
		   !verdict_is_stub(d)) {
		v->dns_redirect = true;
		pd.verdict = POLICY_VERDICT_ALLOW;
		pd.rule = "dns-stub";
		pd.reason = "dns_redirect";
	} else if (tr != POLICY_TRANSPORT_ICMP && d->port == 853) {
		pd.verdict = POLICY_VERDICT_DENY;
		pd.rule = "dns-stub";
		pd.reason = "dns_over_tls";
	} else if (tr == POLICY_TRANSPORT_TCP && relay_ftp_expected(d, t->tgid)) {
		pd.verdict = POLICY_VERDICT_ALLOW;
		pd.rule = "ftp-data";
		pd.reason = "ftp_expected";
	} else if (sockaddr_is_loopback(d)) {
		pd.verdict = POLICY_VERDICT_ALLOW;
		pd.rule = "loopback";
		pd.reason = "loopback";
	} else {
		struct policy_query q;
		int family = d->family;
		const uint8_t *addr = d->addr;

		n_names = dns_stub_names(d->family, d->addr, names,
					 VERDICT_NAMES_MAX);
		if (verdict_is_nat64(d)) {
			/* decided as the IPv4 address it reaches, with the
			 * names of both (DNS64 answers carry the IPv6 form) */
			family = AF_INET;
			addr = d->addr + 12;
			n_names += dns_stub_names(AF_INET, addr, names + n_names,
						  VERDICT_NAMES_MAX -
							  (size_t)n_names);
		}
		q = (struct policy_query){
			.names = names,
			.n_names = (size_t)n_names,
			.family = family,
			.addr = addr,
			.port = d->port,
			.transport = tr,
			.gateway = verdict_is_gateway(family, addr),
		};

		policy_decide(current, &q, &pd);
	}
	/* The stub's own denials follow the mode too: audit breaks nothing */
	if (pd.verdict == POLICY_VERDICT_DENY &&
	    policy_mode(current) == POLICY_MODE_AUDIT)
		pd.verdict = POLICY_VERDICT_AUDIT;

	if (pd.verdict == POLICY_VERDICT_ALLOW && tr == POLICY_TRANSPORT_UDP &&
	    pd.proto == POLICY_PROTO_QUIC) {
		/* Only a quic rule allows it: the SNI decides.  A connected
		 * socket's sends never reach us, so its SNI cannot be read:
		 * the connect is refused (a udp rule allows it). */
		if (!strcmp(event, "connect")) {
			pd.verdict = policy_mode(current) == POLICY_MODE_AUDIT ?
					     POLICY_VERDICT_AUDIT :
					     POLICY_VERDICT_DENY;
			pd.reason = "quic_connected_socket";
		} else {
			v->quic = true;
		}
	}
	v->allow = pd.verdict != POLICY_VERDICT_DENY;
	v->err = deny_errno_override ? deny_errno_override
				     : policy_deny_errno(current);
	if (pd.verdict == POLICY_VERDICT_ALLOW && tr == POLICY_TRANSPORT_TCP)
		v->relay = verdict_relay_kind(&pd);
	v->rule = pd.rule ? pd.rule : "default";
	verdict_s = policy_verdict_str[pd.verdict];

	sockaddr_ntop(d, dst, sizeof(dst));
	log_begin(&l, event);
	log_str(&l, "verdict", verdict_s);
	log_int(&l, "pid", t->pid);
	log_str(&l, "comm", t->comm);
	log_str(&l, "proto", policy_transport_str[tr]);
	log_str(&l, "dst", dst);
	log_int(&l, "port", d->port);
	log_str(&l, "rule", pd.rule ? pd.rule : "default");
	log_str(&l, "reason", pd.reason ? pd.reason : "default");
	if (n_names)
		log_strv(&l, "names", names, (size_t)n_names);
	if (pd.name)
		log_str(&l, "name", pd.name);
	if (v->dns_redirect)
		log_str(&l, "redirect", "dns-stub");
	if (v->relay != RELAY_NONE)
		log_str(&l, "relay", relay_kind_str[v->relay]);
	if (v->quic)
		log_str(&l, "inspect", "quic");
	if (!v->allow)
		log_str(&l, "errno", util_errno_name(v->err));
	log_end(&l);
	metrics_decision(verdict_s, pd.reason, policy_transport_str[tr], dst,
			 d->port, n_names ? names[0] : NULL);

	if (pd.verdict == POLICY_VERDICT_ALLOW)
		return;
	log_human("%s %s %s%s%s:%u%s%s%s pid %d (%s): %s",
		  pd.verdict == POLICY_VERDICT_AUDIT ? "AUDIT" : "DENY",
		  policy_transport_str[tr], d->family == AF_INET6 ? "[" : "",
		  dst, d->family == AF_INET6 ? "]" : "", d->port,
		  n_names ? " (" : "", n_names ? names[0] : "",
		  n_names ? ")" : "", t->pid, t->comm,
		  verdict_human_reason(pd.reason ? pd.reason : "default"));
}

/**
 * verdict_decide_unix() - decide an AF_UNIX destination, and log it
 * @t:		who
 * @event:	"connect" or "send"
 * @name:	resolved socket path, or "@name" for an abstract socket
 * @literal:	the path as CMD wrote it, when it differs (a symlink), or NULL;
 *		it must pass too, so a link cannot launder a denied path
 * @v:		result
 */
void verdict_decide_unix(struct target *t, const char *event,
			 const char *name, const char *literal,
			 struct verdict *v)
{
	struct policy_decision pd, pl;
	struct log_line l;

	policy_unix_decide(current, name, &pd);
	if (literal && pd.verdict != POLICY_VERDICT_DENY) {
		policy_unix_decide(current, literal, &pl);
		if (pl.verdict != POLICY_VERDICT_ALLOW)
			pd = pl;
	}
	v->allow = pd.verdict != POLICY_VERDICT_DENY;
	v->err = deny_errno_override ? deny_errno_override
				     : policy_deny_errno(current);
	v->dns_redirect = false;
	v->relay = RELAY_NONE;
	v->quic = false;
	v->rule = pd.rule;

	log_begin(&l, event);
	log_str(&l, "verdict", policy_verdict_str[pd.verdict]);
	log_int(&l, "pid", t->pid);
	log_str(&l, "comm", t->comm);
	log_str(&l, "proto", "unix");
	log_str(&l, "dst", name);
	if (literal)
		log_str(&l, "path", literal);
	log_str(&l, "rule", pd.rule);
	log_str(&l, "reason", pd.reason);
	if (!v->allow)
		log_str(&l, "errno", util_errno_name(v->err));
	log_end(&l);
	metrics_decision(policy_verdict_str[pd.verdict], pd.reason, "unix",
			 name, 0, NULL);

	if (pd.verdict == POLICY_VERDICT_ALLOW)
		return;
	log_human("%s unix %s pid %d (%s): %s",
		  pd.verdict == POLICY_VERDICT_AUDIT ? "AUDIT" : "DENY", name,
		  t->pid, t->comm, verdict_human_reason(pd.reason));
}

/**
 * verdict_deny_supervisor() - deny a unix destination that is ours
 * @t:		who
 * @event:	"connect" or "send"
 * @name:	the socket's path
 * @v:		result: denied, in every mode (not a policy decision: the
 *		exec channel would start processes for whoever reaches it)
 */
void verdict_deny_supervisor(struct target *t, const char *event,
			     const char *name, struct verdict *v)
{
	struct log_line l;

	v->allow = false;
	v->err = deny_errno_override ? deny_errno_override
				     : policy_deny_errno(current);
	v->dns_redirect = false;
	log_begin(&l, event);
	log_str(&l, "verdict", "deny");
	log_int(&l, "pid", t->pid);
	log_str(&l, "comm", t->comm);
	log_str(&l, "proto", "unix");
	log_str(&l, "dst", name);
	log_str(&l, "rule", "supervisor");
	log_str(&l, "reason", "supervisor_socket");
	log_str(&l, "errno", util_errno_name(v->err));
	log_end(&l);
	metrics_decision("deny", "supervisor_socket", "unix", name, 0, NULL);
	log_human("DENY unix %s pid %d (%s): %s", name, t->pid, t->comm,
		  verdict_human_reason("supervisor_socket"));
}

/**
 * verdict_log_socket() - log a socket() decision the supervisor made
 */
void verdict_log_socket(struct target *t, int family, int type, int proto,
			bool allow, int err, const char *reason)
{
	struct log_line l;

	log_begin(&l, "socket");
	log_str(&l, "verdict", allow ? "allow" : "deny");
	log_int(&l, "pid", t->pid);
	log_str(&l, "comm", t->comm);
	log_int(&l, "family", family);
	log_int(&l, "type", type);
	log_int(&l, "protocol", proto);
	log_str(&l, "reason", reason);
	if (!allow)
		log_str(&l, "errno", util_errno_name(err));
	log_end(&l);
	if (!allow) {
		char what[64];

		snprintf(what, sizeof(what), "socket(%d, %d, %d)", family,
			 type, proto);
		metrics_decision("deny", reason, "socket", what, 0, NULL);
	} else {
		metrics_decision("allow", reason, "socket", NULL, 0, NULL);
	}
	if (!allow)
		log_human("DENY socket(%d, %d, %d) pid %d (%s): %s", family,
			  type, proto, t->pid, t->comm, reason);
}
