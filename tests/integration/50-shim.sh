#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 50-shim.sh - libegress-shim.so: lookups through the supervisor give glibc's
# answers, sends the kernel may make skip the round trip, and nothing the
# filter decides changes: denied names and addresses stay denied, also for
# programs the shim never sees (static busybox, raw system calls), and a
# killed supervisor still fails closed.
. "$(dirname "$0")/lib.sh"

require_root
require_cmd dnsmasq "$PYTHON"
SHIM=${EGRESS_SUPERVISE_SHIM:-}
[ -r "$SHIM" ] || bail_out "EGRESS_SUPERVISE_SHIM=$SHIM: no shim built"
for h in es-gai es-shimsend; do
	[ -x "$ES_HELPERS/$h" ] || bail_out "helper $h missing"
done
world_up

UP=198.51.100.1
DNSLOG=$T/dnsmasq.log
ip netns exec "$NS_NET" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--bind-interfaces --listen-address=$UP --port=53 \
	--log-queries --log-facility="$DNSLOG" --pid-file="$T/dnsmasq.pid" \
	--local-ttl=300 --local=/example.test/ \
	--host-record=allowed.example.test,198.51.100.10,2001:db8:2::10 \
	--host-record=v4.example.test,198.51.100.10 \
	--host-record=v6.example.test,2001:db8:2::10 \
	--host-record=evil.example.test,198.51.100.20,2001:db8:2::20 \
	--host-record=evil.other.test,198.51.100.20 --local=/other.test/ \
	--host-record=override.example.test,198.51.100.10 \
	--host-record=a.sub.example.test,203.0.113.5 \
	--cname=www.example.test,allowed.example.test \
	--txt-record=txt.example.test,"no address" \
	>"$T/dnsmasq.out" 2>&1 &
_world_pids="$_world_pids $!"
for i in $(seq 50); do
	ip netns exec "$NS_NET" "$PYTHON" -c "
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2); s.sendto(bytes.fromhex('000101000001000000000000') +
  b'\x07allowed\x07example\x04test\x00\x00\x01\x00\x01', ('$UP', 53))
s.recv(512)" 2>/dev/null && break
	sleep 0.1
done

cat >"$T/policy.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$UP]
	rules:
	  - dst: .example.test
	    proto: ssh
	  - dst: 198.51.100.10/32
	    proto: udp
	    port: 5000
	  - dst: evil.example.test
	    action: deny
	  - dst: .100.51.198.in-addr.arpa
	    proto: tcp
YAML

# CMD's /etc/hosts and resolv.conf (the supervisor keeps the search line)
cat >"$T/hosts" <<-EOF
	127.0.0.1	localhost
	::1		localhost ip6-localhost
	203.0.113.77	override.example.test override
	198.51.100.10	hostsonly.test alias.hostsonly.test
	2001:db8:2::10	hostsonly.test
EOF
printf 'nameserver %s\nsearch example.test\n' "$UP" >"$T/resolv.conf"

# sup NAME [SUPERVISOR-ARGS...] -- CMD...: egress-supervise in the client
# namespace with our hosts and resolv.conf; $T/NAME.{out,err,json}, $RC
sup() {
	local name=$1
	shift
	in_world timeout -k 5 "$ES_TIMEOUT" unshare -m sh -c '
		mount --bind "$1" /etc/hosts &&
		mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"' \
		sh "$T/hosts" "$T/resolv.conf" \
		"$ES_BIN" --policy "$T/policy.yaml" --log "$T/$name.json" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" </dev/null
	RC=$?
}
G=$ES_HELPERS/es-gai

# ------------------------------------------------------------ preloading
sup env -- sh -c 'echo "preload=$LD_PRELOAD"; echo "sock=$EGRESS_SHIM_SOCKET"'
expect_line env "^preload=$SHIM\$" "CMD gets the shim in LD_PRELOAD"
expect_line env '^sock=egress-supervise/[0-9]+/[0-9a-f]{16}$' \
	"CMD is told the lookup socket's name"
