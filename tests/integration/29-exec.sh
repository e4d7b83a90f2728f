#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 29-exec.sh - `egress-supervise exec`: another process started through
# the running supervisor is supervised like CMD (allowed and denied
# connects, logged), gets the client's stdin/stdout/stderr, environment and
# directory, runs as --user, and its exit status and signals travel back
# and forth; CMD itself cannot reach the exec channel.
. "$(dirname "$0")/lib.sh"

require_root
require_bins
world_up

A=198.51.100.10
D=198.51.100.20
CTL=$T/ctl/control.sock
mkdir -m 700 "$T/ctl"
# a soft fd limit below the hard one: the supervisor raises its own (for
# the relay); CMD and exec'd processes must keep this one
ulimit -Sn 512

cat >"$T/policy.yaml" <<-YAML
	version: 1
	rules:
	  - { dst: $A, proto: ssh }
YAML

# start_sup NAME ARGS...: a supervisor whose CMD waits for $T/NAME.stop
start_sup() {
	local name=$1
	shift
	"${IN_WORLD[@]}" "$ES_BIN" --policy "$T/policy.yaml" \
		--log "$T/$name.json" "$@" -- sh -c \
		"while [ ! -e '$T/$name.stop' ]; do sleep 0.05; done" \
		>"$T/$name.out" 2>"$T/$name.err" &
	SUP=$!
	for i in $(seq 100); do
		[ -S "$CTL" ] && break
		sleep 0.05
	done
}

# ex NAME ARGS...: egress-supervise exec --control $CTL -- ARGS
ex() {
	local name=$1
	shift
	timeout -k 5 "$ES_TIMEOUT" "$ES_BIN" exec --control "$CTL" -- "$@" \
		>"$T/$name.out" 2>"$T/$name.err" </dev/null
	RC=$?
}

start_sup sup --control "$CTL"
check "the exec channel exists" test -S "$CTL"
is "$(stat -c %a "$CTL")" 600 "the socket is mode 0600"

# --- supervised: allowed and denied connects
world_reset
ex allowed "$NET" tcp $A:22
expect_rc 0 allowed "exec: an allowed connect succeeds (status 0 back)"
expect_line allowed "^connect $A:22 OK" "exec: the allowed connect is made"
expect_some h10 "h10 saw the exec'd process"
ex denied "$NET" tcp $D:22
expect_rc 1 denied "exec: es-net's failure status comes back (1)"
expect_line denied "^connect $D:22 EACCES" "exec: a denied connect fails with EACCES"
expect_count h20 0 "h20 saw nothing"
file_like "$T/sup.json" "\"event\":\"connect\",\"verdict\":\"deny\",.*\"comm\":\"es-net\",\"proto\":\"tcp\",\"dst\":\"$D\",\"port\":22" \
	"the denial is in the supervisor's log"
file_like "$T/sup.err" "DENY tcp $D:22 pid [0-9]+ \(es-net\)" "with its human line"
ex filt sh -c 'grep Seccomp_filters /proc/self/status; cat /etc/resolv.conf'
expect_line filt "^Seccomp_filters:[[:space:]]+[1-9]" "the exec'd process runs under a seccomp filter"
expect_line filt "^nameserver 127\.0\.0\.53$" "and resolves through the stub"
if [ -n "${EGRESS_SUPERVISE_SHIM:-}" ] && [ -r "$EGRESS_SUPERVISE_SHIM" ]; then
	ex shim sh -c 'echo "preload=$LD_PRELOAD"; echo "sock=$EGRESS_SHIM_SOCKET"'
	expect_line shim "^preload=$EGRESS_SUPERVISE_SHIM\$" "the exec'd process gets the shim like CMD"
	expect_line shim "^sock=." "and its lookup socket"
else
	skip "the exec'd process gets the shim like CMD" "no shim built (EGRESS_SUPERVISE_SHIM)"
fi
ex caps sh -c 'grep CapBnd /proc/self/status'
bnd=$(awk '{ print $2 }' "$T/caps.out")
check "its bounding set lacks CAP_NET_RAW and CAP_SYS_ADMIN ($bnd)" \
	test $(( 0x$bnd & (1 << 13 | 1 << 21) )) -eq 0

ex nofile sh -c 'ulimit -Sn'
expect_line nofile "^512$" "the exec'd process keeps CMD's fd limit (512), not the supervisor's"

