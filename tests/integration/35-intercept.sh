#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 35-intercept.sh - https rules with path rules or intercept: true: the relay
# terminates TLS with a leaf from its own CA (`egress-supervise ca init`),
# verifies the server against a test upstream CA (tls.upstream_ca), and
# decides every request inside.  Real clients (curl, python, node) against
# nginx with certificates from a test CA made here with the openssl CLI.
#
#   api.test      -> h10: path rules (/v1/ allowed, the rest denied)
#   alias.test    -> h10: intercept: true; h10's certificate does not name it
#   bad.test      -> h20: intercept: true; h20's certificate is from a CA
#                         nobody trusts
#   insecure.test -> h20: as bad.test, with insecure_skip_tls_verify: true
#   plain.test    -> h10: a plain https rule: spliced, never intercepted
. "$(dirname "$0")/lib.sh"

require_root
require_cmd dnsmasq dig nginx openssl curl
world_up

# ------------------------------------------------------------ certificates
P256=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
mkcert() {	# mkcert NAME CA SAN...: NAME.crt/.key signed by CA
	local n=$1 ca=$2 san
	shift 2
	san=$(printf 'DNS:%s,' "$@")
	openssl req "${P256[@]}" -keyout "$T/$n.key" -out "$T/$n.csr" \
		-subj "/CN=$1" 2>/dev/null &&
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"${san%,}" >"$T/$n.ext" &&
	openssl x509 -req -in "$T/$n.csr" -CA "$T/$ca.crt" -CAkey "$T/$ca.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 2 \
		-extfile "$T/$n.ext" -out "$T/$n.crt" 2>/dev/null
}
mkca() {	# mkca NAME
	openssl req -x509 "${P256[@]}" -keyout "$T/$1.key" -out "$T/$1.crt" \
		-subj "/CN=es test $1" -days 2 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign 2>/dev/null
}
mkca upca || bail_out "openssl: test upstream CA"
mkca rogueca || bail_out "openssl: rogue CA"
mkcert h10 upca api.test plain.test || bail_out "openssl: h10 certificate"
mkcert h20 rogueca bad.test insecure.test || bail_out "openssl: h20 certificate"

# ------------------------------------------------------------ servers
UP=198.51.100.1		# dnsmasq on the router
ip netns exec "$NS_NET" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--bind-interfaces --listen-address=$UP --port=53 \
	--log-queries --log-facility="$T/dnsmasq.log" --pid-file="$T/dnsmasq.pid" \
	--host-record=api.test,198.51.100.10 \
	--host-record=alias.test,198.51.100.10 \
	--host-record=plain.test,198.51.100.10 \
	--host-record=bad.test,198.51.100.20 \
	--host-record=insecure.test,198.51.100.20 \
	>"$T/dnsmasq.out" 2>&1 &
_world_pids="$_world_pids $!"

# nginx HOST: HTTPS on 443 with HOST.crt; /v1/hello, /admin/secret, /big
nginx_on() {
	local h=$1 d=$T/nginx-$1
	mkdir -p "$d/www/v1" "$d/www/admin"
	printf 'hello v1 from %s\n' "$h" >"$d/www/v1/hello"
	printf 'secret of %s\n' "$h" >"$d/www/admin/secret"
	head -c 3000000 /dev/urandom >"$d/www/v1/big"
	cat >"$d/nginx.conf" <<-EOF
		daemon off;
		master_process off;
		worker_processes 1;
		pid $d/nginx.pid;
		error_log $d/error.log;
		events { worker_connections 256; }
		http {
		    access_log $d/access.log;
		    client_body_temp_path $d/tmp;
		    proxy_temp_path $d/tmp;
		    fastcgi_temp_path $d/tmp;
		    uwsgi_temp_path $d/tmp;
		    scgi_temp_path $d/tmp;
		    default_type text/plain;
		    keepalive_timeout 30;
		    server {
		        listen 443 ssl;
		        ssl_certificate $T/$h.crt;
		        ssl_certificate_key $T/$h.key;
		        root $d/www;
		    }
		}
	EOF
	mkdir -p "$d/tmp"
	in_ns "$h" nginx -c "$d/nginx.conf" -p "$d" >"$d/out" 2>&1 &
	_world_pids="$_world_pids $!"
}
nginx_on h10
nginx_on h20
for i in $(seq 50); do
	in_client curl -s --cacert "$T/upca.crt" \
		--resolve api.test:443:198.51.100.10 -o /dev/null \
		https://api.test/v1/hello &&
	ip netns exec "$NS_NET" dig +time=1 +tries=1 @$UP api.test \
		>/dev/null 2>&1 && break
	sleep 0.1
