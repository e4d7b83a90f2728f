#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# soak.sh - many relayed and denied connects under one supervisor: do its
# fds and memory stay flat?
#
#	ES_BIN=.../egress-supervise BENCH_BIN=.../tests/bench bash soak.sh [N]
#
# Run as root (network namespaces, see relay-world.sh). N (default
# $SOAK_N, else 1,000,000) calls of soak-client.py under one supervisor
# (--allow 198.51.100.2/32:7000/tls): a third relayed connects closed at
# once, a third relayed connects that send bytes that are not TLS (the
# relay denies them with an alert), a third connects to port 7001 that the
# supervisor denies. At every tenth the client pauses and the supervisor's
# VmRSS, VmHWM, fds and pipes are sampled; the table shows them.
#
# Exit status: 0 when every call behaved and the supervisor's fds at the end
# are within SOAK_FD_SLACK (default 8) of those at the first sample and its
# VmRSS grew less than SOAK_RSS_SLACK_KB (default 4096) from the first
# sample; 1 otherwise; 2 on setup errors.

set -u
BENCH_NAME=soak.sh
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$BENCH_DIR/relay-world.sh"
N=${1:-${SOAK_N:-1000000}}
: "${SOAK_FD_SLACK:=8}"
: "${SOAK_RSS_SLACK_KB:=4096}"

rw_private_etc "$@"
case $N in '' | *[!0-9]*) die "N must be a number: $N" ;; esac
[ "$N" -ge 10 ] || die "N must be 10 or more"
rw_world_up
rw_bench_server

st=$TMP/soak
mkdir -p "$st"
ip netns exec "$NS_C" "$ES_BIN" --log /dev/null \
	--allow "$ADDR_S/32:7000/tls" -- \
	"$PYTHON" "$BENCH_DIR/soak-client.py" "$ADDR_S" 7000 7001 "$N" "$st" \
	>"$st/out" 2>/dev/null &
PID=$!
for i in $(seq 100); do
	rw_is_supervisor "$PID" && break
	sleep 0.02
done
rw_is_supervisor "$PID" || die "the supervisor did not start"
s=$(rw_sup_stat "$PID")
echo "soak.sh: $N calls (relayed, relayed and denied by the relay, denied)," \
	"$(nproc) CPUs, kernel $(uname -r)"
printf '%5s %9s %8s %9s %8s %8s %5s %5s\n' '%' calls secs calls/s \
	rss_kB hwm_kB fds pipes
printf '%5s %9s %8s %9s %8s %8s %5s %5s\n' start 0 0 - "${s%% *}" \
	"$(awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status")" \
	"$(echo "$s" | cut -d' ' -f2)" "${s##* }"
FIRST=
for pct in 10 20 30 40 50 60 70 80 90 100; do
	if ! rw_wait_line "$st/out" "^mark $pct " 36000; then
		tail -n 3 "$st/out" >&2
		die "the client stopped before $pct %"
	fi
	read -r _ _ calls secs < <(grep "^mark $pct " "$st/out")
	s=$(rw_sup_stat "$PID")
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status")
	[ -n "$FIRST" ] || FIRST=$s
	LAST=$s
	printf '%5s %9s %8s %9.0f %8s %8s %5s %5s\n' "$pct" "$calls" "$secs" \
		"$(awk -v c="$calls" -v s="$secs" 'BEGIN { print (s > 0) ? c / s : 0 }')" \
		"${s%% *}" "$hwm" "$(echo "$s" | cut -d' ' -f2)" "${s##* }"
	touch "$st/ack-$pct"
done
rw_wait_line "$st/out" '^done ' 60
wait "$PID"
RC=$?
done_line=$(grep '^done ' "$st/out")
echo "$done_line (supervisor exit status $RC)"

FAILED=0
errors=$(sed -n 's/^done calls=[0-9]* errors=\([0-9]*\) .*/\1/p' "$st/out")
if [ "${errors:-x}" != 0 ] || [ "$RC" != 0 ]; then
	echo "FAIL: calls that did not behave, or the client failed"
	FAILED=1
fi
f0=$(echo "$FIRST" | cut -d' ' -f2)
f1=$(echo "$LAST" | cut -d' ' -f2)
if [ $((f1 - f0)) -gt "$SOAK_FD_SLACK" ]; then
	echo "FAIL: the supervisor's fds grew from $f0 to $f1"
	FAILED=1
fi
if [ $(( ${LAST%% *} - ${FIRST%% *} )) -gt "$SOAK_RSS_SLACK_KB" ]; then
	echo "FAIL: the supervisor's VmRSS grew from ${FIRST%% *} to ${LAST%% *} kB"
	FAILED=1
fi
[ "$FAILED" = 0 ] && echo "soak.sh: OK (fds $f0 -> $f1, VmRSS ${FIRST%% *} -> ${LAST%% *} kB)"
exit "$FAILED"
