#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 07-reaping.sh - as PID 1 of a pid namespace (unshare -pf --mount-proc),
# egress-supervise reaps the orphans re-parented to it, exits with CMD's
# status, and forwards a SIGTERM sent from the parent namespace.

. "$(dirname "$0")/lib.sh"
require_root
require_bins
require_cmd unshare
world_lite
unshare -pf --mount-proc true 2>/dev/null || skip_all "unshare -pf --mount-proc does not work here"

Z="$ES_HELPERS/es-zombies"

# Without a reaping init the orphans stay zombies: the test can see them.
direct base unshare -pf --mount-proc "$Z" 20
expect_line base "^zombies ([1-9][0-9]*) " "without egress-supervise as PID 1, orphans stay zombies (the check works)"

in_world timeout -k 5 "$ES_TIMEOUT" unshare -pf --mount-proc \
	"$ES_BIN" -- "$Z" 20 >"$T/z.out" 2>"$T/z.err" </dev/null
RC=$?
expect_line z "^zombies 0 orphans-made 20 pid=2$" "egress-supervise as PID 1 reaps 20 orphans (CMD is pid 2)"
expect_rc 0 z "PID 1: exit status 0"

in_world timeout -k 5 "$ES_TIMEOUT" unshare -pf --mount-proc \
	"$ES_BIN" -- "$ES_HELPERS/es-sig" exit 5 >"$T/x.out" 2>"$T/x.err" </dev/null
RC=$?
expect_rc 5 x "PID 1: exits with CMD's status (5)"

# SIGTERM from outside the pid namespace to the PID 1 supervisor.
"${IN_WORLD[@]}" env --default-signal unshare -pf --mount-proc \
	"$ES_BIN" -- "$ES_HELPERS/es-sig" wait 9 >"$T/t.out" 2>"$T/t.err" </dev/null &
ush=$!
( sleep 30; kill -9 $ush 2>/dev/null ) >/dev/null 2>&1 &
_world_pids="$_world_pids $!"
if wait_for_line "$T/t.out" "^ready pid=" 10; then
	sup=$(cat /proc/$ush/task/$ush/children 2>/dev/null | awk '{print $1}')
	kill -s TERM "$sup"
	wait $ush
	RC=$?
	# killing unshare does not end the namespace's init: make sure
	kill -9 "$sup" 2>/dev/null
	expect_line t "^got SIGTERM$" "PID 1: SIGTERM from the parent namespace reaches CMD"
	expect_rc 9 t "PID 1: exit status after the forwarded SIGTERM (9)"
else
	sup=$(cat /proc/$ush/task/$ush/children 2>/dev/null | awk '{print $1}')
	[ -n "$sup" ] && kill -9 "$sup"
	kill -9 $ush
	wait $ush
	RC=$?
	not_ok "PID 1: CMD did not start"
	show t
fi

done_testing
