# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - TAP output and the network world of the integration tests
#
# Source it from a test:  . "$(dirname "$0")/lib.sh"
#
# TAP: ok DESC | not_ok DESC | check DESC CMD... | is GOT WANT DESC |
#      like TEXT REGEX DESC | skip DESC REASON | diag MSG | skip_all REASON |
#      bail_out MSG | done_testing (prints the plan)
#
# Exit status: run by hand, 0 when every point passed, 1 when one failed,
# 77 when skipped. Under automake's TAP driver (tests/local.mk sets
# ES_TAP_DRIVER=1) the TAP lines carry the verdict and the status is 0.
#
# The world (world_up): uniquely named network namespaces, es<PID>-<role>,
# linked by veth pairs. Only documentation addresses are used, and the
# namespaces have no link to the outside, so no packet can leave them.
#
#   client 192.0.2.2/24, 2001:db8:1::2/64 --- net (router) 192.0.2.1, 2001:db8:1::1
#   net br0 198.51.100.1/24, 2001:db8:2::1/64
#       h10  198.51.100.10, 2001:db8:2::10  (the "allowed" host)
#       h20  198.51.100.20, 2001:db8:2::20  (the "denied" host)
#   net v5 203.0.113.1/24, 2001:db8:3::1/64
#       h5   203.0.113.5,   2001:db8:3::5   (a third host)
#   black holes: 198.51.100.99 and 2001:db8:2::99, dropped by nft on net.
#
# Every host runs es-server.py: TCP 22 and 80 (banner + echo; _server says
# how to choose other ports), UDP 5000 and 5001 (recorded); TCP 23 is
# closed. Every host counts the packets arriving from the client's addresses
# in an nftables counter: world_count HOST.

ES_TESTDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Where the program and the helpers are: tests/local.mk exports ES_BIN and
# ES_HELPERS; run by hand from an in-tree build the defaults work too.
: "${ES_BIN:=$ES_TESTDIR/../../egress-supervise}"
: "${ES_HELPERS:=$ES_TESTDIR/../helpers}"
: "${ES_TIMEOUT:=60}"
: "${ES_TAP_DRIVER:=}"
PYTHON=${PYTHON:-python3}

# ---------------------------------------------------------------- TAP
_tap_n=0
_tap_failed=0

ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $*"
}

diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		echo "# $line"
	done
}

# diag_file FILE [TITLE]: show a file's content (at most 40 lines)
diag_file() {
	[ -e "$1" ] || { diag "${2:-$1}: (missing)"; return; }
	diag "--- ${2:-$1}:"
	diag "$(head -n 40 "$1")"
}

# check DESC CMD...: ok when CMD succeeds
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got: '$1'"
		diag "want: '$2'"
	fi
}

# like TEXT ERE DESC
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok "$3"
	else
		not_ok "$3"
		diag "got: '$1'"
		diag "want (ERE): '$2'"
	fi
}

# file_like FILE ERE DESC: some line of FILE matches
file_like() {
	if grep -Eq -- "$2" "$1" 2>/dev/null; then
		ok "$3"
	else
		not_ok "$3"
		diag "want a line matching (ERE): '$2'"
		diag_file "$1"
	fi
}

# file_unlike FILE ERE DESC: no line of FILE matches
file_unlike() {
	if grep -Eq -- "$2" "$1" 2>/dev/null; then
		not_ok "$3"
		diag "unexpected line matching (ERE): '$2'"
		diag_file "$1"
	else
		ok "$3"
	fi
}

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

# skip_all REASON: only when the kernel or machine truly lacks something.
skip_all() {
	echo "1..0 # SKIP $*"
	[ -n "$ES_TAP_DRIVER" ] && exit 0
	exit 77
}

bail_out() {
	echo "Bail out! $*"
	exit 99
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ] && exit 0
	diag "$_tap_failed of $_tap_n failed"
	[ -n "$ES_TAP_DRIVER" ] && exit 0
	exit 1
}

# ---------------------------------------------------------------- checks
require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces)"
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "needs $c"
	done
}

# require_bins: the program under test and the helpers must exist: a missing
# binary is a failure of the build, never a skip.
require_bins() {
	local h
	[ -x "$ES_BIN" ] || bail_out "ES_BIN=$ES_BIN is not an executable"
	for h in es-net es-toctou es-fds es-caps es-sig es-zombies; do
		[ -x "$ES_HELPERS/$h" ] ||
			bail_out "helper $ES_HELPERS/$h missing (make check builds it)"
	done
}

# ---------------------------------------------------------------- world
W=es$$
NS_CLIENT=$W-client
NS_NET=$W-net
ES_HOSTS="h10 h20 h5"
T=
_world_pids=

ns_of() {
	case $1 in
	client) echo "$NS_CLIENT" ;;
	net) echo "$NS_NET" ;;
	*) echo "$W-$1" ;;
	esac
}

