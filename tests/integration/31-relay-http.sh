#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 31-relay-http.sh - http rules go through the relay, which decides every
# request of a keep-alive connection: its Host (or absolute-form URL), the
# rule's methods, path_rules and path_default on the normalized path.
# Denials are a 403 with X-Egress-Denied, and the request never reaches the
# server (nginx's access log on the far side). Clients: curl, python
# (http.client, raw sockets), busybox wget, the static Go client.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-servers.sh"

require_root
require_bins
require_cmd curl
world_up
world_selftest
srv_dns
srv_nginx h10 h20 h5
srv_selftest h10 h20 h5
go_client || diag "no Go: the Go client points skip"

H10=198.51.100.10

cat >"$T/p.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$DNS_UP]
	rules:
	  - dst: h10.test
	    proto: http
	    path_rules:
	      - { path: /allowed/, action: allow }
	      - { path: "~^/re/[0-9]+\$", action: allow }
	      - { path: /upload/, action: allow, methods: [PUT] }
	    path_default: deny
	  - dst: www.h10.test
	    proto: http
	    methods: [GET, HEAD]
	  - dst: h5.test
	    proto: http
	    path_rules:
	      - { path: /secret/, action: deny }
	    path_default: allow
YAML

# es NAME SCRIPT: SCRIPT (sh) under the supervisor; log $T/NAME.json
es() {
	es_run "$1" --policy "$T/p.yaml" --log "$T/$1.json" -- sh -c "$2"
}

# curl -w: status, X-Egress-Denied header, X-Host header, then the body
C="curl -sS --max-time 10"
F="-w '%{http_code}|%header{x-egress-denied}|%header{x-host}\\n'"
# (%header{} needs curl 7.84)

# expect_denied NAME REASON DESC: a 403 with X-Egress-Denied: REASON
expect_denied() {
	expect_line "$1" "^403\|$2\|$" "$3"
}

# ---------------------------------------------------------------- basics
srv_reset
es ok "$C $F http://h10.test/allowed/x; $C -6 $F http://h10.test/allowed/x; $C $F http://h10.test/secret/x; $C -4 $F http://h10.test/"
expect_line ok "^allowed h10$" "an allowed path is served"
is "$(grep -c '^200|' "$T/ok.out")" 2 "IPv4 and IPv6: 200"
expect_denied ok path_default "a path no path rule allows: 403 X-Egress-Denied: path_default"
expect_line ok "^egress-supervise: .*\(path_default\)$" "the 403's body is one line naming the reason"
is "$(grep -c '^403|path_default|' "$T/ok.out")" 2 "/secret/x and / both denied by path_default"
file_unlike "$(srv_access h10)" 'secret|"GET / ' "h10 never got the denied requests"
is "$(grep -c '"GET /allowed/x HTTP/1.1" 200' "$(srv_access h10)")" 2 "h10 got the two allowed ones"
expect_event "$T/ok.json" 1 "http event: method, path, host, reason" \
	event=http verdict=deny host=h10.test method=GET path=/secret/x reason=path_default
expect_event "$T/ok.json" 2 "http events for the allowed requests (path_rule)" \
	event=http verdict=allow host=h10.test method=GET path=/allowed/x reason=path_rule
expect_event "$T/ok.json" 4 "one close event per connection, with its host" \
	event=close proto=http host=h10.test
expect_event "$T/ok.json" 2 "the allowed ones moved bytes both ways" \
	event=close proto=http verdict=allow bytes_up='~^[1-9]' bytes_down='~^[1-9]'
file_like "$T/ok.err" "^egress-supervise: DENY http .*/secret/x" "a human DENY line on stderr"

# the bytes the relay moved are exported: the close events' sums
es_run okm --policy "$T/p.yaml" --log "$T/okm.json" --metrics "$T/okm.prom" \
	-- sh -c "$C $F http://h10.test/allowed/x; $C $F http://h10.test/secret/x"
