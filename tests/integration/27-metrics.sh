#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 27-metrics.sh - --metrics: the Prometheus file rewritten atomically while
# CMD runs and at exit, the read-only bounded HTTP listener, the counters
# (decisions, DNS rcodes, in-flight notifications) and the summary of
# denials on stderr.
. "$(dirname "$0")/lib.sh"

require_root
require_cmd dig curl
require_bins
world_up

A=198.51.100.10
D=198.51.100.20
BH=198.51.100.99

cat >"$T/policy.yaml" <<-YAML
	version: 1
	rules:
	  - { dst: $A, proto: ssh }
	  - { dst: $BH, proto: ssh }
	  - { dst: allowed.test, proto: ssh }
YAML

# prom_ok FILE: every line is a comment or NAME{LABELS} VALUE
prom_ok() {
	"$PYTHON" - "$1" <<-'EOF'
		import re, sys
		pat = re.compile(r'^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? [0-9]+$')
		bad = [l for l in open(sys.argv[1]).read().splitlines()
		       if not l.startswith("# ") and not pat.match(l)]
		for l in bad:
		    print("bad line:", l)
		sys.exit(1 if bad else 0)
	EOF
}

# metric FILE REGEX: the value of the first line matching
metric() {
	grep -E -- "$2" "$1" | head -n 1 | awk '{ print $NF }'
}

# --- the file: exists while CMD runs, complete at exit
cat >"$T/cmd.sh" <<-SH
	#!/bin/sh
	"$NET" tcp $A:22
	"$NET" tcp $D:22; "$NET" tcp $D:22; "$NET" tcp $D:22
	"$NET" tcp 203.0.113.5:22
	dig +short +tries=1 +time=2 denied.test
	while [ ! -e "$T/go" ]; do sleep 0.05; done
	exit 3
SH
chmod +x "$T/cmd.sh"
"${IN_WORLD[@]}" "$ES_BIN" --policy "$T/policy.yaml" --log "$T/file.json" \
	--metrics "$T/m.prom" --metrics-interval 1 -- "$T/cmd.sh" \
	>"$T/file.out" 2>"$T/file.err" &
bg=$!
for i in $(seq 100); do
	[ -s "$T/m.prom" ] && grep -q 'reason="unknown_ip"' "$T/m.prom" && break
	sleep 0.1
done
cp "$T/m.prom" "$T/during.prom" 2>/dev/null
touch "$T/go"
wait $bg
RC=$?
expect_rc 3 file "CMD's status comes back with --metrics"
check "the file is there while CMD runs, rewritten with the new counts" \
	grep -q 'egress_supervise_decisions_total{verdict="deny",reason="unknown_ip",proto="tcp"} 4' "$T/during.prom"
check "the file is Prometheus text" prom_ok "$T/m.prom"
is "$(metric "$T/m.prom" 'decisions_total\{verdict="deny",reason="unknown_ip",proto="tcp"\}')" 4 \
	"4 denied connects counted by verdict, reason and proto"
is "$(metric "$T/m.prom" 'decisions_total\{verdict="allow",reason="rule",proto="tcp"\}')" 1 \
	"1 allowed connect counted"
is "$(metric "$T/m.prom" 'dns_queries_total\{verdict="deny",rcode="NXDOMAIN"\}')" 1 \
	"the denied name counted by rcode"
n=$(metric "$T/m.prom" '^egress_supervise_notifications_total ')
check "notifications counted ($n)" test "${n:-0}" -ge 5
is "$(metric "$T/m.prom" '^egress_supervise_notifications_in_flight ')" 0 "nothing in flight at exit"
check "relay bytes are exported" grep -q '^egress_supervise_relay_bytes_total{direction="down"} 0$' "$T/m.prom"
is "$(ls "$T" | grep -c 'm.prom.tmp')" 0 "no temporary file left"

