#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 02-tcp-connect.sh - TCP connect allowed and denied, blocking and
# non-blocking; the kernel's answers (ECONNREFUSED) come through; a denied
# host sees no packet; each decision is logged (JSON) and each denial also
# on stderr in one human line.

. "$(dirname "$0")/lib.sh"
require_root
require_bins
world_up
world_selftest
world_loopback_server

A=198.51.100.10
D=198.51.100.20
ALLOW=(--allow "$A")

# --- allowed, blocking
es_run ab "${ALLOW[@]}" -- "$NET" -r tcp $A:22
expect_rc 0 ab "allowed blocking connect: exit 0"
expect_line ab "^connect $A:22 OK$" "allowed blocking connect returns 0"
expect_line ab "^recv $A:22 OK SSH-2.0-es-test h10" "allowed: the banner arrives"
file_like "$(world_log h10)" "^tcp 22 data 192.0.2.2 es-net $A:22$" \
	"allowed: the server got our data from the client's address"

# --- allowed, non-blocking + poll
world_reset
es_run an "${ALLOW[@]}" -- "$NET" -n -r tcp $A:22
expect_line an "^connect $A:22 EINPROGRESS$" "allowed non-blocking connect returns EINPROGRESS"
expect_line an "^poll $A:22 OK$" "allowed non-blocking connect completes (poll, SO_ERROR 0)"
expect_line an "^recv $A:22 OK SSH-2.0-es-test h10" "allowed non-blocking: the banner arrives"

# --- closed port on an allowed host: the kernel's answer
world_reset
es_run rb "${ALLOW[@]}" -- "$NET" tcp $A:23
expect_line rb "^connect $A:23 ECONNREFUSED$" "closed port, blocking: ECONNREFUSED"
expect_some h10 "closed port: the SYN did reach the allowed host"
es_run rn "${ALLOW[@]}" -- "$NET" -n tcp $A:23
expect_line rn "^poll $A:23 ECONNREFUSED$" "closed port, non-blocking: SO_ERROR ECONNREFUSED"

# --- denied host, blocking and non-blocking
world_reset
es_run db "${ALLOW[@]}" -- "$NET" -r tcp $D:22
expect_rc 1 db "denied blocking connect: CMD sees the failure"
expect_line db "^connect $D:22 EACCES$" "denied blocking connect fails with EACCES"
es_run dn "${ALLOW[@]}" -- "$NET" -n tcp $D:22
expect_line dn "^connect $D:22 EACCES$" "denied non-blocking connect fails with EACCES at once"
expect_count h20 0 "the denied host saw 0 packets"
file_unlike "$(world_log h20)" "accept" "the denied host's server accepted nothing"

# --- port and protocol of a rule
world_reset
es_run dp --allow "$A:22/tcp" -- "$NET" tcp $A:80
expect_line dp "^connect $A:80 EACCES$" "rule $A:22/tcp denies port 80"
expect_count h10 0 "port 80: the host saw 0 packets"
es_run dpu --allow "$A:22/udp" -- "$NET" tcp $A:22
expect_line dpu "^connect $A:22 EACCES$" "rule $A:22/udp denies tcp port 22"
expect_count h10 0 "tcp to a udp rule: the host saw 0 packets"
es_run pr --allow "$A:20-25/tcp" -- "$NET" tcp $A:22
expect_line pr "^connect $A:22 OK$" "port range 20-25 allows 22"
es_run cidr --allow 203.0.113.0/24:22/tcp -- "$NET" tcp 203.0.113.5:22
expect_line cidr "^connect 203.0.113.5:22 OK$" "CIDR 203.0.113.0/24:22/tcp allows 203.0.113.5:22"
es_run none -- "$NET" tcp 203.0.113.5:22
expect_line none "^connect 203.0.113.5:22 EACCES$" "no rule: denied"

# --- MPTCP is decided as TCP
world_reset
es_run mp "${ALLOW[@]}" -- "$NET" -P mptcp tcp $D:22
expect_line mp "^connect $D:22 EACCES$" "MPTCP connect to the denied host: EACCES"
es_run mpa "${ALLOW[@]}" -- "$NET" -P mptcp tcp $A:22
expect_line mpa "^connect $A:22 OK$" "MPTCP connect to the allowed host: OK"
expect_count h20 0 "MPTCP: the denied host saw 0 packets"

# --- --deny-errno
es_run de --deny-errno ECONNREFUSED "${ALLOW[@]}" -- "$NET" tcp $D:22
expect_line de "^connect $D:22 ECONNREFUSED$" "--deny-errno ECONNREFUSED changes the errno"

# --- loopback is always allowed
es_run lo -- "$NET" -r tcp 127.0.0.1:22
expect_line lo "^recv 127.0.0.1:22 OK SSH-2.0-es-test client" "loopback (127.0.0.1) allowed without a rule"
es_run lo6 -- "$NET" -r tcp '[::1]:22'
expect_line lo6 "^recv \[::1\]:22 OK SSH-2.0-es-test client" "loopback (::1) allowed without a rule"

# --- logging
world_reset
es_run log "${ALLOW[@]}" --log "$T/decisions.log" -- /bin/sh -c \
	"'$NET' -w /dev/null tcp $D:22; '$NET' tcp $A:22"
pid=$(sed -n 's/^ready pid=//p' "$T/log.out")
expect_line log "^connect $D:22 EACCES$" "log run: denied"
expect_line log "^connect $A:22 OK$" "log run: allowed"
expect_json "$T/decisions.log" "JSON log: a deny line for the denied connect" \
	event=connect verdict=deny proto=tcp dst=$D port=22 pid="$pid" comm=es-net
expect_json "$T/decisions.log" "JSON log: an allow line for the allowed connect" \
	event=connect verdict=allow proto=tcp dst=$A port=22
if "$PYTHON" -m json.tool --json-lines "$T/decisions.log" >/dev/null 2>&1; then
	ok "JSON log: python3 -m json.tool --json-lines accepts every line"
else
	not_ok "JSON log: python3 -m json.tool --json-lines accepts every line"
	diag_file "$T/decisions.log"
fi
file_like "$T/log.err" \
	"^egress-supervise: DENY tcp $D:22 pid $pid \(es-net\): .+" \
	"human DENY line on stderr names proto, address, port, pid, comm, reason"
file_unlike "$T/log.err" "DENY tcp $A:22" "no DENY line for the allowed connect"
if [ "$(grep -Ec '"event" *: *"connect"' "$T/decisions.log" 2>/dev/null)" = 2 ]; then
	ok "one JSON line per decision (2 connects, 2 lines)"
else
	not_ok "one JSON line per decision (2 connects, 2 lines)"
	diag_file "$T/decisions.log"
fi

# without --log the JSON lines go to stderr
es_run log2 "${ALLOW[@]}" -- "$NET" tcp $D:22
expect_json "$T/log2.err" "without --log: the JSON deny line is on stderr" \
	event=connect verdict=deny dst=$D port=22
es_run log3 "${ALLOW[@]}" --log - -- "$NET" tcp $D:22
expect_json "$T/log3.err" "--log -: the JSON deny line is on stderr" \
	event=connect verdict=deny dst=$D port=22

expect_count h20 0 "in the end, the denied host saw 0 packets"
done_testing
