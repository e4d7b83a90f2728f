#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 14-resolvconf.sh - without CAP_SYS_ADMIN CMD gets no private mount
# namespace, so /etc/resolv.conf is rewritten in place to name the DNS
# stub, and its original must come back: after one supervisor, after two
# that overlap (the second must not save the first one's file as "the
# original", nor put it back under the first), and after supervisors that
# were killed (the next start, or the last one alive, puts it back).
#
# The test runs in a mount and network namespace of its own, over a copy
# of /etc: the machine's resolv.conf is never touched.

if [ -z "${ES_RC_PRIVATE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 77; }
	ES_RC_PRIVATE=1 exec unshare -m -n --propagation private \
		bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
require_root
require_bins
require_cmd setpriv
tmpdir
ip link set lo up
cp -a /etc "$T/etc" && mount --bind "$T/etc" /etc ||
	bail_out "could not put a private /etc in place"
printf '# the original\nnameserver 192.0.2.53\noptions ndots:5\n' >/etc/resolv.conf
ORIG=$(cat /etc/resolv.conf)
BACKUP=/etc/resolv.conf.egress-supervise

# CMD (and the supervisor) as root, but without CAP_SYS_ADMIN
SUP=(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin --
	"$ES_BIN" --log /dev/null --allow 198.51.100.10 --)

# wait_cmd NAME: CMD's script below, until $T/NAME-go exists
wait_cmd() {
	echo "cat /etc/resolv.conf; echo started; while [ ! -e '$T/$1-go' ]; do sleep 0.05; done; cat /etc/resolv.conf"
}

# is_original DESC: the file is the original again, and no backup is left
is_original() {
	is "$(cat /etc/resolv.conf)" "$ORIG" "$1: /etc/resolv.conf is the original again"
	check "$1: no backup is left" test ! -e "$BACKUP"
}

# ---------------------------------------------------------------- one
"${SUP[@]}" sh -c 'cat /etc/resolv.conf' >"$T/one.out" 2>"$T/one.err"
RC=$?
expect_rc 0 one "one supervisor without CAP_SYS_ADMIN: CMD runs"
expect_line one "^nameserver 127\.0\.0\.53$" "CMD's resolv.conf names the stub"
expect_line one "^options ndots:5$" "and keeps the original's options"
file_like "$T/one.err" "rewrote /etc/resolv.conf in place" "the rewrite is said on stderr"
is_original "one"

# ---------------------------------------------------------------- two
"${SUP[@]}" sh -c "$(wait_cmd a)" >"$T/a.out" 2>"$T/a.err" &
a=$!
wait_for_line "$T/a.out" "^started$" 10 || bail_out "A did not start: $(cat "$T/a.err")"
"${SUP[@]}" sh -c 'cat /etc/resolv.conf' >"$T/b.out" 2>"$T/b.err"
expect_line b "^nameserver 127\.0\.0\.53$" "two at once: the second one's CMD names the stub too"
like "$(cat /etc/resolv.conf)" "nameserver 127\.0\.0\.53" \
	"two at once: when the second ends, the first one's file stays"
file_unlike "$T/b.err" "restored" "the second one did not take the first one's file for a leftover"
touch "$T/a-go"
wait "$a"
is "$(grep -c '^nameserver 127\.0\.0\.53$' "$T/a.out")" 2 "the first one's CMD saw the stub throughout"
is_original "two at once"

# ---------------------------------------------------------------- killed
"${SUP[@]}" sh -c "$(wait_cmd k)" >"$T/k.out" 2>"$T/k.err" &
k=$!
wait_for_line "$T/k.out" "^started$" 10 || bail_out "K did not start: $(cat "$T/k.err")"
kill -9 "$k"
wait "$k" 2>/dev/null
touch "$T/k-go"
like "$(cat /etc/resolv.conf)" "nameserver 127\.0\.0\.53" "killed: the rewritten file is left behind"
"${SUP[@]}" sh -c 'cat /etc/resolv.conf' >"$T/c.out" 2>"$T/c.err"
file_like "$T/c.err" "restored /etc/resolv.conf left behind by an earlier run" \
	"the next start puts the original back first"
expect_line c "^nameserver 127\.0\.0\.53$" "and its CMD names the stub"
is_original "after a killed one"

# ---------------------------------------------------------------- killed, one alive
"${SUP[@]}" sh -c "$(wait_cmd l)" >"$T/l.out" 2>"$T/l.err" &
l=$!
wait_for_line "$T/l.out" "^started$" 10 || bail_out "L did not start: $(cat "$T/l.err")"
"${SUP[@]}" sh -c "$(wait_cmd m)" >"$T/m.out" 2>"$T/m.err" &
m=$!
wait_for_line "$T/m.out" "^started$" 10 || bail_out "M did not start: $(cat "$T/m.err")"
kill -9 "$m"
wait "$m" 2>/dev/null
touch "$T/m-go"
"${SUP[@]}" sh -c 'cat /etc/resolv.conf' >"$T/n.out" 2>"$T/n.err"
file_unlike "$T/n.err" "restored" "one killed, one alive: a new start leaves the live one's file"
like "$(cat /etc/resolv.conf)" "nameserver 127\.0\.0\.53" "... which is still the stub's"
touch "$T/l-go"
wait "$l"
is_original "one killed, the last one alive exits"

done_testing
