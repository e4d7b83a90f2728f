#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench.sh - notified network calls, direct and under egress-supervise
#
#	ES_BIN=.../egress-supervise BENCH_BIN=.../tests/bench bash bench.sh
#
# Run as root (it creates network namespaces).  Environment:
#   ES_BIN		the supervisor (default: ../../egress-supervise)
#   BENCH_BIN		the directory of bench-connect and bench-server
#			(default: this script's directory)
#   BENCH_SECONDS	length of one timed run (default 1.2; the whole run
#			takes about 21 x BENCH_SECONDS x BENCH_ROUNDS seconds)
#   BENCH_ROUNDS	rounds; each runs every metric direct and supervised,
#			the order alternating from round to round (default 5)
#   BENCH_JOBS		workers of the parallel connect metric (default 2)
#   BENCH_NICE		nice increment for the whole bench (default 0); e.g.
#			-10 when other work shares the CPUs: a supervised
#			call waits for two wake-ups, so a busy run queue
#			hurts it more than the direct call
#   BENCH_LOG		where the raw result lines go
#			(default: /tmp/es-bench-results.PID.log)
#
# The world: two network namespaces joined by a veth pair, nothing else.
#
#   esb<PID>-c  lo, veth 198.51.100.1/24  the client, bench-server on [::]:7000
#   esb<PID>-s  lo, veth 198.51.100.2/24  bench-server on [::]:7000
#
# Port 7001 is closed everywhere; the denied connect goes there.  Only
# documentation addresses and loopback are used, and the namespaces have no
# link to the outside.
#
# Each metric runs bench-connect directly and as
#	egress-supervise --log /dev/null --allow 198.51.100.2/32:7000 -- ...
# in the same invocation, and the table shows the median of the rounds:
#   - rates (connects/s): ratio = supervised / direct;
#   - latencies (ns/call): overhead = supervised - direct, in µs per call;
#   - "notification round trip" = 1/rate(supervised) - 1/rate(direct) for
#     the one-worker connect: what the supervisor adds to each connect.
# The two "floor" rows are not egress-supervise: getppid() plain (direct)
# and notified to a listener that only receives and answers (supervised):
# the kernel's and the scheduler's share of every notification on this
# machine, without and with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP.
# srv% is the busiest server's CPU (% of one CPU, the larger of the two
# runs), sup% the supervisor's CPU in the supervised run: on 2 CPUs a
# server near 100% would make the figure the server's, not ours.
#
# Exit status: 0 when every run worked, 1 when one failed, 2 on setup errors.

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${ES_BIN:=$BENCH_DIR/../../egress-supervise}"
: "${BENCH_BIN:=$BENCH_DIR}"
: "${BENCH_SECONDS:=1.2}"
: "${BENCH_ROUNDS:=5}"
: "${BENCH_JOBS:=2}"

BC=$BENCH_BIN/bench-connect
BS=$BENCH_BIN/bench-server
NS_C=esb$$-c
NS_S=esb$$-s
ADDR_C=198.51.100.1
ADDR_S=198.51.100.2
PORT=7000
PORT_CLOSED=7001
ALLOW=(--allow "$ADDR_S/32:$PORT")

die() {
	echo "bench.sh: $*" >&2
	exit 2
}

[ "$(id -u)" = 0 ] || die "needs root (it creates network namespaces)"

# The supervisor may rewrite /etc/resolv.conf in place (and keep a backup
# beside it) when it cannot give CMD a private mount namespace.  Run in our
# own mount namespace over a private copy of /etc, so nothing the bench
# starts changes the machine's files.
# BENCH_NICE is applied here too, once, to everything the bench starts.
if [ -z "${BENCH_PRIVATE_ETC:-}" ] && command -v unshare >/dev/null; then
	BENCH_PRIVATE_ETC=1 exec nice -n "${BENCH_NICE:-0}" \
		unshare -m --propagation private bash "${BASH_SOURCE[0]}" "$@"
fi
command -v ip >/dev/null || die "needs ip(8) (iproute2)"
[ -x "$ES_BIN" ] || die "no supervisor at ES_BIN=$ES_BIN"
if [ ! -x "$BC" ] || [ ! -x "$BS" ]; then
	die "no bench-connect/bench-server in BENCH_BIN=$BENCH_BIN (make bench)"
fi

TMP=$(mktemp -d /tmp/es-bench.XXXXXX) || die "mktemp failed"
: "${BENCH_LOG:=/tmp/es-bench-results.$$.log}"
SRV_PIDS=()

if [ -n "${BENCH_PRIVATE_ETC:-}" ]; then
	if ! cp -a /etc "$TMP/etc" || ! mount --bind "$TMP/etc" /etc; then
		die "could not make a private /etc"
	fi
fi

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local p

	for p in "${SRV_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	[ -n "${BENCH_PRIVATE_ETC:-}" ] && umount /etc 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- the world