sums=$("$PYTHON" -c '
import json, sys
u = d = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "close":
        u += e["bytes_up"]; d += e["bytes_down"]
print(u, d)' "$T/okm.json")
prom=$(sed -n 's/^egress_supervise_relay_bytes_total{direction="\(up\|down\)"} //p' "$T/okm.prom" | tr '\n' ' ')
is "$prom" "$sums " "metrics: relay bytes up and down are the close events' sums ($sums)"
check "metrics: relay bytes down are counted" test "${sums#* }" -gt 100

srv_reset
es re "$C $F http://h10.test/re/123; $C $F http://h10.test/re/12a; $C $F -X PUT -d data http://h10.test/upload/f; $C $F http://h10.test/upload/f"
expect_line re "^404\|\|h10$" "regex path rule ~^/re/[0-9]+\$: /re/123 reaches h10 (its 404)"
expect_denied re path_default "/re/12a does not match the regex: 403"
expect_line re "^405\|\|h10$" "path rule with methods [PUT]: PUT /upload/f reaches h10 (its 405)"
is "$(grep -c '^403|path_default|' "$T/re.out")" 2 "GET /upload/f (method not in the path rule): 403"
file_unlike "$(srv_access h10)" '"GET /upload|/re/12a' "h10 never got the denied ones"

# ---------------------------------------------------------------- methods
srv_reset
es m "$C $F http://www.h10.test/secret/x; $C -I -o /dev/null $F http://www.h10.test/; $C $F -X POST -d x http://www.h10.test/; $C $F -X DELETE http://www.h10.test/x"
expect_line m "^secret h10$" "www.h10.test: its own rule (no path rules) allows any path"
expect_line m "^200\|\|h10$" "methods [GET, HEAD]: HEAD allowed"
is "$(grep -c '^403|method|' "$T/m.out")" 2 "POST and DELETE: 403 X-Egress-Denied: method"
file_unlike "$(srv_access h10)" 'POST|DELETE' "h10 never saw the POST or the DELETE"
expect_event "$T/m.json" 1 "the method denial is logged" event=http verdict=deny method=POST reason=method

# ---------------------------------------------------------------- Host
srv_reset
es host "$C $F -H 'Host: h20.test' http://h10.test/allowed/x; $C $F --connect-to h20.test:80:h10.test:80 http://h20.test/allowed/x; $C $F -H 'Host: H10.TEST.:80' http://h10.test/allowed/x"
is "$(grep -c '^403|host_denied|' "$T/host.out")" 2 "Host h20.test on h10's address (header or --connect-to): 403 host_denied"
expect_line host "^200\|\|h10$" "Host 'H10.TEST.:80' is h10.test"
expect_silent h20 "h20 saw nothing"
is "$(grep -c . "$(srv_access h10)")" 1 "h10 got only the allowed request"

# an allowed name on another name's address: the first request goes to
# the name's own address
srv_reset
es mv "$C $F -H 'Host: h5.test' http://h10.test/allowed/x"
expect_line mv "^200\|\|h5$" "Host h5.test sent to h10's address is answered by h5"
is "$(grep -c . "$(srv_access h10)")" 0 "h10 got no request"

# absolute-form requests (a proxy request to an origin server)
srv_reset
es abs "$C $F -x http://h10.test:80 http://h10.test/allowed/x; $C $F -x http://h10.test:80 http://h20.test/; $C $F -x http://h10.test:80 -H 'Host: h10.test' http://h20.test/allowed/x; $C $F -x http://h10.test:80 http://h10.test/secret/x"
expect_line abs "^200\|\|h10$" "absolute-form URL of an allowed host and path: served"
is "$(grep -c '^403|host_denied|' "$T/abs.out")" 2 \
	"absolute-form URL of a denied host (also with Host: h10.test): 403 host_denied"
expect_denied abs path_default "absolute-form URL: the path rules apply"
expect_silent h20 "h20 saw nothing"
is "$(grep -c . "$(srv_access h10)")" 1 "h10 got only the allowed request"

# CONNECT, no Host, Upgrade
srv_reset
es misc "$C $F -p -x http://h10.test:80 https://h20.test/ ; echo rc=\$?; $C $F -H 'Connection: Upgrade' -H 'Upgrade: websocket' http://h10.test/allowed/x; $PYTHON -c '
import socket
s = socket.create_connection((\"h10.test\", 80), timeout=10)
s.sendall(b\"GET /allowed/x HTTP/1.0\\r\\n\\r\\n\")
d = b\"\"
while True:
    c = s.recv(4096)
    if not c: break
    d += c
print(\"nohost\", d.split(b\"\\r\\n\")[0].decode(), [l.decode() for l in d.split(b\"\\r\\n\") if l.lower().startswith(b\"x-egress-denied\")])
'"
expect_line misc "CONNECT tunnel failed, response 403|^rc=56$" "CONNECT through h10: 403"
expect_event "$T/misc.json" 1 "CONNECT is logged as connect_method" event=http verdict=deny reason=connect_method
expect_denied misc upgrade "an Upgrade under a rule with path rules: 403 upgrade"
expect_line misc "^nohost HTTP/1.1 403 Forbidden \['X-Egress-Denied: no_host'\]$" "HTTP/1.0 without Host: 403 no_host"
expect_silent h20 "h20 saw nothing"
is "$(grep -c . "$(srv_access h10)")" 0 "h10 got none of them"

# ---------------------------------------------------------------- paths
# h10: only /allowed/ is allowed: dot segments must not climb out of it.
# h5: everything but /secret/: encodings must not hide it.
srv_reset
: >"$T/attacks"
for p in /allowed/../secret/x /allowed/%2e%2e/secret/x /allowed/%2E%2e/secret/x \
	/allowed/./../secret/x /allowed/x/../../secret/x /allowed/..%2fsecret/x \
	/allowed/..%2Fsecret/x /allowed/%2e%2e%2fsecret/x /allowed/.%2e/secret/x \
	/allowed/..%5csecret/x; do
	echo "h10.test $p" >>"$T/attacks"
done
for p in /secret/x //secret/x /./secret/x /%73ecret/x /%73%65cret/x \
	/secret%2fx /allowed/../secret/x /x/%2e%2e/secret/x ///secret/x \
	/secret/./x /.%2e/secret/x; do
	echo "h5.test $p" >>"$T/attacks"
done
es paths "while read h p; do printf '%s %s ' \$h \$p; $C --path-as-is -w '%{http_code}|%header{x-egress-denied}|%header{x-host}' -o $T/body http://\$h\$p; echo \" \$(head -c 40 $T/body | tr -c 'a-z0-9 ' .)\"; done <$T/attacks"
n=$(grep -c . "$T/attacks")
is "$(grep -Ec ' 403\|[a-z_]+\| egress.supervise' "$T/paths.out")" "$n" \
	"each of $n encoded or dot-segment paths to a denied place: 403"
file_unlike "$T/paths.out" "secret h" "none of them got a secret file's content"
file_unlike "$(srv_access h10)" "." "h10 got none of the attacks"
if grep -Ev ' 403\|' "$T/paths.out" >"$T/paths.bad"; [ -s "$T/paths.bad" ]; then
	diag_file "$T/paths.bad" "not denied"
fi
# nginx decodes %2F to / before it routes: /secret%2fx is /secret/x there.
expect_line paths '^h5.test /secret%2fx 403\|' "h5.test /secret%2fx (nginx serves /secret/x): 403"
file_unlike "$(srv_access h5)" '.' "h5 did not get it"

srv_reset
es safe "$C --path-as-is $F http://h10.test/allowed/./x; $C --path-as-is $F http://h10.test/allowed//x; $C $F http://h10.test/allowed/%78"
is "$(grep -c '^allowed h10$' "$T/safe.out")" 3 "/allowed/./x, /allowed//x, /allowed/%78 stay allowed and reach h10"

# ---------------------------------------------------------------- keep-alive
srv_reset
es ka "$C -o /dev/null -w '%{http_code} %{num_connects}\n' http://h10.test/allowed/x http://h10.test/allowed/x http://h10.test/secret/x; $PYTHON -c '
import http.client
c = http.client.HTTPConnection(\"h10.test\", 80, timeout=10)
for p in (\"/allowed/x\", \"/allowed/x\", \"/secret/x\", \"/allowed/x\"):
    try:
        c.request(\"GET\", p)
        r = c.getresponse()
        print(\"ka\", p, r.status, r.getheader(\"X-Egress-Denied\", \"-\"), r.read().decode().strip())
    except Exception as e:
        print(\"ka\", p, \"ERR\", type(e).__name__)
        c.close()
        c = http.client.HTTPConnection(\"h10.test\", 80, timeout=10)
    sock = c.sock
'"
is "$(grep -E '^[0-9]{3} [0-9]+$' "$T/ka.out" | tr '\n' ' ')" "200 1 200 0 403 0 " \
	"curl, three URLs on one connection: 200, 200, then 403 on the same connection"
expect_line ka "^ka /secret/x 403 path_default " "http.client: the third request on the connection gets 403"
is "$(grep -c '^ka /allowed/x 200 - allowed h10$' "$T/ka.out")" 3 \
	"http.client: the requests before it passed, and a new connection after it works"
file_unlike "$(srv_access h10)" secret "h10 never saw /secret/x"
is "$(grep -c '"GET /allowed/x' "$(srv_access h10)")" 5 "h10 served the 5 allowed requests"

# pipelined: an allowed request and a denied one in one segment
srv_reset
es pipe "$PYTHON -c '
import socket
s = socket.create_connection((\"h10.test\", 80), timeout=10)
s.sendall(b\"GET /allowed/x HTTP/1.1\\r\\nHost: h10.test\\r\\n\\r\\nGET /secret/x HTTP/1.1\\r\\nHost: h10.test\\r\\n\\r\\n\")
d = b\"\"
while True:
    c = s.recv(65536)
    if not c: break
    d += c
print(\"pipe\", d.count(b\"HTTP/1.1 \"), b\"X-Egress-Denied: path_default\" in d)
'"
expect_line pipe "^pipe [12] True$" "pipelined allowed + denied: the 403 comes"
file_unlike "$(srv_access h10)" secret "the pipelined denied request never reached h10"

# smuggling: Content-Length and Transfer-Encoding disagreeing, the second
# request hidden in what one side could take for a body
srv_reset
es smug "$PYTHON -c '
import socket
def send(req):
    s = socket.create_connection((\"h10.test\", 80), timeout=5)
    s.sendall(req)
    d = b\"\"
    try:
        while True:
            c = s.recv(65536)
            if not c: break
            d += c
    except OSError:
        pass
    print(\"smug\", [l.decode() for l in d.split(b\"\\r\\n\") if l.startswith(b\"HTTP/\")])
hidden = b\"GET /secret/x HTTP/1.1\\r\\nHost: h10.test\\r\\n\\r\\n\"
send(b\"POST /allowed/x HTTP/1.1\\r\\nHost: h10.test\\r\\nContent-Length: 4\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n\" + hidden)
send(b\"POST /allowed/x HTTP/1.1\\r\\nHost: h10.test\\r\\nTransfer-Encoding: chunked\\r\\nContent-Length: %d\\r\\n\\r\\n0\\r\\n\\r\\n\" % (5 + len(hidden)) + hidden)
send(b\"POST /allowed/x HTTP/1.1\\r\\nHost: h10.test\\r\\nTransfer-Encoding: xchunked\\r\\n\\r\\n0\\r\\n\\r\\n\" + hidden)
send(b\"POST /allowed/x HTTP/1.1\\r\\nHost: h10.test\\r\\nContent-Length: 0\\r\\nContent-Length: 46\\r\\n\\r\\n\" + hidden)
send(b\"POST /allowed/x HTTP/1.1\\r\\nHost: h10.test\\r\\nTransfer-Encoding: chunked\\r\\nConnection: close\\r\\n\\r\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n\")
'"
is "$(grep -c "^smug \['HTTP/1.1 403 Forbidden'\]$" "$T/smug.out")" 4 \
	"CL+TE, TE+CL, an unknown coding, two Content-Lengths: 403 each"
expect_line smug "^smug \['HTTP/1.1 405 Not Allowed'\]$" \
	"a well-formed chunked POST passes (nginx's own 405)"
file_unlike "$(srv_access h10)" secret "no smuggled request reached h10"

# ---------------------------------------------------------------- clients
srv_reset
es bb "busybox wget -q -O - http://h10.test/allowed/x; busybox wget -q -O - http://h10.test/secret/x; echo rc=\$?"
expect_line bb "^allowed h10$" "busybox wget: allowed"
expect_line bb "^rc=1$" "busybox wget: denied path fails"
file_like "$T/bb.err" "403" "busybox wget reports the 403"

if [ -n "$GOCLI" ]; then
	srv_reset
	es go "$GOCLI http -n 2 http://h10.test/allowed/x; $GOCLI http http://h10.test/secret/x; $GOCLI http http://www.h10.test/secret/x"
	is "$(grep -c '^get http://h10.test/allowed/x OK status=200 .* x-host=h10 conns=1 ' "$T/go.out")" 2 \
		"Go client: two allowed requests on one connection"
	expect_line go "^get http://h10.test/secret/x OK status=403 " "Go client: denied path, 403"
	expect_line go "^get http://www.h10.test/secret/x OK status=200 .* x-host=h10 " \
		"Go client: the same path under www.h10.test's rule"
else
	for i in 1 2 3; do skip "Go client point $i" "go is not installed"; done
fi

done_testing
