#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-rootless.sh - egress-supervise in rootless podman, end to end (TAP)
#
#   contrib/podman/test-rootless.sh [BUILDDIR]
#
# Builds a root filesystem from the build (egress-supervise, the es-net
# test helper and the libraries they link) and busybox-static, then, as a
# non-root user with subordinate ids:
#
#   podman --runtime runc --cgroup-manager=cgroupfs run --rm --ulimit host \
#       --network none --rootfs DIR /usr/bin/egress-supervise ... -- CMD
#
# and checks what a user would: a denied connect fails with EACCES and one
# log line, an allowed one is performed by the supervisor (with no network
# in the container the kernel answers ENETUNREACH, not EACCES: no packet
# leaves), loopback works, CMD's exit status comes back, and a process
# started with `podman exec ... egress-supervise exec` is supervised too.
# No --privileged, --cap-add or --security-opt anywhere.
#
# Exit 77 (skip) when podman is not installed or, run as root, when no
# user has subordinate ids (ES_PODMAN_USER names one).
# ES_CONTAINER=chroot runs the same steps with unshare and chroot instead
# of podman (as root), to check this script itself where podman is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${ES_BUILDDIR:-$here/../..}}
build=$(cd "$build" && pwd)
bin=$build/egress-supervise
net=$build/tests/helpers/es-net
mode=${ES_CONTAINER:-podman}

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok "$3"; else
		not_ok "$3"; diag "got: $1" "want (ERE): $2"; fi
}

if [ "$mode" = podman ]; then
	command -v podman >/dev/null 2>&1 || skip_all "podman is not installed"
	if [ "$(id -u)" = 0 ]; then
		user=${ES_PODMAN_USER:-$(awk -F: 'NR == 1 { print $1 }' /etc/subuid 2>/dev/null)}
		[ -n "$user" ] && id "$user" >/dev/null 2>&1 ||
			skip_all "run as root: no user with subordinate ids (/etc/subuid) to run rootless podman as"
		# the build must be readable by that user
		exec runuser -u "$user" -- env ES_BUILDDIR="$build" \
			XDG_RUNTIME_DIR="/run/user/$(id -u "$user")" \
			bash "$here/test-rootless.sh"
	fi
	grep -q "^$(id -un):" /etc/subuid 2>/dev/null ||
		skip_all "$(id -un) has no subordinate uids in /etc/subuid"
fi
[ -x "$bin" ] || { echo "Bail out! $bin is not built"; exit 99; }
[ -x "$net" ] || { echo "Bail out! $net is not built (make check builds it)"; exit 99; }
busybox=$(command -v busybox) || skip_all "busybox-static is not installed"

T=$(mktemp -d "${TMPDIR:-/tmp}/es-rootless.XXXXXX")
name=es-rootless-$$
cleanup() {
	[ "$mode" = podman ] && podman rm -f "$name" >/dev/null 2>&1
	[ "$mode" = chroot ] && [ -n "${bgpid:-}" ] && kill "$bgpid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# --- the root filesystem
R=$T/rootfs
mkdir -p "$R"/{bin,usr/bin,etc/egress-supervise,tmp,run,proc,dev,var/log}
chmod 1777 "$R/tmp"
cp "$busybox" "$R/bin/busybox"
for a in sh cat echo sleep touch test grep; do ln -s busybox "$R/bin/$a"; done
# copy_bin FILE DEST: the program and every library it links
copy_bin() {
	cp "$1" "$R$2"
	ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
}
copy_bin "$bin" /usr/bin/egress-supervise
copy_bin "$net" /usr/bin/es-net
echo 'root:x:0:0:root:/:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
echo 'nameserver 192.0.2.53' >"$R/etc/resolv.conf"
cat >"$R/etc/egress-supervise/policy.yaml" <<-'YAML'
	version: 1
	dns:
	  upstream: [192.0.2.53]
	rules:
	  - { dst: 198.51.100.10, proto: ssh }
YAML

# run_ctr ARGS...: egress-supervise ARGS in a fresh container
run_ctr() {
	case $mode in
	podman)
		podman --runtime runc --cgroup-manager=cgroupfs run --rm \
			--ulimit host --network none --rootfs "$R" \
			/usr/bin/egress-supervise "$@" ;;
	chroot)
		in_chroot /usr/bin/egress-supervise "$@" ;;
	esac
}