# (an entry ld.so cannot load and ignores: a sanitizer build of the
# supervisor must keep its runtime first)
in_world timeout -k 5 "$ES_TIMEOUT" env LD_PRELOAD=/nonexistent/libes-test.so \
	"$ES_BIN" --policy "$T/policy.yaml" -- sh -c 'echo "preload=$LD_PRELOAD"' \
	>"$T/keep.out" 2>"$T/keep.err" </dev/null
like "$(cat "$T/keep.out")" "^preload=$SHIM:/nonexistent/libes-test.so\$" \
	"the shim is prepended; CMD's own LD_PRELOAD entries stay"
sup noshim --no-shim -- sh -c 'echo "preload=$LD_PRELOAD"; echo "sock=$EGRESS_SHIM_SOCKET"'
expect_line noshim '^preload=$' "--no-shim: no preload"
expect_line noshim '^sock=$' "--no-shim: no lookup socket"

# ------------------------------------------------------------ lookups
sup ok -- "$G" allowed.example.test 22
expect_line ok '^ai inet6 stream 6 2001:db8:2::10 22$' "an allowed name resolves (AAAA)"
expect_line ok '^ai inet stream 6 198.51.100.10 22$' "an allowed name resolves (A)"
file_like "$T/ok.json" '"proto":"unix","dst":"@egress-supervise/.*"port":0,"rule":"shim"' \
	"the lookup went through the shim's socket"
file_unlike "$T/ok.json" '"dst":"127.0.0.53"' \
	"no query was sent to the DNS stub's port"
file_like "$T/ok.json" '"event":"dns".*"qname":"allowed.example.test","qtype":"AAAA".*"answers":\["2001:db8:2::10"\]' \
	"the lookup is logged as a dns decision"
file_unlike "$T/ok.json" '"proto":"udp","dst":"198.51.100.10"' \
	"no UDP connect of glibc's sort reaches the supervisor"

before=$(wc -l <"$DNSLOG")
sup deny -- "$G" evil.other.test 22
expect_line deny '^gai EAI_NONAME$' "a name no rule allows: EAI_NONAME (NXDOMAIN)"
sup deny2 -- "$G" evil.example.test 22
expect_line deny2 '^gai EAI_NODATA$' \
	"a denied name with allowed names below it: EAI_NODATA (NODATA)"
is "$(tail -n +$((before + 1)) "$DNSLOG" |
	grep -cE '\] evil\.(example|other)\.test from')" 0 \
	"the upstream server never saw the denied names"

# The lookup teaches the IP-to-names table: a connect to the answer works
cat >"$T/conn.py" <<-'PY'
	import errno, socket, sys
	for name in sys.argv[1:]:
	    try:
	        infos = socket.getaddrinfo(name, 22, socket.AF_INET, socket.SOCK_STREAM)
	    except socket.gaierror as e:
	        print(name, "GAIERROR", e.args[0]); continue
	    sa = infos[0][4]
	    s = socket.socket(); s.settimeout(5)
	    try:
	        s.connect(sa); print(name, sa[0], "OK", s.recv(100).decode().strip())
	    except OSError as e:
	        print(name, sa[0], "ERR", errno.errorcode.get(e.errno, e.errno))
PY
world_reset
sup learn -- "$PYTHON" "$T/conn.py" allowed.example.test www.example.test \
	override.example.test evil.example.test
expect_line learn '^allowed.example.test 198.51.100.10 OK SSH-2.0-es-test h10' \
	"a name answered through the shim is allowed on connect"
expect_line learn '^www.example.test 198.51.100.10 OK' \
	"a CNAME answered through the shim is allowed on connect"
expect_line learn '^override.example.test 203.0.113.77 ERR EACCES' \
	"an /etc/hosts address no answer gave stays denied"
expect_line learn '^evil.example.test GAIERROR' "a denied name gives no address"
expect_count h20 0 "the denied host saw 0 packets"
expect_count h5 0 "the /etc/hosts address saw 0 packets"

