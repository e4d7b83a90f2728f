#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 30-relay-tls.sh - https and tls rules go through the relay, which decides
# on the ClientHello's SNI: allowed names reach their own host; names no
# rule allows get a TLS access_denied alert; domain fronting and --resolve
# tricks never reach the host the client chose; no SNI passes only with a
# network rule; a ClientHello split over records and 1-byte segments is
# read whole. Clients: curl, openssl s_client, python (ssl, urllib), the
# static Go client, over IPv4 and IPv6, against nginx with a test CA.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-servers.sh"

require_root
require_bins
require_cmd curl openssl
world_up
world_selftest
srv_dns
srv_nginx h10 h20 h5
srv_selftest h10 h20 h5
go_client || diag "no Go: the Go client points skip"

H10=198.51.100.10
H20=198.51.100.20
H5=203.0.113.5
SPLIT="$PYTHON $ES_TESTDIR/es-tls-split.py --ca $CA"
C="curl -sS --max-time 10 --cacert $CA"

# A: https for h10.test and below, tls on 8443 only for h20.test, and a
# network rule (no name) for h5's network
cat >"$T/a.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$DNS_UP]
	rules:
	  - dst: h10.test
	    proto: https
	  - dst: "*.h10.test"
	    proto: https
	  - dst: h20.test
	    proto: tls
	    port: 8443
	  - dst: 203.0.113.0/24
	    proto: https
	  - dst: 2001:db8:3::/64
	    proto: https
YAML
# B: h10.test and h20.test both allowed for https
cat >"$T/b.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$DNS_UP]
	rules:
	  - dst: h10.test
	    proto: https
	  - dst: h20.test
	    proto: https
YAML

# es NAME POLICY SCRIPT: SCRIPT (sh) under the supervisor; log $T/NAME.json
es() {
	es_run "$1" --policy "$T/$2.yaml" --log "$T/$1.json" -- sh -c "$3"
}

# ---------------------------------------------------------------- allowed
srv_reset
es ok a "$C https://h10.test/allowed/x; $C https://www.h10.test/; $C -4 https://h10.test/; $C -6 https://h10.test/"
expect_rc 0 ok "curl https to allowed names: exit 0"
is "$(cat "$T/ok.out")" "allowed h10
index h10
index h10
index h10" "curl gets h10's pages by name, www too, IPv4 and IPv6"
file_like "$(srv_access h10)" '^(192\.0\.2\.2|2001:db8:1::2) "h10\.test" "GET /allowed/x HTTP/1\.1" 200 .* "h10\.test"$' \
	"h10 served the request from the client's address, SNI h10.test"
file_like "$(srv_access h10)" '^192\.0\.2\.2 "h10\.test" "GET / HTTP/1\.1" 200 .* 443 "h10\.test"$' \
	"the IPv4 request arrived over IPv4"
file_like "$(srv_access h10)" '^2001:db8:1::2 "h10\.test" "GET / HTTP/1\.1" 200 .* 443 "h10\.test"$' \
	"the IPv6 request arrived over IPv6"
expect_event "$T/ok.json" 4 "each connect went through the TLS relay" \
	event=connect verdict=allow relay=tls
expect_event "$T/ok.json" 1 "tls event: www.h10.test allowed by its rule" \
	event=tls verdict=allow sni=www.h10.test reason=sni
expect_event "$T/ok.json" 1 "close event of the IPv4 flow: bytes both ways, duration" \
	event=close verdict=allow proto=tls dst=$H10 port=443 sni=h10.test \
	bytes_up='~^[1-9][0-9]{2,}$' bytes_down='~^[1-9][0-9]{2,}$' duration_ms='~^[0-9]+$'
expect_event "$T/ok.json" 1+ "close event of the IPv6 flow" \
	event=close verdict=allow dst=2001:db8:2::10 sni=h10.test
expect_silent h20 "h20 saw nothing"

# ---------------------------------------------------------------- denied SNI
srv_reset
es fr a "$C --connect-to h20.test:443:h10.test:443 https://h20.test/; echo rc=\$?; $C -k --connect-to evil.test:443:h10.test:443 https://evil.test/; echo rc=\$?"
expect_line fr "^rc=35$" "fronting (SNI h20.test to h10's address, port 443): curl fails in the handshake (35)"
file_like "$T/fr.err" "alert access denied" "curl reports the TLS access_denied alert"
expect_event "$T/fr.json" 1 "one tls deny line names the reason sni_denied" \
	event=tls verdict=deny sni=h20.test reason=sni_denied port=443
