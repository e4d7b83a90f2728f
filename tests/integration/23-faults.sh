#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 23-faults.sh - faults: the upstream DNS server dead or refusing (a clear
# SERVFAIL, no hang), and the supervisor killed in the middle of a transfer
. "$(dirname "$0")/lib.sh"

require_root
require_cmd dig python3
world_up
A=198.51.100.10

policy() {	# policy FILE UPSTREAM
	cat >"$1" <<-YAML
		version: 1
		dns: { upstream: [$2] }
		rules:
		  - { dst: svc.example.test, proto: ssh }
	YAML
}

# Upstream is a black hole: SERVFAIL within the stub's timeouts, no hang
policy "$T/dead.yaml" 198.51.100.99
es_run dead --policy "$T/dead.yaml" --log "$T/dead.json" -- sh -c '
	start=$(date +%s%N)
	dig +tries=1 +time=15 svc.example.test | grep -o "status: [A-Z]*"
	echo "ms $(( ($(date +%s%N) - start) / 1000000 ))"'
expect_line dead "^status: SERVFAIL" "upstream dead: the stub answers SERVFAIL"
ms=$(sed -n 's/^ms //p' "$T/dead.out")
if [ -n "$ms" ] && [ "$ms" -lt 10000 ]; then
	ok "upstream dead: the answer comes in ${ms} ms (< 10 s, no hang)"
else
	not_ok "upstream dead: the answer comes in < 10 s (got '${ms}')"
fi
file_like "$T/dead.json" '"event":"dns".*"rcode":"SERVFAIL"' "the SERVFAIL is logged"

# Upstream refuses (nothing listens on port 53 there): SERVFAIL, fast
policy "$T/refused.yaml" 198.51.100.20
es_run refused --policy "$T/refused.yaml" -- sh -c '
	start=$(date +%s%N)
	dig +tries=1 +time=15 svc.example.test | grep -o "status: [A-Z]*"
	echo "ms $(( ($(date +%s%N) - start) / 1000000 ))"'
expect_line refused "^status: SERVFAIL" "upstream refusing: SERVFAIL"
ms=$(sed -n 's/^ms //p' "$T/refused.out")
if [ -n "$ms" ] && [ "$ms" -lt 10000 ]; then
	ok "upstream refusing: the answer comes in ${ms} ms"
else
	not_ok "upstream refusing: the answer comes in < 10 s (got '${ms}')"
fi

# The supervisor is killed during a transfer on an established flow: the
# flow's data needs no decision and goes on; new connects fail (ENOSYS)
world_reset
cat >"$T/xfer.py" <<-PY
	import socket, os, time, errno, sys
	s = socket.create_connection(("$A", 22), timeout=5)
	s.recv(100)
	s.sendall(b"before\n"); print("before", s.recv(100).decode().strip())
	open("$T/xfer.ready", "w").close()
	while os.path.exists("$T/xfer.ready"):
	    time.sleep(0.05)
	s.sendall(b"after\n"); print("after", s.recv(100).decode().strip())
	t = socket.socket(); t.settimeout(3)
	print("new", errno.errorcode.get(t.connect_ex(("$A", 22))))
	sys.stdout.flush()
PY
in_client sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/sup.pid" \
	"$ES_BIN" --log /dev/null --allow $A -- python3 "$T/xfer.py" \
	>"$T/xfer.out" 2>"$T/xfer.err" &
bg=$!
for i in $(seq 100); do [ -e "$T/xfer.ready" ] && break; sleep 0.05; done
kill -9 "$(cat "$T/sup.pid")"
sleep 0.3
rm -f "$T/xfer.ready"
for i in $(seq 100); do grep -q "^new" "$T/xfer.out" 2>/dev/null && break; sleep 0.05; done
file_like "$T/xfer.out" "^before echo: before" "the transfer ran before the kill"
file_like "$T/xfer.out" "^after echo: after" "the established flow goes on after the supervisor is killed"
file_like "$T/xfer.out" "^new ENOSYS" "a new connect after the kill fails (ENOSYS): fail closed"
wait $bg 2>/dev/null

done_testing
