# SPDX-License-Identifier: GPL-2.0-or-later
# lib-servers.sh - real servers in the world's hosts, for the relay tests
#
# Source it after lib.sh and before world_up:
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/lib-servers.sh"
#	world_up; srv_dns; srv_pki; srv_nginx h10 h20 ...
#
# Everything lives in the test's $T and in its namespaces, so it goes away
# with the world (lib.sh's cleanup kills every process of the namespaces).
#
#   srv_dns [ARGS]	dnsmasq on the router, $DNS_UP (198.51.100.1): hN.test
#			and www.hN.test for each host, A and AAAA; ARGS are
#			more dnsmasq options (--host-record=...)
#   srv_pki		a test CA ($CA, the clients' bundle) and, per host, a
#			leaf $T/pki/HOST.pem/.key for hN.test, www.hN.test and
#			both addresses
#   srv_nginx HOST...	nginx: http 80, https 443 and 8443, IPv4 and IPv6;
#			/ /allowed/x /secret/x /mid (1 MiB, $MID_SHA) /big;
#			header X-Host: HOST;
#			one access log per host: srv_access HOST
#   srv_big		the 64 MiB random /big of every host; $BIG_SHA
#   srv_ftp HOST...	vsftpd: anonymous, read-only, passive on ports
#			30000-30009, IPv4 and IPv6; /file.bin ($FTP_SHA,
#			$FTP_SIZE bytes); its log: $T/HOST.vsftpd.log
#   srv_sshd HOST PORT	OpenSSH's sshd (host key made here)
#   srv_greeter HOST PORT FILE [close]	socat sending FILE to every
#			connection, then echoing (or closing): a fake server
#   srv_banner HOST PORT TEXT [close]	the same with the line TEXT CR LF
#   srv_selftest HOST...	every server answers directly (no supervisor);
#			bails out when one does not, then empties the logs
#   srv_reset		world_reset and empty the access logs
#   srv_data HOST	data-carrying TCP segments from the client at HOST
#			(bare handshakes do not count)
#   expect_silent HOST DESC	test point: no request, no data at HOST
#   ev_count FILE k=v...	JSON log lines with these values (v "~ERE")
#   expect_event FILE N DESC k=v...	test point: N such lines ("1+")
#   ev_get FILE KEY k=v...	KEY of the last such line
#   wait_listen HOST PORT	poll until HOST listens on TCP PORT
#   go_client		the static Go client ($GOCLI), built if needed
#   sha FILE		the SHA-256 of FILE
#
# es-server.py keeps TCP 22 only (port 80 is nginx's) unless the test sets
# ES_SERVER_TCP itself before world_up.

: "${ES_SERVER_TCP=22}"
DNS_UP=198.51.100.1
CA=
BIG_SHA=
MID_SHA=
FTP_SHA=
FTP_SIZE=
GOCLI=

# name_of HOST: the DNS name of a host of the world
name_of() {
	echo "$1.test"
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# wait_listen HOST PORT [SECONDS]: until a TCP socket listens on PORT
wait_listen() {
	local ns i n=$(( ${3:-10} * 20 ))
	ns=$(ns_of "$1")
	for i in $(seq "$n"); do
		ip netns exec "$ns" ss -Hltn "sport = :$2" 2>/dev/null |
			grep -q LISTEN && return 0
		sleep 0.05
	done
	return 1
}

# _bg NS LOG CMD...: CMD in the background inside NS, killed with the world
_bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	_world_pids="$_world_pids $!"
}

# ---------------------------------------------------------------- DNS
srv_dns() {
	local h args=()
	require_cmd dnsmasq dig
	for h in $ES_HOSTS; do
		args+=("--host-record=$(name_of "$h"),$(v4_of "$h"),$(v6_of "$h")")
		args+=("--host-record=www.$(name_of "$h"),$(v4_of "$h"),$(v6_of "$h")")
	done
	_bg "$NS_NET" "$T/dnsmasq.out" dnsmasq --keep-in-foreground \
		--no-resolv --no-hosts --bind-interfaces \
		--listen-address=$DNS_UP --port=53 --log-queries \
		--log-facility="$T/dnsmasq.log" --pid-file="$T/dnsmasq.pid" \
		"${args[@]}" "$@"
	for i in $(seq 100); do
		ip netns exec "$NS_NET" dig +time=1 +tries=1 +short \
			@$DNS_UP "$(name_of h10)" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	cat "$T/dnsmasq.out" >&2
	bail_out "dnsmasq did not start"
}