# --- the summary of denials on stderr
file_like "$T/file.err" "summary: 5 denied, 0 audited; top destinations:" "exit: a summary of the denials"
file_like "$T/file.err" "^egress-supervise: +3  deny  tcp   $D:22$" "the most denied destination first, with its count"
file_like "$T/file.err" "^egress-supervise: +1  deny  dns   denied.test$" "the denied name is in it"
line1=$(grep -n "3  deny  tcp   $D:22" "$T/file.err" | cut -d: -f1)
line2=$(grep -n "1  deny  tcp   203.0.113.5:22" "$T/file.err" | cut -d: -f1)
check "ordered by count" test "${line1:-9}" -lt "${line2:-0}"

es_run clean --policy "$T/policy.yaml" -- "$NET" tcp $A:22
file_unlike "$T/clean.err" "summary" "no denial: no summary"

# --- the listener: read-only, bounded; the in-flight gauge
"${IN_WORLD[@]}" "$ES_BIN" --policy "$T/policy.yaml" --log "$T/http.json" \
	--metrics 127.0.0.1:9464 -- sh -c \
	"'$NET' tcp $D:22; '$NET' -t 20000 tcp $BH:22 & while [ ! -e '$T/stop' ]; do sleep 0.05; done; kill \$!" \
	>"$T/http.out" 2>"$T/http.err" &
bg=$!
get() {
	in_client curl -s -m 3 -o "$T/$1.body" -w '%{http_code}' "${@:2}"
}
for i in $(seq 100); do
	get first http://127.0.0.1:9464/metrics >/dev/null &&
		grep -q 'notifications_in_flight 1' "$T/first.body" && break
	sleep 0.1
done
is "$(get m http://127.0.0.1:9464/metrics)" 200 "GET /metrics: 200"
check "the body is Prometheus text" prom_ok "$T/m.body"
is "$(metric "$T/m.body" 'decisions_total\{verdict="deny",reason="unknown_ip",proto="tcp"\}')" 1 \
	"the listener serves the live counts"
is "$(metric "$T/m.body" '^egress_supervise_notifications_in_flight ')" 1 \
	"a blocking connect to a black hole is in flight"
is "$(get h -I http://127.0.0.1:9464/metrics)" 200 "HEAD /metrics: 200"
is "$(get p -X POST -d x=1 http://127.0.0.1:9464/metrics)" 405 "POST: 405 (read-only)"
is "$(get d -X DELETE http://127.0.0.1:9464/metrics)" 405 "DELETE: 405"
is "$(get o http://127.0.0.1:9464/other)" 404 "another path: 404"
# four idle connections take every slot; a fifth is closed at once
in_client "$PYTHON" -c '
import socket, time
idle = [socket.create_connection(("127.0.0.1", 9464)) for _ in range(4)]
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", 9464)); s.settimeout(3)
s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
try:
    r = s.recv(100)
except OSError as e:
    r = b"error"
print("fifth", "refused" if not r or r == b"error" else r[:12].decode())
time.sleep(5.5)
s = socket.create_connection(("127.0.0.1", 9464)); s.settimeout(3)
s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
print("later", s.recv(100)[:12].decode())
big = socket.create_connection(("127.0.0.1", 9464)); big.settimeout(3)
big.sendall(b"GET /metrics HTTP/1.1\r\n" + b"X: " + b"a" * 2000 + b"\r\n\r\n")
print("oversized", big.recv(100)[:24].decode())
' >"$T/bound.out" 2>&1
file_like "$T/bound.out" "^fifth refused" "with 4 connections held, a fifth is closed at once"
file_like "$T/bound.out" "^later HTTP/1.1 200" "idle connections are dropped after 5 s"
file_like "$T/bound.out" "^oversized HTTP/1.1 400" "an oversized request head: 400"
touch "$T/stop"
wait $bg
file_like "$T/http.err" "summary: 1 denied" "the summary is printed with a listener too"

# --- bad arguments
es_run badint --metrics "$T/x" --metrics-interval 0 -- true
expect_rc 125 badint "--metrics-interval 0 is refused (125)"
es_run badport --metrics 203.0.113.77:9464 -- true
expect_rc 125 badport "--metrics on an address we do not have: 125"
file_like "$T/badport.err" "--metrics 203.0.113.77:9464: " "and says why"

done_testing
