#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 21-policy-cli.sh - policies from files: `check`, --policy and the
# environment, errors with file:line:col, audit mode, reload on SIGHUP
. "$(dirname "$0")/lib.sh"

require_root
world_up
A=198.51.100.10
D=198.51.100.20

# --- egress-supervise check
cat >"$T/good.yaml" <<-YAML
	version: 1
	default: deny
	rules:
	  - dst: $A
	    proto: ssh
	  - dst: "*.example.com"
	    proto: https
YAML
"$ES_BIN" check "$T/good.yaml" >"$T/check.out" 2>"$T/check.err"
is "$?" 0 "check: a good policy exits 0"
file_like "$T/check.out" "$A" "check prints the normalized policy"
file_like "$T/check.out" "443" "the normalized policy shows https's default port"

cat >"$T/bad.yaml" <<-YAML
	version: 1
	rules:
	  - dst: $A
	    proto: sshh
	  - dst: "*.com"
	  - dst: 198.51.100.0/33
	    port: 70000
YAML
"$ES_BIN" check "$T/bad.yaml" >"$T/bad.out" 2>"$T/bad.err"
is "$?" 1 "check: a bad policy exits 1"
file_like "$T/bad.err" "bad.yaml:4:12: .*sshh.*expected" "unknown proto: file:line:col and what was expected"
file_like "$T/bad.err" "bad.yaml:5:[0-9]+: .*\\*\\.com" "too broad a pattern is named"
file_like "$T/bad.err" "bad.yaml:6:[0-9]+: " "a bad CIDR is reported too (all problems, not the first)"
file_like "$T/bad.err" "bad.yaml:7:[0-9]+: " "a bad port is reported too"

# --- running with a bad policy: 125, CMD never runs
es_run badrun --policy "$T/bad.yaml" -- touch "$T/ran"
is "$RC" 125 "a bad policy makes egress-supervise exit 125"
if [ -e "$T/ran" ]; then not_ok "CMD did not run with a bad policy"; else ok "CMD did not run with a bad policy"; fi

# --- --policy and $EGRESS_SUPERVISE_POLICY
es_run pol --policy "$T/good.yaml" -- sh -c "'$ES_HELPERS/es-net' tcp $A:22; '$ES_HELPERS/es-net' tcp $D:22"
expect_line pol "^connect $A:22 OK" "--policy: the ssh rule allows $A:22"
expect_line pol "^connect $D:22 EACCES" "--policy: $D:22 denied"
EGRESS_SUPERVISE_POLICY=$T/good.yaml es_run env -- sh -c "'$ES_HELPERS/es-net' tcp $A:22; '$ES_HELPERS/es-net' tcp $A:80"
expect_line env "^connect $A:22 OK" "\$EGRESS_SUPERVISE_POLICY is read"
expect_line env "^connect $A:80 EACCES" "\$EGRESS_SUPERVISE_POLICY: port 80 denied"

# --- audit mode: allowed, logged as audit
cat >"$T/audit.yaml" <<-YAML
	version: 1
	mode: audit
	rules:
	  - { dst: $A, proto: ssh }
YAML
world_reset
es_run aud --policy "$T/audit.yaml" --log "$T/aud.json" -- "$ES_HELPERS/es-net" tcp $D:22
expect_line aud "^connect $D:22 OK" "audit mode: a would-be denial goes through"
file_like "$T/aud.json" '"verdict":"audit".*"dst":"198.51.100.20"' "audit mode: logged with verdict audit"
file_like "$T/aud.err" "AUDIT tcp $D:22" "audit mode: one human line"

# --- deny_errno from the policy, overridden by --deny-errno
cat >"$T/errno.yaml" <<-YAML
	version: 1
	deny_errno: ECONNREFUSED
YAML
es_run pe --policy "$T/errno.yaml" -- "$ES_HELPERS/es-net" tcp $D:22
expect_line pe "^connect $D:22 ECONNREFUSED" "deny_errno: ECONNREFUSED from the policy"
es_run pe2 --policy "$T/errno.yaml" --deny-errno ENETUNREACH -- "$ES_HELPERS/es-net" tcp $D:22
expect_line pe2 "^connect $D:22 ENETUNREACH" "--deny-errno overrides the policy"

# --- reload on SIGHUP: good file swaps, bad file keeps the old policy
cp "$T/good.yaml" "$T/live.yaml"
cat >"$T/reload.sh" <<-SH
	#!/bin/sh
	trap '' HUP
	"$ES_HELPERS/es-net" tcp $D:22
	while [ ! -e "$T/go1" ]; do sleep 0.05; done
	"$ES_HELPERS/es-net" tcp $D:22
	while [ ! -e "$T/go2" ]; do sleep 0.05; done
	"$ES_HELPERS/es-net" tcp $D:22
SH
chmod +x "$T/reload.sh"
in_client sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/rl.pid" \
	"$ES_BIN" --policy "$T/live.yaml" -- "$T/reload.sh" >"$T/rl.out" 2>"$T/rl.err" &
bg=$!
sleep 0.5
pid=$(cat "$T/rl.pid")
cat >"$T/live.yaml" <<-YAML
	version: 1
	rules:
	  - { dst: $D, proto: ssh }
YAML
kill -HUP $pid
sleep 0.5
touch "$T/go1"
sleep 0.5
printf 'version: 1\nrules:\n  - { dst: $D, proto: nope }\n' >"$T/live.yaml"
kill -HUP $pid
sleep 0.5
touch "$T/go2"
wait $bg
is "$(grep -c "^connect $D:22" "$T/rl.out")" 3 "reload: three connects made"
is "$(sed -n 1p "$T/rl.out")" "connect $D:22 EACCES" "before the reload: denied"
is "$(sed -n 2p "$T/rl.out")" "connect $D:22 OK" "after SIGHUP with a new policy: allowed"
is "$(sed -n 3p "$T/rl.out")" "connect $D:22 OK" "after SIGHUP with a bad file: the last good policy stays"
file_like "$T/rl.err" "live.yaml:3:[0-9]+: .*nope" "the bad file's error is reported with file:line:col"
file_like "$T/rl.err" "keeping the current policy" "and says the old policy stays"

done_testing
