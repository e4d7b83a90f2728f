#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 40-ingress.sh - who may reach CMD's listening sockets (policy ingress:)
#
# CMD runs servers in the client namespace (192.0.2.2, 2001:db8:1::2);
# h10 (198.51.100.10, 2001:db8:2::10) is the allowed source, h20 the
# denied one. The oracle is the server's own log: which sources it
# accepted or received from. TCP and UDP, IPv4 and IPv6, dual-stack
# sockets (IPv4 senders as v4-mapped), IPv4-only and IPv6-only sockets,
# CMD's attempts to remove or pre-empt the filter, socket activation,
# and no change without an ingress section.

. "$(dirname "$0")/lib.sh"

require_root
require_bins
world_up
world_selftest

ING=$ES_TESTDIR/es-ingress.py
C4=192.0.2.2
C6=2001:db8:1::2

cat >"$T/ingress.yaml" <<-EOF
	version: 1
	ingress:
	  - src: 198.51.100.10/32
	    port: [7000-7001, 7003-7006, 7010, 7012, 7020-7021, 7030]
	  - src: 2001:db8:2::10
	    port: [7000-7001, 7003-7006, 7010, 7012, 7020-7021, 7030]
	  - src: 203.0.113.0/24
	    proto: udp
	    port: 7001
EOF

# start NAME LOG SUPERVISOR-ARGS... -- CMD...: a supervised server in the
# client namespace, in the background; waits for LOG.ready
start() {
	local name=$1 log=$2 i
	shift 2
	"${IN_WORLD[@]}" timeout -k 5 120 "$ES_BIN" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" </dev/null &
	_world_pids="$_world_pids $!"
	eval "PID_$name=$!"
	for i in $(seq 100); do
		[ -e "$log.ready" ] && return 0
		sleep 0.1
	done
	diag "$name did not start"
	show "$name"
	return 1
}

