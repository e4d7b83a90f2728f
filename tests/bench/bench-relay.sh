#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-relay.sh - the relay (inspected TCP), direct and under egress-supervise
#
#	ES_BIN=.../egress-supervise BENCH_BIN=.../tests/bench bash bench-relay.sh
#
# Run as root (it creates network namespaces; see relay-world.sh).
# In one run, each figure directly and under the supervisor:
#   - bulk download throughput, http and https (curl, one connection,
#     RELAY_BULK_MB MiB, default 512): MB/s and the ratio, plus the CPU
#     seconds per GiB of everything the run started (curl alone, or curl
#     and the supervisor);
#   - the http download again over a link limited to RELAY_LINK_RATE
#     (default 1gbit, tc tbf on the server's side; empty: not run): the
#     relay's cost where the network, not the CPU, is the bottleneck;
#   - connects/s (bench-connect: blocking connect + close) direct, under a
#     tcp rule (not relayed) and under a tls rule (relayed): the ratios;
#   - the supervisor's memory per idle relayed connection: BENCH_IDLE_N
#     (default 1000) HTTP keep-alive connections opened (one request each)
#     and held; VmRSS, fds and pipes of the supervisor before and after,
#     against the same under a tcp rule (not relayed); the kernel's socket
#     buffers and pipes are not in VmRSS;
#   - a hold test: BENCH_HOLD_N (default 10000) relayed connections open at
#     once (ulimit -n raised), each then used once more.
# Environment: BENCH_ROUNDS (3) rounds of the rate figures, the median is
# shown; BENCH_SECONDS (1.2) per connect run; BENCH_NICE (0); BENCH_LOG.
#
# Exit status: 0 when every run worked, 1 when one failed, 2 on setup errors.

set -u
BENCH_NAME=bench-relay.sh
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$BENCH_DIR/relay-world.sh"
: "${BENCH_ROUNDS:=3}"
: "${BENCH_SECONDS:=1.2}"
: "${BENCH_IDLE_N:=1000}"
: "${BENCH_HOLD_N:=10000}"
: "${BENCH_LOG:=/tmp/es-bench-relay.$$.log}"
: "${RELAY_LINK_RATE=1gbit}"
BULK_KINDS="http https${RELAY_LINK_RATE:+ http@link}"

rw_private_etc "$@"
command -v curl >/dev/null || die "needs curl"
[ -x "$BENCH_BIN/bench-connect" ] || die "no bench-connect in BENCH_BIN=$BENCH_BIN (make bench)"
# Room for the hold test: CMD holds one socket per connection, the
# supervisor two (and pipes while bytes are in flight); it raises its soft
# limit to the hard one. Without CAP_SYS_RESOURCE the hard limit is what
# the container got: the hold test then shows how the relay fails beyond.
ulimit -Hn 1048576 2>/dev/null
ulimit -n "$(ulimit -Hn)" || die "cannot raise ulimit -n"
NOFILE=$(ulimit -n)
rw_world_up
rw_nginx
rw_bench_server

FAILED=0
SUP=("$ES_BIN" --log /dev/null)
A_HTTP=(--allow "$ADDR_S/32:80/http")
A_HTTPS=(--allow "$ADDR_S/32:443/https")
A_TLS7000=(--allow "$ADDR_S/32:7000/tls")
A_TCP7000=(--allow "$ADDR_S/32:7000/tcp")
A_TCP80=(--allow "$ADDR_S/32:80/tcp")

median() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '
		{ a[NR] = $1 }
		END {
			if (!NR) { print "nan"; exit }
			if (NR % 2) print a[(NR + 1) / 2]
			else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

kv() {
	local w
	for w in $1; do
		case $w in "$2"=*) echo "${w#*=}"; return ;; esac
	done
}

# sanity: relayed http and https work, and are relayed
sanity() {
	local out
	out=$(ip netns exec "$NS_C" "$ES_BIN" --log - "${A_HTTP[@]}" -- \
		curl -sS --max-time 10 "http://$ADDR_S/small" 2>&1)
	case $out in
	*'"relay":"http"'*small*|*small*'"relay":"http"'*) ;;
	*) die "relayed http does not work: $out" ;;
	esac
	out=$(ip netns exec "$NS_C" "$ES_BIN" --log - "${A_HTTPS[@]}" -- \
		curl -ksS --max-time 10 "https://$ADDR_S/small" 2>&1)
	case $out in
	*'"relay":"tls"'*) ;;
	*) die "relayed https does not work: $out" ;;
	esac
}

