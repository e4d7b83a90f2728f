#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 34-quic.sh - proto: quic: the ClientHello's SNI in the Initial packets
# decides, and must belong to the destination address.
#
# es-quic builds real QUIC v1/v2 Initial packets (RFC 9001 keys, checked
# against the RFC vectors) and sends them to UDP servers on port 443 that
# log the SHA-256 of each datagram: what arrived, in which order, is the
# verdict, next to the hosts' packet counters.
. "$(dirname "$0")/lib.sh"

require_root
require_cmd dnsmasq dig
require_bins
QUIC=$ES_HELPERS/es-quic
[ -x "$QUIC" ] || bail_out "helper $QUIC missing (make check builds it)"
world_up

UP=198.51.100.1
ip netns exec "$NS_NET" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--bind-interfaces --listen-address=$UP --port=53 \
	--log-facility="$T/dnsmasq.log" --pid-file="$T/dnsmasq.pid" \
	--host-record=a.quic.test,198.51.100.10,2001:db8:2::10 \
	--host-record=b.quic.test,198.51.100.20,2001:db8:2::20 \
	--host-record=c.quic.test,203.0.113.5 \
	--host-record=evil.quic.test,198.51.100.10 \
	>"$T/dnsmasq.out" 2>&1 &
_world_pids="$_world_pids $!"
for i in $(seq 50); do
	ip netns exec "$NS_NET" dig +time=1 +tries=1 @$UP a.quic.test \
		>/dev/null 2>&1 && break
	sleep 0.1
done

# quic_server HOST: log "LEN DIGEST SRC" per datagram to $T/q-HOST.log
quic_server() {
	ip netns exec "$(ns_of "$1")" "$PYTHON" -c '
import hashlib, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 443))
log = open(sys.argv[1], "a", buffering=1)
open(sys.argv[2], "w").close()
while True:
    d, a = s.recvfrom(65535)
    log.write("%d %s %s\n" % (len(d), hashlib.sha256(d).hexdigest()[:16],
                             a[0].replace("::ffff:", "")))
' "$T/q-$1.log" "$T/q-$1.ready" >"$T/q-$1.out" 2>&1 &
	_world_pids="$_world_pids $!"
	for i in $(seq 50); do
		[ -e "$T/q-$1.ready" ] && return 0
		sleep 0.1
	done
	bail_out "QUIC test server on $1 did not start"
}
for h in h10 h20 h5; do
	quic_server $h
done

qreset() {
	world_reset
	for h in h10 h20 h5; do
		: >"$T/q-$h.log"
	done
}

# digests NAME: every digest the helper reported as sent, in order
digests() {
	awk '$1 == "send" && $3 == "OK" { for (i = 5; i <= NF; i++) print $i }' \
		"$T/$1.out"
}

# expect_arrived NAME HOST DESC: HOST got exactly the datagrams NAME sent,
# in the order they were sent
expect_arrived() {
	local want got
	want=$(digests "$1")
	for i in $(seq 40); do
		[ "$(wc -l <"$T/q-$2.log")" -ge "$(printf '%s\n' "$want" | grep -c .)" ] &&
			break
		sleep 0.05
	done
	sleep 0.2
	got=$(awk '{ print $2 }' "$T/q-$2.log")
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "sent: $(echo $want)"
		diag "arrived: $(echo $got)"
		show "$1"
	fi
}

# expect_nothing HOST DESC: neither the server nor the counter saw a thing
expect_nothing() {
	sleep 0.3
	if [ ! -s "$T/q-$1.log" ] && [ "$(world_count "$1")" = 0 ]; then
		ok "$2"
	else
		not_ok "$2"
		diag "$1 saw $(world_count "$1") packets; server log:"
		diag_file "$T/q-$1.log"
	fi
}

# qjson FILE DESC key=value...: expect_json on FILE's decisions (its DNS
# lines have other keys)
qjson() {
	local f=$1
	shift
	grep -v '"event":"dns"' "$f" >"$f.decisions"
	expect_json "$f.decisions" "$@"
}

cat >"$T/policy.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$UP]
	rules:
	  - dst: a.quic.test
	    proto: quic
	  - dst: b.quic.test
	    proto: quic
	  - dst: c.quic.test
	    proto: quic
	  - dst: c.quic.test
	    proto: udp
	    port: 443
YAML
P=(--policy "$T/policy.yaml" --log "$T/log.json")
A=a.quic.test

check "es-quic derives the RFC 9001 and RFC 9369 test vectors' keys" \
	in_client "$QUIC" selftest

# The world: Initials reach h10 without the supervisor
qreset
direct d0 "$QUIC" -s 2 198.51.100.10 443 $A
expect_arrived d0 h10 "direct: two Initial datagrams arrive, in order"

# ---------------------------------------------------------------- allowed
for v in 1 2; do
	for s in 1 2 3; do
		qreset
		vo=()
		[ $v = 2 ] && vo=(-2)
		es_run ok$v$s "${P[@]}" -- "$QUIC" "${vo[@]}" -s $s $A 443 $A
		is "$(grep -c ' OK 1200 ' "$T/ok$v$s.out")" "$s" \
			"v$v, ClientHello over $s datagram(s): every sendto returns 1200"
		expect_arrived ok$v$s h10 \
			"v$v, $s datagram(s): all arrive at $A, intact, in order"
	done
done
qjson "$T/log.json" "the flow's decision is logged with its SNI" \
	event=quic verdict=allow sni=$A reason=quic_sni dst=198.51.100.10 port=443

for m in sendmsg sendmmsg gso coalesce; do
	qreset
	es_run m$m "${P[@]}" -- "$QUIC" -2 -s 3 -m $m $A 443 $A
	expect_line m$m "^send 0 OK " "$m: the send of a 3-part ClientHello succeeds"
	expect_arrived m$m h10 "$m: what was sent arrived, in order"
