#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-dns.sh - getaddrinfo() through the DNS stub vs straight to dnsmasq
#
# One network namespace: dnsmasq on 127.0.0.2 answers a name from its own
# records.  Direct: resolv.conf names 127.0.0.2.  Supervised: CMD's
# resolv.conf names the stub (127.0.0.53), which forwards to 127.0.0.2
# once and answers the rest from its cache.  Same name, same loop, same
# run, rounds alternating; medians.  Needs root.
set -eu
: "${ES_BIN:?}" "${BENCH_BIN:?}"
secs=${BENCH_SECONDS:-2}
rounds=${BENCH_ROUNDS:-5}
ns=esbd$$
t=$(mktemp -d)
cleanup() {
	[ -f "$t/dnsmasq.pid" ] && kill "$(cat "$t/dnsmasq.pid")" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 127.0.0.2/8 dev lo 2>/dev/null || true
ip netns exec "$ns" dnsmasq --no-resolv --no-hosts --bind-interfaces \
	--listen-address=127.0.0.2 --pid-file="$t/dnsmasq.pid" \
	--host-record=bench.example.test,198.51.100.7 --local-ttl=3600 \
	--cache-size=1000
sleep 0.3
printf 'nameserver 127.0.0.2\n' >"$t/resolv.conf"

direct() {
	ip netns exec "$ns" unshare -m sh -c \
		"mount --bind '$t/resolv.conf' /etc/resolv.conf &&
		 exec '$BENCH_BIN/bench-dns' bench.example.test $secs"
}
supervised() {
	ip netns exec "$ns" "$ES_BIN" --log /dev/null --dns-upstream 127.0.0.2 \
		--allow bench.example.test -- \
		"$BENCH_BIN/bench-dns" bench.example.test "$secs"
}
rate() { sed -n 's/.* rate=\([0-9.]*\).*/\1/p'; }

d=() s=()
for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		d+=("$(direct | rate)"); s+=("$(supervised | rate)")
	else
		s+=("$(supervised | rate)"); d+=("$(direct | rate)")
	fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
md=$(median "${d[@]}") ms=$(median "${s[@]}")
echo "egress-supervise dns bench: median of $rounds rounds x ${secs}s, $(nproc) CPUs"
printf '%-40s %12s %12s %8s\n' metric direct supervised ratio
printf '%-40s %12.0f %12.0f %7.2fx\n' "getaddrinfo lookups/s (cached name)" \
	"$md" "$ms" "$(awk "BEGIN {print $ms / $md}")"