expect_event "$T/fr.json" 1 "an unknown SNI (evil.test) is denied too" \
	event=tls verdict=deny sni=evil.test reason=sni_denied
expect_event "$T/fr.json" 1 "the denied flow's close event sent 0 bytes upstream" \
	event=close verdict=deny sni=h20.test bytes_up=0
file_like "$T/fr.err" "^egress-supervise: DENY tls .*h20\.test" "one human DENY line on stderr"
expect_silent h10 "h10 got no byte of the denied ClientHellos"
expect_silent h20 "h20 saw nothing"

# h20.test is allowed on 8443 (tls rule), not on 443
srv_reset
es p8443 a "$C https://h20.test:8443/; echo rc=\$?; $C https://h20.test/; echo rc=\$?"
expect_line p8443 "^index h20$" "tls rule with port 8443: https://h20.test:8443/ works"
expect_line p8443 "^rc=7$" "the same name on 443 is refused at connect (7)"
expect_event "$T/p8443.json" 1 "8443 went through the relay as tls" \
	event=tls verdict=allow sni=h20.test port=8443
file_unlike "$(srv_access h20)" '" 443 ' "h20's port 443 got no request"

# ---------------------------------------------------------------- --resolve
# A: h10.test pinned to h20's address: refused before any packet (h20.test
# is not allowed on 443)
srv_reset
es res a "getent ahosts h20.test >/dev/null; $C --resolve h10.test:443:$H20 https://h10.test/; echo rc=\$?"
expect_line res "^rc=7$" "A: --resolve h10.test:443:<h20> fails at connect"
expect_count h20 0 "A: h20 saw 0 packets"
expect_silent h20 "A: h20 got no request"

# B: h20's address is allowed (as h20.test), the SNI h10.test is allowed
# but not h20's: the relay goes to h10.test's own address instead
srv_reset
es resb b "getent ahosts h20.test >/dev/null; $C --resolve h10.test:443:$H20 https://h10.test/allowed/x; echo rc=\$?"
expect_line resb "^allowed h10$|^rc=(35|56|52)$" "B: --resolve to h20's address gets h10's page or fails"
expect_line resb "^allowed h10$" "B: ... and here it gets h10's page (the SNI's own address)"
expect_silent h20 "B: h20 got no request and no data"
expect_event "$T/resb.json" 1 "B: logged as sni_redirected" \
	event=tls verdict=allow sni=h10.test reason=sni_redirected
expect_event "$T/resb.json" 1 "B: the close event names the original and the real upstream" \
	event=close dst=$H20 upstream='~^198\.51\.100\.10'

# B: fronting h20.test through h10's address goes to h20.test's own host
srv_reset
es frb b "$C --connect-to h20.test:443:h10.test:443 https://h20.test/; echo rc=\$?"
expect_line frb "^index h20$|^rc=(35|56|52)$" "B: fronting gets the SNI's own host or fails"
expect_silent h10 "B: h10 (the address chosen) got no request"

# ---------------------------------------------------------------- no SNI
srv_reset
es nosni a "getent ahosts h10.test >/dev/null; $C https://$H10/; echo rc=\$?; $C https://$H5/; echo rc=\$?; $C https://[2001:db8:3::5]/; echo rc=\$?"
expect_line nosni "^rc=35$" "no SNI (IP URL) to a host allowed only by name: alert"
expect_event "$T/nosni.json" 1 "logged as no_sni" event=tls verdict=deny dst=$H10 reason=no_sni
expect_line nosni "^index h5$" "no SNI to an address a network rule allows: served"
expect_event "$T/nosni.json" 2 "logged as no_sni_address (IPv4 and IPv6)" \
	event=tls verdict=allow reason=no_sni_address
expect_silent h10 "h10 got no request without SNI"

