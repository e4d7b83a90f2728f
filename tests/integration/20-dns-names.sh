#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 20-dns-names.sh - decisions by name through the DNS stub, against a real
# dnsmasq: several domains on one port, wildcards, CNAME chains, denied
# names never leaving the container, queries to other servers redirected,
# IPv6, TTL rules.
. "$(dirname "$0")/lib.sh"

require_root
require_cmd dnsmasq dig
world_up

UP=198.51.100.1		# dnsmasq on the router
DNSLOG=$T/dnsmasq.log
ip netns exec "$NS_NET" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--bind-interfaces --listen-address=$UP --port=53 \
	--log-queries --log-facility="$DNSLOG" --pid-file="$T/dnsmasq.pid" \
	--local-ttl=300 \
	--host-record=ssh1.example.test,198.51.100.10,2001:db8:2::10 \
	--host-record=ssh2.other.test,203.0.113.5 \
	--host-record=evil.example.test,198.51.100.20,2001:db8:2::20 \
	--host-record=a.wild.test,198.51.100.10 \
	--host-record=wild.test,203.0.113.5 \
	--host-record=short.example.test,198.51.100.10,1 \
	--cname=www.example.test,ssh1.example.test \
	--cname=cloak.example.test,evil.example.test \
	--txt-record=leak.evil.example.test,"exfiltrated" \
	$(for i in $(seq 1 60); do printf -- '--host-record=big.example.test,198.51.100.%d ' $((100 + i)); done) \
	>"$T/dnsmasq.out" 2>&1 &
_world_pids="$_world_pids $!"
for i in $(seq 50); do
	ip netns exec "$NS_NET" dig +time=1 +tries=1 @$UP ssh1.example.test \
		>/dev/null 2>&1 && break
	sleep 0.1
done

cat >"$T/policy.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$UP]
	  min_ttl: 60
	rules:
	  - dst: ssh1.example.test
	    proto: ssh
	  - dst: ssh2.other.test
	    proto: ssh
	  - dst: "*.wild.test"
	    proto: ssh
	  - dst: www.example.test
	    proto: ssh
	  - dst: cloak.example.test
	    proto: ssh
	  - dst: short.example.test
	    proto: ssh
	  - dst: big.example.test
	    proto: ssh
	  - dst: evil.example.test
	    action: deny
YAML

# conn NAME [FAMILY]: resolve NAME with getaddrinfo, connect to port 22, print
# "NAME ADDR OK banner" or "NAME ERR reason"
cat >"$T/conn.py" <<-'PY'
	import socket, sys, errno
	name = sys.argv[1]
	fam = {"4": socket.AF_INET, "6": socket.AF_INET6}.get(sys.argv[2] if len(sys.argv) > 2 else "", 0)
	try:
	    infos = socket.getaddrinfo(name, 22, fam, socket.SOCK_STREAM)
	except socket.gaierror as e:
	    print(name, "GAIERROR", e.args[0]); sys.exit(0)
	af, st, pr, _, sa = infos[0]
	s = socket.socket(af, st, pr)
	s.settimeout(5)
	try:
	    s.connect(sa)
	    print(name, sa[0], "OK", s.recv(100).decode().strip())
	except OSError as e:
	    print(name, sa[0], "ERR", errno.errorcode.get(e.errno, e.errno))
PY

es() {
	es_run "$1" --policy "$T/policy.yaml" --log "$T/$1.json" -- "${@:2}"
}

world_reset
es two sh -c "python3 $T/conn.py ssh1.example.test 4; python3 $T/conn.py ssh2.other.test 4"
expect_line two "^ssh1.example.test 198.51.100.10 OK SSH-2.0-es-test h10" "ssh to ssh1.example.test:22 allowed by name"
expect_line two "^ssh2.other.test 203.0.113.5 OK SSH-2.0-es-test h5" "ssh to ssh2.other.test:22 allowed by name (two domains, one port)"
file_like "$T/two.json" '"event":"connect".*"verdict":"allow".*"names":\["ssh1.example.test"\]' "the connect log names the host"
file_like "$T/two.json" '"event":"dns".*"qname":"ssh1.example.test".*"answers":\[' "the dns event lists the answers"

es third python3 "$T/conn.py" evil.example.test 4
expect_line third "^evil.example.test GAIERROR" "a denied name does not resolve"
es ip python3 -c 'import socket,errno
s=socket.socket(); s.settimeout(3)
print("rc", errno.errorcode.get(s.connect_ex(("198.51.100.20", 22))))'
expect_line ip "^rc EACCES" "an address no answer gave is denied (port 22)"
file_like "$T/ip.json" '"reason":"unknown_ip"' "logged as unknown_ip"
expect_count h20 0 "the third port-22 host saw 0 packets"

# Wildcards: *.wild.test covers a.wild.test, never the apex
es wild sh -c "python3 $T/conn.py a.wild.test 4; python3 $T/conn.py wild.test 4"
expect_line wild "^a.wild.test 198.51.100.10 OK" "*.wild.test allows a.wild.test"
expect_line wild "^wild.test GAIERROR" "*.wild.test does not allow the apex"

