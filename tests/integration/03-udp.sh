#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 03-udp.sh - UDP sendto, sendmsg, sendmmsg (also with mixed destinations)
# and connect+send: what the servers receive is the verdict.

. "$(dirname "$0")/lib.sh"
require_root
require_bins
world_up
world_selftest

A=198.51.100.10
D=198.51.100.20
ALLOW=(--allow "$A:5000/udp")
LA=$(world_log h10)
LD=$(world_log h20)

for op in sendto sendmsg; do
	world_reset
	es_run $op "${ALLOW[@]}" -- "$NET" udp-$op $A:5000 $A:5001 $D:5000 $A:5000
	expect_line $op "^$op $A:5000 OK 29$" "$op to the allowed port: OK, all bytes"
	expect_line $op "^$op $A:5001 EACCES$" "$op to another port of the host: EACCES"
	expect_line $op "^$op $D:5000 EACCES$" "$op to the denied host: EACCES"
	wait_for_line "$LA" "#3$"
	file_like "$LA" "^udp 5000 192.0.2.2 es-net $A:5000 #0$" "$op: datagram #0 received"
	file_like "$LA" "^udp 5000 192.0.2.2 es-net $A:5000 #3$" "$op: datagram #3 received (the socket works after a denial)"
	file_unlike "$LA" "^udp 5001" "$op: nothing arrived on the denied port"
	expect_count h20 0 "$op: the denied host saw 0 packets"
done

# sendmmsg, all allowed
world_reset
es_run mm "${ALLOW[@]}" -- "$NET" udp-sendmmsg $A:5000 $A:5000 $A:5000
expect_line mm "^sendmmsg 3 OK 3 29 29 29$" "sendmmsg of 3 allowed messages returns 3, msg_len set"
wait_for_line "$LA" "#2$"
for i in 0 1 2; do
	file_like "$LA" "^udp 5000 192.0.2.2 es-net $A:5000 #$i$" "sendmmsg: message #$i received"
done

# sendmmsg with mixed destinations: the kernel stops at the first failing
# message and reports how many were sent.
world_reset
es_run mx "${ALLOW[@]}" -- "$NET" udp-sendmmsg $A:5000 $D:5000 $A:5000
expect_line mx "^sendmmsg 3 OK 1 29$" "mixed sendmmsg (allowed, denied, allowed) returns 1"
wait_for_line "$LA" "#0$"
sleep 0.3
file_like "$LA" "^udp 5000 192.0.2.2 es-net $A:5000 #0$" "mixed sendmmsg: message #0 received"
file_unlike "$LA" "#2$" "mixed sendmmsg: message #2 (after the denied one) not sent"
expect_count h20 0 "mixed sendmmsg: the denied host saw 0 packets"

world_reset
es_run mx0 "${ALLOW[@]}" -- "$NET" udp-sendmmsg $D:5000 $A:5000
expect_line mx0 "^sendmmsg 2 EACCES$" "sendmmsg whose first message is denied: EACCES"
sleep 0.3
file_unlike "$LA" "es-net" "first denied: nothing sent to the allowed host either"
expect_count h20 0 "first denied: the denied host saw 0 packets"

world_reset
es_run mx2 "${ALLOW[@]}" -- "$NET" udp-sendmmsg $A:5000 $A:5001
expect_line mx2 "^sendmmsg 2 OK 1 29$" "sendmmsg (allowed port, denied port) returns 1"

# connect + send
world_reset
es_run c "${ALLOW[@]}" -- "$NET" udp-connect $A:5000
expect_line c "^connect $A:5000 OK$" "UDP connect to the allowed port: OK"
expect_line c "^send $A:5000 OK" "send on the connected socket: OK"
file_like "$LA" "^udp 5000 192.0.2.2 es-net $A:5000$" "connect+send: received"
es_run cd "${ALLOW[@]}" -- "$NET" udp-connect $D:5000
expect_line cd "^connect $D:5000 EACCES$" "UDP connect to the denied host: EACCES"

# a connected socket's sendto with another address is decided again
es_run cs "${ALLOW[@]}" -- "$NET" udp-connected-sendto $A:5000 $D:5000
expect_line cs "^connect $A:5000 OK$" "connected to the allowed peer"
expect_line cs "^sendto $D:5000 EACCES$" "then sendto the denied host: EACCES"
expect_count h20 0 "connect+send: the denied host saw 0 packets"

# --deny-errno applies to sends too
es_run de --deny-errno EPERM "${ALLOW[@]}" -- "$NET" udp-sendto $D:5000
expect_line de "^sendto $D:5000 EPERM$" "--deny-errno EPERM: sendto fails with EPERM"

# log: a send decision
es_run lg "${ALLOW[@]}" --log "$T/udp.log" -- "$NET" udp-sendto $D:5000
expect_json "$T/udp.log" "JSON log: a deny line for the UDP send" \
	verdict=deny proto=udp dst=$D port=5000
file_like "$T/lg.err" "^egress-supervise: DENY udp $D:5000 pid [0-9]+ \(es-net\): " \
	"human DENY line for the UDP send"

expect_count h20 0 "in the end, the denied host saw 0 packets"
done_testing