# --- status, stdio, environment, directory
ex st sh -c 'exit 7'
expect_rc 7 st "exit status 7 comes back"
ex sig sh -c 'kill -KILL $$'
expect_rc 137 sig "killed by SIGKILL: 137"
ex nf /nonexistent/program
expect_rc 127 nf "a command that does not exist: 127"
file_like "$T/nf.err" "/nonexistent/program: No such file or directory" "and the client says why"
out=$(printf 'line one\nline two\n' | "$ES_BIN" exec --control "$CTL" -- sh -c 'cat; echo to-stderr >&2' 2>"$T/io.err")
is "$out" "$(printf 'line one\nline two')" "stdin reaches the process, its stdout comes back"
is "$(cat "$T/io.err")" "to-stderr" "its stderr is the client's stderr"
out=$(cd "$T" && ES_EXEC_TEST=hello "$ES_BIN" exec --control "$CTL" -- sh -c 'echo "$ES_EXEC_TEST $(pwd)"')
is "$out" "hello $T" "the client's environment and directory"

# --- signals: SIGTERM and SIGINT to the client reach the process
for s in TERM INT; do
	"$ES_BIN" exec --control "$CTL" -- sh -c "trap 'echo got-$s; exit 9' $s; echo ready; while :; do sleep 0.05; done" \
		>"$T/sig$s.out" 2>"$T/sig$s.err" </dev/null &
	cl=$!
	wait_for_line "$T/sig$s.out" "^ready" 5
	kill -$s $cl
	wait $cl
	RC=$?
	expect_rc 9 sig$s "SIG$s to the client: the process's trap runs, its status (9) comes back"
	expect_line sig$s "^got-$s$" "the process got SIG$s"
done

# --- the client hanging up hangs the process up
"$ES_BIN" exec --control "$CTL" -- sh -c "trap 'echo hup >$T/hup; exit 0' HUP; echo ready; while :; do sleep 0.05; done" \
	>"$T/hup.out" 2>&1 </dev/null &
cl=$!
wait_for_line "$T/hup.out" "^ready" 5
{ kill -9 $cl; wait $cl; } 2>/dev/null
for i in $(seq 100); do [ -e "$T/hup" ] && break; sleep 0.05; done
check "a client killed with SIGKILL: the process gets SIGHUP" test -e "$T/hup"

# --- CMD cannot reach the exec channel (it runs as root: permissions
# would not stop it), by path, symlink or hard link
ln -s "$CTL" "$T/link.sock"
ln "$CTL" "$T/ctl/hard.sock"
cat >"$T/reach.py" <<-PY
	import socket, errno
	for p in ["$CTL", "$T/link.sock", "$T/ctl/hard.sock"]:
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	    try:
	        s.connect(p); print(p, "OK")
	    except OSError as e:
	        print(p, errno.errorcode.get(e.errno, e.errno))
PY
ex reach python3 "$T/reach.py"
expect_line reach "^$CTL EACCES$" "a supervised process cannot connect to the exec channel"
expect_line reach "^$T/link.sock EACCES$" "nor through a symlink"
expect_line reach "^$T/ctl/hard.sock EACCES$" "nor through a hard link"
file_like "$T/sup.json" '"proto":"unix",.*"reason":"supervisor_socket"' "logged with reason supervisor_socket"

# --- a second supervisor cannot take the path
es_run second --control "$CTL" -- true
expect_rc 125 second "a second supervisor with the same --control: 125"
file_like "$T/second.err" "another supervisor serves" "and says why"

# --- the supervisor ends: so do exec'd processes and their clients
"$ES_BIN" exec --control "$CTL" -- sh -c "echo ready; sleep 60" \
	>"$T/long.out" 2>"$T/long.err" </dev/null &
cl=$!
wait_for_line "$T/long.out" "^ready" 5
touch "$T/sup.stop"
wait $SUP
wait $cl
RC=$?
expect_rc 125 long "the supervisor exits: the client exits 125"
file_like "$T/long.err" "the supervisor went away" "and says so"
check "the exec channel is removed at exit" test ! -e "$CTL"
ex gone true
expect_rc 125 gone "no supervisor: exec exits 125"
file_like "$T/gone.err" "is egress-supervise running" "with a hint"

# --- --user applies to exec'd processes too
start_sup usr --control "$CTL" --user 65534:65534
ex uid sh -c 'echo "$(id -u):$(id -g)"'
expect_line uid "^65534:65534$" "exec'd processes run as --user"
touch "$T/usr.stop"
wait $SUP

done_testing