stop() {
	local p
	eval "p=\$PID_$1"
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

# reach HOST DST: a TCP connect from HOST that gets the server's banner
reach() {
	in_ns "$1" "$NET" -n -t 1500 -r tcp "$2" >>"$T/probe.out" 2>&1 &&
		tail -n 1 "$T/probe.out" | grep -q "SSH-2.0-es-ingress"
}

# udp HOST DST: one datagram from HOST
udp() {
	in_ns "$1" "$NET" udp-sendto "$2" >>"$T/probe.out" 2>&1
}

# seen LOG LINE: the server logged LINE (waits a little for UDP)
seen() {
	wait_for_line "$1" "^$2\$" 2
}

expect_reach() {	# expect_reach HOST DST LOG LINE DESC
	if reach "$1" "$2" && seen "$3" "$4"; then
		ok "$5"
	else
		not_ok "$5"
		diag_file "$T/probe.out" "probes"
		diag_file "$3" "server log"
	fi
}

expect_no_reach() {	# expect_no_reach HOST DST LOG PATTERN DESC
	if reach "$1" "$2" || grep -Eq "^$4\$" "$3"; then
		not_ok "$5"
		diag_file "$T/probe.out" "probes"
		diag_file "$3" "server log"
	else
		ok "$5"
	fi
}

# ------------------------------------------------------------ servers
S=$T/srv.log
start srv "$S" --policy "$T/ingress.yaml" --log "$T/srv.json" -- \
	python3 "$ING" serve "$S" tcp46:7000 udp46:7001 tcp4:7003 tcp6:7004 \
	udp4:7005 tcp46:7002 tcp46:7050 || bail_out "server"

# TCP, dual-stack socket: IPv4 (v4-mapped) and IPv6 senders
expect_reach h10 $C4:7000 "$S" "tcp 7000 198.51.100.10" \
	"tcp/ipv4 to a dual-stack socket: the allowed host is accepted"
expect_no_reach h20 $C4:7000 "$S" "tcp 7000 198.51.100.20" \
	"tcp/ipv4 to a dual-stack socket: the denied host's SYN is dropped"
expect_reach h10 "[$C6]:7000" "$S" "tcp 7000 2001:db8:2::10" \
	"tcp/ipv6: the allowed host is accepted"
expect_no_reach h20 "[$C6]:7000" "$S" "tcp 7000 2001:db8:2::20" \
	"tcp/ipv6: the denied host's SYN is dropped"
expect_no_reach h5 $C4:7000 "$S" "tcp 7000 203.0.113.5" \
	"tcp/ipv4: a host of a udp-only rule is not accepted on tcp"

# IPv4-only and IPv6-only sockets
expect_reach h10 $C4:7003 "$S" "tcp 7003 198.51.100.10" \
	"tcp, IPv4-only socket: allowed host accepted"
expect_no_reach h20 $C4:7003 "$S" "tcp 7003 198.51.100.20" \
	"tcp, IPv4-only socket: denied host dropped"
expect_reach h10 "[$C6]:7004" "$S" "tcp 7004 2001:db8:2::10" \
	"tcp, IPv6-only socket: allowed host accepted"
expect_no_reach h20 "[$C6]:7004" "$S" "tcp 7004 2001:db8:2::20" \
	"tcp, IPv6-only socket: denied host dropped"

# UDP
udp h10 $C4:7001; udp h20 $C4:7001; udp h5 $C4:7001
udp h10 "[$C6]:7001"; udp h20 "[$C6]:7001"
udp h10 $C4:7005; udp h20 $C4:7005
sleep 0.5
check "udp/ipv4 to a dual-stack socket: the allowed host's datagram arrives" \
	seen "$S" "udp 7001 198.51.100.10"
check "udp/ipv4: the udp-only rule's network is allowed too" \
	seen "$S" "udp 7001 203.0.113.5"
check "udp/ipv6: the allowed host's datagram arrives" \
	seen "$S" "udp 7001 2001:db8:2::10"
check "udp, IPv4-only socket: the allowed host's datagram arrives" \
	seen "$S" "udp 7005 198.51.100.10"
file_unlike "$S" "^udp .* (198\.51\.100\.20|2001:db8:2::20)$" \
	"udp/ipv4 and ipv6: the denied host's datagrams never reach CMD"

# Ports no rule names are not restricted; loopback always passes
expect_reach h20 $C4:7002 "$S" "tcp 7002 198.51.100.20" \
	"a port no rule covers: the denied host is accepted (nothing changes)"
expect_reach client 127.0.0.1:7000 "$S" "tcp 7000 127.0.0.1" \
	"loopback (127.0.0.1) is always accepted"
expect_reach client "[::1]:7000" "$S" "tcp 7000 ::1" \
	"loopback (::1) is always accepted"
expect_reach client $C4:7000 "$S" "tcp 7000 $C4" \
	"the container's own address (arrives on lo) is accepted"

# The log: one ingress line per filter attached, and the drop counters
expect_json "$T/srv.json" "log: filter attached to the TCP listener on 7000 (2 rules)" \
	event=ingress call=listen proto=tcp family=ipv6 port=7000 reason=filter_attached rules=2
expect_json "$T/srv.json" "log: the IPv4-only listener is logged as such" \
	event=ingress call=listen proto=tcp family=ipv4 dst=0.0.0.0 port=7003
expect_json "$T/srv.json" "log: filter attached to the UDP socket on bind (3 rules)" \
	event=ingress call=bind proto=udp port=7001 reason=filter_attached filter=attached rules=3
expect_json "$T/srv.json" "log: port 7002 is not covered, no filter" \
	event=ingress call=listen port=7002 reason=not_covered filter=none
for i in $(seq 60); do
	grep -q '"event":"ingress_drops".*"port":7000' "$T/srv.json" &&
		grep -q '"event":"ingress_drops".*"proto":"udp".*"port":7001' "$T/srv.json" && break
	sleep 0.1
done
file_like "$T/srv.json" '"event":"ingress_drops".*"proto":"tcp".*"port":7000.*"drops":[1-9]' \
	"log: the kernel's drop counter of the TCP listener, read by sock_diag"
file_like "$T/srv.json" '"event":"ingress_drops".*"proto":"udp".*"port":7001.*"drops":[1-9]' \
	"log: the drop counter of the UDP socket"
stop srv

# ------------------------------------------------------------ CMD fights back
S=$T/tamper.log
start tamper "$S" --policy "$T/ingress.yaml" --log "$T/tamper.json" -- \
	python3 "$ING" tamper "$S" 7010 7001 || bail_out "tamper"
expect_reach h10 $C4:7010 "$S" "tcp 7010 198.51.100.10" \
	"tamper: the allowed host is accepted (and CMD tries the accepted socket)"
for what in detach replace unlock attach-bpf udp-detach udp-replace \
	udp-unlock udp-attach-bpf child-detach child-replace; do
	if grep -q "^$what EPERM$" "$T/tamper.out"; then
		ok "CMD's $what on a filtered socket: EPERM"
	else
		not_ok "CMD's $what on a filtered socket: EPERM"
		show tamper
	fi
done
like "$(grep '^filter' "$T/tamper.out" | tr '\n' ' ')" \
	"^filter ([1-9][0-9]*) ([1-9][0-9]*) filter-after \1 \2 $" \
	"the filters CMD sees before and after its attempts are the same"
expect_no_reach h20 $C4:7010 "$S" "tcp 7010 198.51.100.20" \
	"after CMD's attempts the denied host is still dropped (tcp)"
udp h20 $C4:7001; udp h10 $C4:7001
seen "$S" "udp 7001 198.51.100.10"
file_unlike "$S" "^udp 7001 198\.51\.100\.20$" \
	"after CMD's attempts the denied host is still dropped (udp)"
stop tamper

# CMD locks the filter of its socket before listen(), so that ours could
# not go on: the listen is refused
es_run preempt --policy "$T/ingress.yaml" --log "$T/preempt.json" -- \
	python3 "$ING" preempt-locked 7012
expect_line preempt "^listen EPERM$" "CMD locks its socket's filter before listen(): listen fails with EPERM"
expect_json "$T/preempt.json" "log: the listen is denied, reason locked_filter" \
	event=ingress verdict=deny call=listen reason=locked_filter errno=EPERM
like "$(cat "$T/preempt.err")" "DENY listen tcp \[::\]:7012 pid [0-9]+ \([^)]+\): the socket has a locked filter" \
	"one human line says why"

# A filter of CMD's own (unlocked, on UDP, where it needs no capability)
# runs after ours: both must pass
S=$T/own.log
start own "$S" --policy "$T/ingress.yaml" --log "$T/own.json" -- \
	python3 "$ING" preempt-own "$S" 7001 || bail_out "own"
udp h10 $C4:7001; udp h5 $C4:7001; udp h20 $C4:7001
check "CMD's own filter and ours: the host both accept arrives" \
	seen "$S" "udp 7001 198.51.100.10"
sleep 0.3
file_unlike "$S" "^udp 7001 203\.0\.113\.5$" \
	"CMD's own filter still drops what it dropped (a host the policy allows)"
file_unlike "$S" "^udp 7001 198\.51\.100\.20$" \
	"CMD's own accepting filter does not open the port to the denied host"
expect_json "$T/own.json" "log: the two filters are composed" \
	event=ingress call=bind port=7001 filter=composed
stop own

# ------------------------------------------------------------ socket activation
S=$T/act.log
start act "$S" --policy "$T/ingress.yaml" --log "$T/act.json" \
	--listen :7020 --listen "[::]:7021/udp" -- \
	python3 "$ING" activated "$S" || bail_out "activation"
expect_line act "^fds 2 pid ok$" "--listen: LISTEN_FDS=2, LISTEN_PID is CMD's pid"
expect_line act "^fd 3 tcp port 7020 listening 1 filter [1-9]" "--listen: fd 3 is the listening, filtered TCP socket"
expect_line act "^fd 4 udp port 7021 listening 0 filter [1-9]" "--listen: fd 4 is the bound, filtered UDP socket"
if grep -q "^fd 5 open" "$T/act.out"; then
	not_ok "--listen: nothing else is passed"
else
	ok "--listen: nothing else is passed"
fi
expect_reach h10 $C4:7020 "$S" "tcp 7020 198.51.100.10" \
	"--listen tcp: the allowed host is accepted"
expect_no_reach h20 $C4:7020 "$S" "tcp 7020 198.51.100.20" \
	"--listen tcp: the denied host is dropped"
udp h10 "[$C6]:7021"; udp h20 "[$C6]:7021"; udp h20 $C4:7021
check "--listen udp: the allowed host's datagram arrives" \
	seen "$S" "udp 7021 2001:db8:2::10"
sleep 0.3
file_unlike "$S" "^udp 7021 (198\.51\.100\.20|2001:db8:2::20)$" \
	"--listen udp: the denied host's datagrams do not"
expect_json "$T/act.json" "log: the --listen sockets are logged" \
	event=ingress call=--listen proto=udp port=7021 reason=filter_attached
stop act

# --listen without an ingress section: the same sockets, unfiltered
S=$T/act2.log
start act2 "$S" --log "$T/act2.json" --listen "$C4:7020" -- \
	python3 "$ING" activated "$S" || bail_out "activation 2"
expect_line act2 "^fd 3 tcp port 7020 listening 1 filter 0$" \
	"--listen without ingress: an unfiltered listening socket"
expect_reach h20 $C4:7020 "$S" "tcp 7020 198.51.100.20" \
	"--listen without ingress: every host is accepted"
stop act2
es_run actbad --listen "[::1]:99999" -- true
expect_rc 125 actbad "--listen with a bad port: exit status 125"
like "$(cat "$T/actbad.err")" "--listen '\[::1\]:99999': expected \[ADDR\]:PORT\[/udp\]" \
	"--listen with a bad port: says what was expected"

# ------------------------------------------------------------ other calls
S=$T/retry.log
in_client python3 -c 'import socket,time; s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM); s.bind(("::",7030)); time.sleep(30)' &
_world_pids="$_world_pids $!"
sleep 0.3
start retry "$S" --policy "$T/ingress.yaml" --log "$T/retry.json" -- \
	python3 "$ING" udp-retry "$S" 7030 7001 || bail_out "retry"
expect_line retry "^bind 7030 EADDRINUSE$" "udp bind to a port in use: EADDRINUSE, as from the kernel"
expect_line retry "^bind 7001 OK$" "udp bind retried on another port: OK"
expect_json "$T/retry.json" "log: the retried bind finds the filter in place" \
	event=ingress call=bind port=7001 filter=kept
udp h10 $C4:7001; udp h20 $C4:7001
check "the retried bind is filtered: the allowed host's datagram arrives" \
	seen "$S" "udp 7001 198.51.100.10"
sleep 0.3
file_unlike "$S" "^udp 7001 198\.51\.100\.20$" "the retried bind is filtered: the denied host's does not"
stop retry

es_run mptcp --policy "$T/ingress.yaml" -- python3 "$ING" mptcp
expect_line mptcp "^mptcp ENOPROTOOPT$" \
	"MPTCP sockets under an ingress policy: ENOPROTOOPT (the kernel cannot filter them)"

mkdir -p "$T/ub" && chmod 777 "$T/ub"
es_run ubind --policy "$T/ingress.yaml" --user 65534:65534 -- \
	python3 "$ING" unix-bind "$T/ub"
expect_line ubind "^bound relative-socket-name-long-enough.sock uid 65534 mode 750 name relative-socket-name-long-enough.sock$" \
	"unix bind, relative path: in CMD's directory, CMD's uid and umask, its own name"
expect_line ubind "^bound absolute-socket-name-long-enough.sock uid 65534 mode 750 name $T/ub/absolute" \
	"unix bind, absolute path: CMD's uid and umask"
like "$(grep -c '^connect OK' "$T/ubind.out")" "^2$" "unix bind: both sockets accept connections"

es_run priv --policy "$T/ingress.yaml" --user 65534:65534 -- python3 "$ING" bind 80
expect_line priv "^bind EACCES$" "uid 65534 binds UDP port 80: EACCES, as from the kernel"
es_run priv0 --policy "$T/ingress.yaml" -- python3 "$ING" bind 80
expect_line priv0 "^bind OK$" "uid 0 binds UDP port 80: OK"

# The seccomp filter notifies listen() and bind() only with an ingress section
"$ES_BIN" --policy "$T/ingress.yaml" --dump-filter >"$T/dump1.out" 2>&1
printf 'version: 1\n' >"$T/plain.yaml"
"$ES_BIN" --policy "$T/plain.yaml" --dump-filter >"$T/dump2.out" 2>&1
file_like "$T/dump1.out" 'syscall "listen"' "--dump-filter: with an ingress section, listen() notifies"
file_like "$T/dump1.out" 'syscall "bind"' "--dump-filter: with an ingress section, bind() notifies"
file_unlike "$T/dump2.out" 'syscall "(listen|bind)"' "--dump-filter: without one, neither does"

# ------------------------------------------------------------ audit, none
S=$T/audit.log
sed 's/^version: 1$/version: 1\nmode: audit/' "$T/ingress.yaml" >"$T/audit.yaml"
start audit "$S" --policy "$T/audit.yaml" --log "$T/audit.json" -- \
	python3 "$ING" serve "$S" tcp46:7000 || bail_out "audit"
expect_reach h20 $C4:7000 "$S" "tcp 7000 198.51.100.20" \
	"mode: audit: no filter, the denied host is accepted"
expect_json "$T/audit.json" "mode: audit: logged as what would be filtered" \
	event=ingress verdict=audit call=listen port=7000 reason=would_filter
stop audit

S=$T/none.log
start none "$S" --allow 198.51.100.10 --log "$T/none.json" -- \
	python3 "$ING" serve "$S" tcp46:7000 udp46:7001 || bail_out "none"
expect_reach h20 $C4:7000 "$S" "tcp 7000 198.51.100.20" \
	"no ingress section: the denied host is accepted, as before"
udp h20 $C4:7001
check "no ingress section: udp too" seen "$S" "udp 7001 198.51.100.20"
file_unlike "$T/none.json" '"event":"ingress' "no ingress section: no ingress line in the log"
stop none

done_testing
