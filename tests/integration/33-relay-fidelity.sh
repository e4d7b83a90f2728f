#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 33-relay-fidelity.sh - what a relayed connection looks like to CMD and
# to the servers: getpeername() shows the original destination (Go,
# python), an upstream that refuses is ECONNREFUSED for a blocking connect
# and a reset for a non-blocking one, the close events count the bytes the
# client saw, 64 MiB arrive intact, 200 parallel transfers all succeed,
# ssh verify_banner passes an SSH server (a full key exchange with sshd)
# and cuts a server that is not one, and tcp/plain ssh rules stay direct.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-servers.sh"

# h20's port 22 is a server that does not speak SSH (below)
ES_SERVER_TCP_h20=
require_root
require_bins
require_cmd curl
world_up
srv_dns
srv_nginx h10 h20 h5
srv_selftest h10 h20 h5
srv_big
srv_sshd h5 2222
# h20: two servers that do not speak SSH: one answers a line and closes,
# the other greets in binary (a MySQL-like handshake) and stays open
srv_banner h20 22 "HTTP/1.0 400 Bad Request" close
printf '\112\000\000\000\0128.0.36\000\001\000\000\000abcdefgh\000' >"$T/mysql-greeting"
srv_greeter h20 3306 "$T/mysql-greeting"
go_client || diag "no Go: the Go client points skip"

H10=198.51.100.10
H20=198.51.100.20
H5=203.0.113.5
C="curl -sS --max-time 60 --cacert $CA"

cat >"$T/p.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$DNS_UP]
	rules:
	  - dst: h10.test
	    proto: https
	  - dst: h10.test
	    proto: http
	  - dst: h10.test
	    proto: tls
	    port: 8444
	  - dst: h10.test
	    proto: ssh
	    verify_banner: true
	  - dst: h20.test
	    proto: ssh
	    verify_banner: true
	  - dst: h20.test
	    proto: ssh
	    port: 3306
	    verify_banner: true
	  - dst: h5.test
	    proto: ssh
	    port: 2222
	    verify_banner: true
	  - dst: h5.test
	    proto: ssh
	  - dst: h20.test
	    proto: https
	  - dst: h20.test
	    proto: tcp
	    port: 443
YAML

# $WAITLOG ERE FILE, in CMD: until the relay logged a matching line (the
# supervisor exits with CMD: a flow it has not seen end yet is not logged)
WAITLOG="$T/waitlog"
printf '%s\n' '#!/bin/sh' 'for i in $(seq 100); do grep -Eq "$1" "$2" && exit 0; sleep 0.05; done; exit 1' >"$WAITLOG"
chmod 755 "$WAITLOG"

# es NAME SCRIPT: SCRIPT (sh) under the supervisor; log $T/NAME.json
es() {
	es_run "$1" --policy "$T/p.yaml" --log "$T/$1.json" -- sh -c "$2"
}

