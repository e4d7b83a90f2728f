#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 26-audit.sh - --audit: an enforcing policy made to deny nothing from the
# command line; what it would deny (addresses, names at the DNS stub, DNS
# over TLS) goes through and is logged with verdict audit; the override
# survives a SIGHUP reload.
. "$(dirname "$0")/lib.sh"

require_root
require_cmd dnsmasq dig
require_bins
world_up

A=198.51.100.10
D=198.51.100.20
UP=198.51.100.1
ip netns exec "$NS_NET" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--bind-interfaces --listen-address=$UP --port=53 \
	--log-queries --log-facility="$T/dnsmasq.log" --pid-file="$T/dnsmasq.pid" \
	--host-record=ok.example.test,$A \
	--host-record=other.example.test,$D \
	>"$T/dnsmasq.out" 2>&1 &
_world_pids="$_world_pids $!"
for i in $(seq 50); do
	ip netns exec "$NS_NET" dig +time=1 +tries=1 @$UP ok.example.test \
		>/dev/null 2>&1 && break
	sleep 0.1
done

cat >"$T/policy.yaml" <<-YAML
	version: 1
	mode: enforce
	dns:
	  upstream: [$UP]
	rules:
	  - { dst: ok.example.test, proto: ssh }
	  - { dst: 198.51.100.99, action: deny }
YAML

# resolve NAME and connect to port 22: "NAME ADDR OK" | "NAME GAIERROR"
cat >"$T/conn.py" <<-'PY'
	import socket, sys, errno
	name = sys.argv[1]
	try:
	    sa = socket.getaddrinfo(name, 22, socket.AF_INET, socket.SOCK_STREAM)[0][4]
	except socket.gaierror as e:
	    print(name, "GAIERROR"); sys.exit(0)
	s = socket.socket(); s.settimeout(5)
	try:
	    s.connect(sa); print(name, sa[0], "OK")
	except OSError as e:
	    print(name, sa[0], "ERR", errno.errorcode.get(e.errno, e.errno))
PY

# --- enforcing: the baseline the audit runs are compared with
world_reset
es_run enf --policy "$T/policy.yaml" --log "$T/enf.json" -- sh -c \
	"'$NET' tcp $D:22; python3 $T/conn.py other.example.test"
expect_line enf "^connect $D:22 EACCES" "enforce: $D:22 is denied"
expect_line enf "^other.example.test GAIERROR" "enforce: a name no rule allows does not resolve"
expect_count h20 0 "enforce: h20 saw nothing"

# --- --audit: the same calls go through, logged as audit
world_reset
es_run aud --policy "$T/policy.yaml" --audit --log "$T/aud.json" -- sh -c \
	"'$NET' tcp $D:22; python3 $T/conn.py other.example.test; python3 $T/conn.py ok.example.test; '$NET' -t 2000 tcp $D:853; true"
expect_rc 0 aud "--audit: the supervisor and CMD succeed"
expect_line aud "^connect $D:22 OK" "--audit: the denied address is connected"
expect_line aud "^other.example.test $D OK" "--audit: a name no rule allows resolves and connects"
expect_line aud "^ok.example.test $A OK" "--audit: allowed names still work"
expect_line aud "^connect $D:853 (OK|ECONNREFUSED)" "--audit: DNS over TLS (port 853) is not denied either"
expect_some h20 "--audit: h20 saw the packets"
file_like "$T/aud.json" '"event":"connect","verdict":"audit".*"dst":"198.51.100.20","port":22,.*"reason":"unknown_ip"' \
	"connect to $D:22 logged with verdict audit"
file_like "$T/aud.json" '"event":"connect","verdict":"audit".*"dst":"198.51.100.20","port":22,.*"reason":"default"' \
	"the connect by a denied name is logged as audit"
file_like "$T/aud.json" '"event":"connect","verdict":"audit".*"names":\["other.example.test"\]' \
	"the audited connect carries the name"
file_like "$T/aud.json" '"event":"dns","verdict":"audit","qname":"other.example.test".*"rcode":"NOERROR".*"answers":\["198.51.100.20"\]' \
	"the stub forwards the denied name and logs it as audit"
file_like "$T/aud.json" '"event":"connect","verdict":"allow".*"dst":"198.51.100.10","port":22,' \
	"an allowed connect stays allow"
file_like "$T/aud.json" '"event":"connect","verdict":"audit".*"port":853,.*"reason":"dns_over_tls"' \
	"port 853 is logged as audit"
file_unlike "$T/aud.json" '"verdict":"deny"' "--audit: no decision says deny"
file_like "$T/aud.err" "audit mode \(--audit\)" "--audit says so at start"
file_like "$T/aud.err" "AUDIT tcp $D:22" "--audit: the human line says AUDIT"
file_like "$T/aud.err" "AUDIT dns other.example.test" "--audit: the stub's human line says AUDIT"
file_unlike "$T/aud.err" "DENY" "--audit: no human line says DENY"

# --- a deny rule is audited too (audit means: nothing is denied)
es_run audrule --policy "$T/policy.yaml" --audit --log "$T/audrule.json" -- \
	"$NET" -t 1000 tcp 198.51.100.99:22
expect_json "$T/audrule.json" "a deny rule's match is logged as audit" \
	event=connect verdict=audit reason=deny_rule

# --- the override survives SIGHUP: the reloaded file says enforce
cat >"$T/reload.sh" <<-SH
	#!/bin/sh
	trap '' HUP
	"$NET" tcp $D:22
	while [ ! -e "$T/go" ]; do sleep 0.05; done
	"$NET" tcp $D:22
SH
chmod +x "$T/reload.sh"
in_client sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/rl.pid" \
	"$ES_BIN" --policy "$T/policy.yaml" --audit --log "$T/rl.json" -- \
	"$T/reload.sh" >"$T/rl.out" 2>"$T/rl.err" &
bg=$!
for i in $(seq 100); do [ -s "$T/rl.out" ] && break; sleep 0.05; done
kill -HUP "$(cat "$T/rl.pid")"
wait_for_line "$T/rl.err" "policy reloaded" 5
touch "$T/go"
wait $bg
is "$(grep -c "^connect $D:22 OK" "$T/rl.out")" 2 "after SIGHUP --audit still applies"
file_like "$T/rl.err" "policy reloaded from .*\(audit mode\)" "the reload says audit mode"
is "$(grep -c '"verdict":"audit"' "$T/rl.json")" 2 "both connects logged as audit"

done_testing