es nosni2 a "getent ahosts h10.test >/dev/null; openssl s_client -connect $H10:443 -noservername -CAfile $CA </dev/null 2>&1 | grep -E 'alert|Verify return'; openssl s_client -connect h10.test:443 -servername h10.test -CAfile $CA </dev/null 2>&1 | grep -E 'alert|Verify return'"
expect_line nosni2 "alert access denied" "openssl s_client -noservername: access_denied alert"
expect_line nosni2 "Verify return code: 0 \(ok\)" "openssl s_client -servername h10.test: verified handshake"

# ---------------------------------------------------------------- split
srv_reset
es split a "for o in '--records 1' '--records 2' '--records 2 --bytewise' '--records 7 --bytewise'; do $SPLIT \$o h10.test 443 /allowed/x; $SPLIT \$o --sni h20.test h10.test 443 /allowed/x; done"
is "$(grep -c '^tls OK status=200 x-host=h10 body=allowed h10$' "$T/split.out")" 4 \
	"ClientHello in 1, 2 records, 1-byte segments, 7 records: served by h10"
is "$(grep -c '^tls ALERT 49$' "$T/split.out")" 4 \
	"the same with SNI h20.test, cut inside the name: access_denied (49) each time"
expect_event "$T/split.json" 4 "the split SNI was read whole each time" \
	event=tls verdict=deny sni=h20.test reason=sni_denied
grep -c . "$(srv_access h10)" >"$T/split.n"
is "$(cat "$T/split.n")" 4 "h10 served exactly the 4 allowed requests"

# ---------------------------------------------------------------- clients
srv_reset
es py a "$PYTHON -c '
import ssl, urllib.request
ctx = ssl.create_default_context(cafile=\"$CA\")
print(\"urllib\", urllib.request.urlopen(\"https://h10.test/allowed/x\", context=ctx, timeout=10).read().decode().strip())
try:
    urllib.request.urlopen(\"https://$H10/\", context=ctx, timeout=10)
except Exception as e:
    print(\"urllib-denied\", e)
'"
expect_line py "^urllib allowed h10$" "python urllib: allowed"
expect_line py "^urllib-denied .*ACCESS_DENIED" "python urllib, no SNI: access denied"
if in_client "$PYTHON" -c 'import requests' 2>/dev/null; then
	es req a "$PYTHON -c '
import requests
r = requests.get(\"https://h10.test/\", verify=\"$CA\", timeout=10)
print(\"requests\", r.status_code, r.headers[\"X-Host\"], r.text.strip())
try:
    requests.get(\"https://$H5/\", verify=\"$CA\", timeout=10, headers={\"Host\": \"h10.test\"})
    print(\"requests-h5 ok\")
except Exception as e:
    print(\"requests-h5\", e)
'"
	expect_line req "^requests 200 h10 index h10$" "python requests: allowed"
	expect_line req "^requests-h5 ok$" "python requests to an IP a network rule allows"
else
	skip "python requests" "this python3 has no requests module"
	skip "python requests to an IP a network rule allows" "no requests module"
fi

if [ -n "$GOCLI" ]; then
	srv_reset
	es go a "$GOCLI https -ca $CA https://h10.test/allowed/x; $GOCLI https -ca $CA -n 3 https://www.h10.test/; $GOCLI https -ca $CA https://h20.test:8443/; getent ahosts h10.test >/dev/null; $GOCLI https -ca $CA https://$H10/"
	expect_line go "^get https://h10.test/allowed/x OK status=200 .* x-host=h10 conns=1 peer=(\[2001:db8:2::10\]|198\.51\.100\.10):443 " \
		"Go client (static, own resolver): allowed, getpeername shows h10:443"
	expect_line go "^get https://www.h10.test/ OK status=200 .* x-host=h10 conns=1 " \
		"Go client: www.h10.test allowed"
	is "$(grep -c '^get https://www.h10.test/ OK .* conns=1 ' "$T/go.out")" 3 \
		"Go client: three requests answered on one relayed connection"
	expect_line go "^get https://h20.test:8443/ OK status=200 .* x-host=h20 " "Go client: tls rule on 8443"
	expect_line go "^get https://$H10/ ERR .*access denied" "Go client, no SNI: access denied alert"
	expect_silent h5 "h5 saw nothing from the Go client"
else
	for i in 1 2 3 4 5 6; do skip "Go client point $i" "go is not installed"; done
fi

done_testing