v4_of() {
	case $1 in
	client) echo 192.0.2.2 ;;
	h10) echo 198.51.100.10 ;;
	h20) echo 198.51.100.20 ;;
	h5) echo 203.0.113.5 ;;
	esac
}

v6_of() {
	case $1 in
	client) echo 2001:db8:1::2 ;;
	h10) echo 2001:db8:2::10 ;;
	h20) echo 2001:db8:2::20 ;;
	h5) echo 2001:db8:3::5 ;;
	esac
}

in_ns() {
	local ns
	ns=$(ns_of "$1")
	shift
	ip netns exec "$ns" "$@"
}

in_client() {
	ip netns exec "$NS_CLIENT" "$@"
}

_world_cleanup() {
	local rc=$? p ns m
	# file systems a test mounted (its servers are killed next)
	for m in $_world_umounts; do
		umount -l "$m" 2>/dev/null
	done
	for p in $_world_pids; do
		kill "$p" 2>/dev/null
	done
	for ns in "$NS_CLIENT" "$NS_NET" $(for h in $ES_HOSTS; do ns_of "$h"; done); do
		ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
		# processes the test started inside its own namespaces
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ -n "$ES_KEEP" ]; then
			echo "# kept $T" >&2
		else
			rm -rf "$T"
		fi
	fi
	exit $rc
}