# ---------------------------------------------------------------- bulk
declare -A BULK CPU
# bulk KIND(http|https) MODE(direct|supervised)
bulk() {
	local url=http://$ADDR_S/big k=() cmd out t proto=${1%@*}
	[ "$proto" = https ] && url=https://$ADDR_S/big k=(-k)
	cmd=(curl -sS "${k[@]}" --max-time 300 -o /dev/null -w '%{speed_download} %{size_download}' "$url")
	if [ "$2" = supervised ]; then
		if [ "$proto" = https ]; then cmd=("${SUP[@]}" "${A_HTTPS[@]}" -- "${cmd[@]}")
		else cmd=("${SUP[@]}" "${A_HTTP[@]}" -- "${cmd[@]}"); fi
	fi
	TIMEFORMAT='%U %S'
	{ time ip netns exec "$NS_C" "${cmd[@]}" >"$TMP/bulk.out" 2>"$TMP/bulk.err"; } 2>"$TMP/bulk.time"
	out=$(cat "$TMP/bulk.out")
	t=$(awk '{ print $1 + $2 }' "$TMP/bulk.time")
	echo "bulk $1 $2 $out cpu=$t" >>"$BENCH_LOG"
	if [ "${out#* }" != "$((RELAY_BULK_MB * 1048576))" ]; then
		FAILED=1
		echo "  bulk $1 $2 failed: $out $(cat "$TMP/bulk.err")" >&2
		return
	fi
	BULK[$1,$2]+=" $(awk -v s="${out% *}" 'BEGIN { printf "%.1f", s / 1e6 }')"
	CPU[$1,$2]+=" $(awk -v t="$t" -v mb="$RELAY_BULK_MB" 'BEGIN { printf "%.2f", t * 1024 / mb }')"
	printf '  %-6s %-10s %s MB/s, %s CPU s\n' "$1" "$2" \
		"$(awk -v s="${out% *}" 'BEGIN { printf "%.0f", s / 1e6 }')" "$t" >&2
}

# link_limit on|off: the server's side of the link sends at most
# RELAY_LINK_RATE (tc tbf), as a real network link would
link_limit() {
	if [ "$1" = on ]; then
		ip netns exec "$NS_S" tc qdisc replace dev veth0 root tbf \
			rate "$RELAY_LINK_RATE" burst 4mb latency 100ms ||
			die "tc tbf $RELAY_LINK_RATE failed"
	else
		ip netns exec "$NS_S" tc qdisc del dev veth0 root 2>/dev/null
	fi
}

# ---------------------------------------------------------------- connects
declare -A RATE
# rate MODE(direct|tcp|relayed)
rate() {
	local cmd line
	cmd=("$BENCH_BIN/bench-connect" -d "$BENCH_SECONDS" -j 1 -m "$SRV_PID")
	case $1 in
	tcp) cmd=("${SUP[@]}" "${A_TCP7000[@]}" -- "${cmd[@]}" -P) ;;
	relayed) cmd=("${SUP[@]}" "${A_TLS7000[@]}" -- "${cmd[@]}" -P) ;;
	esac
	line=$(ip netns exec "$NS_C" "${cmd[@]}" connect "$ADDR_S" 7000 2>"$TMP/rate.err")
	echo "rate $1 $line" >>"$BENCH_LOG"
	if [ -z "$(kv "$line" rate)" ] || [ "$(kv "$line" errors)" != 0 ]; then
		FAILED=1
		echo "  connect $1 failed: $line $(tail -n 3 "$TMP/rate.err")" >&2
	fi
	RATE[$1]+=" $(kv "$line" rate)"
	printf '  connect %-8s %s\n' "$1" "$line" >&2
}

# ---------------------------------------------------------------- holding
# hold N ALLOW-ARRAY-NAME: the supervisor's figures with N held connections;
# sets HOLD_LINE "opened=.. failed=.. secs=.. rss0= rss1= fds0= fds1=
# pipes1= verified=.."
hold() {
	local n=$1 st=$TMP/hold.$RANDOM pid s0 s1 v
	local -n allow=$2
	mkdir -p "$st"
	ip netns exec "$NS_C" "${SUP[@]}" "${allow[@]}" -- \
		"$PYTHON" "$BENCH_DIR/relay-hold.py" "$ADDR_S" 80 "$n" "$st" \
		>"$st/out" 2>"$st/err" &
	pid=$!
	if ! rw_wait_line "$st/out" '^pre$' 30 || ! rw_is_supervisor "$pid"; then
		FAILED=1
		echo "  hold $n: the client did not start: $(cat "$st/err")" >&2
		kill "$pid" 2>/dev/null
		return 1
	fi
	s0=$(rw_sup_stat "$pid")
	touch "$st/go"
	rw_wait_line "$st/out" '^ready ' 600
	s1=$(rw_sup_stat "$pid")
	touch "$st/verify"
	rw_wait_line "$st/out" '^verified ' 600
	v=$(sed -n 's/^verified OK=\([0-9]*\) .*/\1/p' "$st/out")
	touch "$st/done"
	wait "$pid"
	HOLD_LINE="$(grep '^ready ' "$st/out" | cut -d' ' -f2-) rss0=${s0%% *} rss1=${s1%% *}"
	HOLD_LINE+=" fds0=$(echo "$s0" | cut -d' ' -f2) fds1=$(echo "$s1" | cut -d' ' -f2)"
	HOLD_LINE+=" pipes1=${s1##* } verified=${v:-0}"
	echo "hold $n $2 $HOLD_LINE" >>"$BENCH_LOG"
	printf '  hold %-6s %-10s %s\n' "$n" "$2" "$HOLD_LINE" >&2
	# Connections the fd limit refused must have failed cleanly; every
	# one that opened must still work
	if [ "${v:-0}" != "$(kv "$HOLD_LINE" opened)" ] || [ "${v:-0}" = 0 ]; then
		FAILED=1
		echo "  hold $n: $(cat "$st/out") $(tail -n 5 "$st/err")" >&2
	fi
}

