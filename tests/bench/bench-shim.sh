#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-shim.sh - what libegress-shim.so buys: lookups/s and UDP round
# trips/s, direct, under the supervisor without the shim, and with it
#
#	ES_BIN=... BENCH_BIN=... EGRESS_SUPERVISE_SHIM=... bash bench-shim.sh
#
# Two network namespaces joined by a veth pair:
#
#   esbs<PID>-c  198.51.100.1  the client (and, supervised, the DNS stub)
#   esbs<PID>-s  198.51.100.2  dnsmasq (bench.example.test) and a UDP echo
#				server on port 7000
#
# Every figure is measured in the same run, the configurations of one
# metric in alternating order from round to round; the table shows the
# median of BENCH_ROUNDS (default 5) runs of BENCH_SECONDS (default 1.5)
# and the ratio to direct.  Needs root.
#
#   lookups		getaddrinfo(name, "443", SOCK_STREAM): direct to
#			dnsmasq; supervised, libc through the stub (cached);
#			supervised, the shim
#   udp unconnected	sendto(addr) + recv: every sendto is notified unless
#			--shim-udp-connect connects the socket once
#   udp connected	sendto(peer's own address) + recv on a connected
#			socket: notified without the shim, not with it
set -u
: "${ES_BIN:?}" "${BENCH_BIN:?}" "${EGRESS_SUPERVISE_SHIM:?}"
secs=${BENCH_SECONDS:-1.5}
rounds=${BENCH_ROUNDS:-5}
B=$BENCH_BIN/bench-shim
NS_C=esbs$$-c
NS_S=esbs$$-s
SRV=198.51.100.2
t=$(mktemp -d)
export EGRESS_SUPERVISE_SHIM

cleanup() {
	[ -f "$t/dnsmasq.pid" ] && kill "$(cat "$t/dnsmasq.pid")" 2>/dev/null
	[ -n "${ECHO:-}" ] && kill "$ECHO" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench-shim.sh: needs root" >&2; exit 2; }
[ -r "$EGRESS_SUPERVISE_SHIM" ] || { echo "bench-shim.sh: no shim" >&2; exit 2; }

ip netns add "$NS_C" && ip netns add "$NS_S" || exit 2
ip -n "$NS_C" link set lo up
ip -n "$NS_S" link set lo up
ip -n "$NS_C" link add veth0 type veth peer name veth0 netns "$NS_S"
ip -n "$NS_C" addr add 198.51.100.1/24 dev veth0
ip -n "$NS_S" addr add $SRV/24 dev veth0
ip -n "$NS_C" link set veth0 up
ip -n "$NS_S" link set veth0 up
ip netns exec "$NS_S" dnsmasq --no-resolv --no-hosts --bind-interfaces \
	--listen-address=$SRV --pid-file="$t/dnsmasq.pid" --local-ttl=3600 \
	--host-record=bench.example.test,198.51.100.7,2001:db8::7 \
	--cache-size=1000 || exit 2
ip netns exec "$NS_S" "$B" echo 7000 >"$t/echo.out" &
ECHO=$!
for i in $(seq 50); do
	grep -q ready "$t/echo.out" 2>/dev/null && break
	sleep 0.05
done
printf 'nameserver %s\n' $SRV >"$t/resolv.conf"

# run CONFIG MODE ARGS...: one timed run in the client namespace
run() {
	local cfg=$1
	shift
	case $cfg in
	direct)
		ip netns exec "$NS_C" unshare -m sh -c \
			'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
			"$t/resolv.conf" "$B" "$@" ;;
	*)
		local opt=()
		[ "$cfg" = noshim ] && opt=(--no-shim)
		[ "$cfg" = udpconn ] && opt=(--shim-udp-connect)
		ip netns exec "$NS_C" "$ES_BIN" --log /dev/null \
			--dns-upstream $SRV --allow bench.example.test \
			--allow "$SRV/32:7000/udp" "${opt[@]}" -- "$B" "$@" ;;
	esac
}
rate() { sed -n 's/.* rate=\([0-9.]*\).*/\1/p'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A R
# metric NAME MODE-ARGS CONFIG...
metric() {
	local name=$1 args=$2 cfg r i
	shift 2
	local cfgs=("$@")
	for r in $(seq "$rounds"); do
		local order=("${cfgs[@]}")
		[ $((r % 2)) = 0 ] && order=($(printf '%s\n' "${cfgs[@]}" | tac))
		for cfg in "${order[@]}"; do
			# shellcheck disable=SC2086
			v=$(run "$cfg" $args | rate)
			R[$name/$cfg]="${R[$name/$cfg]:-} ${v:-0}"
		done
	done
	for cfg in "${cfgs[@]}"; do
		# shellcheck disable=SC2086
		R[$name/$cfg]=$(median ${R[$name/$cfg]})
	done
}

metric lookups "gai bench.example.test $secs" direct noshim shim
metric udp "udp $SRV 7000 $secs" direct noshim shim udpconn
metric udpc "udp-conn $SRV 7000 $secs" direct noshim shim

echo "egress-supervise shim bench: median of $rounds rounds x ${secs}s, $(nproc) CPUs"
printf '%-44s %12s %8s\n' metric "per second" "x direct"
row() {
	local label=$1 key=$2 d=${R[$3/direct]}
	printf '%-44s %12.0f %7.2fx\n' "$label" "${R[$key]}" \
		"$(awk "BEGIN {print ${R[$key]} / ($d > 0 ? $d : 1)}")"
}
row "getaddrinfo, direct to dnsmasq" lookups/direct lookups
row "getaddrinfo, supervised, no shim (stub)" lookups/noshim lookups
row "getaddrinfo, supervised, shim" lookups/shim lookups
row "udp unconnected rtt, direct" udp/direct udp
row "udp unconnected rtt, supervised, no shim" udp/noshim udp
row "udp unconnected rtt, supervised, shim" udp/shim udp
row "udp unconnected rtt, shim --shim-udp-connect" udp/udpconn udp
row "udp connected sendto(peer) rtt, direct" udpc/direct udpc
row "udp connected sendto(peer) rtt, no shim" udpc/noshim udpc
row "udp connected sendto(peer) rtt, shim" udpc/shim udpc