done

qreset
es_run v6 "${P[@]}" -- "$QUIC" -6 -s 2 $A 443 $A
expect_line v6 "^send 1 OK 1200 " "IPv6: two Initial datagrams sent"
expect_arrived v6 h10 "IPv6: they arrive at [2001:db8:2::10]:443"
file_like "$T/q-h10.log" " 2001:db8:1::2$" "IPv6: from the client's IPv6 address"

qreset
es_run short "${P[@]}" -- "$QUIC" -s 2 -S $A 443 $A
expect_line short "^send 2 OK 60 " "after the decision, a short-header datagram goes out"
expect_arrived short h10 "... and arrives after the Initials"

# ---------------------------------------------------------------- denied
qreset
es_run den "${P[@]}" -- "$QUIC" $A 443 evil.quic.test
expect_line den "^send 0 EACCES$" "SNI no rule allows (evil.quic.test): EACCES"
expect_nothing h10 "denied SNI: nothing reached the address"
qjson "$T/log.json" "denied SNI logged with reason and sni" \
	event=quic verdict=deny sni=evil.quic.test reason=quic_sni_denied errno=EACCES
file_like "$T/den.err" "DENY quic 198.51.100.10:443 name evil.quic.test .*no rule allows the QUIC server name" \
	"denied SNI: one human line says why"

qreset
es_run den2 "${P[@]}" -- "$QUIC" -2 -s 2 $A 443 evil.quic.test
expect_line den2 "^send 0 OK 1200 " "denied SNI over 2 datagrams: the first is held (answered as sent)"
expect_line den2 "^send 1 EACCES$" "... the second completes the ClientHello: EACCES"
expect_nothing h10 "... and not even the first datagram left"

qreset
es_run mis "${P[@]}" -- "$QUIC" b.quic.test 443 $A
expect_line mis "^send 0 EACCES$" "allowed SNI to another name's address (fronting): EACCES"
expect_nothing h20 "mismatch: nothing reached b.quic.test's address"
qjson "$T/log.json" "mismatch logged" \
	event=quic verdict=deny sni=$A reason=quic_sni_mismatch dst=198.51.100.20

qreset
es_run nosni "${P[@]}" -- "$QUIC" $A 443 -
expect_line nosni "^send 0 EACCES$" "ClientHello without SNI: EACCES"
qjson "$T/log.json" "no SNI logged" event=quic verdict=deny reason=quic_no_sni

qreset
es_run raw "${P[@]}" -- "$QUIC" -r $A 443 $A
expect_line raw "^send 0 EACCES$" "bytes that are not QUIC to a quic-only port: EACCES"
expect_nothing h10 "not QUIC: nothing reached the address"
qjson "$T/log.json" "not QUIC logged" event=quic verdict=deny reason=quic_not_initial

qreset
es_run rawok "${P[@]}" -- "$QUIC" -r c.quic.test 443 -
expect_line rawok "^send 0 OK 1200 " "a udp rule for the same port still allows raw UDP"
expect_arrived rawok h5 "... and it arrives"

qreset
es_run new "${P[@]}" -- "$QUIC" -n evil.quic.test $A 443 $A
expect_line new "^send 0 OK 1200 " "allowed connection: sent"
expect_line new "^send 1 EACCES$" "a new connection on the same socket naming a denied SNI: EACCES"
is "$(awk '{ print $2 }' "$T/q-h10.log" | tr '\n' ' ')" "$(digests new | head -n 1) " \
	"new connection: only the allowed connection's datagram arrived"

qreset
es_run retx "${P[@]}" -- "$QUIC" -x b.quic.test $A 443 $A
expect_line retx "^send 1 EACCES$" "a retransmitted Initial with another ClientHello: EACCES"
qjson "$T/log.json" "changed ClientHello logged" event=quic verdict=deny reason=quic_malformed

qreset
es_run cork "${P[@]}" -- "$QUIC" -C $A 443 $A
expect_line cork "^cork EPERM$" "UDP_CORK is refused (EPERM)"
expect_line cork "^send 0 EACCES$" "MSG_MORE to a quic-only destination: EACCES"
expect_nothing h10 "MSG_MORE: nothing left"

# ---------------------------------------------------------------- connected
qreset
es_run conn "${P[@]}" -- "$QUIC" -m connect $A 443 $A
expect_line conn "^connect EACCES$" "connect() of a UDP socket to a quic-only destination: EACCES"
qjson "$T/log.json" "connected socket logged" \
	event=connect verdict=deny reason=quic_connected_socket
file_like "$T/conn.err" "use unconnected sends, or a udp rule" \
	"connected socket: the human line says what to do"
expect_nothing h10 "connected socket: nothing left"

qreset
es_run connok "${P[@]}" -- "$QUIC" -m connect c.quic.test 443 c.quic.test
expect_line connok "^connect OK$" "connect() where a udp rule allows the port: OK"
expect_arrived connok h5 "... and its sends arrive"

# ---------------------------------------------------------------- audit
cat >"$T/audit.yaml" <<-YAML
	version: 1
	mode: audit
	dns:
	  upstream: [$UP]
	rules:
	  - dst: a.quic.test
	    proto: quic
YAML
qreset
es_run aud --policy "$T/audit.yaml" --log "$T/audit.json" -- \
	"$QUIC" -s 2 $A 443 evil.quic.test
expect_line aud "^send 1 OK 1200 " "audit mode: a denied SNI is sent anyway"
expect_arrived aud h10 "audit mode: both datagrams arrive, in order"
qjson "$T/audit.json" "audit mode: logged as audit" \
	event=quic verdict=audit sni=evil.quic.test reason=quic_sni_denied

done_testing