done
direct direct curl -s --cacert "$T/upca.crt" \
	--resolve api.test:443:198.51.100.10 https://api.test/v1/hello
expect_line direct "^hello v1 from h10$" "the world: nginx on h10 answers directly"

# ------------------------------------------------------------ the CA
es_run cainit ca init "$T/ca"
expect_rc 0 cainit "ca init creates a CA"
is "$(stat -c '%a %u' "$T/ca/ca.key" 2>/dev/null)" "600 $(id -u)" \
	"ca.key has mode 0600 and belongs to the user who ran ca init"
like "$(openssl pkey -in "$T/ca/ca.key" -noout -text 2>/dev/null | grep -m1 NIST)" \
	"P-256" "the CA key is ECDSA P-256"
es_run cainit2 ca init "$T/ca"
expect_rc 1 cainit2 "ca init refuses to replace an existing CA"
es_run caexport ca export "$T/ca"
is "$(cat "$T/caexport.out")" "$(cat "$T/ca/ca.crt")" "ca export prints the CA certificate"
is "$(openssl x509 -in "$T/caexport.out" -noout -ext basicConstraints 2>/dev/null | tail -n1 | tr -d ' ')" \
	"CA:TRUE,pathlen:0" "the exported certificate is a CA"

cat >"$T/policy.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$UP]
	tls:
	  ca_dir: $T/ca
	  upstream_ca: $T/upca.crt
	rules:
	  - dst: api.test
	    proto: https
	    path_rules:
	      - { path: /v1/, action: allow }
	    path_default: deny
	  - dst: alias.test
	    proto: https
	    intercept: true
	  - dst: bad.test
	    proto: https
	    intercept: true
	  - dst: insecure.test
	    proto: https
	    intercept: true
	    insecure_skip_tls_verify: true
	  - dst: plain.test
	    proto: https
	  - dst: api.test
	    proto: http
	    path_rules:
	      - { path: /v1/, action: allow }
YAML

es() {
	es_run "$1" --policy "$T/policy.yaml" --log "$T/$1.json" -- "${@:2}"
}
CURL=(curl -sS --max-time 20 --cacert "$T/ca/ca.crt")

# ------------------------------------------------------------ curl
: >"$T/nginx-h10/access.log"
es curl "${CURL[@]}" -w '%{http_code}\n' https://api.test/v1/hello
expect_line curl "^hello v1 from h10$" "curl: an allowed path passes with its content"
expect_line curl "^200$" "curl: 200"
file_like "$T/curl.json" '"event":"intercept".*"sni":"api.test".*"leaf":"minted".*"tls_upstream":"TLSv1\.[23]".*"verify":true' \
	"the intercept is logged: leaf minted, upstream verified"
file_like "$T/curl.json" '"event":"http","verdict":"allow".*"proto":"tls_intercept".*"host":"api.test","method":"GET","path":"/v1/hello"' \
	"the request is logged with host, method and path"
grep -v '"event":"dns"' "$T/curl.json" >"$T/curl.decisions.json"
expect_json "$T/curl.decisions.json" "every decision's log line is JSON with the decision's keys"
file_like "$T/nginx-h10/access.log" '"GET /v1/hello HTTP/1.1" 200' "nginx served the request"

es curlissuer "${CURL[@]}" -v -o /dev/null https://api.test/v1/hello
if grep -q "issuer:.*egress-supervise interception CA" "$T/curlissuer.err"; then
	ok "curl saw a leaf issued by the interception CA"
else
	not_ok "curl saw a leaf issued by the interception CA"
	show curlissuer
fi

: >"$T/nginx-h10/access.log"
es deny "${CURL[@]}" -D "$T/deny.hdr" https://api.test/admin/secret
is "$(head -n1 "$T/deny.hdr" | tr -d '\r')" "HTTP/1.1 403 Forbidden" "curl: a denied path gets 403"
file_like "$T/deny.hdr" '^X-Egress-Denied: path_default' "with X-Egress-Denied: path_default"
expect_line deny "^egress-supervise: .*\(path_default\)$" "and a one-line body"
file_unlike "$T/nginx-h10/access.log" 'admin' "nginx never saw the denied request"
file_like "$T/deny.err" 'DENY https GET api.test/admin/secret' "one human line names the denied request"