# The same answers as glibc gives without the shim
cases=(
	"allowed.example.test 22" "v4.example.test ssh" "v6.example.test 22"
	"-F CANONNAME www.example.test" "-F CANONNAME WWW.Example.Test 80"
	"-F CANONNAME localhost" "-F CANONNAME allowed"
	"txt.example.test" "missing.example.test" "evil.example.test" "evil.other.test"
	"localhost 22" "LOCALHOST" "ip6-localhost" "-f 4 localhost" "-f 6 localhost"
	"override.example.test" "hostsonly.test" "-F CANONNAME alias.hostsonly.test"
	"-f 4 hostsonly.test" "-f 6 hostsonly.test"
	"allowed" "www" "a.sub" "-f 4 allowed" "-f 6 www" "nosuch"
	"allowed.example.test." "-f 4 txt.example.test" "-f 6 v4.example.test"
	"-f 6 -F V4MAPPED v4.example.test" "-f 6 -F V4MAPPED,ALL allowed.example.test"
	"-f 4 -F CANONNAME www.example.test" "-F ADDRCONFIG allowed.example.test"
	"-F DEFAULT www.example.test http" "-t dgram allowed.example.test domain"
	"-t raw allowed.example.test" "-t raw allowed.example.test 22"
	"-F NUMERICSERV allowed.example.test ssh" "allowed.example.test nosuchservice"
	"-F PASSIVE allowed.example.test 80" "198.51.100.10 22" "2001:db8:2::10"
	"-F NUMERICHOST allowed.example.test" "bad!name.test" "-F CANONNAME bad!name"
	"-H allowed.example.test" "-H www" "-H hostsonly.test" "-H missing.example.test"
	"-H txt.example.test" "-H evil.example.test" "-2 6 www.example.test"
	"-2 6 localhost" "-R 4 hostsonly.test" "-R 6 allowed" "-H 198.51.100.10"
	"-N 198.51.100.10 22" "-N -F NAMEREQD 198.51.100.20" "-N 203.0.113.5 80"
	"-N -F NAMEREQD 203.0.113.5" "-N 127.0.0.1 53" "-N ::1" "-N 203.0.113.77"
	"-N 2001:db8:2::10 443" "-N -F NI_NUMERICSERV,DGRAM ::ffff:198.51.100.10 53"
	"-N :: 1"
)
diffs=0
for c in "${cases[@]}"; do
	# shellcheck disable=SC2086
	sup cmp-shim -- "$G" $c
	# shellcheck disable=SC2086
	sup cmp-libc --no-shim -- "$G" $c
	if ! cmp -s "$T/cmp-shim.out" "$T/cmp-libc.out"; then
		diffs=$((diffs + 1))
		diag "es-gai $c: shim and libc differ"
		diag "$(diff "$T/cmp-libc.out" "$T/cmp-shim.out")"
	fi
done
is "$diffs" 0 "${#cases[@]} lookups: the shim's answers are glibc's"
sup hosts -- "$G" -F CANONNAME override.example.test 22
expect_line hosts '^ai inet stream 6 203.0.113.77 22 canon=override.example.test$' \
	"/etc/hosts comes first"
sup canon -- "$G" -F CANONNAME www.example.test 22
expect_line canon 'canon=allowed.example.test$' "AI_CANONNAME follows the CNAME"
sup ni -- sh -c "$G -N 198.51.100.20 22; $G -N -F NAMEREQD 203.0.113.5; $G -N 203.0.113.77"
expect_line ni '^ni evil.example.test ssh$' "getnameinfo: a PTR answer the policy allows"
expect_line ni '^gai EAI_NONAME$|^ni EAI_NONAME$' \
	"getnameinfo: a reverse name no rule allows gives no name (NI_NAMEREQD)"
expect_line ni '^ni override.example.test 0$' "getnameinfo: /etc/hosts first"
file_like "$T/ni.json" '"qname":"20.100.51.198.in-addr.arpa","qtype":"PTR"' \
	"the reverse lookup went through the stub's policy"
file_unlike "$T/ni.json" '"dst":"127.0.0.53"' "without a query to the stub's port"

