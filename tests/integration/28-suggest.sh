#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 28-suggest.sh - learn a policy: run a program in audit mode with a policy
# that allows nothing, turn the log into a policy with `suggest`, check it,
# and run the program again enforcing it: what it did before works, and
# nothing else does.
. "$(dirname "$0")/lib.sh"

require_root
require_cmd dnsmasq dig
require_bins
world_up

UP=198.51.100.1
ip netns exec "$NS_NET" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--bind-interfaces --listen-address=$UP --port=53 \
	--pid-file="$T/dnsmasq.pid" \
	--host-record=a.pkg.example.test,198.51.100.10 \
	--host-record=b.pkg.example.test,198.51.100.10 \
	--host-record=c.pkg.example.test,198.51.100.10 \
	--host-record=d.pkg.example.test,198.51.100.10 \
	--host-record=api.other.test,203.0.113.5 \
	--host-record=logs.other.test,203.0.113.5 \
	--host-record=unused.other.test,198.51.100.20 \
	>"$T/dnsmasq.out" 2>&1 &
_world_pids="$_world_pids $!"
for i in $(seq 50); do
	ip netns exec "$NS_NET" dig +time=1 +tries=1 @$UP api.other.test \
		>/dev/null 2>&1 && break
	sleep 0.1
done

printf 'version: 1\ndns:\n  upstream: [%s]\n' "$UP" >"$T/empty.yaml"

# job.py NAME:PORT/PROTO...: resolve and connect (tcp) or send (udp);
# a bare IP is used as it is. One line per destination.
cat >"$T/job.py" <<-'PY'
	import socket, sys, errno
	for spec in sys.argv[1:]:
	    dst, proto = spec.rsplit("/", 1)
	    host, port = dst.rsplit(":", 1)
	    try:
	        ai = socket.getaddrinfo(host, int(port), socket.AF_INET)[0][4]
	    except socket.gaierror:
	        print(spec, "GAIERROR"); continue
	    s = socket.socket(socket.AF_INET,
	                      socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
	    s.settimeout(3)
	    try:
	        if proto == "tcp":
	            s.connect(ai)
	        else:
	            s.sendto(b"job " + host.encode() + b"\n", ai)
	        print(spec, "OK")
	    except OSError as e:
	        print(spec, errno.errorcode.get(e.errno, e.errno))
PY
JOB="a.pkg.example.test:22/tcp b.pkg.example.test:22/tcp c.pkg.example.test:22/tcp
	api.other.test:80/tcp logs.other.test:5000/udp 198.51.100.20:22/tcp"

# --- enforcing the empty policy: everything fails (the baseline)
es_run base --policy "$T/empty.yaml" -- python3 "$T/job.py" $JOB
is "$(grep -c ' OK$' "$T/base.out")" 0 "enforcing an empty policy, nothing the job does works"

# --- audit: everything works and is logged
world_reset
es_run learn --policy "$T/empty.yaml" --audit --log "$T/learn.json" -- \
	python3 "$T/job.py" $JOB
is "$(grep -c ' OK$' "$T/learn.out")" 6 "in audit mode the job's 6 calls work"
check "the log has audit decisions" grep -q '"verdict":"audit"' "$T/learn.json"

# --- suggest, check
"$ES_BIN" suggest "$T/learn.json" >"$T/suggested.yaml" 2>"$T/suggest.err"
RC=$?
expect_rc 0 suggest "suggest exits 0"
"$ES_BIN" check "$T/suggested.yaml" >"$T/check.out" 2>&1
RC=$?
expect_rc 0 check "the suggested policy passes check"
[ "$RC" = 0 ] || diag_file "$T/suggested.yaml"
file_like "$T/suggested.yaml" '^  - dst: "\*\.example\.test"$' "three names below example.test became *.example.test"
file_unlike "$T/suggested.yaml" 'a\.pkg\.example\.test"' "and are not listed one by one"
file_like "$T/suggested.yaml" '^  - dst: "api\.other\.test"$' "api.other.test by name"
file_like "$T/suggested.yaml" '^  - dst: "198\.51\.100\.20/32"$' "the hard-coded address as a /32"
file_like "$T/suggested.yaml" 'no DNS name was seen for this address' "with a comment saying why"
n=$(grep -c '^  - dst:' "$T/suggested.yaml")
is "$n" 4 "four rules: the wildcard, two names, one address"
# the proto and port of each
"$PYTHON" - "$T/suggested.yaml" >"$T/rules.txt" <<-'EOF'
	import re, sys
	text = open(sys.argv[1]).read()
	for m in re.finditer(r'- dst: "([^"]+)"\n    proto: (\w+)\n    port: \[([^\]]*)\]', text):
	    print(m.group(1), m.group(2), m.group(3))
EOF
file_like "$T/rules.txt" '^\*\.example\.test tcp 22$' "*.example.test: tcp 22"
file_like "$T/rules.txt" '^api\.other\.test tcp 80$' "api.other.test: tcp 80"
file_like "$T/rules.txt" '^logs\.other\.test udp 5000$' "logs.other.test: udp 5000"
file_like "$T/rules.txt" '^198\.51\.100\.20/32 tcp 22$' "198.51.100.20/32: tcp 22"

# --- enforcing the suggested policy: the job works, other things do not
world_reset
es_run again --policy "$T/suggested.yaml" --dns-upstream $UP --log "$T/again.json" -- \
	python3 "$T/job.py" $JOB
is "$(grep -c ' OK$' "$T/again.out")" 6 "enforcing the suggested policy, the job's 6 calls work"
[ "$(grep -c ' OK$' "$T/again.out")" = 6 ] || show again
file_unlike "$T/again.json" '"verdict":"(deny|audit)"' "nothing was denied"
expect_some h10 "h10 was reached"
expect_some h5 "h5 was reached"

es_run other --policy "$T/suggested.yaml" --dns-upstream $UP -- \
	python3 "$T/job.py" d.pkg.example.test:22/tcp api.other.test:22/tcp \
	unused.other.test:22/tcp 198.51.100.20:80/tcp logs.other.test:5001/udp
expect_line other '^d\.pkg\.example\.test:22/tcp OK$' "the wildcard covers a fourth name below example.test"
expect_line other '^api\.other\.test:22/tcp EACCES$' "another port of a learned name: denied"
expect_line other '^unused\.other\.test:22/tcp GAIERROR$' "a name the job never used: denied"
expect_line other '^198\.51\.100\.20:80/tcp EACCES$' "another port of the learned address: denied"
expect_line other '^logs\.other\.test:5001/udp EACCES$' "another UDP port: denied"

# --- stdin, and errors
"$ES_BIN" suggest - <"$T/learn.json" >"$T/stdin.yaml" 2>/dev/null
check "suggest - reads standard input" grep -q '^  - dst: "api\.other\.test"$' "$T/stdin.yaml"
"$ES_BIN" suggest "$T/nonexistent.json" >/dev/null 2>"$T/missing.err"
RC=$?
expect_rc 1 missing "a missing log: exit 1"
file_like "$T/missing.err" "nonexistent.json: No such file" "and says why"
"$ES_BIN" suggest >/dev/null 2>&1
RC=$?
expect_rc 2 usage "no log given: usage, exit 2"

done_testing