# keep-alive: the second request on the same connection is denied
: >"$T/nginx-h10/access.log"
es keep "${CURL[@]}" -o /dev/null -w '%{http_code} %{num_connects}\n' \
	https://api.test/v1/hello -o /dev/null https://api.test/admin/secret
expect_line keep "^200 1$" "keep-alive: the first request passed"
expect_line keep "^403 0$" "keep-alive: the second, on the same connection, is denied"
file_unlike "$T/nginx-h10/access.log" 'admin' "nginx never saw the second request"
file_like "$T/keep.json" '"event":"close".*"proto":"tls_intercept".*"requests":2' \
	"one connection carried both requests"

# a large response, byte for byte
es big "${CURL[@]}" -o "$T/big.got" https://api.test/v1/big
is "$(cmp "$T/big.got" "$T/nginx-h10/www/v1/big" && echo same)" "same" \
	"a 3 MB response arrives intact"

# a request head split over two TLS records is decided as a whole
cat >"$T/split.py" <<-'PY'
	import socket, ssl, sys, time
	ctx = ssl.create_default_context(cafile=sys.argv[1])
	s = ctx.wrap_socket(socket.create_connection(("api.test", 443), timeout=10),
	                    server_hostname="api.test")
	s.sendall(b"GET /admin/secret HTTP/1.1\r\nHost: api.test\r\n")
	time.sleep(0.5)
	s.sendall(b"\r\n")
	data = b""
	while True:
	    try:
	        b = s.recv(4096)
	    except (ssl.SSLError, OSError):
	        break
	    if not b:
	        break
	    data += b
	print(data.split(b"\r\n")[0].decode())
PY
: >"$T/nginx-h10/access.log"
es split python3 "$T/split.py" "$T/ca/ca.crt"
expect_line split "^HTTP/1.1 403 Forbidden$" "a head split over two records is denied"
file_unlike "$T/nginx-h10/access.log" 'admin' "no part of it reached nginx"

# the same on plain http (es-server on h10:80 logs what arrives)
cat >"$T/split80.py" <<-'PY'
	import socket, time
	s = socket.create_connection(("api.test", 80), timeout=10)
	s.sendall(b"GET /admin/secret HTTP/1.1\r\nHost: api.test\r\n")
	time.sleep(0.5)
	s.sendall(b"\r\n")
	data = b""
	while True:
	    try:
	        b = s.recv(4096)
	    except OSError:
	        break
	    if not b:
	        break
	    data += b
	for line in data.split(b"\r\n"):
	    print(line.decode(errors="replace"))
PY
world_reset
es split80 python3 "$T/split80.py"
expect_line split80 "^HTTP/1.1 403 Forbidden$" "http: a head split over two segments is denied"
file_unlike "$(world_log h10)" 'admin' "no part of it reached the server"

# the leaf cache: one supervisor, two connections to the same name
es cache sh -c "${CURL[*]} -o /dev/null https://api.test/v1/hello; ${CURL[*]} -o /dev/null https://api.test/v1/hello"
is "$(grep -c '"event":"intercept".*"leaf":"minted"' "$T/cache.json")" 1 \
	"the first connection minted the leaf"
is "$(grep -c '"event":"intercept".*"leaf":"cached"' "$T/cache.json")" 1 \
	"the second connection took it from the cache"

# CMD that does not trust the CA: the handshake fails, the log says why
es untrusted curl -sS --max-time 20 https://api.test/v1/hello
expect_rc 60 untrusted "curl without the CA refuses the leaf (exit 60)"
file_like "$T/untrusted.err" 'TLS interception of api.test .*does it trust the CA' \
	"the log says CMD refused the interception certificate"

# ------------------------------------------------------------ upstream failures
es bad "${CURL[@]}" -D "$T/bad.hdr" https://bad.test/v1/hello
is "$(head -n1 "$T/bad.hdr" | tr -d '\r')" "HTTP/1.1 502 Bad Gateway" \
	"a server whose CA nobody trusts: 502"
