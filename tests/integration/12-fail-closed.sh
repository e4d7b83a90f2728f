#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 12-fail-closed.sh - kill -9 the supervisor: CMD lives on, but each of
# its filtered calls (connect, sendto, sendmsg, sendmmsg) now fails with
# ENOSYS, and neither the allowed nor the denied host sees a packet.

. "$(dirname "$0")/lib.sh"
require_root
require_bins
world_up
world_selftest

A=198.51.100.10
D=198.51.100.20

ip netns exec "$NS_CLIENT" "$ES_BIN" --allow $A -- /bin/sh -c "
	'$NET' tcp $A:22
	'$NET' -w '$T/go' tcp $A:22
	'$NET' tcp $D:22
	'$NET' -n tcp $A:22
	'$NET' udp-sendto $A:5000
	'$NET' udp-sendto $D:5000
	'$NET' udp-sendmsg $A:5000
	'$NET' udp-sendmmsg $A:5000 $A:5000
	'$NET' udp-connect $A:5000
	echo done" >"$T/fc.out" 2>"$T/fc.err" </dev/null &
sup=$!
( sleep 60; kill -9 $sup 2>/dev/null ) >/dev/null 2>&1 &
_world_pids="$_world_pids $!"

if ! wait_for_line "$T/fc.out" "^ready pid=" 10; then
	kill -9 $sup
	bail_out "CMD did not start: $(cat "$T/fc.out" "$T/fc.err")"
fi
RC=
expect_line fc "^connect $A:22 OK$" "while the supervisor lives, the allowed connect works"
comm=$(cat /proc/$sup/comm 2>/dev/null)
like "$comm" "^egress-supervis" "the process to kill is egress-supervise (comm '$comm')"

world_reset
kill -9 $sup
wait $sup
RC=$?
is "$RC" 137 "egress-supervise died of SIGKILL"
touch "$T/go"
if wait_for_line "$T/fc.out" "^done$" 15; then
	ok "CMD lives on after the supervisor's death"
else
	not_ok "CMD lives on after the supervisor's death"
	show fc
fi

expect_line fc "^connect $A:22 ENOSYS$" "after the kill, connect to the allowed host fails with ENOSYS"
expect_line fc "^connect $D:22 ENOSYS$" "after the kill, connect to the denied host fails with ENOSYS"
expect_line fc "^sendto $A:5000 ENOSYS$" "after the kill, UDP sendto (allowed host) fails with ENOSYS"
expect_line fc "^sendto $D:5000 ENOSYS$" "after the kill, UDP sendto (denied host) fails with ENOSYS"
expect_line fc "^sendmsg $A:5000 ENOSYS$" "after the kill, sendmsg fails with ENOSYS"
expect_line fc "^sendmmsg 2 ENOSYS$" "after the kill, sendmmsg fails with ENOSYS"
expect_line fc "^connect $A:5000 ENOSYS$" "after the kill, UDP connect fails with ENOSYS"
sed '1,/^ready pid=/d' "$T/fc.out" >"$T/after.out"
file_unlike "$T/after.out" " OK( |$)" "after the kill, no call succeeded"
sleep 0.3
expect_count h10 0 "after the kill, the allowed host saw 0 packets"
expect_count h20 0 "after the kill, the denied host saw 0 packets"
expect_count net 0 "after the kill, the router forwarded 0 packets from the client"

done_testing