# ---------------------------------------------------------------- main
sanity
echo "bench-relay.sh: $(nproc) CPUs, kernel $(uname -r), $BENCH_ROUNDS rounds" >&2
START=$SECONDS
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$BENCH_ROUNDS"); do
	echo "round $r" >&2
	for kind in $BULK_KINDS; do
		[ "$kind" = "http@link" ] && link_limit on
		if ((r % 2)); then bulk $kind direct; bulk $kind supervised
		else bulk $kind supervised; bulk $kind direct; fi
		[ "$kind" = "http@link" ] && link_limit off
	done
	for m in direct tcp relayed; do
		rate $m
	done
done
echo "idle connections" >&2
hold "$BENCH_IDLE_N" A_TCP80
IDLE_TCP=$HOLD_LINE
hold "$BENCH_IDLE_N" A_HTTP
IDLE_REL=$HOLD_LINE
echo "hold test" >&2
hold "$BENCH_HOLD_N" A_HTTP
HOLD=$HOLD_LINE

# per connection: (after - before) / n, in bytes (kB figures * 1024)
per_conn() {
	local line=$1 n=$2 a b
	a=$(kv "$line" "${3}0")
	b=$(kv "$line" "${3}1")
	awk -v a="$a" -v b="$b" -v n="$n" -v m="${4:-1}" \
		'BEGIN { printf "%.0f", (b - a) * m / n }'
}

# shellcheck disable=SC2086
{
	echo
	echo "egress-supervise relay bench: $(nproc) CPUs, kernel $(uname -r)," \
		"median of $BENCH_ROUNDS rounds, $((SECONDS - START))s"
	echo "load average before: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg)," \
		"nice $(nice)"
	printf '%-34s %12s %12s %8s\n' metric direct supervised ratio
	for kind in $BULK_KINDS; do
		d=$(median ${BULK[$kind,direct]:-})
		s=$(median ${BULK[$kind,supervised]:-})
		printf '%-34s %12s %12s %8s\n' "bulk ${kind/@link/@$RELAY_LINK_RATE} ${RELAY_BULK_MB} MiB, MB/s" "$d" "$s" \
			"$(awk -v d="$d" -v s="$s" 'BEGIN { if (d > 0) printf "%.2fx", s / d; else print "-" }')"
		d=$(median ${CPU[$kind,direct]:-})
		s=$(median ${CPU[$kind,supervised]:-})
		printf '%-34s %12s %12s %8s\n' "  CPU s per GiB (all processes)" "$d" "$s" \
			"$(awk -v d="$d" -v s="$s" 'BEGIN { if (d > 0) printf "%.2fx", s / d; else print "-" }')"
	done
	d=$(median ${RATE[direct]:-})
	for m in tcp relayed; do
		s=$(median ${RATE[$m]:-})
		printf '%-34s %12.0f %12.0f %8s\n' "connects/s, $m rule" "$d" "$s" \
			"$(awk -v d="$d" -v s="$s" 'BEGIN { if (d > 0) printf "%.2fx", s / d; else print "-" }')"
	done
	echo
	printf '%-44s %12s %12s\n' "supervisor, $BENCH_IDLE_N idle connections" "tcp rule" relayed
	printf '%-44s %12s %12s\n' "  VmRSS per connection, bytes" \
		"$(per_conn "$IDLE_TCP" "$BENCH_IDLE_N" rss 1024)" \
		"$(per_conn "$IDLE_REL" "$BENCH_IDLE_N" rss 1024)"
	printf '%-44s %12s %12s\n' "  fds per connection" \
		"$(per_conn "$IDLE_TCP" "$BENCH_IDLE_N" fds)" \
		"$(per_conn "$IDLE_REL" "$BENCH_IDLE_N" fds)"
	printf '%-44s %12s %12s\n' "  pipes held (all connections)" \
		"$(kv "$IDLE_TCP" pipes1)" "$(kv "$IDLE_REL" pipes1)"
	echo
	echo "hold: $BENCH_HOLD_N relayed connections at once: opened $(kv "$HOLD" opened)," \
		"failed $(kv "$HOLD" failed) in $(kv "$HOLD" secs)s," \
		"$(kv "$HOLD" verified) answered a second request"
	echo "  supervisor: VmRSS $(kv "$HOLD" rss0) -> $(kv "$HOLD" rss1) kB," \
		"fds $(kv "$HOLD" fds0) -> $(kv "$HOLD" fds1), pipes $(kv "$HOLD" pipes1)," \
		"RLIMIT_NOFILE $NOFILE"
	if [ "$(kv "$HOLD" failed)" != 0 ]; then
		echo "  (failed ones: first error $(kv "$HOLD" err); the supervisor needs" \
			"two fds per relayed connection)"
	fi
	echo "raw results: $BENCH_LOG"
}
exit "$FAILED"
