#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 11-blackhole.sh - 200 blocking connects to an allowed address whose
# packets vanish (nft drop on the router) must not delay another process'
# connect to a live host: a supervisor that waits for a connect in its loop
# would stall everyone for minutes. The live connect must take < 1 s.

. "$(dirname "$0")/lib.sh"
require_root
require_bins
world_up
world_selftest

A=198.51.100.10
BH=198.51.100.99
LIMIT_MS=${ES_BLACKHOLE_LIMIT_MS:-1000}

# live_ms NAME: the live connect's milliseconds from NAME's output, or 99999
live_ms() {
	local ms
	ms=$(sed -n "s/^connect $A:22 OK ms=\([0-9]*\).*/\1/p" "$T/$1.out")
	echo "${ms:-99999}"
}

# Without supervisor: the black hole is real (nothing completes in 1 s).
direct bh "$NET" -n -t 1000 tcp $BH:80
expect_line bh "^poll $BH:80 TIMEOUT$" "without supervisor, $BH:80 is a black hole"
world_reset

# 200 threads of one process, then the live connect from another process.
es_run th --allow 198.51.100.0/24 -- /bin/sh -c "
	'$NET' flood 200 $BH:80 >'$T/flood-th.out' 2>&1 &
	i=0
	while ! grep -q '^flood ready' '$T/flood-th.out' && [ \$i -lt 200 ]; do
		sleep 0.05; i=\$((i + 1))
	done
	sleep 0.5
	'$NET' -T tcp $A:22
	cp '$T/flood-th.out' '$T/flood-th.snap'
	kill -9 \$! 2>/dev/null
	exit 0"
if grep -q "^flood ready 200" "$T/flood-th.out"; then
	ok "200 threads are in blocking connects to the black hole"
else
	not_ok "200 threads are in blocking connects to the black hole"
	diag_file "$T/flood-th.out"
fi
ms=$(live_ms th)
if [ "$ms" -lt "$LIMIT_MS" ]; then
	ok "threads: a live connect meanwhile completes in ${ms} ms (< $LIMIT_MS)"
else
	not_ok "threads: a live connect meanwhile completes in < $LIMIT_MS ms"
	show th
fi
# The flood was real: SYNs reached the router, and connects were still
# pending (not all refused at once, which would make the timing moot).
n=$(world_count blackhole)
if [ "$n" -gt 0 ]; then
	ok "threads: the connects went out ($n SYNs dropped by the router)"
else
	not_ok "threads: the connects went out (no SYN reached the router)"
fi
ended=$(grep -c '^flood-connect' "$T/flood-th.snap")
if [ "$ended" -lt 200 ]; then
	ok "threads: $((200 - ended)) of 200 connects were still pending"
else
	not_ok "threads: some connects were still pending (all 200 had ended)"
	diag "$(sort "$T/flood-th.snap" | uniq -c)"
fi

# 200 processes with one blocking connect each
world_reset
es_run pr --allow 198.51.100.0/24 -- /bin/sh -c "
	i=0
	pids=
	while [ \$i -lt 200 ]; do
		'$NET' flood 1 $BH:80 >>'$T/flood-pr.out' 2>&1 &
		pids=\"\$pids \$!\"
		i=\$((i + 1))
	done
	i=0
	while [ \$(grep -c '^flood ready' '$T/flood-pr.out') -lt 200 ] && [ \$i -lt 400 ]; do
		sleep 0.05; i=\$((i + 1))
	done
	sleep 0.5
	'$NET' -T tcp $A:22
	cp '$T/flood-pr.out' '$T/flood-pr.snap'
	kill -9 \$pids 2>/dev/null
	exit 0"
got=$(grep -c '^flood ready' "$T/flood-pr.snap" 2>/dev/null)
if [ "$got" = 200 ]; then
	ok "200 processes are in blocking connects to the black hole"
else
	not_ok "200 processes are in blocking connects to the black hole (got $got)"
fi
ended=$(grep -c '^flood-connect' "$T/flood-pr.snap")
if [ "$ended" -lt 200 ]; then
	ok "processes: $((200 - ended)) of 200 connects were still pending"
else
	not_ok "processes: some connects were still pending (all 200 had ended)"
	diag "$(sort "$T/flood-pr.snap" | uniq -c)"
fi
ms=$(live_ms pr)
if [ "$ms" -lt "$LIMIT_MS" ]; then
	ok "processes: a live connect meanwhile completes in ${ms} ms (< $LIMIT_MS)"
else
	not_ok "processes: a live connect meanwhile completes in < $LIMIT_MS ms"
	show pr
fi

done_testing