# Sysctls below are per network namespace: a big accept queue, the whole
# port range and TIME_WAIT reuse, so that neither the server's queue nor
# the client's ports are what a long run measures.
ns_tune() {
	ip netns exec "$1" sh -c '
		sysctl -qw net.core.somaxconn=65535
		sysctl -qw net.ipv4.tcp_max_syn_backlog=65535
		sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
		sysctl -qw net.ipv4.tcp_tw_reuse=1
	' || die "sysctl in $1 failed"
}

world_up() {
	ip netns add "$NS_C" || die "ip netns add $NS_C"
	ip netns add "$NS_S" || die "ip netns add $NS_S"
	ip -n "$NS_C" link set lo up
	ip -n "$NS_S" link set lo up
	ip -n "$NS_C" link add veth0 type veth peer name veth0 netns "$NS_S" ||
		die "veth pair"
	ip -n "$NS_C" addr add "$ADDR_C/24" dev veth0
	ip -n "$NS_S" addr add "$ADDR_S/24" dev veth0
	ip -n "$NS_C" link set veth0 up
	ip -n "$NS_S" link set veth0 up
	ns_tune "$NS_C"
	ns_tune "$NS_S"

	server_start "$NS_S"
	SRV_S=$SRV_PID
	server_start "$NS_C"
	SRV_C=$SRV_PID
}

# server_start NS: bench-server on [::]:PORT in NS; sets SRV_PID
server_start() {
	local out=$TMP/server-$1 i

	ip netns exec "$1" "$BS" -t 2 "$PORT" >"$out" 2>&1 &
	SRV_PID=$!
	SRV_PIDS+=("$SRV_PID")
	for i in $(seq 100); do
		grep -q ready "$out" 2>/dev/null && return
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$out" >&2
	die "bench-server in $1 did not start"
}

# ---------------------------------------------------------------- runs
# The metrics: NAME|UNIT|MODE|ADDR|PORT|JOBS|SERVER
# UNIT "rate" is connects/s, "ns" is ns/call.  SERVER F marks the floor
# metrics: not egress-supervise at all, but getppid() plain ("direct") and
# notified to bench-connect's own minimal listener ("supervised").
METRICS=(
	"tcp connect veth|rate|connect|$ADDR_S|$PORT|1|S"
	"tcp connect 127.0.0.1|rate|connect|127.0.0.1|$PORT|1|C"
	"tcp connect [::1]|rate|connect|::1|$PORT|1|C"
	"tcp connect veth ${BENCH_JOBS} jobs|rate|connect|$ADDR_S|$PORT|$BENCH_JOBS|S"
	"connect AF_UNSPEC udp|ns|unspec|$ADDR_S|$PORT|1|S"
	"udp sendto 1 B|ns|sendto|$ADDR_S|$PORT|1|S"
	"udp sendmsg connected|ns|sendmsg|$ADDR_S|$PORT|1|S"
	"udp sendmmsg connected|ns|sendmmsg|$ADDR_S|$PORT|1|S"
	"tcp connect denied|ns|deny|$ADDR_S|$PORT_CLOSED|1|S"
	"floor: minimal listener|ns|floor|-|-|1|F"
	"floor: + SYNC_WAKE_UP|ns|floor-sync|-|-|1|F"
)

declare -A VAL SRVCPU SUPCPU NOTE
FAILED=0

# kv LINE KEY: the value of KEY=VALUE in LINE
kv() {
	local w

	for w in $1; do
		case $w in
		"$2"=*) echo "${w#*=}"; return ;;
		esac
	done
	echo ""
}

# run_one IDX MODE(direct|supervised)
run_one() {
	local IFS_OLD=$IFS name unit mode addr port jobs srv srvpid line rc
	local errf=$TMP/stderr cmd

	IFS='|' read -r name unit mode addr port jobs srv <<<"${METRICS[$1]}"
	IFS=$IFS_OLD
	[ "$srv" = S ] && srvpid=$SRV_S || srvpid=$SRV_C
	cmd=("$BC" -d "$BENCH_SECONDS" -j "$jobs" -m "$srvpid")
	if [ "$srv" = F ]; then
		cmd=("$BC" -d "$BENCH_SECONDS")
		[ "$2" = direct ] && mode=nop
		addr='' port=
	elif [ "$2" = supervised ]; then
		cmd=("$ES_BIN" --log /dev/null "${ALLOW[@]}" -- "${cmd[@]}" -P)
	fi
	cmd+=("$mode")
	[ -n "$addr" ] && cmd+=("$addr" "$port")
	# a denial also prints one human line on stderr: keep only the last
	line=$(ip netns exec "$NS_C" "${cmd[@]}" 2> >(tail -n 5 >"$errf"))
	rc=$?
	echo "$2 $line" >>"$BENCH_LOG"
	if [ "$rc" != 0 ] || [ -z "$line" ]; then
		FAILED=1
		NOTE[$1]="${NOTE[$1]:-} $2:rc=$rc,errno=$(kv "$line" errno)"
		sleep 0.1
		sed 's/^/  stderr: /' "$errf" >&2
	fi
	if [ "$unit" = rate ]; then
		VAL[$1,$2]+=" $(kv "$line" rate)"
	else
		VAL[$1,$2]+=" $(kv "$line" ns_per_call)"
	fi
	SRVCPU[$1,$2]+=" $(kv "$line" cpu_mon)"
	[ "$2" = supervised ] && SUPCPU[$1]+=" $(kv "$line" cpu_parent)"
	printf '  %-11s %-28s %s\n' "$2" "$name" "$line" >&2
}