# tmpdir: the test's scratch directory $T, removed on exit
tmpdir() {
	[ -n "$T" ] && return
	T=$(mktemp -d "${TMPDIR:-/tmp}/es-int.XXXXXX") || bail_out "mktemp"
	chmod 755 "$T"
	trap _world_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

_ns_add() {
	ip netns add "$1" || bail_out "ip netns add $1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
}

# _host NAME V4 V6 ROUTER_LINK ROUTER_V4 ROUTER_V6
_host() {
	local h=$1 v4=$2 v6=$3 link=$4 r4=$5 r6=$6 ns
	ns=$(ns_of "$h")
	_ns_add "$ns"
	ip -n "$NS_NET" link add "p$h" type veth peer name eth0 netns "$ns" ||
		bail_out "veth for $h"
	if [ "$link" = br0 ]; then
		ip -n "$NS_NET" link set "p$h" master br0
	fi
	ip -n "$NS_NET" link set "p$h" up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add "$v4/24" dev eth0
	ip -n "$ns" addr add "$v6/64" dev eth0 nodad
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fastopen=3 >/dev/null
	ip -n "$ns" route add default via "$r4"
	ip -n "$ns" -6 route add default via "$r6"
	ip netns exec "$ns" nft -f - <<-EOF || bail_out "nft on $h"
		table inet es {
			counter from_client { }
			chain pre {
				type filter hook prerouting priority -500; policy accept;
				ip saddr 192.0.2.2 counter name "from_client"
				ip6 saddr 2001:db8:1::2 counter name "from_client"
			}
		}
	EOF
}

# _server HOST: es-server.py on HOST. Its TCP ports are $ES_SERVER_TCP
# (default "22 80"), or for one host $ES_SERVER_TCP_<HOST> when set (even
# empty): lib-servers.sh gives port 80 to nginx this way.
_server() {
	local h=$1 ns var p tcp=()
	ns=$(ns_of "$h")
	var=ES_SERVER_TCP_$h
	for p in ${!var-${ES_SERVER_TCP-22 80}}; do
		tcp+=(--tcp "$p")
	done
	ip netns exec "$ns" "$PYTHON" "$ES_TESTDIR/es-server.py" --name "$h" \
		--log "$T/$h.log" --ready "$T/$h.ready" \
		"${tcp[@]}" --udp 5000 --udp 5001 \
		>"$T/$h.server.out" 2>&1 &
	_world_pids="$_world_pids $!"
}

# world_lite: for the tests that need no network: as root, a private
# network namespace with only loopback (so parallel runs do not share the
# supervisor's loopback ports); otherwise the caller's namespaces.
world_lite() {
	tmpdir
	[ "$(id -u)" -eq 0 ] || return 0
	_ns_add "$NS_CLIENT"
	_world_is_up=1
	IN_WORLD=(ip netns exec "$NS_CLIENT")
}

# world_up: build the namespaces, the routes, the counters and the servers.
world_up() {
	local h i
	require_root
	require_cmd ip nft "$PYTHON" timeout
	tmpdir
	_ns_add "$NS_CLIENT"
	_ns_add "$NS_NET"
	ip netns exec "$NS_NET" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 >/dev/null
	# Let CMD open ICMP datagram sockets (so a denial is the filter's).
	ip netns exec "$NS_CLIENT" sysctl -qw \
		net.ipv4.ping_group_range="0 2147483647" >/dev/null

	ip -n "$NS_CLIENT" link add eth0 type veth peer name pc netns "$NS_NET" ||
		bail_out "veth client"
	ip -n "$NS_CLIENT" link set eth0 up
	ip -n "$NS_NET" link set pc up
	ip -n "$NS_CLIENT" addr add 192.0.2.2/24 dev eth0
	ip -n "$NS_CLIENT" addr add 2001:db8:1::2/64 dev eth0 nodad
	ip -n "$NS_NET" addr add 192.0.2.1/24 dev pc
	ip -n "$NS_NET" addr add 2001:db8:1::1/64 dev pc nodad
	# Only the documentation ranges are routed; nothing else has a route.
	for r in 198.51.100.0/24 203.0.113.0/24; do
		ip -n "$NS_CLIENT" route add "$r" via 192.0.2.1
	done
	ip -n "$NS_CLIENT" -6 route add 2001:db8::/32 via 2001:db8:1::1

	ip -n "$NS_NET" link add br0 type bridge
	ip -n "$NS_NET" link set br0 up
	ip -n "$NS_NET" addr add 198.51.100.1/24 dev br0
	ip -n "$NS_NET" addr add 2001:db8:2::1/64 dev br0 nodad
	_host h10 198.51.100.10 2001:db8:2::10 br0 198.51.100.1 2001:db8:2::1
	_host h20 198.51.100.20 2001:db8:2::20 br0 198.51.100.1 2001:db8:2::1
	_host h5 203.0.113.5 2001:db8:3::5 ph5 203.0.113.1 2001:db8:3::1
	ip -n "$NS_NET" addr add 203.0.113.1/24 dev ph5
	ip -n "$NS_NET" addr add 2001:db8:3::1/64 dev ph5 nodad

	ip netns exec "$NS_NET" nft -f - <<-EOF || bail_out "nft on net"
		table inet es {
			counter blackhole { }
			counter forwarded { }
			chain forwarding {
				type filter hook forward priority 0; policy accept;
				ip saddr 192.0.2.2 counter name "forwarded"
				ip6 saddr 2001:db8:1::2 counter name "forwarded"
				ip daddr 198.51.100.99 counter name "blackhole" drop
				ip6 daddr 2001:db8:2::99 counter name "blackhole" drop
			}
		}
	EOF

	_world_is_up=1
	IN_WORLD=(ip netns exec "$NS_CLIENT")
	for h in $ES_HOSTS; do
		_server "$h"
	done
	for h in $ES_HOSTS; do
		for i in $(seq 100); do
			[ -e "$T/$h.ready" ] && break
			sleep 0.1
		done
		[ -e "$T/$h.ready" ] || {
			cat "$T/$h.server.out" >&2
			bail_out "server on $h did not start"
		}
	done
}

# world_loopback_server: es-server in the client namespace itself (reached
# over loopback, always allowed); its log is $T/client.log
world_loopback_server() {
	local i
	_server client
	for i in $(seq 100); do
		[ -e "$T/client.ready" ] && return 0
		sleep 0.1
	done
	bail_out "loopback server did not start"
}

# world_count HOST: packets that reached HOST from the client (h10 h20 h5),
# or, for "net", the packets the router forwarded ("blackhole": dropped).
world_count() {
	local ns=$(ns_of "$1") name=from_client
	case $1 in
	net) name=forwarded ;;
	blackhole) ns=$NS_NET; name=blackhole ;;
	esac
	ip netns exec "$ns" nft list counter inet es "$name" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# world_reset: zero every counter and empty the servers' logs.
world_reset() {
	local h
	for h in $ES_HOSTS; do
		ip netns exec "$(ns_of "$h")" nft reset counters table inet es >/dev/null
		: >"$T/$h.log"
	done
	ip netns exec "$NS_NET" nft reset counters table inet es >/dev/null
}

# world_log HOST: the path of HOST's server log
world_log() {
	echo "$T/$1.log"
}

