#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - run a command under egress-supervise in rootless podman
#
#   contrib/podman/run.sh [-p POLICY] [-l LOG] -- CMD [ARGS...]
#
# With IMAGE (default localhost/egress-supervise, built from
# contrib/Containerfile) the image's entrypoint is the supervisor:
#
#   podman run --rm -i \
#       -v POLICY:/etc/egress-supervise/policy.yaml:ro,Z \
#       -v LOGDIR:/var/log/egress-supervise:Z \
#       IMAGE --log /var/log/egress-supervise/decisions.json -- CMD...
#
# With ROOTFS=DIR (a directory holding egress-supervise and what CMD needs,
# as contrib/podman/test-rootless.sh builds one) no image is needed:
#
#   podman --runtime runc --cgroup-manager=cgroupfs run --rm -i --ulimit host --rootfs DIR \
#       -v POLICY:/etc/egress-supervise/policy.yaml:ro \
#       /usr/bin/egress-supervise --log ... -- CMD...
#
# (runc and cgroupfs: rootless podman without a systemd user session;
# --ulimit host: keep the user's limits, which a rootless container cannot
# raise anyway.)
#
# Neither needs --privileged, --cap-add, --security-opt or a host agent:
# the supervisor is the container's PID 1, installs its seccomp filter on
# its own child (no_new_privs makes that unprivileged), and reads CMD's
# memory and fetches its sockets as CMD's parent with the same uid, which
# podman's default seccomp profile and capabilities allow.
set -eu

policy=${POLICY:-$(dirname "$0")/../../policy/examples/ai-agent.yaml}
logdir=${LOGDIR:-$PWD/egress-logs}
while getopts p:l: o; do
	case $o in
	p) policy=$OPTARG ;;
	l) logdir=$OPTARG ;;
	*) echo "usage: $0 [-p POLICY] [-l LOGDIR] -- CMD [ARGS...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || set -- /bin/sh
policy=$(realpath "$policy")
mkdir -p "$logdir"
logdir=$(realpath "$logdir")

if [ -n "${ROOTFS:-}" ]; then
	exec podman --runtime runc --cgroup-manager=cgroupfs run --rm -i \
		--ulimit host --rootfs "$ROOTFS" \
		-v "$policy:/etc/egress-supervise/policy.yaml:ro" \
		-v "$logdir:/var/log/egress-supervise" \
		/usr/bin/egress-supervise \
		--log /var/log/egress-supervise/decisions.json -- "$@"
fi
exec podman run --rm -i \
	-v "$policy:/etc/egress-supervise/policy.yaml:ro,Z" \
	-v "$logdir:/var/log/egress-supervise:Z" \
	"${IMAGE:-localhost/egress-supervise}" \
	--log /var/log/egress-supervise/decisions.json -- "$@"
