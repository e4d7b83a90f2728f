#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh - egress-supervise's main job, offline, in network namespaces
#
# Builds a small world (a client, a router, hosts on documentation
# addresses), then runs a shell under egress-supervise in the client that
# may reach 198.51.100.10 on port 22 and nothing else, and shows what each
# side saw: the client's result, the supervisor's log line, and the packet
# counters of both hosts.  Run as root: `make demo`.

: "${ES_BIN:?ES_BIN must name the egress-supervise binary}"
. "$(dirname "$0")/../tests/integration/lib.sh"

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root to build network namespaces (sudo make demo)" >&2
	exit 1
fi
world_up >/dev/null

say "The world: client 192.0.2.2 -> router -> 198.51.100.10 (allowed), 198.51.100.20 (not)"
say "Policy:    --allow 198.51.100.10:22/tcp"
say "\$ egress-supervise --allow 198.51.100.10:22/tcp -- sh -c 'nc 198.51.100.10 22; nc 198.51.100.20 22'"

in_client timeout 20 "$ES_BIN" --allow 198.51.100.10:22/tcp --log "$T/decisions.log" -- \
	sh -c '
	echo "--- CMD: nc 198.51.100.10 22"
	echo hello | nc -q 1 -w 3 198.51.100.10 22
	echo "(exit $?)"
	echo "--- CMD: nc 198.51.100.20 22"
	echo hello | nc -q 1 -w 3 198.51.100.20 22
	echo "(exit $?)"
	' 2>&1 | sed 's/^/  /'

say "The supervisor's decisions (--log, JSON lines):"
sed 's/^/  /' "$T/decisions.log"

say "What the hosts saw (nftables counters on their side):"
echo "  198.51.100.10 (allowed): $(world_count h10) packets from the client"
echo "  198.51.100.20 (denied):  $(world_count h20) packets from the client"
if [ "$(world_count h20)" = 0 ] && [ "$(world_count h10)" != 0 ]; then
	say "demo: OK - the allowed connection went through, the denied one never left CMD"
	exit 0
fi
say "demo: FAILED - see above"
exit 1
