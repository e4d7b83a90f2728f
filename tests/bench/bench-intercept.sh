#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-intercept.sh - HTTPS requests per second through TLS interception
# (an https rule with path rules) and directly to the same nginx, in the
# same run
#
#	ES_BIN=.../egress-supervise BENCH_BIN=.../tests/bench bash bench-intercept.sh
#
# Run as root (it creates network namespaces).  Environment:
#   ES_BIN, BENCH_BIN, BENCH_SECONDS (default 2), BENCH_ROUNDS (default 5),
#   BENCH_NICE: as for bench.sh.
#
# The world: esi<PID>-c (198.51.100.1) and esi<PID>-s (198.51.100.2: nginx,
# HTTPS on 443 with a certificate for bench.test from a CA made here),
# joined by a veth pair; documentation addresses only.
#
# Supervised runs use
#	tls: { ca_dir: (made by egress-supervise ca init), upstream_ca: ... }
#	rules: [ { dst: 198.51.100.2/32, proto: https,
#		   path_rules: [ { path: /, action: allow } ] } ]
# so every connection is intercepted (a leaf from the cache after the
# first) and every request decided; the client trusts the interception CA.
# Direct runs trust the server's CA.  Metrics (bench-https), the order
# alternating from round to round, the table showing medians:
#   - keep-alive: requests on one connection (1 KiB responses), 1 and 4
#     connections;
#   - new connection per request: TCP + both TLS handshakes each time;
#   - 1 MiB responses on keep-alive connections (the copy through TLS).
# ratio = supervised / direct (of the medians); "r. ratio" = the median of
# each round's ratio of its back-to-back runs.
#
# Exit status: 0 when every run worked, 1 when one failed, 2 on setup errors.

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${ES_BIN:=$BENCH_DIR/../../egress-supervise}"
: "${BENCH_BIN:=$BENCH_DIR}"
: "${BENCH_SECONDS:=2}"
: "${BENCH_ROUNDS:=5}"

BH=$BENCH_BIN/bench-https
NS_C=esi$$-c
NS_S=esi$$-s
ADDR_C=198.51.100.1
ADDR_S=198.51.100.2

die() {
	echo "bench-intercept.sh: $*" >&2
	exit 2
}

[ "$(id -u)" = 0 ] || die "needs root (it creates network namespaces)"
# A private /etc, as in bench.sh: the supervisor may rewrite resolv.conf
if [ -z "${BENCH_PRIVATE_ETC:-}" ] && command -v unshare >/dev/null; then
	BENCH_PRIVATE_ETC=1 exec nice -n "${BENCH_NICE:-0}" \
		unshare -m --propagation private bash "${BASH_SOURCE[0]}" "$@"
fi
[ -x "$ES_BIN" ] || die "no supervisor at ES_BIN=$ES_BIN"
[ -x "$BH" ] || die "no bench-https in BENCH_BIN=$BENCH_BIN (make bench)"
command -v nginx >/dev/null || die "needs nginx"
command -v openssl >/dev/null || die "needs the openssl command"

TMP=$(mktemp -d /tmp/es-bench-icpt.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
SRV=
if [ -n "${BENCH_PRIVATE_ETC:-}" ]; then
	cp -a /etc "$TMP/etc" && mount --bind "$TMP/etc" /etc ||
		die "could not make a private /etc"
fi

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	[ -n "${BENCH_PRIVATE_ETC:-}" ] && umount /etc 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# certificates: the server's CA and the server's leaf for bench.test
P256=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${P256[@]}" -keyout "$TMP/srvca.key" -out "$TMP/srvca.crt" \
	-subj "/CN=es bench server CA" -days 2 \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign 2>/dev/null &&
openssl req "${P256[@]}" -keyout "$TMP/srv.key" -out "$TMP/srv.csr" \
	-subj "/CN=bench.test" 2>/dev/null &&
printf 'subjectAltName=DNS:bench.test\nextendedKeyUsage=serverAuth\n' >"$TMP/srv.ext" &&
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/srvca.crt" \
	-CAkey "$TMP/srvca.key" -set_serial 7 -days 2 -extfile "$TMP/srv.ext" \
	-out "$TMP/srv.crt" 2>/dev/null || die "openssl: certificates"
"$ES_BIN" ca init "$TMP/ca" 2>/dev/null || die "egress-supervise ca init"

ip netns add "$NS_C" || die "ip netns add $NS_C"
ip netns add "$NS_S" || die "ip netns add $NS_S"
ip -n "$NS_C" link set lo up
ip -n "$NS_S" link set lo up
ip -n "$NS_C" link add veth0 type veth peer name veth0 netns "$NS_S" ||
	die "veth pair"
ip -n "$NS_C" addr add "$ADDR_C/24" dev veth0
ip -n "$NS_S" addr add "$ADDR_S/24" dev veth0
ip -n "$NS_C" link set veth0 up
ip -n "$NS_S" link set veth0 up

mkdir -p "$TMP/www" "$TMP/tmp"
head -c 1024 /dev/zero | tr '\0' x >"$TMP/www/1k"
head -c 1048576 /dev/urandom >"$TMP/www/1m"
cat >"$TMP/nginx.conf" <<-EOF
	daemon off;
	worker_processes 1;
	pid $TMP/nginx.pid;
	error_log $TMP/nginx.err;
	events { worker_connections 1024; }
	http {
	    access_log off;
	    client_body_temp_path $TMP/tmp;
	    proxy_temp_path $TMP/tmp;
	    fastcgi_temp_path $TMP/tmp;
	    uwsgi_temp_path $TMP/tmp;
	    scgi_temp_path $TMP/tmp;
	    default_type application/octet-stream;
	    keepalive_requests 1000000;
	    server {
	        listen 443 ssl;
	        ssl_certificate $TMP/srv.crt;
	        ssl_certificate_key $TMP/srv.key;
	        ssl_session_tickets off;
	        ssl_session_cache off;
	        root $TMP/www;
	    }
	}
EOF
ip netns exec "$NS_S" nginx -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx.out" 2>&1 &
SRV=$!
for _ in $(seq 100); do
	ip netns exec "$NS_C" "$BH" -d 0.05 -C "$TMP/srvca.crt" "$ADDR_S" 443 /1k \
		>/dev/null 2>&1 && break
	sleep 0.05
done
ip netns exec "$NS_C" "$BH" -d 0.05 -C "$TMP/srvca.crt" "$ADDR_S" 443 /1k \
	>/dev/null 2>&1 || die "nginx did not start: $(cat "$TMP/nginx.out" "$TMP/nginx.err" 2>/dev/null)"

cat >"$TMP/policy.yaml" <<-EOF
	version: 1
	tls:
	  ca_dir: $TMP/ca
	  upstream_ca: $TMP/srvca.crt
	rules:
	  - dst: $ADDR_S/32
	    proto: https
	    path_rules:
	      - { path: /, action: allow }
EOF
"$ES_BIN" check "$TMP/policy.yaml" >/dev/null || die "bad bench policy"

# NAME|ARGS|PATH
METRICS=(
	"keep-alive 1 KiB, 1 conn|-k|/1k"
	"keep-alive 1 KiB, 4 conns|-k -c 4|/1k"
	"new conn/request, 1|""|/1k"
	"new conn/request, 4 par.|-c 4|/1k"
	"keep-alive 1 MiB, 1 conn|-k|/1m"
)
declare -A VAL LAST RATIO
FAILED=0

kv() {
	local w
	for w in $1; do
		case $w in "$2"=*) echo "${w#*=}"; return ;; esac
	done
}

