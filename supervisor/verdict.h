/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verdict.h - decide one call against the policy, and log it */
#ifndef VERDICT_H
#define VERDICT_H

#include <stdbool.h>

#include "relay.h"
#include "sockaddr.h"
#include "target.h"

struct policy;
struct policy_decision;

/**
 * struct verdict - what the supervisor does with a call
 * @allow:	perform it
 * @err:	errno to answer with when not allowed
 * @dns_redirect: a DNS query to another server: send it to the stub
 * @relay:	the matching rule inspects: connect through the relay
 * @quic:	only a quic rule allows this UDP send: its datagrams go
 *		through quic_gate_check() (the ClientHello's SNI decides)
 * @rule:	the rule that decided, as logged (valid until the next
 *		decision: copy it)
 */
struct verdict {
	bool allow;
	int err;
	bool dns_redirect;
	enum relay_kind relay;
	bool quic;
	const char *rule;
};

void verdict_init(void);
void verdict_set_policy(struct policy *p);
struct policy *verdict_policy(void);
void verdict_set_deny_errno(int err);	/* --deny-errno; 0: the policy's */

void verdict_decide(struct target *t, const char *event, int sock_type,
		    int sock_proto, const struct sa_dest *d,
		    struct verdict *v);
void verdict_decide_unix(struct target *t, const char *event,
			 const char *name, const char *literal,
			 struct verdict *v);
void verdict_decide_name(const char *name, const struct sa_dest *d,
			 struct policy_decision *pd);
void verdict_decide_name_udp(const char *name, const struct sa_dest *d,
			     struct policy_decision *pd);
bool verdict_name_maps(const char *name, const struct sa_dest *d);
const char *verdict_relay_reason(const char *reason);
void verdict_deny_supervisor(struct target *t, const char *event,
			     const char *name, struct verdict *v);
void verdict_log_socket(struct target *t, int family, int type, int proto,
			bool allow, int err, const char *reason);

#endif /* VERDICT_H */