# in_chroot CMD...: what podman does for us, roughly: namespaces, lo up,
# /dev and /proc, the root filesystem
in_chroot() {
	unshare --net --mount --pid --fork --mount-proc="$R/proc" \
		sh -c 'ip link set lo up && mount --rbind /dev "$0/dev" &&
			exec chroot "$0" "$@"' "$R" "$@"
}

# --- allowed, denied, loopback, exit status
out=$(run_ctr --log - -- /bin/sh -c '
	es-net tcp 198.51.100.20:22
	es-net tcp 198.51.100.10:22
	busybox nc -l -p 8080 >/dev/null 2>&1 &
	sleep 0.3
	es-net tcp 127.0.0.1:8080
	exit 7' 2>"$T/run.err")
rc=$?
like "$out" "^connect 198.51.100.20:22 EACCES" "a denied connect fails with EACCES inside the container"
like "$out" "connect 198.51.100.10:22 (ENETUNREACH|EHOSTUNREACH|OK)" "an allowed connect is performed (no network here: unreachable)"
like "$out" "connect 127.0.0.1:8080 OK" "loopback works"
like "$rc" "^7$" "CMD's exit status is the container's"
like "$(cat "$T/run.err")" '"verdict":"deny".*"dst":"198.51.100.20","port":22' "the denial is logged as JSON"
like "$(cat "$T/run.err")" "DENY tcp 198.51.100.20:22" "and with a human line"

# --- `podman exec` through the supervisor
case $mode in
podman)
	podman --runtime runc --cgroup-manager=cgroupfs run -d --name "$name" \
		--ulimit host --network none --rootfs "$R" \
		/usr/bin/egress-supervise -- /bin/sh -c \
		'while [ ! -e /tmp/stop ]; do sleep 0.1; done' >/dev/null
	ctr_exec() { podman exec -i "$name" "$@"; }
	;;
chroot)
	in_chroot /usr/bin/egress-supervise -- /bin/sh -c \
		'while [ ! -e /tmp/stop ]; do sleep 0.1; done' \
		2>"$T/bg.err" &
	bgpid=$!
	sleep 0.5
	inner=$(pgrep -n -f "^/usr/bin/egress-supervise -- /bin/sh -c while")
	ctr_exec() { nsenter -t "$inner" -n -m chroot "$R" "$@"; }
	;;
esac
for i in $(seq 50); do [ -S "$R/run/egress-supervise/control.sock" ] && break; sleep 0.1; done
out=$(ctr_exec /usr/bin/egress-supervise exec -- es-net tcp 198.51.100.20:22 2>&1)
like "$out" "^connect 198.51.100.20:22 EACCES" "a process started with egress-supervise exec is supervised"
out=$(echo hello | ctr_exec /usr/bin/egress-supervise exec -- /bin/sh -c 'cat; exit 3' 2>&1)
rc=$?
like "$out" "^hello$" "its stdin and stdout are the exec client's"
like "$rc" "^3$" "its exit status comes back"
out=$(ctr_exec /usr/bin/es-net tcp 198.51.100.20:22 2>&1)
like "$out" "^connect 198.51.100.20:22 (ENETUNREACH|EHOSTUNREACH)" "(a plain exec is not supervised: the kernel, not the policy, answers)"
ctr_exec /bin/touch /tmp/stop
[ "$mode" = podman ] && podman wait "$name" >/dev/null
[ "$mode" = chroot ] && wait "$bgpid"

echo "1..$n"
[ "$failed" = 0 ]