# CNAME chains
world_reset
es cname sh -c "python3 $T/conn.py www.example.test 4; python3 $T/conn.py cloak.example.test 4"
expect_line cname "^www.example.test 198.51.100.10 OK" "CNAME from an allowed name to another works"
expect_line cname "^cloak.example.test 198.51.100.20 ERR EACCES" "CNAME to a denied name is denied"
expect_count h20 0 "the cloaked host saw 0 packets"

# Denied names never leave: TXT under a denied name, any type
before=$(wc -l <"$DNSLOG")
es txt sh -c 'dig +short +tries=1 +time=2 leak.evil.example.test TXT; echo "status=$(dig +tries=1 +time=2 leak.evil.example.test TXT | grep -o "status: [A-Z]*")"'
expect_line txt "status: NXDOMAIN" "TXT under a denied domain: NXDOMAIN from the stub"
leaked=$(tail -n +$((before + 1)) "$DNSLOG" | grep -c 'evil.example.test')
is "$leaked" 0 "the upstream server saw no query for the denied name"

# Queries to another server are answered by the stub; that server sees none
world_reset
es other sh -c 'dig +tcp +short +tries=1 +time=3 @203.0.113.5 ssh1.example.test; python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.connect((\"203.0.113.5\", 53))
q = bytes.fromhex(\"12340100000100000000000004737368310765786d706c65047465737400\".replace(\"65786d706c65\", \"6578616d706c65\")) + b\"\\x00\\x01\\x00\\x01\"
s.send(q); r = s.recv(512); print(\"udp-answer\", r[:2].hex(), len(r))
"'
expect_line other "^198.51.100.10$" "dig +tcp @other-server is answered by the stub"
expect_line other "^udp-answer 1234 " "a connected UDP query to another server is answered by the stub"
expect_count h5 0 "the other server saw 0 packets"
file_like "$T/other.json" '"redirect":"dns-stub"' "the redirect is logged"

# IPv6 through AAAA
world_reset
es v6 python3 "$T/conn.py" ssh1.example.test 6
expect_line v6 "^ssh1.example.test 2001:db8:2::10 OK SSH-2.0-es-test h10" "AAAA answer: IPv6 connect allowed by name"

# TTL 1 answers stay usable for min_ttl (60 s)
es ttl sh -c "getent hosts short.example.test >/dev/null; sleep 3; python3 -c '
import socket
s = socket.socket(); s.settimeout(3); s.connect((\"198.51.100.10\", 22)); print(\"late\", s.recv(64).decode().strip())'"
expect_line ttl "^late SSH-2.0" "an address answered with TTL 1 is still allowed 3 s later (min_ttl)"

# Large answers: truncated over UDP without EDNS, whole over TCP
es big sh -c 'dig +noedns +ignore +tries=1 +time=3 big.example.test | grep -o "flags: [a-z ]*"; echo "udp-answers $(dig +noedns +ignore +short +tries=1 +time=3 big.example.test | wc -l)"; echo "tcp-answers $(dig +tcp +short +tries=1 +time=3 big.example.test | wc -l)"; echo "auto-answers $(dig +noedns +short +tries=1 +time=3 big.example.test | wc -l)"'
expect_line big "^flags: .*tc" "a 60-address answer over plain UDP is truncated (TC)"
expect_line big "^tcp-answers 60$" "over TCP all 60 addresses arrive"
expect_line big "^auto-answers 60$" "a client retrying over TCP after TC gets all 60"

# A second lookup is answered from the stub's cache: upstream sees one query
before=$(wc -l <"$DNSLOG")
es cache sh -c 'getent ahostsv4 ssh2.other.test >/dev/null; getent ahostsv4 ssh2.other.test | head -1'
expect_line cache "^203.0.113.5 " "resolving twice works"
ups=$(tail -n +$((before + 1)) "$DNSLOG" | grep -c 'query\[A\] ssh2.other.test')
is "$ups" 1 "the upstream server saw the A query once (the second came from the cache)"
file_like "$T/cache.json" '"qname":"ssh2.other.test".*"reason":"cached"' "the cache hit is logged"

# A flow outlives its TTL; a new connect after expiry is denied
cat >"$T/short.yaml" <<-YAML
	version: 1
	dns: { upstream: [$UP], min_ttl: 1, max_ttl: 1, grace: 0 }
	rules:
	  - { dst: short.example.test, proto: ssh }
YAML
es_run flow --policy "$T/short.yaml" --log "$T/flow.json" -- python3 -c '
import socket, time, errno
a = socket.gethostbyname("short.example.test")
s = socket.create_connection((a, 22), timeout=5); print("first", s.recv(64).decode().strip())
time.sleep(3)
s.sendall(b"still here\n"); print("after-ttl", s.recv(64).decode().strip())
t = socket.socket(); t.settimeout(3)
print("new", errno.errorcode.get(t.connect_ex((a, 22))))'
expect_line flow "^first SSH-2.0" "short TTL: first connect allowed"
expect_line flow "^after-ttl echo: still here" "the established flow outlives the TTL"
expect_line flow "^new EACCES" "a new connect after the TTL (and no grace) is denied"

done_testing
