// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_unix.c - which AF_UNIX sockets CMD may reach
 *
 * A mounted container engine socket is a way out that no network rule
 * sees: through it CMD can start an unsupervised container, or have a
 * host process connect for it.  Such sockets are denied unless the policy
 * allows them by path; abstract sockets (shared by every process in the
 * network namespace, the host's with --network=host) are denied unless
 * allowed; other named sockets are allowed.
 */

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "policy_internal.h"

/* Engine and orchestration sockets, by base name wherever mounted */
static const char *const engine_names[] = {
	"docker.sock", "podman.sock", "containerd.sock",
	"containerd.sock.ttrpc", "containerd-debug.sock", "crio.sock",
	"buildkitd.sock", "kubelet.sock", "dockershim.sock",
	"cri-dockerd.sock", "dockerd.sock", "nerdctl.sock",
	"containerd-shim*.sock", "cri-containerd.sock", "kata*.sock",
	"lxd.socket", "incus.socket", "firecracker*.sock",
};

/* ... and by the directories engines keep them in */
static const char *const engine_dirs[] = {
	"/run/docker/*", "/var/run/docker/*", "/run/containerd/*",
	"/var/run/containerd/*", "/run/podman/*", "/var/run/podman/*",
	"/run/crio/*", "/var/run/crio/*", "/run/buildkit/*",
	"/var/lib/kubelet/*", "/run/user/*/podman/*", "/run/k3s/*",
	"/run/lxd/*", "/var/snap/lxd/*",
};

static bool unix_glob_list(char *const *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!fnmatch(v[i], name, 0))
			return true;
	}
	return false;
}

static bool unix_is_engine(const char *name)
{
	const char *base = strrchr(name, '/');
	size_t i;

	base = base ? base + 1 : name;
	for (i = 0; i < ARRAY_SIZE(engine_names); i++) {
		if (!fnmatch(engine_names[i], base, 0))
			return true;
	}
	for (i = 0; i < ARRAY_SIZE(engine_dirs); i++) {
		if (!fnmatch(engine_dirs[i], name, 0))
			return true;
	}
	return false;
}

void policy_unix_decide(const struct policy *p, const char *name,
			struct policy_decision *d)
{
	static __thread char rule[64];
	const char *path = p->path ? p->path : "policy";

	memset(d, 0, sizeof(*d));
	d->proto = POLICY_PROTO_ANY;
	d->verdict = POLICY_VERDICT_DENY;
	if (unix_glob_list(p->unix_deny, p->n_unix_deny, name)) {
		snprintf(rule, sizeof(rule), "%s:%d", path, p->unix_line_deny);
		d->rule = rule;
		d->reason = "unix_deny_rule";
	} else if (unix_glob_list(p->unix_allow, p->n_unix_allow, name)) {
		snprintf(rule, sizeof(rule), "%s:%d", path,
			 p->unix_line_allow);
		d->rule = rule;
		d->reason = "unix_rule";
		d->verdict = POLICY_VERDICT_ALLOW;
		return;
	} else if (name[0] == '@') {
		d->rule = "default";
		d->reason = "abstract_socket";
	} else if (unix_is_engine(name)) {
		d->rule = "builtin";
		d->reason = "engine_socket";
	} else {
		d->rule = "default";
		d->reason = "unix_default";
		d->verdict = POLICY_VERDICT_ALLOW;
		return;
	}
	if (p->mode == POLICY_MODE_AUDIT)
		d->verdict = POLICY_VERDICT_AUDIT;
}

bool policy_unix_deny_fd_passing(const struct policy *p)
{
	return p->unix_deny_fd_passing;
}
