#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-udp.sh - UDP request/reply round trips, direct and under
# egress-supervise, in the same run
#
#	ES_BIN=.../egress-supervise BENCH_BIN=.../tests/bench bash bench-udp.sh
#
# Run as root (it creates network namespaces).  Environment:
#   ES_BIN, BENCH_BIN, BENCH_SECONDS (default 1.2), BENCH_ROUNDS (default
#   5), BENCH_NICE: as for bench.sh.
#
# The world: esu<PID>-c (198.51.100.1) and esu<PID>-s (198.51.100.2, an
# echo server on UDP 7000), joined by a veth pair; documentation addresses
# only, no link to the outside.
#
# Metrics, each direct and as
#	egress-supervise --log /dev/null --allow 198.51.100.2/32:7000/udp
# the order alternating from round to round; the table shows the median:
#   - unconnected: sendto() with an address, then recv(): every request is
#     a notification the supervisor decides and sends itself;
#   - connected: connect() once, then send()/recv(): not notified at all.
# ratio = supervised / direct round trips per second (of the medians);
# "r. ratio" = the median of each round's ratio of its two back-to-back
# runs, the figure to trust on a shared machine.  Issue #6 asks for at
# least 0.5x for unconnected round trips.
#
# Exit status: 0 when every run worked, 1 when one failed, 2 on setup errors.

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${ES_BIN:=$BENCH_DIR/../../egress-supervise}"
: "${BENCH_BIN:=$BENCH_DIR}"
: "${BENCH_SECONDS:=1.2}"
: "${BENCH_ROUNDS:=5}"

BU=$BENCH_BIN/bench-udp
NS_C=esu$$-c
NS_S=esu$$-s
ADDR_C=198.51.100.1
ADDR_S=198.51.100.2
PORT=7000
ALLOW=(--allow "$ADDR_S/32:$PORT/udp")

die() {
	echo "bench-udp.sh: $*" >&2
	exit 2
}

[ "$(id -u)" = 0 ] || die "needs root (it creates network namespaces)"
# A private /etc, as in bench.sh: the supervisor may rewrite resolv.conf
if [ -z "${BENCH_PRIVATE_ETC:-}" ] && command -v unshare >/dev/null; then
	BENCH_PRIVATE_ETC=1 exec nice -n "${BENCH_NICE:-0}" \
		unshare -m --propagation private bash "${BASH_SOURCE[0]}" "$@"
fi
[ -x "$ES_BIN" ] || die "no supervisor at ES_BIN=$ES_BIN"
[ -x "$BU" ] || die "no bench-udp in BENCH_BIN=$BENCH_BIN (make bench)"

TMP=$(mktemp -d /tmp/es-bench-udp.XXXXXX) || die "mktemp failed"
SRV=
if [ -n "${BENCH_PRIVATE_ETC:-}" ]; then
	cp -a /etc "$TMP/etc" && mount --bind "$TMP/etc" /etc ||
		die "could not make a private /etc"
fi

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	[ -n "${BENCH_PRIVATE_ETC:-}" ] && umount /etc 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
ip netns exec "$NS_S" "$BU" echo "$PORT" >"$TMP/echo.out" 2>&1 &
SRV=$!
for _ in $(seq 100); do
	grep -q ready "$TMP/echo.out" 2>/dev/null && break
	sleep 0.05
done
grep -q ready "$TMP/echo.out" || die "echo server did not start"

# NAME|ARGS
METRICS=(
	"udp unconnected 32 B|-s 32"
	"udp unconnected 1200 B|-s 1200"
	"udp connected 32 B|-c -s 32"
)
declare -A VAL CPU LAST RATIO
FAILED=0

kv() {
	local w
	for w in $1; do
		case $w in "$2"=*) echo "${w#*=}"; return ;; esac
	done
}

run_one() {
	local name args line cmd

	IFS='|' read -r name args <<<"${METRICS[$1]}"
	# shellcheck disable=SC2206 # ARGS are words
	cmd=("$BU" -d "$BENCH_SECONDS" $args "$ADDR_S" "$PORT")
	[ "$2" = supervised ] && cmd=("$ES_BIN" --log /dev/null "${ALLOW[@]}" -- "${cmd[@]}")
	line=$(ip netns exec "$NS_C" "${cmd[@]}" 2>"$TMP/err") || {
		FAILED=1
		sed 's/^/  stderr: /' "$TMP/err" >&2
	}
	printf '  %-11s %-24s %s\n' "$2" "$name" "$line" >&2
	VAL[$1,$2]+=" $(kv "$line" rate)"
	LAST[$1,$2]=$(kv "$line" rate)
	[ "$2" = supervised ] && CPU[$1]+=" $(kv "$line" cpu_parent)"
}

# the ratio of one round's two runs, made back to back: robust to a load
# that drifts over the whole bench, as it does on a shared machine
round_ratio() {
	RATIO[$1]+=" $(awk -v d="${LAST[$1,direct]:-0}" \
		-v s="${LAST[$1,supervised]:-0}" \
		'BEGIN { if (d > 0 && s > 0) printf "%.3f", s / d }')"
}

median() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '
		{ a[NR] = $1 }
		END {
			if (!NR) { print "nan"; exit }
			if (NR % 2) print a[(NR + 1) / 2]
			else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

NMET=${#METRICS[@]}
echo "bench-udp.sh: $(nproc) CPUs, kernel $(uname -r), $BENCH_ROUNDS rounds" \
	"of $NMET metrics x 2, ${BENCH_SECONDS}s each" >&2
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
		round_ratio "$i"
	done
done

# shellcheck disable=SC2086
{
	echo
	echo "egress-supervise UDP bench: $(nproc) CPUs, kernel $(uname -r)," \
		"median of $BENCH_ROUNDS rounds x ${BENCH_SECONDS}s"
	echo "load average before: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-26s %13s %13s %7s %10s %8s %5s\n' metric "direct rtt/s" \
		"superv. rtt/s" ratio "+us/rtt" "r. ratio" sup%
	for ((i = 0; i < NMET; i++)); do
		IFS='|' read -r name _ <<<"${METRICS[$i]}"
		d=$(median ${VAL[$i,direct]})
		s=$(median ${VAL[$i,supervised]})
		c=$(median ${CPU[$i]:-})
		rr=$(median ${RATIO[$i]:-})
		awk -v n="$name" -v d="$d" -v s="$s" -v c="$c" -v rr="$rr" 'BEGIN {
			printf "%-26s %13.0f %13.0f %6.2fx %10.2f %7.2fx %5s\n",
			       n, d, s, (d > 0) ? s / d : 0,
			       (s > 0 && d > 0) ? 1e6 / s - 1e6 / d : 0, rr,
			       (c == "nan") ? "-" : sprintf("%.0f", c) }'
	done
}
exit "$FAILED"