# ------------------------------------------------------------ defeating it
world_reset
sup static -- sh -c '
	echo "static=$(busybox nc -w 3 allowed.example.test 22 </dev/null | head -1)"
	busybox nc -w 3 evil.example.test 22 </dev/null; echo "evil=$?"
	busybox nc -w 3 198.51.100.20 22 </dev/null; echo "ip=$?"'
expect_line static '^static=SSH-2.0-es-test h10' \
	"a static busybox (no shim) reaches an allowed name"
expect_line static '^evil=[1-9]' "a static busybox cannot reach a denied name"
expect_line static '^ip=[1-9]' "nor a denied address"
expect_count h20 0 "the denied host saw 0 packets from the static binary"

# ------------------------------------------------------------ sends
world_reset
sup send -- "$ES_HELPERS/es-shimsend" 198.51.100.10:5000 198.51.100.20:5000
sup send-libc --no-shim -- "$ES_HELPERS/es-shimsend" 198.51.100.10:5000 198.51.100.20:5000
for op in sendto-peer sendmsg-noname sendmsg-iov sendmsg-cmsg raw-peer; do
	expect_line send "^$op OK" "connected UDP: $op is sent"
done
expect_line send '^sendto-other EACCES' "sendto() to another address is still decided"
expect_line send '^sendmmsg OK 1$' "sendmmsg() stops at the denied message"
expect_line send '^raw-other EACCES' "a raw sendto() syscall (no shim) is decided"
for i in $(seq 60); do
	[ "$(grep -c '^udp 5000 192.0.2.2 raw-peer$' "$(world_log h10)")" = 2 ] && break
	sleep 0.05
done
for p in sendto-peer sendmsg-noname 'sendmsg-iov:three parts' sendmsg-cmsg \
	sendmmsg-1 raw-peer; do
	is "$(grep -c "^udp 5000 192.0.2.2 $p\$" "$(world_log h10)")" 2 \
		"'$p' arrived once with and once without the shim"
done
expect_count h20 0 "the other host saw 0 packets"
shim_sends=$(grep -c '"event":"send","verdict":"allow".*"dst":"198.51.100.10"' "$T/send.json")
libc_sends=$(grep -c '"event":"send","verdict":"allow".*"dst":"198.51.100.10"' "$T/send-libc.json")
is "$shim_sends $libc_sends" "2 5" \
	"sends to the connected peer skip the supervisor (2 notified, not 5)"

# --shim-udp-connect: connect once, then send in the kernel
world_reset
sup uconn --shim-udp-connect -- "$ES_HELPERS/es-net" udp-sendto \
	198.51.100.10:5000 198.51.100.10:5000 198.51.100.10:5000 198.51.100.20:5000
expect_line uconn '^sendto 198.51.100.10:5000 OK' "--shim-udp-connect: sends work"
expect_line uconn '^sendto 198.51.100.20:5000 EACCES' "--shim-udp-connect: another peer is decided"
file_like "$T/uconn.json" '"event":"connect","verdict":"allow".*"proto":"udp","dst":"198.51.100.10","port":5000' \
	"the socket was connected through the supervisor"
is "$(grep -c '"event":"send","verdict":"allow"' "$T/uconn.json")" 0 \
	"later sends to that peer were not notified"
expect_count h20 0 "the other host saw 0 packets"

# ------------------------------------------------------------ fork, threads
sup threads -- "$G" -T 8 -n 150 www.example.test 22
expect_line threads '^stress ok 0$' "8 threads x 150 lookups: every answer the same"
sup procs -- "$G" -P 4 -n 80 -F CANONNAME allowed.example.test 22
expect_line procs '^stress ok 0$' "4 processes, forking mid-way: every answer the same"
n=$(grep -c '"rule":"shim"' "$T/threads.json")
if [ "$n" -ge 1 ] && [ "$n" -le 4 ]; then
	ok "threads share at most 4 connections ($n)"
else
	not_ok "threads share at most 4 connections ($n)"
fi
sup exec -- sh -c "$G allowed.example.test 22 >/dev/null && exec $G -H allowed.example.test"
expect_line exec '^he allowed.example.test aliases= type=inet addrs=198.51.100.10$' \
	"after exec the program looks up through a fresh connection"

