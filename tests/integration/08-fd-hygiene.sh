#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 08-fd-hygiene.sh - CMD gets fds 0, 1, 2 and nothing else (not the
# listener, not the supervisor's sockets, not what the caller leaked);
# CMD's bounding set lacks CAP_NET_RAW, CAP_NET_ADMIN, CAP_SYS_PTRACE,
# CAP_SYS_ADMIN; --user sets the ids; CMD cannot read the supervisor.
# No network: a private network namespace with loopback only (as root).

. "$(dirname "$0")/lib.sh"
require_bins
world_lite

FDS="$ES_HELPERS/es-fds"
CAPS="$ES_HELPERS/es-caps"

# Leak a few descriptors into egress-supervise, as a careless runtime would.
mkfifo "$T/fifo"
exec 7</dev/null 8>"$T/leak" 9<>"$T/fifo"

direct base "$FDS"
expect_line base "^fds 0,1,2(,[0-9]+)*,7,8,9(,|$)" "without supervisor, the leaked fds 7 8 9 are seen (the check works)"

es_run fds -- "$FDS"
expect_line fds "^fds 0,1,2$" "CMD sees only fds 0, 1, 2"
expect_line fds "^fd 1 $T/fds.out$" "CMD's stdout is the caller's stdout"
expect_line fds "^fd 2 $T/fds.err$" "CMD's stderr is the caller's stderr"

# through a shell: what a grandchild sees
es_run fdsh -- /bin/sh -c "exec '$FDS'"
expect_line fdsh "^fds 0,1,2$" "CMD's exec'd program sees only fds 0, 1, 2"
exec 7<&- 8>&- 9<&-

# capabilities
direct cbase "$CAPS"
if [ "$(id -u)" -eq 0 ] && grep -q "^bnd CAP_NET_RAW 1$" "$T/cbase.out"; then
	ok "without supervisor, CAP_NET_RAW is in the bounding set (the check works)"
else
	skip "bounding set baseline" "the caller lacks CAP_NET_RAW already"
fi
es_run caps -- "$CAPS"
expect_rc 0 caps "es-caps ran"
for c in CAP_NET_RAW CAP_NET_ADMIN CAP_SYS_PTRACE CAP_SYS_ADMIN; do
	expect_line caps "^bnd $c 0$" "CMD's bounding set lacks $c"
done
eff=$(sed -n 's/^CapEff:[[:space:]]*//p' "$T/caps.out")
if [ -n "$eff" ] && [ $(( (0x$eff >> 13 | 0x$eff >> 12 | 0x$eff >> 19 | 0x$eff >> 21) & 1 )) -eq 0 ]; then
	ok "CMD's effective set lacks the four as well (CapEff $eff)"
else
	not_ok "CMD's effective set lacks the four as well (CapEff '$eff')"
fi
expect_line caps "^nnp=1$" "CMD runs with no_new_privs"

# CMD cannot read the supervisor's memory (non-dumpable, no CAP_SYS_PTRACE):
# 16 bytes at the start of its first mapping, through /proc/PPID/mem.
# (/proc/PID/environ is no test: the kernel lets root read a non-dumpable
# root process' environ without CAP_SYS_PTRACE.)
READMEM='a=$(head -n 1 /proc/$PPID/maps 2>/dev/null | cut -d- -f1)
n=$(dd if=/proc/$PPID/mem bs=16 count=1 iflag=skip_bytes skip=$((0x${a:-0})) status=none 2>/dev/null | wc -c)
echo "read $n bytes of $(cat /proc/$PPID/comm)"'
direct rbase /bin/sh -c "$READMEM"
es_run rd -- /bin/sh -c "$READMEM"
if grep -q "^read 16 bytes" "$T/rbase.out"; then
	ok "without supervisor, a child reads its parent's memory (the check works)"
else
	skip "memory baseline" "a child cannot read its parent's memory here: $(cat "$T/rbase.out")"
fi
expect_line rd "^read 0 bytes of egress-supervis" "CMD cannot read the supervisor's memory (/proc/<supervisor>/mem)"

# --user
if [ "$(id -u)" -eq 0 ]; then
	es_run user --user 65534:65534 -- "$CAPS"
	expect_rc 0 user "--user 65534:65534: CMD ran"
	expect_line user "^uid=65534 gid=65534 groups=(65534)?$" \
		"--user 65534:65534: uid, gid set and supplementary groups dropped"
	expect_line user "^CapEff:[[:space:]]+0+$" "--user 65534:65534: no effective capability"
	es_run userfd --user 65534:65534 -- "$FDS"
	expect_line userfd "^fds 0,1,2$" "--user: CMD sees only fds 0, 1, 2"
else
	skip "--user" "needs root"
fi

done_testing
