#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-toctou.sh - a thread rewrites the destination between the allowed and
# the denied host while the main thread connects (or sends) through that
# buffer thousands of times. Whatever the supervisor read, the kernel must
# never use the other value: the denied host's packet counter must stay 0.
# A supervisor answering CONTINUE after its check fails this test (try
# ES_BIN=tests/helpers/es-naive-sup).

. "$(dirname "$0")/lib.sh"
require_root
require_bins
world_up
world_selftest

A=198.51.100.10
D=198.51.100.20
N=${ES_TOCTOU_N:-3000}
TOC="$ES_HELPERS/es-toctou"

world_reset
es_run tc --allow $A -- "$TOC" $A $D 22 $N connect
expect_line tc "^toctou attempts=$N ok=[1-9][0-9]* denied=[1-9][0-9]* other=0 escaped=0$" \
	"connect race: some allowed, some denied, none escaped (client's view)"
expect_some h10 "connect race: the allowed host was reached (the race ran)"
expect_count h20 0 "connect race: the denied host saw 0 packets"
file_unlike "$(world_log h20)" "accept" "connect race: the denied host accepted nothing"
diag "$(cat "$T/tc.out")"

for mode in sendto sendmsg; do
	world_reset
	es_run t$mode --allow $A -- "$TOC" $A $D 5000 $N $mode
	expect_line t$mode "^toctou attempts=$N ok=[1-9][0-9]* denied=[1-9][0-9]* other=0 " \
		"UDP $mode race: some sent, some denied"
	expect_some h10 "UDP $mode race: the allowed host was reached (the race ran)"
	expect_count h20 0 "UDP $mode race: the denied host saw 0 packets"
	diag "$(cat "$T/t$mode.out")"
done

done_testing
