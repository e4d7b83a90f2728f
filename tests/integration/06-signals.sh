#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 06-signals.sh - egress-supervise forwards SIGTERM SIGINT SIGHUP SIGQUIT
# SIGUSR1 SIGUSR2 to CMD and exits with CMD's status; CMD starts with an
# empty signal mask. No network: a private network namespace (as root).
#
# Background jobs of a script start with SIGINT/SIGQUIT ignored; a container
# runtime does not do that, so every run goes through env --default-signal.

. "$(dirname "$0")/lib.sh"
require_bins
world_lite
env --default-signal true 2>/dev/null || skip_all "needs env --default-signal (coreutils >= 8.31)"

SIG="$ES_HELPERS/es-sig"

# start_bg NAME ARGS...: egress-supervise in the background, $BG its pid,
# killed after 30 s whatever happens
start_bg() {
	local name=$1
	shift
	"${IN_WORLD[@]}" env --default-signal "$ES_BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
	BG=$!
	( sleep 30; kill -9 "$BG" 2>/dev/null ) >/dev/null 2>&1 &
	_world_pids="$_world_pids $!"
}

for s in TERM INT HUP QUIT USR1 USR2; do
	start_bg $s -- "$SIG" wait 7
	if ! wait_for_line "$T/$s.out" "^ready pid=" 10; then
		not_ok "SIG$s: CMD did not start"
		kill -9 $BG 2>/dev/null
		wait $BG
		RC=$?
		show $s
		continue
	fi
	cmdpid=$(sed -n 's/^ready pid=//p' "$T/$s.out")
	kill -s $s $BG
	wait $BG
	RC=$?
	expect_line $s "^got SIG$s$" "SIG$s sent to egress-supervise reaches CMD"
	expect_rc 7 $s "SIG$s: egress-supervise exits with CMD's status (7)"
	if [ "$cmdpid" != "$BG" ]; then ok "SIG$s: CMD runs as a child (pid $cmdpid)"
	else not_ok "SIG$s: CMD runs as a child (pid $cmdpid)"; fi
done

# A CMD without handlers dies of the forwarded signal: 128+N, and it is
# gone when egress-supervise exits (not merely the supervisor killed).
for s in TERM:143 HUP:129 USR1:138; do
	n=${s#*:}
	s=${s%:*}
	start_bg nh$s -- /bin/sh -c 'echo "ready pid=$$"; exec sleep 20'
	wait_for_line "$T/nh$s.out" "^ready pid=" 10
	cmdpid=$(sed -n 's/^ready pid=//p' "$T/nh$s.out")
	kill -s $s $BG
	wait $BG
	RC=$?
	expect_rc $n nh$s "SIG$s forwarded to a CMD without handler: exit $n"
	if [ -n "$cmdpid" ] && ! kill -0 "$cmdpid" 2>/dev/null; then
		ok "SIG$s: CMD is gone when egress-supervise exits"
	else
		not_ok "SIG$s: CMD is gone when egress-supervise exits"
		diag "CMD pid '$cmdpid' still exists"
		[ -n "$cmdpid" ] && kill -9 "$cmdpid" 2>/dev/null
	fi
done

# CMD inherits no blocked signal (the supervisor's signalfd mask) and no
# ignored one.
in_world env --default-signal "$ES_BIN" -- "$SIG" mask 0 >"$T/mask.out" 2>"$T/mask.err"
RC=$?
expect_line mask "^SigBlk:[[:space:]]+0+$" "CMD starts with an empty signal mask"
# (signals 1-31: glibc reserves 32 and 33, which env cannot reset)
ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "$T/mask.out")
if [ -n "$ign" ] && [ $(( 0x$ign & 0x7fffffff )) -eq 0 ]; then
	ok "CMD starts with no ignored signal (SigIgn $ign)"
else
	not_ok "CMD starts with no ignored signal (SigIgn '$ign')"
	show mask
fi

done_testing