# ------------------------------------------------------------ the socket
cat >"$T/sock.py" <<-'PY'
	import errno, os, socket, struct, sys
	name = b"\0" + os.environ["EGRESS_SHIM_SOCKET"].encode()
	s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	s.connect(name)
	s.send(b"junk")
	print("junk", "closed" if s.recv(100000) == b"" else "answered")
	print("after", socket.getaddrinfo("allowed.example.test", 22, socket.AF_INET,
	                                  socket.SOCK_STREAM)[0][4][0])
	conns = []
	try:
	    for i in range(12):
	        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	        c.connect(name)
	        conns.append(c)
	    print("bound none")
	except OSError as e:
	    print("bound", len(conns), errno.errorcode.get(e.errno))
PY
sup sock -- "$PYTHON" "$T/sock.py"
expect_line sock '^junk closed$' "a malformed request closes that connection"
expect_line sock '^after 198.51.100.10$' "lookups go on after it"
expect_line sock '^bound [5-8] EAGAIN$' "lookup connections are bounded per process"
file_like "$T/sock.err" 'malformed lookup request' "the malformed request is logged"

# A process outside the filter is refused
sup outside -- sh -c "$G allowed.example.test >/dev/null; sleep 3" &
bg=$!
for i in $(seq 50); do
	grep -q '"rule":"shim"' "$T/outside.json" 2>/dev/null && break
	sleep 0.1
done
sockname=$(sed -n 's/.*"dst":"@\(egress-supervise[^"]*\)".*/\1/p' "$T/outside.json" | head -1)
in_world "$PYTHON" -c "
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(3)
try:
    s.connect(b'\0$sockname')
    s.send(b'x' * 8)
    print('outsider', 'closed' if s.recv(100000) == b'' else 'answered')
except (BrokenPipeError, ConnectionResetError):
    print('outsider closed')" >"$T/outsider.out" 2>&1
wait "$bg"
like "$(cat "$T/outsider.out")" '^outsider closed$' \
	"a process outside the filter gets no answer"
file_like "$T/outside.err" 'refused a connection to the lookup socket' \
	"and is logged"

# ------------------------------------------------------------ supervisor killed
cat >"$T/kill.py" <<-'PY'
	import errno, os, socket, sys, time
	out = open(sys.argv[1], "w", buffering=1)
	def lookup():
	    try:
	        return socket.getaddrinfo("allowed.example.test", 22, socket.AF_INET,
	                                  socket.SOCK_STREAM)[0][4][0]
	    except socket.gaierror as e:
	        return "gaierror %d" % e.args[0]
	out.write("before %s\n" % lookup())
	out.write("ppid %d\n" % os.getppid())
	while not os.path.exists(sys.argv[2]):
	    time.sleep(0.05)
	out.write("after %s\n" % lookup())
	s = socket.socket(); s.settimeout(3)
	try:
	    s.connect(("198.51.100.10", 22)); out.write("connect OK\n")
	except OSError as e:
	    out.write("connect %s\n" % errno.errorcode.get(e.errno))
	out.write("done\n")
PY
world_reset
sup killed -- "$PYTHON" "$T/kill.py" "$T/kill.out" "$T/kill.go" &
bg=$!
wait_for_line "$T/kill.out" '^ppid [0-9]+' 10
sv=$(sed -n 's/^ppid //p' "$T/kill.out")
if [ -n "$sv" ]; then
	in_world kill -9 "$sv"
fi
sleep 0.3
touch "$T/kill.go"
wait_for_line "$T/kill.out" '^done' 20
wait "$bg"
like "$(grep ^before "$T/kill.out")" '^before 198.51.100.10$' "a lookup before the kill works"
like "$(grep ^after "$T/kill.out")" '^after gaierror' \
	"after the kill a lookup fails cleanly (libc's fallback, no crash)"
like "$(grep ^connect "$T/kill.out")" '^connect ENOSYS$' "and connect fails closed"
expect_count h10 0 "nothing reached the allowed host after the kill"

done_testing