# ---------------------------------------------------------------- names
PEER="$PYTHON -c '
import socket, sys
for fam, port in ((socket.AF_INET, 443), (socket.AF_INET6, 443), (socket.AF_INET, 80)):
    a = socket.getaddrinfo(\"h10.test\", port, fam, socket.SOCK_STREAM)[0][4]
    s = socket.create_connection(a[:2], timeout=10)
    print(\"py\", port, s.getpeername()[:2], s.getsockname()[0])
    if fam == socket.AF_INET:  # 28: SO_PEERNAME
        raw = s.getsockopt(socket.SOL_SOCKET, 28, 16)
        print(\"peername\", port, socket.inet_ntoa(raw[4:8]), int.from_bytes(raw[2:4], \"big\"))
        try:
            s.getsockopt(socket.SOL_SOCKET, 28, 28)
            print(\"peername-long OK\")
        except OSError as e:
            print(\"peername-long\", e.errno)
'"
srv_reset
es peer "$PEER"
expect_line peer "^py 443 \('$H10', 443\) 127\.0\.0\.1$" \
	"python, relayed https, IPv4: getpeername is h10:443 (getsockname loopback)"
expect_line peer "^py 443 \('2001:db8:2::10', 443\) ::1$" \
	"python, relayed https, IPv6: getpeername is [2001:db8:2::10]:443"
expect_line peer "^py 80 \('$H10', 80\) 127\.0\.0\.1$" "python, relayed http: getpeername is h10:80"
expect_line peer "^peername 443 $H10 443$" \
	"getsockopt(SO_PEERNAME) of a relayed socket: h10:443, not the relay"
expect_line peer "^peername 80 $H10 80$" "... and of a relayed http socket"
is "$(grep -c '^peername-long 22$' "$T/peer.out")" 2 \
	"SO_PEERNAME with a buffer longer than the address: EINVAL, as from the kernel"

if [ -n "$GOCLI" ]; then
	es gopeer "getent ahosts h10.test >/dev/null; $GOCLI tcp $H10:443; $GOCLI tcp -send hi h5.test:22; $GOCLI https -ca $CA https://h20.test/"
	expect_line gopeer "^connect $H10:443 OK peer=$H10:443 sock=127\.0\.0\.1:" \
		"Go, relayed: getpeername (raw syscall) is the original destination"
	expect_line gopeer "^connect h5.test:22 OK peer=(\[2001:db8:3::5\]|$H5):22 sock=(\[2001:db8:1::2\]|192\.0\.2\.2):" \
		"Go, plain ssh rule: not relayed (getsockname is the client's own address)"
	expect_line gopeer "^recv h5.test:22 OK SSH-2.0-es-test h5$" "Go, plain ssh: the banner arrives"
	expect_line gopeer "^get https://h20.test/ OK status=200 .* x-host=h20 .* sock=(\[2001:db8:1::2\]|192\.0\.2\.2):" \
		"https and tcp:443 rules for one name: the direct rule wins (not relayed)"
else
	for i in 1 2 3 4; do skip "Go client point $i" "go is not installed"; done
fi
es_run direct --policy "$T/p.yaml" --log "$T/direct.json" -- sh -c \
	"getent ahosts h5.test >/dev/null; getent ahosts h20.test >/dev/null; '$NET' -r tcp $H5:22; $C -o /dev/null https://h20.test/"
expect_line direct "^recv $H5:22 OK SSH-2.0-es-test h5" "plain ssh rule: connection works"
expect_event "$T/direct.json" 0 "plain ssh and tcp rules: no connect logged with a relay" \
	event=connect verdict=allow relay='~.'
expect_event "$T/direct.json" 0 "... and no close event of the relay" event=close
expect_event "$T/direct.json" 1 "the https + tcp:443 connect was allowed by the tcp rule" \
	event=connect verdict=allow dst='~^(198\.51\.100\.20|2001:db8:2::20)$' port=443 reason=rule

# ---------------------------------------------------------------- refused
es refused "getent ahosts h10.test >/dev/null; for i in 1 2 3; do '$NET' tcp $H10:8444; done; '$NET' -n -r tcp $H10:8444; '$NET' -r tcp $H10:8443"
is "$(grep -c "^connect $H10:8444 ECONNREFUSED$" "$T/refused.out")" 3 \
	"relayed, blocking: the upstream's refusal is ECONNREFUSED (3 times)"
expect_line refused "^connect $H10:8444 (EINPROGRESS|OK)$" \
	"relayed, non-blocking: EINPROGRESS or 0 (our loopback connect)"
expect_line refused "^(poll|send) $H10:8444 (ECONNREFUSED|ECONNRESET)$|^recv $H10:8444 (ECONNRESET|OK $)" \
	"relayed, non-blocking: then the refusal, a reset or EOF"
file_unlike "$T/refused.out" "^recv $H10:8444 OK ." "no relayed client ever read a byte"
expect_event "$T/refused.json" 4 "each refused flow leaves a close event upstream_refused" \
	event=close reason=upstream_refused
expect_line refused "^connect $H10:8443 EACCES$" "a port no rule names: EACCES"

# A flow still open when CMD exits: a grandchild holds the socket
es atexit "$PYTHON -c '
import os, socket
s = socket.create_connection((\"h10.test\", 80), timeout=10)
s.sendall(b\"GET /allowed/x HTTP/1.1\\r\\nHost: h10.test\\r\\n\\r\\n\")
print(\"atexit\", s.recv(4096).split(b\"\\r\\n\")[0].decode())
if os.fork() == 0:
    os.setsid(); os.close(1); os.close(2)
    import time; time.sleep(5); os._exit(0)
'"
expect_line atexit "^atexit HTTP/1.1 200 OK$" "a keep-alive request passed"
expect_event "$T/atexit.json" 1 "a flow still open when CMD exits gets its close event" \
	event=close proto=http host=h10.test bytes_down='~^[1-9]'

# ---------------------------------------------------------------- bytes
srv_reset
es bytes "$C -4 -o $T/big.http -w 'w %{size_request} %{size_header} %{size_download}\n' http://h10.test/big; $C -4 -o $T/big.https https://h10.test/big; $C -4 -o /dev/null -w 'w %{size_request} %{size_header} %{size_download}\n' -d 0123456789abcdef http://h10.test/allowed/x"
is "$(sha "$T/big.http" 2>/dev/null)" "$BIG_SHA" "64 MiB over the http relay: sha256 equal"
is "$(sha "$T/big.https" 2>/dev/null)" "$BIG_SHA" "64 MiB over the https relay: sha256 equal"
read -r _ req hdr body < <(grep '^w ' "$T/bytes.out" | head -n 1)
read -r _ req2 hdr2 body2 < <(grep '^w ' "$T/bytes.out" | sed -n 2p)
is "$(ev_count "$T/bytes.json" event=close proto=http bytes_up="$req" bytes_down="$((hdr + body))")" 1 \
	"http close event: bytes_up = curl's request, bytes_down = headers + body ($req, $((hdr + body)))"
is "$(ev_count "$T/bytes.json" event=close proto=http bytes_up="$req2" bytes_down="$((hdr2 + body2))")" 1 \
	"a POST's close event: bytes_up counts its body too ($req2)"
expect_event "$T/bytes.json" 1 "https close event: at least 64 MiB down" \
	event=close proto=tls sni=h10.test bytes_down='~^(6[7-9]|[7-9][0-9])[0-9]{6}$'
expect_event "$T/bytes.json" 3 "close events carry a duration" event=close duration_ms='~^[0-9]+$'

if [ -n "$GOCLI" ]; then
	es gobig "$GOCLI https -ca $CA https://h10.test/big"
	expect_line gobig "^get https://h10.test/big OK status=200 bytes=67108864 sha256=$BIG_SHA " \
		"Go client: 64 MiB over the https relay, sha256 equal"
else
	skip "Go client: 64 MiB" "go is not installed"
fi

# ---------------------------------------------------------------- parallel
srv_reset
mkdir -p "$T/par"
es par "ulimit -n 4096; $C --parallel --parallel-immediate --parallel-max 200 --http1.1 -o '$T/par/#1' 'https://h10.test/mid?[1-200]'; echo rc=\$?"
expect_line par "^rc=0$" "200 parallel https transfers: curl exits 0"
n=0
for f in "$T"/par/*; do
	[ "$(sha "$f")" = "$MID_SHA" ] && n=$((n + 1))
done
is "$n" 200 "all 200 files (1 MiB each) arrived intact"
is "$(grep -c '"GET /mid?[0-9]* HTTP/1.1" 200 1048576' "$(srv_access h10)")" 200 "h10 served 200 requests"
c=$(ev_count "$T/par.json" event=close proto=tls)
if [ "$c" -ge 100 ] && [ "$c" = "$(ev_count "$T/par.json" event=connect relay=tls)" ]; then
	ok "each of the $c relayed connections has its close event"
else
	not_ok "each relayed connection has its close event"
	diag "$c close events, $(ev_count "$T/par.json" event=connect relay=tls) relayed connects"
fi

# ---------------------------------------------------------------- ssh
srv_reset
es ssh "getent ahosts h10.test >/dev/null; getent ahosts h20.test >/dev/null; '$NET' -r tcp $H10:22; '$NET' -t 5000 -r tcp $H20:22; '$NET' -t 5000 -r tcp $H20:3306; ssh-keyscan -T 10 -p 2222 -t ed25519 h5.test 2>&1 | grep -v '^#'; $WAITLOG '\"event\":\"close\".*\"port\":2222' $T/ssh.json"
expect_line ssh "^recv $H10:22 OK SSH-2.0-es-test h10" "verify_banner: an SSH server's banner passes"
file_like "$T/h10.log" "^tcp 22 data 192\.0\.2\.2 es-net $H10:22$" "... and the client's bytes reach it"
expect_line ssh "^recv $H20:22 (ECONNRESET|EOF)" "verify_banner: an HTTP answer instead of a banner: cut"
expect_line ssh "^(send|recv) $H20:3306 (ECONNRESET|EPIPE|EOF)" "verify_banner: a binary greeting (kept open): cut"
file_unlike "$T/ssh.out" "400 Bad Request|8\.0\.36" "none of their bytes reached the client"
expect_event "$T/ssh.json" 2 "both logged: not_ssh" event=ssh verdict=deny reason=not_ssh dst=$H20
expect_event "$T/ssh.json" 1+ "logged: ssh_banner" event=ssh verdict=allow reason=ssh_banner
want=$(cut -d' ' -f1-2 "$T/sshd-h5/hostkey.pub")
is "$(grep '^\[h5.test\]:2222 ' "$T/ssh.out")" "[h5.test]:2222 $want" \
	"ssh-keyscan through the relay: a full key exchange with sshd on port 2222"
expect_event "$T/ssh.json" 1 "... logged with bytes both ways" \
	event=close proto=ssh port=2222 bytes_up='~^[1-9][0-9]{2,}' bytes_down='~^[1-9][0-9]{2,}'

# ---------------------------------------------------------------- fd limit
# the supervisor out of file descriptors: CMD's connects fail with ENOBUFS
# (never EBADF: CMD's own fds are fine), one warning says what to raise,
# and once CMD lets go of its connections a new one works again
cat >"$T/fds.py" <<-'PY'
	import errno, socket, sys
	socket.getaddrinfo("h10.test", 443)
	held, errs = [], {}
	for i in range(300):
	    s = socket.socket()
	    s.settimeout(10)
	    try:
	        s.connect(("198.51.100.10", 443))
	        held.append(s)
	    except OSError as e:
	        k = errno.errorcode.get(e.errno, str(e.errno))
	        errs[k] = errs.get(k, 0) + 1
	        s.close()
	print("held", len(held))
	for k, v in sorted(errs.items()):
	    print("err", k, v)
	for s in held:
	    s.close()
PY
in_world timeout -k 5 "$ES_TIMEOUT" prlimit --nofile=160:160 "$ES_BIN" \
	--policy "$T/p.yaml" --log "$T/fds.json" -- sh -c \
	"$PYTHON $T/fds.py; sleep 0.5; $C -o /dev/null -w 'after %{http_code}\n' https://h10.test/" \
	>"$T/fds.out" 2>"$T/fds.err" </dev/null
RC=$?
expect_rc 0 fds "out of fds: the supervisor stays up, CMD's status comes back"
held=$(sed -n 's/^held //p' "$T/fds.out")
check "out of fds: some connections were relayed first (${held:-none})" test "${held:-0}" -ge 10
expect_line fds "^err ENOBUFS [1-9]" "out of fds: the rest fail with ENOBUFS"
is "$(grep -c '^err ' "$T/fds.out")" 1 "out of fds: and with no other errno"
is "$(grep -c 'out of file descriptors (EMFILE).*RLIMIT_NOFILE' "$T/fds.err")" 1 \
	"out of fds: one warning says what to raise"
expect_line fds "^after 200$" "out of fds: after CMD closed its connections, a new one works"

done_testing