file_like "$T/bad.hdr" '^X-Egress-Denied: upstream_tls' "with X-Egress-Denied: upstream_tls"
expect_line bad '^egress-supervise: upstream TLS failed: certificate verify failed: (self-signed|self signed|unable to get local issuer).*\(upstream_tls\)$' \
	"the body names the verify error"
file_like "$T/bad.json" '"event":"intercept","verdict":"deny".*"reason":"upstream_tls".*"tls_error":"certificate verify failed' \
	"one log line carries the verify error"
file_unlike "$T/nginx-h20/access.log" 'GET' "the untrusted server got no request"

es alias "${CURL[@]}" -D "$T/alias.hdr" https://alias.test/v1/hello
is "$(head -n1 "$T/alias.hdr" | tr -d '\r')" "HTTP/1.1 502 Bad Gateway" \
	"a server whose certificate does not name the SNI: 502"
expect_line alias 'certificate verify failed: [Hh]ostname mismatch' "the body says hostname mismatch"

es insecure "${CURL[@]}" https://insecure.test/v1/hello
expect_line insecure "^hello v1 from h20$" "insecure_skip_tls_verify lets the untrusted server through"
file_like "$T/insecure.json" '"event":"intercept".*"verify":false' "logged with verify false"

# a plain https rule is spliced: CMD sees the server's own certificate
es plain curl -sS --max-time 20 --cacert "$T/upca.crt" https://plain.test/v1/hello
expect_line plain "^hello v1 from h10$" "a plain https rule is not intercepted"
file_unlike "$T/plain.json" '"event":"intercept"' "no intercept event for it"

# ------------------------------------------------------------ python
cat >"$T/client.py" <<-'PY'
	import sys
	url = sys.argv[1]
	try:
	    import requests
	    r = requests.get(url, timeout=20)
	    print("lib requests")
	    print("status", r.status_code, r.headers.get("X-Egress-Denied", "-"))
	    print("body", r.text.strip())
	except ImportError:
	    import ssl, urllib.request, urllib.error, os
	    ctx = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
	    print("lib urllib")
	    try:
	        r = urllib.request.urlopen(url, context=ctx, timeout=20)
	        print("status", r.status, r.headers.get("X-Egress-Denied", "-"))
	        print("body", r.read().decode().strip())
	    except urllib.error.HTTPError as e:
	        print("status", e.code, e.headers.get("X-Egress-Denied", "-"))
	        print("body", e.read().decode().strip())
PY
es py env REQUESTS_CA_BUNDLE="$T/ca/ca.crt" sh -c \
	"python3 $T/client.py https://api.test/v1/hello; python3 $T/client.py https://api.test/admin/secret"
diag "python client: $(grep '^lib' "$T/py.out" | head -n1)"
expect_line py "^body hello v1 from h10$" "python: an allowed path passes"
expect_line py "^status 403 path_default$" "python: a denied path gets 403 with the header"

# ------------------------------------------------------------ node
if command -v node >/dev/null 2>&1; then
	cat >"$T/client.js" <<-'JS'
		const https = require("https");
		const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
		function get(path) {
		  return new Promise((ok, fail) => {
		    https.get({ host: "api.test", path, agent }, (res) => {
		      const issuer = res.socket.getPeerCertificate().issuer.O;
		      let body = "";
		      res.on("data", (d) => (body += d));
		      res.on("end", () => ok([res.statusCode, res.headers["x-egress-denied"] || "-", body.trim(), issuer]));
		    }).on("error", fail);
		  });
		}
		(async () => {
		  for (const p of ["/v1/hello", "/admin/secret"]) {
		    const [s, d, b, o] = await get(p);
		    console.log("status", s, d, "issuer", o);
		    console.log("body", b);
		  }
		  agent.destroy();
		})().catch((e) => { console.log("error", e.code || e.message); process.exit(1); });
	JS
	es node env NODE_EXTRA_CA_CERTS="$T/ca/ca.crt" node "$T/client.js"
	expect_line node "^body hello v1 from h10$" "node: an allowed path passes (NODE_EXTRA_CA_CERTS)"
	expect_line node "^status 200 - issuer egress-supervise$" "node: the leaf is from the interception CA"
	expect_line node "^status 403 path_default" "node: a denied path gets 403 with the header"
else
	not_ok "node is installed (the test world needs it)"
fi

done_testing
