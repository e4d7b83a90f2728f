#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 05-family-quirks.sh - the kernel's address family quirks: an AF_UNSPEC
# tagged address on an IPv4 UDP socket is sent as IPv4, an AF_INET sockaddr
# on an AF_INET6 UDP socket is sent as IPv4. The supervisor must decide
# them as the kernel sends them. The world self-test has shown, without the
# supervisor, that these sends do reach the hosts.

. "$(dirname "$0")/lib.sh"
require_root
require_bins
world_up
world_selftest

A=198.51.100.10
D=198.51.100.20
LA=$(world_log h10)

# Show first that the quirks are real on this kernel (no supervisor).
direct q1 "$NET" -a unspec udp-sendto $A:5001
direct q2 "$NET" -s inet6 -a inet udp-sendto $A:5001
wait_for_line "$LA" "^udp 5001 192.0.2.2 es-net $A:5001 #0$" 3
if [ "$(grep -c "^udp 5001 192.0.2.2 es-net $A:5001 #0$" "$LA")" = 2 ]; then
	ok "without supervisor, both quirky sends arrive as IPv4"
else
	not_ok "without supervisor, both quirky sends arrive as IPv4"
	show q1
	show q2
	diag_file "$LA"
fi
world_reset

for op in sendto sendmsg; do
	es_run u$op --allow $A -- "$NET" -a unspec udp-$op $D:5000 $A:5000
	expect_line u$op "^$op $D:5000 EACCES$" "AF_UNSPEC on udp4, $op to the denied host: EACCES"
	expect_line u$op "^$op $A:5000 OK" "AF_UNSPEC on udp4, $op to the allowed host: OK"
	wait_for_line "$LA" "^udp 5000 192.0.2.2 es-net $A:5000 #1$"
	file_like "$LA" "^udp 5000 192.0.2.2 es-net $A:5000 #1$" \
		"AF_UNSPEC on udp4, $op: the allowed datagram arrives as IPv4"
done
es_run umm --allow $A -- "$NET" -a unspec udp-sendmmsg $A:5000 $D:5000
expect_line umm "^sendmmsg 2 OK 1 " "AF_UNSPEC on udp4, sendmmsg (allowed, denied): 1"
expect_count h20 0 "AF_UNSPEC on udp4: the denied host saw 0 packets"

world_reset
for op in sendto sendmsg; do
	es_run i$op --allow $A -- "$NET" -s inet6 -a inet udp-$op $D:5000 $A:5000
	expect_line i$op "^$op $D:5000 EACCES$" "AF_INET address on udp6, $op to the denied host: EACCES"
	expect_line i$op "^$op $A:5000 OK" "AF_INET address on udp6, $op to the allowed host: OK"
done
es_run imm --allow $A -- "$NET" -s inet6 -a inet udp-sendmmsg $A:5000 $D:5000
expect_line imm "^sendmmsg 2 OK 1 " "AF_INET address on udp6, sendmmsg (allowed, denied): 1"
es_run ic --allow $A -- "$NET" -s inet6 -a inet udp-connect $D:5000
expect_line ic "^connect $D:5000 EACCES$" "AF_INET address on udp6, connect to the denied host: EACCES"
es_run ica --allow $A -- "$NET" -s inet6 -a inet udp-connect $A:5000
expect_line ica "^send $A:5000 OK" "AF_INET address on udp6, connect+send to the allowed host: OK"
expect_count h20 0 "AF_INET on udp6: the denied host saw 0 packets"

# An IPv6-only policy must not let these IPv4 packets out.
world_reset
es_run i6 --allow ::/0 -- "$NET" -s inet6 -a inet udp-sendto $D:5000
expect_line i6 "^sendto $D:5000 EACCES$" "--allow ::/0: an AF_INET address on udp6 is still IPv4: EACCES"
es_run u6 --allow ::/0 -- "$NET" -a unspec udp-sendto $D:5000
expect_line u6 "^sendto $D:5000 EACCES$" "--allow ::/0: AF_UNSPEC on udp4 is IPv4: EACCES"
expect_count h20 0 "IPv6-only policy: the denied host saw 0 packets"

# TCP rejects an AF_INET address on an AF_INET6 socket: the emulation must
# give the kernel's answer, not connect.
world_reset
direct tk "$NET" -s inet6 -a inet tcp $A:22
want=$(sed -n "s/^connect $A:22 //p" "$T/tk.out")
es_run tk --allow $A -- "$NET" -s inet6 -a inet tcp $A:22
expect_line tk "^connect $A:22 ($want|EACCES)$" "AF_INET address on a TCP6 socket: the kernel's answer ($want) or a denial"
expect_count h10 0 "AF_INET address on a TCP6 socket: nothing sent"

done_testing