# wait_for_file FILE ERE [SECONDS]: until a line of FILE matches
wait_for_line() {
	local i n=$(( ${3:-5} * 20 ))
	for i in $(seq "$n"); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# world_selftest: the world must work without the supervisor, else every
# "denied" result would mean nothing. Reaches each host over v4 and v6
# with TCP and UDP, checks counters and server logs, then resets.
world_selftest() {
	local h v4 v6 bad=0
	for h in $ES_HOSTS; do
		v4=$(v4_of "$h")
		v6=$(v6_of "$h")
		in_client "$ES_HELPERS/es-net" -t 2000 -r tcp "$v4:22" \
			>"$T/selftest.$h" 2>&1 || bad=1
		in_client "$ES_HELPERS/es-net" -t 2000 -r tcp "[$v6]:22" \
			>>"$T/selftest.$h" 2>&1 || bad=1
		in_client "$ES_HELPERS/es-net" udp-sendto "$v4:5000" \
			>>"$T/selftest.$h" 2>&1 || bad=1
		in_client "$ES_HELPERS/es-net" udp-sendto "[$v6]:5000" \
			>>"$T/selftest.$h" 2>&1 || bad=1
		wait_for_line "$T/$h.log" "^udp 5000 2001:db8:1::2 es-net \\[$v6\\]:5000" 3 || bad=1
		grep -q "^udp 5000 192.0.2.2 es-net $v4:5000" "$T/$h.log" || bad=1
		grep -q "SSH-2.0-es-test $h" "$T/selftest.$h" || bad=1
		[ "$(world_count "$h")" -gt 0 ] || bad=1
		if [ $bad -ne 0 ]; then
			cat "$T/selftest.$h" "$T/$h.log" >&2
			bail_out "the test world does not work (host $h)"
		fi
	done
	world_reset
}

# ---------------------------------------------------------------- running
_world_is_up=
IN_WORLD=()	# the command prefix of in_world, for "${IN_WORLD[@]}" cmd &

# in_world CMD...: CMD in the client namespace once world_up ran, else here.
# (To start CMD in the background with $! its pid, use "${IN_WORLD[@]}":
# a backgrounded shell function is a subshell.)
in_world() {
	if [ -n "$_world_is_up" ]; then
		ip netns exec "$NS_CLIENT" "$@"
	else
		"$@"
	fi
}

# es_run NAME SUPERVISOR-ARGS...: run egress-supervise in the client
# namespace; stdout in $T/NAME.out, stderr in $T/NAME.err, status in $RC.
es_run() {
	local name=$1
	shift
	in_world timeout -k 5 "$ES_TIMEOUT" \
		"$ES_BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null
	RC=$?
}

# direct NAME CMD...: run CMD in the client namespace, without supervisor
direct() {
	local name=$1
	shift
	in_world timeout -k 5 "$ES_TIMEOUT" \
		"$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null
	RC=$?
}

# expect_rc WANT NAME DESC: the last run's exit status
expect_rc() {
	if [ "$RC" = "$1" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "exit status $RC, want $1"
		show "$2"
	fi
}

# json_check FILE [key=value...]: every line of FILE that starts with "{"
# is a JSON object with the keys of a decision, and (with key=value
# arguments) at least one of them has all those values (compared as text).
# Prints the problems; exit status 0 when all is well.
json_check() {
	"$PYTHON" - "$@" <<-'EOF'
		import json, sys
		path, want = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
		keys = ("ts", "event", "verdict", "pid", "comm", "proto", "dst",
		        "port", "rule", "reason")
		bad, found, n = 0, 0, 0
		try:
		    lines = open(path).readlines()
		except OSError as e:
		    print(e)
		    sys.exit(1)
		for i, line in enumerate(lines, 1):
		    if not line.startswith("{"):
		        continue
		    n += 1
		    try:
		        o = json.loads(line)
		    except ValueError as e:
		        print(f"line {i}: not JSON: {e}: {line.rstrip()}")
		        bad += 1
		        continue
		    missing = [k for k in keys if k not in o]
		    if missing:
		        print(f"line {i}: missing keys {missing}: {line.rstrip()}")
		        bad += 1
		    if want and all(str(o.get(k)) == v for k, v in want.items()):
		        found += 1
		if n == 0:
		    print("no JSON line at all")
		    bad += 1
		if want and not found:
		    print(f"no line with {want}")
		    bad += 1
		sys.exit(1 if bad else 0)
	EOF
}

# expect_json FILE DESC key=value...: json_check as a test point
expect_json() {
	local f=$1 desc=$2 out
	shift 2
	if out=$(json_check "$f" "$@"); then
		ok "$desc"
	else
		not_ok "$desc"
		diag "$out"
		diag_file "$f"
	fi
}

# show NAME: the outputs of a run, as diagnostics
show() {
	diag "exit status: $RC"
	diag_file "$T/$1.out" "$1 stdout"
	diag_file "$T/$1.err" "$1 stderr"
}

# expect_line NAME ERE DESC: a line of NAME's stdout matches
expect_line() {
	if grep -Eq -- "$2" "$T/$1.out" 2>/dev/null; then
		ok "$3"
	else
		not_ok "$3"
		diag "want a stdout line matching (ERE): '$2'"
		show "$1"
	fi
}

# expect_count HOST N DESC
expect_count() {
	local got
	got=$(world_count "$1")
	if [ "$got" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "$1 saw $got packets from the client, want $2"
	fi
}

# expect_some HOST DESC: HOST saw at least one packet
expect_some() {
	local got
	got=$(world_count "$1")
	if [ "${got:-0}" -gt 0 ]; then
		ok "$2"
	else
		not_ok "$2"
		diag "$1 saw no packet from the client"
	fi
}

NET=${ES_HELPERS}/es-net
