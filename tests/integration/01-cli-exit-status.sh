#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 01-cli-exit-status.sh - egress-supervise exits with CMD's status, 128+N
# for a signal, 125 for its own failures, 126/127 when CMD cannot run.
# No network: a private network namespace with loopback only (as root).

. "$(dirname "$0")/lib.sh"
require_bins
world_lite

SIG="$ES_HELPERS/es-sig"

es_run s0 -- "$SIG" exit 0
expect_rc 0 s0 "CMD exit 0 gives 0"
es_run s3 -- "$SIG" exit 3
expect_rc 3 s3 "CMD exit 3 gives 3"
es_run s124 -- "$SIG" exit 124
expect_rc 124 s124 "CMD exit 124 gives 124"
es_run k9 -- "$SIG" kill 9
expect_rc 137 k9 "CMD killed by SIGKILL gives 137"
es_run k15 -- "$SIG" kill 15
expect_rc 143 k15 "CMD killed by SIGTERM gives 143"
es_run k6 -- "$SIG" kill 6
expect_rc 134 k6 "CMD killed by SIGABRT gives 134"
es_run sh7 -- /bin/sh -c 'exit 7'
expect_rc 7 sh7 "a shell CMD's exit 7 gives 7"

es_run bad --no-such-option -- touch "$T/ran-bad"
expect_rc 125 bad "unknown option gives 125"
check "unknown option: CMD did not run" test ! -e "$T/ran-bad"
if [ -s "$T/bad.err" ]; then ok "unknown option: a message on stderr"
else not_ok "unknown option: a message on stderr"; fi

es_run cidr --allow '198.51.100.0/24:2x/tcp' -- touch "$T/ran-cidr"
expect_rc 125 cidr "--allow with a bad port (2x) gives 125"
check "--allow with a bad port: CMD did not run" test ! -e "$T/ran-cidr"
es_run empty --allow '' -- true
expect_rc 125 empty "--allow '' gives 125"
es_run cidr33 --allow 198.51.100.0/33 -- true
expect_rc 125 cidr33 "--allow 198.51.100.0/33 gives 125"
es_run port --allow 198.51.100.0/24:70000/tcp -- true
expect_rc 125 port "--allow with port 70000 gives 125"
es_run proto --allow 198.51.100.0/24:22/sctp -- true
expect_rc 125 proto "--allow with protocol sctp gives 125"
es_run errno --deny-errno ENOSUCHERRNO -- true
expect_rc 125 errno "--deny-errno ENOSUCHERRNO gives 125"
es_run user --user not-a-uid -- true
expect_rc 125 user "--user not-a-uid gives 125"
es_run nocmd --allow 198.51.100.0/24
expect_rc 125 nocmd "no CMD gives 125"
es_run nocmd2 --
expect_rc 125 nocmd2 "empty CMD after -- gives 125"

es_run good --allow 198.51.100.0/24:22/tcp --allow 198.51.100.7 \
	--allow 2001:db8::/32:5000-5100/udp --allow '[2001:db8::7]:80/tcp' \
	--deny-errno ECONNREFUSED --log "$T/good.log" -- "$SIG" exit 0
expect_rc 0 good "the documented option forms are accepted"

printf '#!/bin/sh\nexit 0\n' >"$T/noexec"
chmod 644 "$T/noexec"
es_run noexec -- "$T/noexec"
expect_rc 126 noexec "CMD not executable gives 126"
es_run dir -- "$T"
expect_rc 126 dir "CMD is a directory gives 126"
es_run missing -- "$T/no-such-file"
expect_rc 127 missing "CMD path not found gives 127"
# a PATH of readable directories: one that denies search gives EACCES (126)
PATH=/usr/local/bin:/usr/bin:/bin es_run missing2 -- es-no-such-command-in-path
expect_rc 127 missing2 "CMD not found in PATH gives 127"
es_run path -- sh -c 'exit 4'
expect_rc 4 path "CMD found through PATH runs"

done_testing
