# SPDX-License-Identifier: GPL-2.0-or-later
# relay-world.sh - the world of bench-relay.sh and soak.sh (sourced)
#
# Two network namespaces joined by a veth pair, nothing else:
#
#   esr<PID>-c  lo, veth 198.51.100.1/24  the client (and the supervisor)
#   esr<PID>-s  lo, veth 198.51.100.2/24  nginx on 80 (http) and 443 (https,
#               a certificate made here), bench-server on 7000
#               (accept and close); port 7001 is closed
#
# nginx serves /small (6 bytes) and /big (RELAY_BULK_MB MiB of zeros, a
# sparse file: the page cache serves it, the disk is not what is
# measured), keeps connections alive and takes 60,000 of them.  Only
# documentation addresses and loopback are used.
#
# The caller sets BENCH_NAME, then: rw_private_etc "$@"; rw_world_up;
# rw_nginx; rw_bench_server.  rw_sup_stat PID prints "RSS_KB FDS PIPES" of
# a process; rw_wait_line FILE ERE [SECS] polls a file.

: "${ES_BIN:=$BENCH_DIR/../../egress-supervise}"
: "${BENCH_BIN:=$BENCH_DIR}"
: "${RELAY_BULK_MB:=512}"

NS_C=esr$$-c
NS_S=esr$$-s
ADDR_C=198.51.100.1
ADDR_S=198.51.100.2
PYTHON=${PYTHON:-python3}
RW_PIDS=()

die() {
	echo "$BENCH_NAME: $*" >&2
	exit 2
}

# rw_private_etc "$@": re-run the script in its own mount namespace over a
# private copy of /etc (the supervisor may rewrite /etc/resolv.conf in
# place when it cannot give CMD a private mount), with BENCH_NICE applied.
rw_private_etc() {
	[ "$(id -u)" = 0 ] || die "needs root (it creates network namespaces)"
	if [ -z "${BENCH_PRIVATE_ETC:-}" ] && command -v unshare >/dev/null; then
		BENCH_PRIVATE_ETC=1 exec nice -n "${BENCH_NICE:-0}" \
			unshare -m --propagation private bash "$0" "$@"
	fi
}

rw_cleanup() {
	local p
	for p in "${RW_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for p in $(ip netns pids "$NS_C" 2>/dev/null) $(ip netns pids "$NS_S" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	[ -n "${BENCH_PRIVATE_ETC:-}" ] && umount /etc 2>/dev/null
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

rw_world_up() {
	local ns
	command -v ip >/dev/null || die "needs ip(8) (iproute2)"
	[ -x "$ES_BIN" ] || die "no supervisor at ES_BIN=$ES_BIN"
	TMP=$(mktemp -d /tmp/es-bench-relay.XXXXXX) || die "mktemp failed"
	chmod 755 "$TMP"
	trap rw_cleanup EXIT
	trap 'exit 130' INT TERM
	if [ -n "${BENCH_PRIVATE_ETC:-}" ]; then
		if ! cp -a /etc "$TMP/etc" || ! mount --bind "$TMP/etc" /etc; then
			die "could not make a private /etc"
		fi
	fi
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
	for ns in "$NS_C" "$NS_S"; do
		ip netns exec "$ns" sh -c '
			sysctl -qw net.core.somaxconn=65535
			sysctl -qw net.ipv4.tcp_max_syn_backlog=65535
			sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
			sysctl -qw net.ipv4.tcp_tw_reuse=1
		' || die "sysctl in $ns failed"
	done
}

# rw_listening NS PORT [SECS]: poll until a TCP socket listens on PORT
rw_listening() {
	local i
	for i in $(seq $(( ${3:-10} * 20 ))); do
		ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null |
			grep -q LISTEN && return 0
		sleep 0.05
	done
	return 1
}

rw_nginx() {
	local d=$TMP/nginx
	command -v nginx >/dev/null || die "needs nginx"
	command -v openssl >/dev/null || die "needs openssl"
	mkdir -p "$d/www"
	echo small >"$d/www/small"
	truncate -s "${RELAY_BULK_MB}M" "$d/www/big"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 2 \
		-subj "/CN=$ADDR_S" -addext "subjectAltName=IP:$ADDR_S" \
		>"$d/openssl.log" 2>&1 || die "openssl: $(cat "$d/openssl.log")"
	chmod -R a+rX "$d"
	cat >"$d/nginx.conf" <<-EOF
		user nobody nogroup;
		worker_processes 1;
		worker_rlimit_nofile $(ulimit -Hn);
		daemon off;
		pid $d/nginx.pid;
		error_log $d/error.log warn;
		events { worker_connections 60000; }
		http {
			access_log off;
			client_body_temp_path $d/body;
			proxy_temp_path $d/proxy;
			fastcgi_temp_path $d/fastcgi;
			uwsgi_temp_path $d/uwsgi;
			scgi_temp_path $d/scgi;
			default_type application/octet-stream;
			sendfile on;
			keepalive_requests 1000000;
			keepalive_timeout 600s;
			server {
				listen 80 backlog=65535;
				listen 443 ssl backlog=65535;
				ssl_certificate $d/cert.pem;
				ssl_certificate_key $d/key.pem;
				root $d/www;
			}
		}
	EOF
	ip netns exec "$NS_S" sh -c 'ulimit -n "$(ulimit -Hn)"; exec nginx -e "$1" -p "$2" -c "$3"' \
		sh "$d/error.log" "$d" "$d/nginx.conf" >"$d/out" 2>&1 &
	RW_PIDS+=($!)
	rw_listening "$NS_S" 443 && rw_listening "$NS_S" 80 ||
		die "nginx did not start: $(cat "$d/out" "$d/error.log")"
}

rw_bench_server() {
	local out=$TMP/bench-server i
	[ -x "$BENCH_BIN/bench-server" ] ||
		die "no bench-server in BENCH_BIN=$BENCH_BIN (make bench)"
	ip netns exec "$NS_S" "$BENCH_BIN/bench-server" -t 2 7000 >"$out" 2>&1 &
	RW_PIDS+=($!)
	SRV_PID=$!
	for i in $(seq 100); do
		grep -q ready "$out" 2>/dev/null && return 0
		sleep 0.05
	done
	die "bench-server did not start: $(cat "$out")"
}

# rw_sup_stat PID: "RSS_KB FDS PIPES" of PID
rw_sup_stat() {
	local rss fds pipes
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	fds=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	pipes=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -lname 'pipe:*' 2>/dev/null | wc -l)
	echo "${rss:-0} $fds $pipes"
}

# rw_wait_line FILE ERE [SECS]: poll until a line of FILE matches
rw_wait_line() {
	local end=$((SECONDS + ${3:-60}))
	while [ "$SECONDS" -le "$end" ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

# rw_is_supervisor PID: PID is egress-supervise (ip netns exec execs its
# command, so the pid of "ip netns exec NS egress-supervise" is its own)
rw_is_supervisor() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = egress-supervis ]
}