# ---------------------------------------------------------------- PKI
srv_pki() {
	local d=$T/pki h
	require_cmd openssl
	[ -n "$CA" ] && return 0
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
		-subj "/CN=egress-supervise test CA $$" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		>"$d/log" 2>&1 || { cat "$d/log" >&2; bail_out "openssl: CA"; }
	for h in $ES_HOSTS; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout "$d/$h.key" -out "$d/$h.csr" \
			-subj "/CN=$(name_of "$h")" >>"$d/log" 2>&1 &&
		printf '%s\n' \
			"subjectAltName=DNS:$(name_of "$h"),DNS:www.$(name_of "$h"),IP:$(v4_of "$h"),IP:$(v6_of "$h")" \
			"basicConstraints=critical,CA:FALSE" \
			"keyUsage=critical,digitalSignature" \
			"extendedKeyUsage=serverAuth" >"$d/$h.ext" &&
		openssl x509 -req -in "$d/$h.csr" -CA "$d/ca.pem" \
			-CAkey "$d/ca.key" -CAcreateserial -days 2 \
			-extfile "$d/$h.ext" -out "$d/$h.pem" >>"$d/log" 2>&1 ||
			{ cat "$d/log" >&2; bail_out "openssl: leaf for $h"; }
	done
	chmod 644 "$d"/*
	CA=$d/ca.pem
}

# ---------------------------------------------------------------- nginx
# The content of HOST: every file names its host, so that a client can tell
# which host answered.
_srv_www() {
	local w=$T/www/$1
	[ -d "$w" ] && return 0
	if [ -z "$MID_SHA" ]; then
		head -c 1M /dev/urandom >"$T/mid"
		chmod 644 "$T/mid"
		MID_SHA=$(sha "$T/mid")
	fi
	mkdir -p "$w/allowed" "$w/secret"
	echo "index $1" >"$w/index.html"
	echo "allowed $1" >"$w/allowed/x"
	echo "secret $1" >"$w/secret/x"
	ln -s "$T/big" "$w/big"
	ln -s "$T/mid" "$w/mid"
	chmod -R a+rX "$T/www"
}

# srv_big: the 64 MiB random file behind every host's /big
srv_big() {
	[ -n "$BIG_SHA" ] && return 0
	head -c 64M /dev/urandom >"$T/big" || bail_out "no room for $T/big"
	chmod 644 "$T/big"
	BIG_SHA=$(sha "$T/big")
}

# srv_access HOST: HOST's nginx access log, one line per request:
#	CLIENT "HOST-HEADER" "REQUEST-LINE" STATUS BYTES PORT "SNI"
srv_access() {
	echo "$T/$1.access.log"
}

srv_nginx() {
	local h d user=
	require_cmd nginx
	srv_pki
	[ "$(id -u)" = 0 ] && user="user nobody nogroup;"
	for h in "$@"; do
		_srv_www "$h"
		d=$T/nginx-$h
		mkdir -p "$d"
		: >"$(srv_access "$h")"
		chmod 666 "$(srv_access "$h")"
		cat >"$d/nginx.conf" <<-EOF
			$user
			worker_processes 1;
			daemon off;
			pid $d/nginx.pid;
			error_log $d/error.log warn;
			events { worker_connections 16384; }
			http {
				log_format es '\$remote_addr "\$http_host" "\$request" \$status \$body_bytes_sent \$server_port "\$ssl_server_name"';
				access_log $(srv_access "$h") es;
				client_body_temp_path $d/body;
				proxy_temp_path $d/proxy;
				fastcgi_temp_path $d/fastcgi;
				uwsgi_temp_path $d/uwsgi;
				scgi_temp_path $d/scgi;
				default_type application/octet-stream;
				sendfile on;
				keepalive_requests 10000;
				keepalive_timeout 60s;
				server {
					listen 80 default_server;
					listen [::]:80 default_server;
					listen 443 ssl default_server;
					listen [::]:443 ssl default_server;
					listen 8443 ssl default_server;
					listen [::]:8443 ssl default_server;
					server_name _;
					ssl_certificate $T/pki/$h.pem;
					ssl_certificate_key $T/pki/$h.key;
					root $T/www/$h;
					add_header X-Host $h always;
					location / { }
				}
			}
		EOF
		_bg "$(ns_of "$h")" "$d/out" nginx -e "$d/error.log" -p "$d" \
			-c "$d/nginx.conf"
		_srv_data_counter "$h"
	done
	for h in "$@"; do
		wait_listen "$h" 8443 && wait_listen "$h" 80 && continue
		cat "$T/nginx-$h/out" "$T/nginx-$h/error.log" >&2
		bail_out "nginx on $h did not start"
	done
}

# _srv_data_counter HOST: a second counter, of the client's TCP segments
# that carry data (longer than any bare SYN/ACK/FIN with options): a host
# the relay connected to but sent nothing has 0 here.
_srv_data_counter() {
	ip netns exec "$(ns_of "$1")" nft list counter inet es data_from_client \
		>/dev/null 2>&1 && return 0
	ip netns exec "$(ns_of "$1")" nft -f - <<-EOF || bail_out "nft on $1"
		add counter inet es data_from_client
		add rule inet es pre ip saddr 192.0.2.2 meta l4proto tcp ip length > 100 counter name "data_from_client"
		add rule inet es pre ip6 saddr 2001:db8:1::2 meta l4proto tcp ip6 length > 80 counter name "data_from_client"
	EOF
}

# srv_data HOST: the client's data-carrying TCP segments that reached HOST
srv_data() {
	ip netns exec "$(ns_of "$1")" nft list counter inet es data_from_client |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# ---------------------------------------------------------------- vsftpd
srv_ftp() {
	local h d ftpuser=ftp
	require_cmd vsftpd
	# vsftpd changes to the anonymous user's home before anon_root: it
	# must exist (Debian's vsftpd package makes "ftp" with /srv/ftp)
	getent passwd ftp >/dev/null ||
		bail_out "vsftpd needs the user ftp (the vsftpd package makes it)"
	if [ -z "$FTP_SHA" ]; then
		head -c 3M /dev/urandom >"$T/file.bin"
		FTP_SHA=$(sha "$T/file.bin")
		FTP_SIZE=$(stat -c %s "$T/file.bin")
	fi
	for h in "$@"; do
		d=$T/ftp-$h
		mkdir -p "$d/root" "$d/empty"
		echo "ftp $h" >"$d/root/hello.txt"
		ln -f "$T/file.bin" "$d/root/file.bin" 2>/dev/null ||
			cp "$T/file.bin" "$d/root/file.bin"
		chmod 755 "$d" "$d/root"
		chmod 555 "$d/empty"
		chmod 644 "$d/root"/*
		: >"$T/$h.vsftpd.log"
		cat >"$d/vsftpd.conf" <<-EOF
			listen=NO
			listen_ipv6=YES
			listen_port=21
			background=NO
			anonymous_enable=YES
			local_enable=NO
			write_enable=NO
			anon_upload_enable=NO
			anon_mkdir_write_enable=NO
			anon_root=$d/root
			no_anon_password=YES
			ftp_username=$ftpuser
			secure_chroot_dir=$d/empty
			pasv_enable=YES
			pasv_min_port=30000
			pasv_max_port=30009
			port_enable=NO
			connect_from_port_20=NO
			dirmessage_enable=NO
			ftpd_banner=es-test ftp $h
			xferlog_enable=YES
			xferlog_std_format=NO
			log_ftp_protocol=YES
			vsftpd_log_file=$T/$h.vsftpd.log
			seccomp_sandbox=NO
			isolate=NO
			isolate_network=NO
			max_clients=500
			max_per_ip=500
		EOF
		_bg "$(ns_of "$h")" "$d/out" vsftpd "$d/vsftpd.conf"
	done
	for h in "$@"; do
		wait_listen "$h" 21 && continue
		cat "$T/ftp-$h/out" >&2
		bail_out "vsftpd on $h did not start"
	done
}

# ---------------------------------------------------------------- ssh
# srv_sshd HOST PORT: OpenSSH's sshd; its privilege separation directory
# /run/sshd is made on a tmpfs of a private mount namespace, so that the
# machine's /run is left alone.
srv_sshd() {
	local h=$1 port=$2 d=$T/sshd-$1
	require_cmd sshd ssh-keygen unshare
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/hostkey" </dev/null ||
		bail_out "ssh-keygen"
	cat >"$d/sshd_config" <<-EOF
		Port $port
		ListenAddress 0.0.0.0
		ListenAddress ::
		HostKey $d/hostkey
		PidFile $d/sshd.pid
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin no
		StrictModes no
		AuthorizedKeysFile none
		LogLevel VERBOSE
	EOF
	_bg "$(ns_of "$h")" "$d/out" unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd &&
		exec "$(command -v sshd)" -D -e -f "$1"' sh "$d/sshd_config"
	wait_listen "$h" "$port" || {
		cat "$d/out" >&2
		bail_out "sshd on $h did not start"
	}
}

# srv_greeter HOST PORT FILE [close]: a server that sends FILE to every
# connection, then echoes what it gets (or, with "close", closes)
srv_greeter() {
	local h=$1 port=$2 f=$3 then=" -"
	require_cmd socat
	[ "${4:-}" = close ] && then=
	_bg "$(ns_of "$h")" "$T/greeter-$h-$port.out" socat \
		"TCP6-LISTEN:$port,ipv6only=0,reuseaddr,fork" \
		"SYSTEM:cat '$f'$then"
	wait_listen "$h" "$port" || {
		cat "$T/greeter-$h-$port.out" >&2
		bail_out "server on $h:$port did not start"
	}
}

# srv_banner HOST PORT TEXT [close]: srv_greeter with the line TEXT CR LF
srv_banner() {
	local f=$T/banner-$1-$2
	printf '%s\r\n' "$3" >"$f"
	srv_greeter "$1" "$2" "$f" "${4:-}"
}

# ---------------------------------------------------------------- checks
srv_reset() {
	local h
	world_reset
	for h in $ES_HOSTS; do
		[ -e "$(srv_access "$h")" ] && : >"$(srv_access "$h")"
	done
}

# srv_selftest HOST...: without the supervisor, each HOST's nginx (http,
# https 443 and 8443 by name, v4 and v6) and vsftpd (when started) answer
# with their own content; bail out otherwise, since every "denied" result
# of a test would then mean nothing.
srv_selftest() {
	local h n out bad a p u
	for h in "$@"; do
		n=$(name_of "$h")
		bad=
		for a in "$(v4_of "$h")" "[$(v6_of "$h")]"; do
			for u in "http://$n/" "https://$n/" "https://$n:8443/"; do
				p=${u##*:}
				p=${p%/}
				case $p in //*) p=${u%%:*}; p=${p/https/443}; p=${p/http/80} ;; esac
				out=$(in_client curl -sS --max-time 5 --cacert "$CA" \
					--resolve "$n:$p:$a" "$u" 2>&1)
				[ "$out" = "index $h" ] || bad="$bad $a $u: $out;"
			done
			if [ -d "$T/ftp-$h" ]; then
				out=$(in_client curl -sS --max-time 5 \
					"ftp://$a/hello.txt" 2>&1)
				[ "$out" = "ftp $h" ] || bad="$bad ftp $a: $out;"
			fi
		done
		[ -z "$bad" ] || bail_out "the servers of $h do not work:$bad"
		grep -q '^192.0.2.2 "h[0-9]*.test" "GET / HTTP/1.1" 200' \
			"$(srv_access "$h")" ||
			bail_out "$h: nginx did not log the selftest's requests"
		[ "$(srv_data "$h")" -gt 0 ] ||
			bail_out "$h: the data counter counted none of the selftest"
	done
	srv_reset
}

# ---------------------------------------------------------------- logs
# ev_count FILE key=value...: how many JSON lines of FILE have all these
# values (compared as text; a value "~ERE" is matched as a regex)
ev_count() {
	"$PYTHON" - "$@" <<-'EOF'
		import json, re, sys
		want = dict(a.split("=", 1) for a in sys.argv[2:])
		n = 0
		try:
		    lines = open(sys.argv[1]).readlines()
		except OSError:
		    lines = []
		for line in lines:
		    if not line.startswith("{"):
		        continue
		    try:
		        o = json.loads(line)
		    except ValueError:
		        continue
		    def hit(k, v):
		        if k not in o:
		            return False
		        got = o[k] if isinstance(o[k], str) else json.dumps(o[k])
		        return re.search(v[1:], got) is not None if v.startswith("~") else got == v
		    if all(hit(k, v) for k, v in want.items()):
		        n += 1
		print(n)
	EOF
}

# expect_event FILE WANT DESC key=value...: WANT lines match ("1+": some)
expect_event() {
	local f=$1 want=$2 desc=$3 got
	shift 3
	got=$(ev_count "$f" "$@")
	if [ "$want" = 1+ ] && [ "$got" -ge 1 ] || [ "$got" = "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "$got JSON lines with $*, want $want"
		diag "$(grep -v '"event":"dns"' "$f" 2>/dev/null | tail -n 20)"
	fi
}

# ev_get FILE KEY key=value...: KEY of the last JSON line matching
ev_get() {
	"$PYTHON" - "$@" <<-'EOF'
		import json, sys
		key, want = sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
		val = ""
		for line in open(sys.argv[1]):
		    try:
		        o = json.loads(line)
		    except ValueError:
		        continue
		    if all(str(o.get(k)) == v for k, v in want.items()) and key in o:
		        val = o[key]
		print(val)
	EOF
}

# expect_silent HOST DESC: no request in HOST's access log, no data
# segment from the client at HOST
expect_silent() {
	local n d
	n=$(grep -c . "$(srv_access "$1")" 2>/dev/null)
	d=$(srv_data "$1")
	if [ "${n:-0}" = 0 ] && [ "$d" = 0 ]; then
		ok "$2"
	else
		not_ok "$2"
		diag "$1: $d data segments from the client; access log:"
		diag_file "$(srv_access "$1")"
	fi
}

# ---------------------------------------------------------------- clients
# go_client: the static Go client, built by make check (or here, once, with
# the build directory's caches); sets $GOCLI, or returns 1 (GOCLI empty)
# when there is no Go to build it with: the caller skips those points.
go_client() {
	local src=$ES_TESTDIR/../helpers/go-client/main.go
	GOCLI=$ES_HELPERS/es-go-client
	if [ ! -x "$GOCLI" ] || [ "$src" -nt "$GOCLI" ]; then
		if ! command -v go >/dev/null 2>&1; then
			[ -x "$GOCLI" ] || { GOCLI=; return 1; }
		else
			(
				flock 9
				[ -x "$GOCLI" ] && [ ! "$src" -nt "$GOCLI" ] && exit 0
				cd "$ES_HELPERS" &&
				env GOCACHE="$ES_HELPERS/.gocache" \
					GOPATH="$ES_HELPERS/.gopath" GOFLAGS= \
					GO111MODULE=on GOTOOLCHAIN=local GOPROXY=off \
					CGO_ENABLED=0 go build -trimpath \
					-o "$GOCLI.tmp" "$src" &&
				mv "$GOCLI.tmp" "$GOCLI"
			) 9>"$ES_HELPERS/.es-go-client.lock" ||
				bail_out "go build of $src failed"
		fi
	fi
	file "$GOCLI" 2>/dev/null | grep -q 'statically linked' ||
		bail_out "$GOCLI is not statically linked: $(file "$GOCLI")"
}