run_one() {
	local name args path line cmd ca

	IFS='|' read -r name args path <<<"${METRICS[$1]}"
	ca=$TMP/srvca.crt
	[ "$2" = supervised ] && ca=$TMP/ca/ca.crt
	# shellcheck disable=SC2206 # ARGS are words
	cmd=("$BH" -d "$BENCH_SECONDS" $args -C "$ca" "$ADDR_S" 443 "$path")
	[ "$2" = supervised ] &&
		cmd=("$ES_BIN" --policy "$TMP/policy.yaml" --log /dev/null -- "${cmd[@]}")
	line=$(ip netns exec "$NS_C" "${cmd[@]}" 2>"$TMP/err") || {
		FAILED=1
		sed 's/^/  stderr: /' "$TMP/err" >&2
	}
	printf '  %-11s %-27s %s\n' "$2" "$name" "$line" >&2
	VAL[$1,$2]+=" $(kv "$line" rate)"
	LAST[$1,$2]=$(kv "$line" rate)
}

round_ratio() {
	RATIO[$1]+=" $(awk -v d="${LAST[$1,direct]:-0}" \
		-v s="${LAST[$1,supervised]:-0}" \
		'BEGIN { if (d > 0 && s > 0) printf "%.3f", s / d }')"
}

median() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '
		{ a[NR] = $1 }
		END {
			if (!NR) { print "nan"; exit }
			if (NR % 2) print a[(NR + 1) / 2]
			else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

NMET=${#METRICS[@]}
echo "bench-intercept.sh: $(nproc) CPUs, kernel $(uname -r), $BENCH_ROUNDS" \
	"rounds of $NMET metrics x 2, ${BENCH_SECONDS}s each" >&2
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$BENCH_ROUNDS"); do
	echo "round $r" >&2
	for ((i = 0; i < NMET; i++)); do
		if ((r % 2)); then
			run_one "$i" direct
			run_one "$i" supervised
		else
			run_one "$i" supervised
			run_one "$i" direct
		fi
		round_ratio "$i"
	done
done

# shellcheck disable=SC2086
{
	echo
	echo "egress-supervise TLS interception bench: $(nproc) CPUs, kernel" \
		"$(uname -r), median of $BENCH_ROUNDS rounds x ${BENCH_SECONDS}s"
	echo "load average before: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-28s %12s %12s %7s %10s %8s\n' metric "direct req/s" \
		"interc. req/s" ratio "+us/req" "r. ratio"
	for ((i = 0; i < NMET; i++)); do
		IFS='|' read -r name _ <<<"${METRICS[$i]}"
		d=$(median ${VAL[$i,direct]})
		s=$(median ${VAL[$i,supervised]})
		rr=$(median ${RATIO[$i]:-})
		awk -v n="$name" -v d="$d" -v s="$s" -v rr="$rr" 'BEGIN {
			printf "%-28s %12.0f %12.0f %6.2fx %10.1f %7.2fx\n",
			       n, d, s, (d > 0) ? s / d : 0,
			       (s > 0 && d > 0) ? 1e6 / s - 1e6 / d : 0, rr }'
	done
}
exit "$FAILED"
