#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 04-ipv6.sh - IPv6 allowed and denied (TCP and UDP), and v4-mapped IPv6
# addresses on AF_INET6 sockets decided as the IPv4 addresses they are.

. "$(dirname "$0")/lib.sh"
require_root
require_bins
world_up
world_selftest

A6=2001:db8:2::10
D6=2001:db8:2::20
O6=2001:db8:3::5
A=198.51.100.10
D=198.51.100.20
ALLOW=(--allow "$A6/128" --allow "[$O6]:80/tcp" --allow "$A")

es_run t "${ALLOW[@]}" -- "$NET" -r tcp "[$A6]:22"
expect_line t "^connect \[$A6\]:22 OK$" "v6 connect to the allowed host: OK"
expect_line t "^recv \[$A6\]:22 OK SSH-2.0-es-test h10" "v6: the banner arrives"
es_run tn "${ALLOW[@]}" -- "$NET" -n tcp "[$A6]:22"
expect_line tn "^connect \[$A6\]:22 EINPROGRESS$" "v6 non-blocking connect: EINPROGRESS"
expect_line tn "^poll \[$A6\]:22 OK$" "v6 non-blocking connect completes"
es_run r "${ALLOW[@]}" -- "$NET" tcp "[$A6]:23"
expect_line r "^connect \[$A6\]:23 ECONNREFUSED$" "v6 closed port: ECONNREFUSED"

world_reset
es_run d "${ALLOW[@]}" -- "$NET" tcp "[$D6]:22"
expect_line d "^connect \[$D6\]:22 EACCES$" "v6 connect to the denied host: EACCES"
es_run dn "${ALLOW[@]}" -- "$NET" -n tcp "[$D6]:22"
expect_line dn "^connect \[$D6\]:22 EACCES$" "v6 non-blocking connect to the denied host: EACCES"
expect_count h20 0 "v6: the denied host saw 0 packets"

es_run o "${ALLOW[@]}" -- "$NET" tcp "[$O6]:80"
expect_line o "^connect \[$O6\]:80 OK$" "rule [$O6]:80/tcp allows port 80"
world_reset
es_run o22 "${ALLOW[@]}" -- "$NET" tcp "[$O6]:22"
expect_line o22 "^connect \[$O6\]:22 EACCES$" "rule [$O6]:80/tcp denies port 22"
expect_count h5 0 "port 22 of [$O6]: the host saw 0 packets"

world_reset
es_run u "${ALLOW[@]}" -- "$NET" udp-sendto "[$A6]:5000" "[$D6]:5000" "[$A6]:5001"
expect_line u "^sendto \[$A6\]:5000 OK" "v6 UDP sendto the allowed host: OK"
expect_line u "^sendto \[$D6\]:5000 EACCES$" "v6 UDP sendto the denied host: EACCES"
wait_for_line "$(world_log h10)" "#2$"
file_like "$(world_log h10)" "^udp 5000 2001:db8:1::2 es-net \[$A6\]:5000 #0$" "v6 UDP: datagram received"
file_like "$(world_log h10)" "^udp 5001 2001:db8:1::2 es-net \[$A6\]:5001 #2$" "v6 UDP: /128 without ports allows every port"
es_run um "${ALLOW[@]}" -- "$NET" udp-sendmmsg "[$A6]:5000" "[$D6]:5000"
expect_line um "^sendmmsg 2 OK 1 " "v6 mixed sendmmsg returns 1"
expect_count h20 0 "v6 UDP: the denied host saw 0 packets"

# v4-mapped addresses on AF_INET6 sockets are IPv4
world_reset
es_run m --allow "$A" -- "$NET" -s inet6 -a mapped -r tcp $A:22
expect_line m "^connect $A:22 OK$" "::ffff:$A allowed by the IPv4 rule $A"
expect_line m "^recv $A:22 OK SSH-2.0-es-test h10" "v4-mapped: the banner arrives"
es_run md --allow "$A" -- "$NET" -s inet6 -a mapped tcp $D:22
expect_line md "^connect $D:22 EACCES$" "::ffff:$D denied (no IPv4 rule)"
es_run mu --allow "$A" -- "$NET" -s inet6 -a mapped udp-sendto $D:5000 $A:5000
expect_line mu "^sendto $D:5000 EACCES$" "v4-mapped UDP to the denied host: EACCES"
expect_line mu "^sendto $A:5000 OK" "v4-mapped UDP to the allowed host: OK"
expect_count h20 0 "v4-mapped: the denied host saw 0 packets"

# An IPv6 rule covering everything must not allow a v4-mapped address:
# the packet leaves as IPv4, so only IPv4 rules count.
world_reset
es_run all6 --allow ::/0 -- "$NET" tcp "[$D6]:22"
expect_line all6 "^connect \[$D6\]:22 OK$" "--allow ::/0 allows a native IPv6 address"
world_reset
es_run m6 --allow ::/0 -- "$NET" -s inet6 -a mapped tcp $D:22
expect_line m6 "^connect $D:22 EACCES$" "--allow ::/0 does not allow ::ffff:$D (it is IPv4)"
es_run m6u --allow ::/0 -- "$NET" -s inet6 -a mapped udp-sendto $D:5000
expect_line m6u "^sendto $D:5000 EACCES$" "--allow ::/0 does not allow UDP to ::ffff:$D"
es_run m6mm --allow ::/0 -- "$NET" -s inet6 udp-sendmmsg "[$A6]:5000" "[::ffff:$D]:5000"
expect_line m6mm "^sendmmsg 2 OK 1 " "--allow ::/0: sendmmsg stops at the v4-mapped message"
expect_count h20 0 "::/0 rule: no IPv4 packet reached the denied host"
es_run m6l --allow ::/0 --log "$T/m6.log" -- "$NET" -s inet6 -a mapped tcp $D:22
expect_json "$T/m6.log" "JSON log names the IPv4 address of a v4-mapped destination" \
	verdict=deny dst=$D port=22

done_testing