# median V...: the median of numbers (empty ones ignored)
median() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '
		{ a[NR] = $1 }
		END {
			if (!NR) { print "nan"; exit }
			if (NR % 2) print a[(NR + 1) / 2]
			else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

# pct V: a CPU percentage for the table, "-" when there is none
pct() {
	if [[ ${1:-} =~ ^[0-9.]+$ ]]; then printf '%.0f' "$1"; else echo -; fi
}

maxof() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | tail -n 1
}

# sanity: the supervised world allows what it should and denies the rest
sanity() {
	local out

	out=$(ip netns exec "$NS_C" "$ES_BIN" --log /dev/null "${ALLOW[@]}" -- \
		"$BC" -n 10 -w 0 connect "$ADDR_S" "$PORT" 2>&1) ||
		die "supervised connect to $ADDR_S:$PORT failed: $out"
	out=$(ip netns exec "$NS_C" "$ES_BIN" --log /dev/null "${ALLOW[@]}" -- \
		"$BC" -n 1 -w 0 connect "$ADDR_S" "$PORT_CLOSED" 2>&1)
	case $out in
	*errno=EACCES*) ;;
	*) die "supervised connect to $ADDR_S:$PORT_CLOSED not denied: $out" ;;
	esac
}

# ---------------------------------------------------------------- main
world_up
sanity

NMET=${#METRICS[@]}
echo "bench.sh: $(nproc) CPUs, kernel $(uname -r), $BENCH_ROUNDS rounds of" \
	"$NMET metrics x 2, ${BENCH_SECONDS}s each" >&2
START=$SECONDS
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$BENCH_ROUNDS"); do
	echo "round $r" >&2
	for ((i = 0; i < NMET; i++)); do
		if ((r % 2)); then
			run_one "$i" direct
			run_one "$i" supervised
		else
			run_one "$i" supervised
			run_one "$i" direct
		fi
	done
done

# ---------------------------------------------------------------- table
# shellcheck disable=SC2086
{
	echo
	echo "egress-supervise bench: $(nproc) CPUs, kernel $(uname -r)," \
		"median of $BENCH_ROUNDS rounds x ${BENCH_SECONDS}s," \
		"$((SECONDS - START))s"
	echo "load average before: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg)," \
		"nice $(nice)"
	printf '%-28s %-10s %12s %12s %14s %5s %5s\n' \
		metric unit direct supervised ratio/overhead srv% sup%
	for ((i = 0; i < NMET; i++)); do
		IFS='|' read -r name unit _ <<<"${METRICS[$i]}"
		d=$(median ${VAL[$i,direct]})
		s=$(median ${VAL[$i,supervised]})
		sc=$(maxof ${SRVCPU[$i,direct]} ${SRVCPU[$i,supervised]})
		pc=$(median ${SUPCPU[$i]})
		if [ "$unit" = rate ]; then
			rel=$(awk -v d="$d" -v s="$s" \
				'BEGIN { printf "%.2fx", (d > 0) ? s / d : 0 }')
			u=connects/s
		else
			rel=$(awk -v d="$d" -v s="$s" \
				'BEGIN { printf "%+.2f us", (s - d) / 1000 }')
			u=ns/call
		fi
		printf '%-28s %-10s %12.0f %12.0f %14s %5s %5s%s\n' \
			"$name" "$u" "$d" "$s" "$rel" "$(pct "$sc")" "$(pct "$pc")" \
			"${NOTE[$i]:+  !${NOTE[$i]}}"
	done
	for ((i = 0; i < NMET; i++)); do
		IFS='|' read -r name unit _ _ _ jobs _ <<<"${METRICS[$i]}"
		if [ "$unit" != rate ] || [ "$jobs" != 1 ]; then
			continue
		fi
		d=$(median ${VAL[$i,direct]})
		s=$(median ${VAL[$i,supervised]})
		awk -v n="$name" -v d="$d" -v s="$s" 'BEGIN {
			printf "notification round trip, %-14s %6.2f us/connect" \
			       " (%.2f -> %.2f us)\n", n ":",
			       1e6 / s - 1e6 / d, 1e6 / d, 1e6 / s }'
	done
	echo "raw results: $BENCH_LOG"
}
exit "$FAILED"
