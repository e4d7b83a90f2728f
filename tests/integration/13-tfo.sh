#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 13-tfo.sh - TCP Fast Open: sendto/sendmsg with MSG_FASTOPEN and an
# address connects implicitly, so it is decided like a connect. The denied
# host must see nothing; the allowed one gets the data.

. "$(dirname "$0")/lib.sh"
require_root
require_bins
world_up
world_selftest

A=198.51.100.10
D=198.51.100.20
A6=2001:db8:2::10
D6=2001:db8:2::20
ALLOW=(--allow "$A:22/tcp" --allow "$A6/128:22/tcp")

in_client sysctl -qw net.ipv4.tcp_fastopen=1 >/dev/null
direct base "$NET" -r tfo $D:22
expect_line base "^recv $D:22 OK SSH-2.0-es-test h20" "without supervisor, a TFO sendto reaches $D (the check works)"
world_reset

for op in tfo tfo-msg; do
	call=sendto
	[ $op = tfo-msg ] && call=sendmsg
	es_run $op "${ALLOW[@]}" -- "$NET" $op $D:22
	expect_line $op "^$call $D:22 EACCES$" "MSG_FASTOPEN $call to the denied host: EACCES"
	es_run ${op}6 "${ALLOW[@]}" -- "$NET" $op "[$D6]:22"
	expect_line ${op}6 "^$call \[$D6\]:22 EACCES$" "MSG_FASTOPEN $call to the denied v6 host: EACCES"
	es_run ${op}m "${ALLOW[@]}" -- "$NET" -s inet6 -a mapped $op $D:22
	expect_line ${op}m "^$call $D:22 EACCES$" "MSG_FASTOPEN $call to the denied host, v4-mapped: EACCES"
	es_run ${op}p "${ALLOW[@]}" -- "$NET" $op $A:80
	expect_line ${op}p "^$call $A:80 EACCES$" "MSG_FASTOPEN $call to a denied port of the allowed host: EACCES"
done
expect_count h20 0 "TFO: the denied host saw 0 packets"
file_unlike "$(world_log h10)" "^tcp 80 " "TFO: nothing reached port 80 of the allowed host"

# allowed: the data arrives and the echo comes back (twice: the second
# time with a cookie, the data rides in the SYN)
for i in 1 2; do
	es_run ok$i "${ALLOW[@]}" -- "$NET" -r tfo $A:22
	expect_line ok$i "^sendto $A:22 OK 24$" "MSG_FASTOPEN sendto to the allowed host: all bytes sent (#$i)"
	expect_line ok$i "^recv $A:22 OK SSH-2.0-es-test h10\|\|echo: es-net $A:22\|" \
		"MSG_FASTOPEN sendto to the allowed host: banner and echo (#$i)"
done
es_run okm "${ALLOW[@]}" -- "$NET" -r tfo-msg "[$A6]:22"
expect_line okm "^recv \[$A6\]:22 OK SSH-2.0-es-test h10\|\|echo: es-net \[$A6\]:22\|" \
	"MSG_FASTOPEN sendmsg to the allowed v6 host: banner and echo"

es_run lg "${ALLOW[@]}" --log "$T/tfo.log" -- "$NET" tfo $D:22
expect_json "$T/tfo.log" "JSON log: the TFO denial is logged as tcp" \
	verdict=deny proto=tcp dst=$D port=22
expect_count h20 0 "in the end, the denied host saw 0 packets"
done_testing
