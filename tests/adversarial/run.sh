#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - the adversarial suite: every bypass technique of
# SECURITY-CHECKLIST.md that egress-supervise claims to stop, tried against
# the real binary in the integration world (tests/integration/lib.sh).
#
# One TAP line per technique, then
#	adversarial: N techniques, B blocked, E escaped[, F broken][, K known limits]
# and a non-zero exit status on any escape or broken case (under automake's
# TAP driver the TAP lines carry the verdict, as in the integration tests).
#
# Each case has two oracles:
# - the far side: a packet counter (or a server log) of the host the
#   technique aims at must stay at 0 under the supervisor;
# - the program's own view: the errno (or signal) it got, as a regex over
#   its output.
# And a baseline: the same command run WITHOUT the supervisor must reach
# that far side (or, where the far side is the kernel itself, show that
# the call works), so that a 0 means something. Where no baseline is
# possible on this kernel or in this world, the case says why (NOBASE).
#
# Verdicts: blocked (ok); escaped (not ok: the far side saw something, or
# the supervisor was defeated otherwise); broken (not ok: the baseline did
# not work, or the program's view was not what the supervisor promises, so
# the case proves nothing); known limit (not ok # TODO, documented in
# README's "Known limits").
#
# Env: ES_BIN, ES_HELPERS (as for the integration tests), ES_ADV (the
# directory of adv-attack, default $ES_HELPERS/../adversarial),
# ADV_ONLY=ERE (run only the cases whose id matches), ES_KEEP=1.

. "$(dirname "$0")/../integration/lib.sh"

: "${ES_ADV:=$ES_HELPERS/../adversarial}"
ATK=$ES_ADV/adv-attack
M32D=$ES_ADV/adv-m32-direct
M32S=$ES_HELPERS/es-m32-socketcall
TOC=$ES_HELPERS/es-toctou
NAIVE=$ES_HELPERS/es-naive-sup
ES_TIMEOUT=${ES_TIMEOUT:-30}

require_root
require_bins
[ -x "$ATK" ] || bail_out "$ATK missing (make check builds it)"
require_cmd python3 dnsmasq dig
world_up
world_selftest

A=198.51.100.10
D=198.51.100.20
H5=203.0.113.5
BH=198.51.100.99
A6=2001:db8:2::10
D6=2001:db8:2::20
UP=198.51.100.1		# dnsmasq on the router

# ------------------------------------------------------------ extra world
# Counters this suite adds to the world it built: destinations that never
# reach a host (loopback via 0.0.0.0, link-local, broadcast, multicast).
ip netns exec "$NS_NET" nft -f - <<-EOF || bail_out "nft adv on net"
	table inet adv {
		counter bcast { }
		counter mcast4 { }
		counter mcast6 { }
		counter ll6 { }
		chain in {
			type filter hook prerouting priority -500; policy accept;
			iifname "pc" ip daddr 255.255.255.255 udp dport 5999 counter name "bcast"
			iifname "pc" ip daddr 224.0.0.0/4 udp dport 5999 counter name "mcast4"
			iifname "pc" ip6 daddr ff00::/8 udp dport 5999 counter name "mcast6"
			iifname "pc" ip6 daddr fe80::/10 udp dport 5999 counter name "ll6"
		}
	}
EOF
ip netns exec "$NS_CLIENT" nft -f - <<-EOF || bail_out "nft adv on client"
	table inet adv {
		counter lo { }
		counter marked { }
		chain in {
			type filter hook prerouting priority -500; policy accept;
			iifname "lo" udp dport 5999 counter name "lo"
		}
		chain out {
			type filter hook output priority -500; policy accept;
			meta mark 0x2a counter name "marked"
		}
	}
EOF
# Routes to the special ranges: each leads to the denied host h20, whose
# counter then shows whether anything was sent there.
# The router forwards source-routed packets (accept_source_route), so that
# an LSRR whose first hop is the denied host reaches it in the baseline.
ip netns exec "$NS_NET" sysctl -qw net.ipv4.conf.all.accept_source_route=1 \
	net.ipv4.conf.pc.accept_source_route=1 net.ipv4.conf.br0.accept_source_route=1
ip -n "$NS_CLIENT" route add 169.254.169.254/32 via 192.0.2.1
ip -n "$NS_CLIENT" route add 224.0.0.0/4 dev eth0
ip -n "$NS_CLIENT" route add 255.255.255.255/32 dev eth0
ip -n "$NS_NET" route add 169.254.169.254/32 via $D
for p in 64:ff9b::/96 2002::/16 2001::/32; do
	ip -n "$NS_CLIENT" -6 route add $p via 2001:db8:1::1
	ip -n "$NS_NET" -6 route add $p via $D6
done
ROUTER_LL=$(ip -n "$NS_NET" -6 -o addr show dev pc scope link |
	awk '{ sub("/.*", "", $4); print $4; exit }')
ROUTER_MAC=$(ip -n "$NS_NET" -o link show dev pc |
	sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# dnsmasq as the upstream resolver (as in 20-dns-names.sh)
DNSLOG=$T/dnsmasq.log
ip netns exec "$NS_NET" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--bind-interfaces --listen-address=$UP --port=53 \
	--log-queries --log-facility="$DNSLOG" --pid-file="$T/dnsmasq.pid" \
	--host-record=ok.adv.test,$A \
	--host-record=evil.adv.test,$D \
	--txt-record=leak.evil.adv.test,"exfiltrated" \
	>"$T/dnsmasq.out" 2>&1 &
_world_pids="$_world_pids $!"
for i in $(seq 50); do
	ip netns exec "$NS_NET" dig +time=1 +tries=1 @$UP ok.adv.test \
		>/dev/null 2>&1 && break
	sleep 0.1
done
cat >"$T/names.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$UP]
	rules:
	  - dst: ok.adv.test
	    proto: ssh
YAML

adv_count() {	# adv_count NS COUNTER
	ip netns exec "$1" nft list counter inet adv "$2" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# count HOST: h10 h20 h5 blackhole net (lib.sh), lo (client loopback),
# bcast mcast4 mcast6 ll6 (router), dns (queries in dnsmasq's log since
# the last reset that name "evil"), or a file:PATH:ERE (matching lines)
count() {
	case $1 in
	lo|marked) adv_count "$NS_CLIENT" "$1" ;;
	bcast|mcast4|mcast6|ll6) adv_count "$NS_NET" "$1" ;;
	dns) tail -n +$((dns_mark + 1)) "$DNSLOG" | grep -c 'query.*evil' ;;
	file:*)
		local f=${1#file:}
		grep -Ec -- "${f#*:}" "${f%%:*}" 2>/dev/null ;;
	*) world_count "$1" ;;
	esac
}

reset_all() {
	world_reset
	ip netns exec "$NS_NET" nft reset counters table inet adv >/dev/null
	ip netns exec "$NS_CLIENT" nft reset counters table inet adv >/dev/null
	dns_mark=$(wc -l <"$DNSLOG")
}

# ------------------------------------------------------------ verdicts
n_tech=0 n_blocked=0 n_escaped=0 n_broken=0 n_todo=0
ESCAPES=()

verdict() {	# verdict ID DESC blocked|escaped|broken|todo [WHY]
	n_tech=$((n_tech + 1))
	case $3 in
	blocked)
		n_blocked=$((n_blocked + 1))
		ok "$1: $2" ;;
	escaped)
		n_escaped=$((n_escaped + 1))
		ESCAPES+=("$1: $4")
		not_ok "$1: $2 # ESCAPE: $4" ;;
	broken)
		n_broken=$((n_broken + 1))
		not_ok "$1: $2 # BROKEN: $4" ;;
	todo)
		n_todo=$((n_todo + 1))
		_tap_n=$((_tap_n + 1))
		echo "not ok $_tap_n - $1: $2 # TODO known limit: $4" ;;
	esac
}

want_match() {	# want_match NAME ERE: stdout+stderr of run NAME
	cat "$T/$1.out" "$T/$1.err" 2>/dev/null | grep -Eq -- "$2"
}

# attack ID DESC HOST WANT CMD...
#
# Baseline: CMD without the supervisor (or under "${BASE[@]}" when set)
# must make HOST count > 0, and its output match BASE_WANT when set.
# HOST "-" means no far-side baseline: NOBASE must say why, and BASE_WANT
# (if any) is what the baseline must show instead.
# Supervised: egress-supervise "${SUP[@]}" -- CMD; HOST and h20 must
# count 0; the output must match WANT; the exit status must be WANT_RC
# when set.
SUP_DEFAULT=(--allow $A --allow $A6)
attack() {
	local id=$1 desc=$2 host=$3 want=$4 got base far
	shift 4
	[ -n "$ADV_ONLY" ] && ! [[ $id =~ $ADV_ONLY ]] && {
		unset BASE BASE_WANT NOBASE WANT_RC SUP POST_SLEEP LOG_WANT DEFEAT ZERO CLEANUP SOME KNOWN; return; }
	local sup=("${SUP_DEFAULT[@]}")
	[ ${#SUP[@]} -gt 0 ] && sup=("${SUP[@]}")

	if [ "$host" != - ] || [ -n "$BASE_WANT" ] || [ -n "$NOBASE" ]; then
		reset_all
		if [ ${#BASE[@]} -gt 0 ]; then
			direct "$id.base" "${BASE[@]}" "$@"
		else
			direct "$id.base" "$@"
		fi
		sleep "${POST_SLEEP:-0.2}"
		[ -n "$CLEANUP" ] && in_client sh -c "$CLEANUP" >/dev/null 2>&1
	fi
	if [ "$host" != - ]; then
		base=$(count "$host"); [ -n "$ADV_DEBUG" ] && diag "base $host=$base net=$(count net) h10=$(count h10)"
		if [ "${base:-0}" -eq 0 ]; then
			verdict "$id" "$desc" broken "baseline: without the supervisor $host saw nothing"
			RC=base; show "$id.base"
			unset BASE BASE_WANT NOBASE WANT_RC SUP POST_SLEEP LOG_WANT DEFEAT ZERO CLEANUP SOME KNOWN
			return
		fi
	fi
	if [ -n "$BASE_WANT" ] && ! want_match "$id.base" "$BASE_WANT"; then
		verdict "$id" "$desc" broken "baseline output does not match '$BASE_WANT'"
		show "$id.base"
		unset BASE BASE_WANT NOBASE WANT_RC SUP POST_SLEEP LOG_WANT DEFEAT ZERO CLEANUP SOME KNOWN
		return
	fi

	reset_all
	es_run "$id" "${sup[@]}" --log "$T/$id.json" -- "$@"
	sleep "${POST_SLEEP:-0.2}"
	[ -n "$CLEANUP" ] && in_client sh -c "$CLEANUP" >/dev/null 2>&1
	far=0
	[ "$host" != - ] && far=$(count "$host")
	got=$(count h20)
	local z zn=0
	for z in $ZERO; do
		zn=$((zn + $(count "$z")))
	done
	if [ -n "$KNOWN" ] && { [ "${far:-0}" -gt 0 ] || [ "${got:-0}" -gt 0 ]; }; then
		verdict "$id" "$desc" todo "$host saw ${far:-0} packets: $KNOWN"
	elif [ "${far:-0}" -gt 0 ] || [ "${got:-0}" -gt 0 ] || [ $zn -gt 0 ]; then
		verdict "$id" "$desc" escaped "under the supervisor $host saw ${far:-0}$([ "$host" != h20 ] && echo ", h20 saw ${got:-0}") packets${ZERO:+, $ZERO saw $zn}"
		show "$id"
	elif [ -n "$DEFEAT" ] && want_match "$id" "$DEFEAT"; then
		verdict "$id" "$desc" escaped "the supervisor was defeated: output matches '$DEFEAT'"
		show "$id"
	elif [ -n "$LOG_WANT" ] && ! grep -Eq -- "$LOG_WANT" "$T/$id.json" 2>/dev/null; then
		verdict "$id" "$desc" broken "no decision in the log matches '$LOG_WANT'"
		show "$id"; diag_file "$T/$id.json"
	elif [ -n "$SOME" ] && [ "$(count "$SOME")" -eq 0 ]; then
		verdict "$id" "$desc" broken "$SOME saw nothing: the attack did not run"
		show "$id"
	elif [ -n "$WANT_RC" ] && [ "$RC" != "$WANT_RC" ]; then
		verdict "$id" "$desc" broken "exit status $RC, want $WANT_RC"
		show "$id"
	elif [ -n "$want" ] && ! want_match "$id" "$want"; then
		verdict "$id" "$desc" broken "program's view does not match '$want'"
		show "$id"
	else
		verdict "$id" "$desc${NOBASE:+ (no far-side baseline: $NOBASE)}" blocked
	fi
	unset BASE BASE_WANT NOBASE WANT_RC SUP POST_SLEEP LOG_WANT DEFEAT ZERO CLEANUP SOME KNOWN
}

# ============================================================ cases
# ------------------------------------------------------------ paths the filter never sees

attack io-uring-connect "io_uring IORING_OP_CONNECT to the denied host: ENOSYS" \
	h20 "^io_uring_setup ENOSYS" "$ATK" uring-connect $D:22
attack io-uring-sendmsg "io_uring IORING_OP_SENDMSG (UDP) to the denied host: ENOSYS" \
	h20 "^io_uring_setup ENOSYS" "$ATK" uring-sendmsg $D:5000

if [ -x "$M32S" ] && [ -x "$M32D" ]; then
	WANT_RC=159 attack i386-socketcall "i386 int 0x80 socketcall(SOCKET/CONNECT): killed by SIGSYS" \
		h20 "" "$M32S" $D 22
	WANT_RC=159 attack i386-direct-connect "i386 direct socket(359)/connect(362): killed by SIGSYS" \
		h20 "" "$M32D" tcp $D 22
	WANT_RC=159 attack i386-direct-sendto "i386 direct socket(359)/sendto(369) UDP: killed by SIGSYS" \
		h20 "" "$M32D" udp $D 5000
else
	for c in i386-socketcall i386-direct-connect i386-direct-sendto; do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n - $c # SKIP no -m32 toolchain (HAVE_M32)"
	done
fi
# This kernel has CONFIG_X86_X32_ABI off (Debian's default too): x32
# numbers fail with ENOSYS without any filter, so only the program's view
# (killed, not ENOSYS) can be checked.
NOBASE="the kernel has no x32 ABI" BASE_WANT="x32-connect ENOSYS" WANT_RC=159 \
	attack x32-connect "x32 connect (42|0x40000000): killed by SIGSYS" \
	- "" "$ATK" x32-connect $D:22

attack raw-icmp "raw socket (SOCK_RAW/ICMP) echo to the denied host: EPERM" \
	h20 "^socket EPERM" "$ATK" raw-icmp $D
attack raw-icmp-hibits "raw socket with garbage in the upper 32 bits of family: EPERM" \
	h20 "^socket EPERM" "$ATK" raw-icmp-hibits $D
# Rules with a protocol: no rule allows ICMP, so not even the socket opens
TCPUDP=(--allow $A:1-65535/tcp --allow $A:1-65535/udp)
SUP=("${TCPUDP[@]}")
attack icmp-dgram "ICMP datagram (ping) socket without any ICMP rule: EPERM" \
	h20 "^socket EPERM" "$ATK" ping-dgram $D
# A rule without a protocol allows ICMP to the allowed host only
attack icmp-dgram-denied-host "ICMP echo (ping socket) to the denied host when ICMP is allowed elsewhere: EACCES" \
	h20 "^sendto EACCES" "$ATK" ping-dgram $D
if in_client sh -c 'command -v ping' >/dev/null 2>&1; then
	SUP=("${TCPUDP[@]}")
	attack ping "ping(8) as uid 0 (raw or ICMP socket, no CAP_NET_RAW): fails" \
		h20 "(not permitted|EPERM|denied)" ping -c 1 -W 1 $D
else
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - ping # SKIP no ping(8) here (raw-icmp and icmp-dgram cover its sockets)"
fi
attack packet "AF_PACKET datagram with a hand-made IPv4/UDP packet to the denied host: EAFNOSUPPORT" \
	h20 "^socket EAFNOSUPPORT" "$ATK" packet eth0 "$ROUTER_MAC" 192.0.2.2 $D 5000
attack mptcp "MPTCP (IPPROTO_MPTCP) connect to the denied host: decided like TCP" \
	h20 "^connect EACCES" "$ATK" mptcp $D:22

# Families this kernel does not even build (SCTP, DCCP, TIPC, RDS): only
# the program's view (the supervisor's errno, not the kernel's) can be
# checked. The others do open without the supervisor (baseline).
LOG_WANT='"event":"socket","verdict":"deny"' NOBASE="this kernel has no SCTP" BASE_WANT="^socket (ESOCKTNOSUPPORT|EPROTONOSUPPORT)" \
	attack sctp "SCTP socket (connectx through setsockopt): EPERM" - "^socket EPERM" "$ATK" socket 2 5 132
LOG_WANT='"event":"socket","verdict":"deny"' NOBASE="this kernel has no DCCP" BASE_WANT="^socket (ESOCKTNOSUPPORT|EPROTONOSUPPORT|EINVAL)" \
	attack dccp "DCCP socket: EPERM" - "^socket EPERM" "$ATK" socket 2 6 33
LOG_WANT='"event":"socket","verdict":"deny"' NOBASE="this kernel has no TIPC" BASE_WANT="^socket EAFNOSUPPORT" \
	attack tipc "TIPC socket: EAFNOSUPPORT" - "^socket EAFNOSUPPORT" "$ATK" socket 30 5 0
LOG_WANT='"event":"socket","verdict":"deny"' NOBASE="this kernel has no RDS" BASE_WANT="^socket EAFNOSUPPORT" \
	attack rds "RDS socket: EAFNOSUPPORT" - "^socket EAFNOSUPPORT" "$ATK" socket 21 5 0
# vsock would reach the VM's host: never sent to, only opened
LOG_WANT='"event":"socket","verdict":"deny"' \
NOBASE="vsock leads out of the test world: opened, never used" BASE_WANT="^socket OK" \
	attack vsock "AF_VSOCK socket: EAFNOSUPPORT" - "^socket EAFNOSUPPORT" "$ATK" socket 40 1 0
# (this kernel has no AF_ALG: the supervisor's log shows who refused)
LOG_WANT='"event":"socket","verdict":"deny"' \
NOBASE="AF_ALG talks to the kernel only" BASE_WANT="^socket (OK|EAFNOSUPPORT)" \
	attack af-alg "AF_ALG socket: EAFNOSUPPORT" - "^socket EAFNOSUPPORT" "$ATK" socket 38 5 0
LOG_WANT='"event":"socket","verdict":"deny"' \
NOBASE="AF_XDP needs a UMEM and a queue; opening it is the step refused" BASE_WANT="^socket OK" \
	attack af-xdp "AF_XDP socket: EAFNOSUPPORT" - "^socket EAFNOSUPPORT" "$ATK" socket 44 3 0
LOG_WANT='"event":"socket","verdict":"deny"' \
NOBASE="netfilter netlink changes rules, sends nothing itself" BASE_WANT="^socket OK" \
	attack netlink-netfilter "netlink NETLINK_NETFILTER (nft rules, NAT): EAFNOSUPPORT" - "^socket EAFNOSUPPORT" "$ATK" socket 16 3 12
LOG_WANT='"event":"socket","verdict":"deny"' \
NOBASE="sock_diag reads, sends nothing" BASE_WANT="^socket OK" \
	attack netlink-sockdiag "netlink NETLINK_SOCK_DIAG: EAFNOSUPPORT" - "^socket EAFNOSUPPORT" "$ATK" socket 16 2 4
# netlink route is allowed; what would make it dangerous (routes, tc
# actions rewriting addresses) needs CAP_NET_ADMIN, which CMD lacks
CLEANUP="ip addr del 192.0.2.77/32 dev lo" DEFEAT="^ADDRADD OK" \
NOBASE="an address on lo is local state" BASE_WANT="^ADDRADD OK" \
	attack netlink-route-admin "netlink route as uid 0: 'ip addr add' needs CAP_NET_ADMIN: EPERM" \
	- "(Operation not permitted|EPERM)" sh -c 'ip addr add 192.0.2.77/32 dev lo && echo ADDRADD OK && ip addr del 192.0.2.77/32 dev lo'

# The same power used to get out: a VXLAN device whose remote end is the
# denied host, and a route sending the ALLOWED address into it. CMD then
# connects to the allowed host; the supervisor decides "allow" and
# connects, and the kernel carries the SYN, encapsulated, to the denied
# host. Baseline: the same commands as root without the supervisor.
CLEANUP="ip link del advvx"
attack netlink-vxlan-route "rtnetlink: VXLAN to the denied host + route for the allowed address through it, then connect allowed" \
	h20 "(Operation not permitted|EPERM)" \
	sh -c "ip link add advvx type vxlan id 42 remote $D dstport 4789 local 192.0.2.2 dev eth0 &&
		ip addr add 10.99.0.1/24 dev advvx && ip link set advvx up &&
		ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev advvx nud permanent &&
		ip route add $A/32 via 10.99.0.2 dev advvx && echo TUNNEL OK;
		'$NET' -n -t 2000 tcp $A:22"
# SO_MARK in a cmsg needs CAP_NET_RAW/ADMIN of the sender, checked at send
# time: the counter counts marked packets leaving the client
attack mark-cmsg "sendmsg with an SO_MARK cmsg (needs CAP_NET_ADMIN) to the allowed host: EPERM" \
	marked "^sendmsg-SO_MARK-cmsg EPERM" "$ATK" mark-cmsg $A:5000

attack tfo-sendto "TCP Fast Open sendto(MSG_FASTOPEN) to the denied host: EACCES" \
	h20 "EACCES" "$NET" tfo $D:80
attack tfo-sendmsg "TCP Fast Open sendmsg(MSG_FASTOPEN) to the denied host: EACCES" \
	h20 "EACCES" "$NET" tfo-msg $D:80
attack udp-connected-sendto "UDP connected to the allowed host, sendto the denied one: EACCES" \
	h20 "^sendto $D:5000 EACCES" "$NET" udp-connected-sendto $A:5000 $D:5000
attack sendmmsg-mixed "sendmmsg allowed/denied/allowed: each decided, count 1 returned" \
	h20 "^sendmmsg 3 OK 1( |$)" "$NET" udp-sendmmsg $A:5000 $D:5000 $A:5000
attack sendto-highptr "sendto with the address at 0x7e0000000000 (low 32 bits zero): decided" \
	h20 "^sendto EACCES" "$ATK" hiptr-sendto $D:5000

# ------------------------------------------------------------ argument games
N=${ADV_RACE_N:-3000}
# The baseline of the connect race is the deliberately naive supervisor
# (check, then CONTINUE): it must lose the race, or the race is not real.
BASE=("$NAIVE" --allow $A --)
attack toctou-connect "connect, sockaddr rewritten by a thread ($N tries)" \
	h20 "^toctou attempts=$N ok=[1-9][0-9]* denied=[1-9][0-9]* other=0 escaped=0$" "$TOC" $A $D 22 $N connect
attack toctou-sendto "UDP sendto, sockaddr rewritten by a thread ($N tries)" \
	h20 "^toctou attempts=$N ok=[1-9]" "$TOC" $A $D 5000 $N sendto
attack toctou-sendmsg "UDP sendmsg, sockaddr behind msg_name rewritten ($N tries)" \
	h20 "^toctou attempts=$N ok=[1-9]" "$TOC" $A $D 5000 $N sendmsg
attack race-msgname "UDP sendmsg, the msg_name pointer itself swapped ($N tries)" \
	h20 "^msgname attempts=[0-9]+ ok=[1-9].*EACCES=[1-9]" "$ATK" race msgname $A:5000 $D:5000 $N
attack race-cmsg "UDP sendmsg, cmsg level flipped to SOL_IP/IP_RETOPTS LSRR via the denied host ($N tries)" \
	h20 "^cmsg attempts=[0-9]+ ok=[1-9].*EPERM=[1-9]" "$ATK" race cmsg $A:5000 $D:5000 $N
# iov_len flipping between 9 bytes and 1 GiB: no far side to reach; the
# oracle is that the supervisor bounds it and keeps serving
NOBASE="a payload race has no destination to reach; checks bounds and survival" \
	attack race-iov "UDP sendmsg, iov_len flipped between 9 and 2^30 ($N tries); supervisor still serving" \
	- "^connect OK" sh -c "'$ATK' race iov $A:5000 $D:5000 $N; '$ATK' connect $A:22"
attack dup2-race "fd swapped by dup2 (TCP connected to the allowed host <-> UDP) under sendto to the denied host" \
	h20 "^dup2 attempts=[0-9]+ .*EACCES=[1-9]" "$ATK" dup2-race $A:22 $D:5000 $N

attack af-unspec-udp4 "AF_UNSPEC-tagged sockaddr on an IPv4 UDP sendto: decided as IPv4" \
	h20 "EACCES" "$NET" -a unspec udp-sendto $D:5000
attack af-inet-on-udp6 "AF_INET sockaddr on an IPv6 UDP socket: decided as IPv4" \
	h20 "EACCES" "$NET" -s inet6 -a inet udp-sendto $D:5000
attack v4mapped-udp "::ffff:denied on an IPv6 UDP socket: decided as IPv4" \
	h20 "EACCES" "$NET" -s inet6 -a mapped udp-sendto $D:5000
attack v4mapped-tcp "::ffff:denied on an IPv6 TCP socket: decided as IPv4" \
	h20 "EACCES" "$NET" -s inet6 -a mapped tcp $D:22

attack lsrr-setsockopt "IP_OPTIONS LSRR (first hop: denied) by setsockopt, then sendto allowed" \
	h20 "^setsockopt-IP_OPTIONS EPERM" "$ATK" lsrr-sockopt $A $D 5000
attack lsrr-cmsg "IP_RETOPTS LSRR in a sendmsg cmsg, sent to the allowed host: EPERM" \
	h20 "^sendmsg-IP_RETOPTS EPERM" "$ATK" lsrr-cmsg $A $D 5000
attack lsrr-cmsg-v6sock "IP_RETOPTS LSRR cmsg on an IPv6 socket sending to ::ffff:allowed: EPERM" \
	h20 "^sendmsg-IP_RETOPTS EPERM" "$ATK" lsrr-cmsg6 $A $D 5000
attack rthdr-setsockopt "IPV6_RTHDR segment routing header (first hop: denied) by setsockopt: EPERM" \
	h20 "^setsockopt-IPV6_RTHDR EPERM" "$ATK" rthdr sockopt $A6 $D6 5000
# The cmsg and IPV6_2292PKTOPTIONS paths take only type 2 routing headers,
# which need CONFIG_IPV6_MIP6 (off here): the kernel refuses them anyway.
NOBASE="the kernel takes routing headers in cmsgs only with CONFIG_IPV6_MIP6" BASE_WANT="^sendmsg-allowed EINVAL" \
	attack rthdr-cmsg "IPV6_RTHDR in a sendmsg cmsg: EPERM" - "^sendmsg-allowed EPERM" "$ATK" rthdr cmsg $A6 $D6 5000
NOBASE="IPV6_2292PKTOPTIONS takes routing headers only with CONFIG_IPV6_MIP6" BASE_WANT="^setsockopt-IPV6_2292PKTOPTIONS EINVAL" \
	attack rthdr-pktoptions "IPV6_2292PKTOPTIONS carrying a routing header (sticky, then sendmsg)" \
	- "^sendmsg-allowed OK" "$ATK" rthdr pktoptions $A6 $D6 5000

# Bounds: the kernel rejects most of these itself (no packet to count);
# the oracle is a sane errno, the allowed send after it, and h20 at 0.
NOBASE="the kernel refuses these lengths itself" BASE_WANT="after-sendmsg-allowed OK" \
	attack huge-addrlen "connect/sendto with addrlen 2^31-1, 2^32-1, 2^40+16, payload 2^40: errors, supervisor serving" \
	- "^connect-len-2\^31-1 E.*connect-len-u32max E.*connect-len-2\^40 E.*sendto-len-2\^31-1 E.*sendto-payload-2\^40 E.*after-sendmsg-allowed OK" \
	sh -c "'$ATK' huge addrlen $A:5000 $D:5000 | tr '\n' ' '"
attack huge-namelen "sendmsg with msg_namelen 2^31-1 (the kernel clamps it): decided on the clamped address" \
	h20 "^sendmsg-namelen-2\\^31-1-denied EACCES" "$ATK" huge namelen $A:5000 $D:5000
NOBASE="a huge vlen is cut to UIO_MAXIOV by the kernel too" BASE_WANT="^sendmmsg-vlen-u32max OK count=2" \
	attack huge-vlen "sendmmsg with vlen 2^32-1 and 2^40 (2 messages, then unmapped memory)" \
	- "^sendmmsg-vlen-u32max OK count=2.*" "$ATK" huge vlen $A:5000 $D:5000
NOBASE="the kernel refuses these iovlens itself" BASE_WANT="^sendmsg-iovlen-2\^30 EMSGSIZE" \
	attack huge-iovlen "sendmsg with msg_iovlen 2^30, 1025, 2^64-1: EMSGSIZE, supervisor serving" \
	- "^after-sendmsg-allowed OK" sh -c "'$ATK' huge iovlen $A:5000 $D:5000"
NOBASE="the kernel refuses these controllens itself" BASE_WANT="^sendmsg-controllen-2\^31 ENOBUFS" \
	attack huge-controllen "sendmsg with msg_controllen 2^31, 2^64-1, 128 KiB: errors, supervisor serving" \
	- "^after-sendmsg-allowed OK" sh -c "'$ATK' huge controllen $A:5000 $D:5000"
# Children killed in the middle of notified calls; the oracle is the
# supervisor answering the allowed connect afterwards, and h20 at 0.
NOBASE="dying targets have no destination; checks survival" \
	attack target-dies "200 children SIGKILLed mid-call (blocking connect to a black hole, sendto loops)" \
	- "^after-connect-allowed OK" "$ATK" die $A:22 $BH:80 200

# ------------------------------------------------------------ attacks on the supervisor
# CMD is sh, whose parent is the supervisor ($PPID); after each attack the
# denied connect must still be denied (far side: h20). Baseline: the same
# against sh's parent without the supervisor (timeout(1), also root).
self_case() {	# self_case ID DESC WANT OP
	BASE_WANT="$5 OK" attack "$1" "$2" h20 "$3.*connect EACCES" \
		sh -c "'$ATK' -p \$PPID self $4 | tr '\n' ' '; '$ATK' connect $D:22"
}
self_case ptrace "ptrace(ATTACH/SEIZE) every thread of the supervisor: EPERM" \
	"ptrace-attach-tid EPERM.*ptrace-seize EPERM" ptrace ptrace-seize
self_case process-vm-readv "process_vm_readv of the supervisor: EPERM" \
	"process_vm_readv EPERM" vmread process_vm_readv
self_case process-vm-writev "process_vm_writev into the supervisor: EPERM" \
	"process_vm_writev EPERM" vmwrite process_vm_writev
self_case kcmp "kcmp(self, supervisor): EPERM" "kcmp EPERM" kcmp kcmp
self_case pidfd-open "pidfd_open(supervisor): EPERM" "pidfd_open EPERM" pidfd_open pidfd_open
self_case pidfd-getfd "pidfd_getfd of the supervisor's fds (pidfd or /proc dir fd): refused" \
	"pidfd_getfd E" pidfd_getfd pidfd_getfd
self_case proc-mem "open /proc/SUP/mem, /proc/SUP/fd/0, /proc/SUP/environ: refused" \
	"open-mem E[A-Z]+ open-fd0 E[A-Z]+" procmem open-mem
self_case set-dumpable "prctl(PR_SET_DUMPABLE, 0) (hide from the supervisor's reads): EPERM" \
	"prctl-PR_SET_DUMPABLE-0 EPERM" dumpable prctl-PR_SET_DUMPABLE-0
self_case userfaultfd "userfaultfd(2): EPERM" "userfaultfd EPERM" uffd-syscall userfaultfd

BASE_WANT="^seccomp-NEW_LISTENER OK" attack seccomp-listener \
	"a second seccomp filter WITH NEW_LISTENER answering CONTINUE: EPERM, connect still decided" \
	h20 "seccomp-NEW_LISTENER EPERM.*connect-denied EACCES" \
	sh -c "'$ATK' listener $D:22 $A:22 | tr '\n' ' '"
BASE_WANT="^seccomp-nested OK" attack seccomp-nested \
	"a nested filter without listener: allowed, and decisions go on (allowed OK, denied EACCES)" \
	h20 "seccomp-nested OK connect-allowed OK connect-denied EACCES" \
	sh -c "'$ATK' nested $D:22 $A:22 | tr '\n' ' '"

# /dev/userfaultfd hands out a userfaultfd without the syscall. With it a
# target parks the supervisor's read of its connect() address; another
# process's allowed connect must not wait for that.
if [ -c /dev/userfaultfd ]; then
	DEFEAT="(other-process-ms ([0-9]{5,}|[2-9][0-9]{3}|1[5-9][0-9]{2})$|other-process-connect-allowed E)" \
	NOBASE="the stall needs the supervisor; baseline shows the device works" \
	BASE_WANT="^USERFAULTFD_IOC_NEW OK" \
	attack userfaultfd-dev-stall \
		"/dev/userfaultfd: a parked address read does not stall another process (allowed connect < 1.5 s)" \
		- "(USERFAULTFD_IOC_NEW E|other-process-ms ([0-9]|[0-9][0-9]|[0-9][0-9][0-9]|1[0-4][0-9][0-9])$)" \
		"$ATK" uffd-dev $A:22 4000
else
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - userfaultfd-dev-stall # SKIP no /dev/userfaultfd"
fi

# A file on a FUSE file system the container engine mounted, served from
# outside CMD (es-slowfs: its reads wait for a gate file, opened 3 s after
# the start): CMD maps it without touching it and passes an address in it
# to connect(), so the supervisor's read of that address waits for the
# file system.  Another process's allowed connect must not wait for it; a
# thread of the same process waits its turn (parked, then served); and
# the stalled connect gets its verdict once the page comes in. Baseline:
# without the supervisor the connect waits for the page itself, then
# reaches the denied host.
SLOWFS=$ES_HELPERS/es-slowfs
if [ -c /dev/fuse ] && grep -qw fuse /proc/filesystems && [ -x "$SLOWFS" ]; then
	mkdir -p "$T/slowfs"
	"$SLOWFS" "$T/slowfs" "$T/slowfs.gate" $D:22 >"$T/slowfs.log" 2>&1 &
	_world_pids="$_world_pids $!"
	_world_umounts="$_world_umounts $T/slowfs"
	for i in $(seq 50); do
		grep -q '^ready' "$T/slowfs.log" && break
		sleep 0.1
	done
	grep -q '^ready' "$T/slowfs.log" || { cat "$T/slowfs.log" >&2; bail_out "es-slowfs did not start"; }
	DEFEAT="other-process-connect-allowed (E[A-Z]+|none)|other-process-connect-allowed-ms ([0-9]{5,}|[2-9][0-9]{3}|1[5-9][0-9]{2})( |$)" \
	attack fuse-page-stall \
		"connect() address in a mapped FUSE file whose reads wait: another process's allowed connect goes on at once (< 1.5 s), the stalled one is denied when the page comes" \
		h20 "^open-slow-file OK mmap-slow-file OK stalled-connect EACCES stalled-connect-ms [0-9]+ other-process-connect-allowed OK other-process-connect-allowed-ms [0-9]+ same-process-connect-allowed OK" \
		sh -c "rm -f '$T/slowfs.gate'; (sleep 3; touch '$T/slowfs.gate') & '$ATK' mmap-connect '$T/slowfs/f' $A:22 | tr '\n' ' '"
	# 20 processes at once, each on its own file: more stalls than the
	# supervisor keeps threads for (16).  Past that it refuses reads
	# (EAGAIN) rather than risk its loop: every other call is answered,
	# OK or EAGAIN, at once; none hangs, none is allowed wrongly; and once
	# the pages come in, an allowed connect works again.
	DEFEAT="other-process-connect-allowed (none|EACCES|ENOSYS|EFAULT)|other-process-connect-allowed-ms ([0-9]{5,}|[2-9][0-9]{3}|1[5-9][0-9]{2})( |$)" \
	attack fuse-page-stall-flood \
		"20 processes each stall a read on their own FUSE file: the others are answered at once (OK or EAGAIN, < 1.5 s), then all recovers" \
		h20 "^connect OK" \
		sh -c "rm -f '$T/slowfs.gate' '$T'/flood.*; (sleep 3; touch '$T/slowfs.gate') & for i in \$(seq 20); do '$ATK' mmap-connect '$T/slowfs/f'\$i $A:22 | tr '\n' ' ' >'$T'/flood.\$i & done; wait; cat '$T'/flood.*; echo; '$ATK' connect $A:22"
	# The same through a path: an AF_UNIX connect to a name whose lookup
	# waits (es-slowfs answers LOOKUP of "slow*" after the gate, ENOENT).
	# The supervisor resolves the path itself; another process's allowed
	# connect must not wait for that lookup.
	cat >"$T/uxstall.py" <<-'PY'
		import errno, os, socket, sys, time
		if os.fork() == 0:
		    time.sleep(0.3)
		    t = time.time()
		    s = socket.socket()
		    r = s.connect_ex((sys.argv[2], 22))
		    print("other", errno.errorcode.get(r, "OK"), "other-ms", int((time.time() - t) * 1000))
		    sys.exit(0)
		u = socket.socket(socket.AF_UNIX)
		r = u.connect_ex(sys.argv[1])
		print("unix-connect", errno.errorcode.get(r, "OK"))
		os.wait()
	PY
	NOBASE="a stall has no far side; the other process's connect time is the oracle" \
	BASE_WANT="other OK other-ms" \
	DEFEAT="other-ms ([0-9]{5,}|[2-9][0-9]{3}|1[5-9][0-9]{2})( |$)|other E" \
	attack fuse-unix-path-stall \
		"AF_UNIX connect to a path whose FUSE lookup waits: another process's allowed connect goes on at once (< 1.5 s)" \
		- "^other OK other-ms [0-9]+ unix-connect ENOENT" \
		sh -c "rm -f '$T/slowfs.gate'; (sleep 3; touch '$T/slowfs.gate') & python3 '$T/uxstall.py' '$T/slowfs/slowsock' $A | sort | tr '\n' ' '"
else
	_tap_n=$((_tap_n + 3))
	echo "ok $((_tap_n - 2)) - fuse-page-stall # SKIP no FUSE in this kernel"
	echo "ok $((_tap_n - 1)) - fuse-page-stall-flood # SKIP no FUSE in this kernel"
	echo "ok $_tap_n - fuse-unix-path-stall # SKIP no FUSE in this kernel"
fi
# The ways CMD could make such a file itself are closed: userfaultfd
# (above), user namespaces (tests/integration/25-userns.sh), and mounting.
if [ -c /dev/fuse ]; then
	mkdir -p "$T/mnt-self"
	NOBASE="a mount has no far side; the baseline shows root can mount FUSE here" \
	BASE_WANT="^fuse-mount OK" \
	attack fuse-mount "CMD (root) mounts a FUSE file system of its own to serve the supervisor's reads: EPERM" \
		- "^fuse-mount EPERM" "$ATK" fuse-mount "$T/mnt-self"
else
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - fuse-mount # SKIP no /dev/fuse"
fi

# Killing the supervisor (CMD is root, the supervisor not PID 1 here):
# calls fail closed, and even the allowed host sees nothing after it.
# The kill itself works in the baseline too (it kills timeout(1)).
ZERO=h10 POST_SLEEP=1.5 attack kill-supervisor "CMD kills the supervisor (SIGKILL): connect and sendto then fail with ENOSYS" \
	h20 "connect-allowed ENOSYS.*sendto-denied ENOSYS" \
	sh -c "'$ATK' -p \$PPID kill-parent $A:22 $D:5000 | tr '\n' ' '"

# Blocking connects to a black hole (allowed by a rule, so each one waits
# in the supervisor) from one process's threads; meanwhile five other
# processes connect to the allowed host: each must succeed at once. (The
# supervisor keys its per-thread state by tid modulo a table size: a flood
# holding those slots must not turn other processes away.)
flood_case() {	# flood_case ID N
	SUP=(--allow $A --allow $BH)
	SOME=blackhole NOBASE="a flood has no far side; the black-hole counter shows it ran" \
	DEFEAT="^connect $A:22 (E[A-Z]+|OK ms=[0-9]{4,})" \
	attack "$1" "$2 blocking connects to a black hole in flight; 5 other processes connect to the allowed host at once" \
		- "^connect $A:22 OK ms=" \
		sh -c "'$NET' -t 20000 flood $2 $BH:80 >'$T/$1.flood' 2>&1 & sleep 2; for i in 1 2 3 4 5; do '$NET' -T tcp $A:22; done; kill \$! 2>/dev/null"
}
flood_case blackhole-flood-500 500
flood_case blackhole-flood-1100 1100

# The supervisor performs AF_UNIX connects itself: a blocking connect to a
# listener whose backlog is full must not block its loop. CMD fills a
# backlog-0 listener of its own, then another process connects out.
cat >"$T/fill.py" <<-'PY'
	import socket, sys
	l = socket.socket(socket.AF_UNIX); l.bind(sys.argv[1]); l.listen(0)
	cs = []
	for i in range(4):
	    c = socket.socket(socket.AF_UNIX)
	    try:
	        c.connect(sys.argv[1]); cs.append(c); print("unix-fill", i, "OK", flush=True)
	    except OSError as e:
	        print("unix-fill", i, e.__class__.__name__, flush=True)
PY
NOBASE="a stall has no far side; the allowed connect's time is the oracle" \
DEFEAT="^(connect $A:22 (E[A-Z]+|OK ms=[0-9]{4,})|probe-rc [1-9])" \
attack unix-backlog-stall "blocking AF_UNIX connects to a full backlog; another process connects to the allowed host at once" \
	- "^connect $A:22 OK ms=" \
	sh -c "rm -f '$T/fill.sock'; python3 '$T/fill.py' '$T/fill.sock' & sleep 1; timeout 8 '$NET' -T tcp $A:22; echo probe-rc \$?; kill \$! 2>/dev/null"

# ------------------------------------------------------------ policy semantics
SUP=(--policy "$T/names.yaml")
attack dns-other-server-udp \
	"DNS query (UDP) to another server's port 53: answered by the stub, that server sees nothing" \
	h5 "^$A$" dig +short +tries=1 +time=2 @$H5 ok.adv.test
SUP=(--policy "$T/names.yaml")
attack dns-other-server-tcp \
	"DNS query (TCP) to another server's port 53: answered by the stub, that server sees nothing" \
	h5 "^$A$" dig +tcp +short +tries=1 +time=2 @$H5 ok.adv.test
# Baseline: the same TXT query straight to the upstream server
BASE=(env ADV_AT=@$UP)
SUP=(--policy "$T/names.yaml")
attack dns-txt-tunnel \
	"TXT query under a denied name: NXDOMAIN from the stub, never reaches upstream" \
	dns "status: NXDOMAIN" sh -c "dig +tries=1 +time=2 \${ADV_AT:-} leak.evil.adv.test TXT" 
SUP=(--allow $H5)
attack dns-over-tls "port 853 of an otherwise allowed host (DoT): EACCES" \
	h5 "EACCES" "$NET" tcp $H5:853
SUP=(--policy "$T/names.yaml")
attack hardcoded-ip \
	"hard-coded IP of an allowed name, never resolved through the stub: EACCES (unknown_ip)" \
	h10 "EACCES" "$NET" tcp $A:22

# /etc/hosts: a private mount (never the machine's file) mapping the
# allowed name to the denied address; CMD resolves through it
printf '%s ok.adv.test\n' $D >"$T/hosts"
cat >"$T/conn.py" <<-'PY'
	import socket, sys, errno
	a = socket.gethostbyname(sys.argv[1])
	s = socket.socket(); s.settimeout(3)
	print("connect", a, errno.errorcode.get(s.connect_ex((a, 22)), "OK"))
PY
if [ -z "$ADV_ONLY" ] || [[ etc-hosts =~ $ADV_ONLY ]]; then
	reset_all
	in_client unshare -m sh -c "mount --bind '$T/hosts' /etc/hosts && exec python3 '$T/conn.py' ok.adv.test" \
		>"$T/hosts.base.out" 2>&1
	base=$(count h20)
	reset_all
	in_client unshare -m sh -c "mount --bind '$T/hosts' /etc/hosts && exec timeout 30 '$ES_BIN' --policy '$T/names.yaml' -- python3 '$T/conn.py' ok.adv.test" \
		>"$T/hosts.out" 2>"$T/hosts.err"
	got=$(count h20)
	if [ "${base:-0}" -eq 0 ]; then
		verdict etc-hosts "edited /etc/hosts (allowed name -> denied IP)" broken "baseline: h20 saw nothing"
		diag_file "$T/hosts.base.out"
	elif [ "${got:-0}" -gt 0 ]; then
		verdict etc-hosts "edited /etc/hosts (allowed name -> denied IP)" escaped "h20 saw $got packets"
	elif grep -q "^connect $D EACCES" "$T/hosts.out"; then
		verdict etc-hosts "edited /etc/hosts (allowed name -> denied IP): EACCES, the IP came from no DNS answer" blocked
	else
		verdict etc-hosts "edited /etc/hosts (allowed name -> denied IP)" broken "program's view"
		diag_file "$T/hosts.out"; diag_file "$T/hosts.err"
	fi
fi

# Special destinations under the broadest rules: denied unless a rule's
# network lies inside the special range (egress-supervise-policy(5)).
BROAD=(--allow 0.0.0.0/0 --allow ::/0)
SUP=("${BROAD[@]}")
attack special-0.0.0.0 "0.0.0.0 (reaches the local host) under --allow 0.0.0.0/0: EACCES" \
	lo "^sendto EACCES" "$ATK" sendto 0.0.0.0:5999
SUP=("${BROAD[@]}")
attack special-metadata "169.254.169.254 (metadata; routed to h20 here) under --allow 0.0.0.0/0: EACCES" \
	h20 "^connect EACCES" "$ATK" connect 169.254.169.254:80
SUP=("${BROAD[@]}")
attack special-broadcast "255.255.255.255 under --allow 0.0.0.0/0: EACCES" \
	bcast "^sendto EACCES" "$ATK" sendto 255.255.255.255:5999
SUP=("${BROAD[@]}")
attack special-multicast4 "224.0.0.1 under --allow 0.0.0.0/0: EACCES" \
	mcast4 "^sendto EACCES" "$ATK" sendto 224.0.0.1:5999
SUP=("${BROAD[@]}")
attack special-multicast6 "ff02::1 under --allow ::/0: EACCES" \
	mcast6 "^sendto EACCES" "$ATK" sendto "[ff02::1%eth0]:5999"
SUP=("${BROAD[@]}")
attack special-linklocal6 "fe80:: (the router's link-local) under --allow ::/0: EACCES" \
	ll6 "^sendto EACCES" "$ATK" sendto "[$ROUTER_LL%eth0]:5999"
# NAT64 is decided as the IPv4 address it carries (issue 6): an IPv6 rule
# must not open an IPv4 host through it
SUP=(--allow ::/0)
attack special-nat64 "64:ff9b::<denied> (NAT64; routed to h20 here) under --allow ::/0 only: EACCES" \
	h20 "^connect EACCES" "$ATK" connect "[64:ff9b::c633:6414]:22"
SUP=("${BROAD[@]}")
attack special-6to4 "2002:<denied>:: (6to4; routed to h20 here) under --allow ::/0: EACCES" \
	h20 "^connect EACCES" "$ATK" connect "[2002:c633:6414::1]:22"
SUP=("${BROAD[@]}")
attack special-teredo "2001:0::/32 (Teredo; routed to h20 here) under --allow ::/0: EACCES" \
	h20 "^connect EACCES" "$ATK" connect "[2001:0:c633:6414::1]:22"

# ------------------------------------------------------------ fds, environment, capabilities
# A socket connected to the denied host, passed as fd 5 by "the runtime"
if [ -z "$ADV_ONLY" ] || [[ inherited-fd =~ $ADV_ONLY ]]; then
	reset_all
	in_client bash -c "exec 5<>/dev/udp/$D/5000; exec '$ATK' fd-write 5" >"$T/fd5.base.out" 2>&1
	sleep 0.2
	base=$(count h20)
	reset_all
	in_client bash -c "exec 5<>/dev/udp/$D/5000; exec timeout 30 '$ES_BIN' --allow $A -- '$ATK' fd-write 5" \
		>"$T/fd5.out" 2>"$T/fd5.err"
	sleep 0.2
	got=$(count h20)
	d="a UDP socket to the denied host inherited as fd 5: closed before exec (EBADF)"
	if [ "${base:-0}" -eq 0 ]; then
		verdict inherited-fd "$d" broken "baseline: h20 saw nothing"
	elif [ "${got:-0}" -gt 0 ]; then
		verdict inherited-fd "$d" escaped "h20 saw $got packets"
	elif grep -q "^write-inherited-fd EBADF" "$T/fd5.out"; then
		verdict inherited-fd "$d" blocked
	else
		verdict inherited-fd "$d" broken "program's view"
		diag_file "$T/fd5.out"
	fi
fi

NOTIFY_SOCKET=/run/adv-notify LISTEN_FDS=1 LISTEN_PID=1 LISTEN_FDNAMES=x \
NOBASE="an environment variable reaches no host" BASE_WANT="^vars 4$" \
	attack env-scrub "NOTIFY_SOCKET / LISTEN_* from the runtime: scrubbed before exec" \
	- "^vars 0$" sh -c 'echo vars $(env | grep -Ec "^(NOTIFY_SOCKET|LISTEN_FDS|LISTEN_PID|LISTEN_FDNAMES)=")'

# Capabilities: probes that no filter rule touches (setsockopt needing
# CAP_NET_RAW / CAP_NET_ADMIN), as uid 0, with file capabilities, and with
# the capabilities in the inheritable and ambient sets of the caller.
NOBASE="capabilities are local state" BASE_WANT="IP_TRANSPARENT\(CAP_NET_RAW\|ADMIN\) OK" \
	attack caps-root "CMD as uid 0: no CAP_NET_RAW/CAP_NET_ADMIN (IP_TRANSPARENT, SO_MARK: EPERM)" \
	- "IP_TRANSPARENT.* EPERM.*SO_MARK.* EPERM" sh -c "'$ATK' caps | tr '\n' ' '"
cp "$ATK" "$T/adv-fcap"
if setcap cap_net_raw,cap_net_admin+ep "$T/adv-fcap" 2>/dev/null; then
	BASE=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	SUP=(--allow $A --user 65534:65534)
	NOBASE="capabilities are local state" \
	BASE_WANT="IP_TRANSPARENT\(CAP_NET_RAW\|ADMIN\) OK" \
	attack caps-file \
		"file capabilities cap_net_raw,cap_net_admin+ep on CMD (--user 65534): ignored (EPERM)" \
		- "(IP_TRANSPARENT.* EPERM.*SO_MARK.* EPERM|adv-fcap: Operation not permitted)" "$T/adv-fcap" caps
else
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - caps-file # SKIP setcap failed on $T"
fi
# The caller (a runtime) leaves CAP_NET_RAW/ADMIN in the inheritable and
# ambient sets: CMD must still have neither. Baseline: caps-root's.
if [ -z "$ADV_ONLY" ] || [[ caps-ambient =~ $ADV_ONLY ]]; then
	in_client capsh --inh=cap_net_raw,cap_net_admin --addamb=cap_net_raw,cap_net_admin \
		-- -c "grep -E '^Cap(Inh|Amb)' /proc/self/status; exec timeout 30 '$ES_BIN' --allow $A -- '$ATK' caps" \
		>"$T/amb.out" 2>"$T/amb.err"
	d="caller with CAP_NET_RAW/ADMIN in its inheritable and ambient sets: CMD still has neither"
	if ! grep -q "^CapAmb:.*3000$" "$T/amb.out"; then
		verdict caps-ambient "$d" broken "capsh did not set the ambient set"
		diag_file "$T/amb.out"; diag_file "$T/amb.err"
	elif grep -q "IP_TRANSPARENT.* EPERM" "$T/amb.out" &&
	     grep -q "SO_MARK.* EPERM" "$T/amb.out"; then
		verdict caps-ambient "$d" blocked
	else
		verdict caps-ambient "$d" escaped "CMD holds a dropped capability"
		diag_file "$T/amb.out"; diag_file "$T/amb.err"
	fi
fi

# ------------------------------------------------------------ unix sockets
# An unfiltered helper (a "mounted host socket") that hands out a UDP
# socket connected to the denied host. Known limit (README): AF_UNIX
# connects are allowed; the fd then sends without any notification.
cat >"$T/scm.py" <<-'PY'
	import socket, sys, os, array
	path, dst = sys.argv[1], sys.argv[2]
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.connect((dst, 5000))
	l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	try: os.unlink(path)
	except OSError: pass
	l.bind(path); os.chmod(path, 0o666); l.listen(8)
	open(path + ".ready", "w").close()
	while True:
	    c, _ = l.accept()
	    c.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [u.fileno()]))])
	    c.close()
PY
"${IN_WORLD[@]}" python3 "$T/scm.py" "$T/scm.sock" $D >"$T/scm.log" 2>&1 &
_world_pids="$_world_pids $!"
wait_for_line "$T/scm.sock.ready" "" 5 || test -e "$T/scm.sock.ready" || diag "scm helper did not start"
if [ -z "$ADV_ONLY" ] || [[ scm-rights =~ $ADV_ONLY ]]; then
	reset_all
	direct scm.base "$ATK" scm-recv "$T/scm.sock"
	sleep 0.2
	base=$(count h20)
	reset_all
	es_run scm --allow $A --log "$T/scm.json" -- "$ATK" scm-recv "$T/scm.sock"
	sleep 0.2
	got=$(count h20)
	d="SCM_RIGHTS: a socket to the denied host from an unfiltered process over AF_UNIX"
	if [ "${base:-0}" -eq 0 ]; then
		verdict scm-rights "$d" broken "baseline: h20 saw nothing"
	elif [ "${got:-0}" -gt 0 ]; then
		verdict scm-rights "$d" todo "h20 saw $got packets: AF_UNIX connects are allowed and a received socket sends unseen (README: Known limits)"
	else
		verdict scm-rights "$d (blocked)" blocked
	fi
fi

# The same under unix.deny_fd_passing: every AF_UNIX socket of CMD refuses
# fds (SO_PASSRIGHTS off, Linux 6.16), so the helper's sendmsg fails and
# nothing reaches the denied host. Baseline: without the supervisor the
# received socket reaches h20.
sed 's/^\(\s*\)c.sendmsg(\(.*\))$/\1try: c.sendmsg(\2)\n\1except OSError as e: print("send fd", e.strerror, flush=True)/' \
	"$T/scm.py" >"$T/scm2.py"
"${IN_WORLD[@]}" python3 "$T/scm2.py" "$T/scm2.sock" $D >"$T/scm2.log" 2>&1 &
_world_pids="$_world_pids $!"
wait_for_line "$T/scm2.sock.ready" "" 5 || test -e "$T/scm2.sock.ready" || diag "scm2 helper did not start"
printf 'version: 1\nunix:\n  deny_fd_passing: true\nrules:\n  - dst: %s\n    proto: tcp\n' $A >"$T/nofd.yaml"
SUP=(--policy "$T/nofd.yaml")
attack scm-rights-deny-fd-passing \
	"SCM_RIGHTS as above under unix.deny_fd_passing: no fd reaches CMD" \
	h20 "^received-fd -1" "$ATK" scm-recv "$T/scm2.sock"

# The supervisor performs AF_UNIX connects itself, as root. A CMD running
# as another user (--user) must not reach a socket its own uid may not
# open: here a 0600 root socket of an unfiltered forwarder to the denied
# host. Baseline: as root the forwarder reaches h20; as uid 65534 without
# the supervisor the kernel refuses (EACCES).
"${IN_WORLD[@]}" socat UNIX-LISTEN:"$T/priv.sock",mode=600,fork TCP:$D:22 >"$T/socat.log" 2>&1 &
_world_pids="$_world_pids $!"
for i in $(seq 50); do [ -S "$T/priv.sock" ] && break; sleep 0.1; done
if [ -z "$ADV_ONLY" ] || [[ unix-perm =~ $ADV_ONLY ]]; then
	reset_all
	direct perm.base "$ATK" unix-connect "$T/priv.sock"
	sleep 0.3
	base=$(count h20)
	direct perm.nobody setpriv --reuid=65534 --regid=65534 --clear-groups "$ATK" unix-connect "$T/priv.sock"
	reset_all
	es_run perm --allow $A --user 65534:65534 --log "$T/perm.json" -- "$ATK" unix-connect "$T/priv.sock"
	sleep 0.3
	got=$(count h20)
	d="--user 65534: connect to a 0600 root unix socket (forwarder to the denied host): EACCES like the kernel"
	if [ "${base:-0}" -eq 0 ] || ! grep -q "^unix-connect EACCES" "$T/perm.nobody.out"; then
		verdict unix-perm "$d" broken "baseline: root did not reach h20 or uid 65534 was not refused by the kernel"
		show perm.base; show perm.nobody
	elif [ "${got:-0}" -gt 0 ] || grep -q "^unix-connect OK" "$T/perm.out"; then
		verdict unix-perm "$d" escaped "the supervisor connected as root for uid 65534; h20 saw $got packets"
		show perm
	elif grep -q "^unix-connect EACCES" "$T/perm.out"; then
		verdict unix-perm "$d" blocked
	else
		verdict unix-perm "$d" broken "program's view"
		show perm
	fi
fi

# SCM_CREDENTIALS claiming uid 0, sent by a CMD running as uid 65534: the
# supervisor sends the message itself; the receiver must not see uid 0.
cat >"$T/cred.py" <<-'PY'
	import socket, sys, os, struct
	path, log = sys.argv[1], sys.argv[2]
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	try: os.unlink(path)
	except OSError: pass
	s.bind(path); os.chmod(path, 0o666)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
	open(path + ".ready", "w").close()
	while True:
	    m, anc, _, _ = s.recvmsg(100, 256)
	    for lvl, typ, data in anc:
	        if typ == socket.SCM_CREDENTIALS:
	            pid, uid, gid = struct.unpack("iII", data[:12])
	            with open(log, "a") as f:
	                f.write(f"cred uid={uid} gid={gid}\n")
PY
"${IN_WORLD[@]}" python3 "$T/cred.py" "$T/cred.sock" "$T/cred.log" >"$T/cred.out" 2>&1 &
_world_pids="$_world_pids $!"
for i in $(seq 50); do [ -e "$T/cred.sock.ready" ] && break; sleep 0.1; done
if [ -z "$ADV_ONLY" ] || [[ scm-credentials =~ $ADV_ONLY ]]; then
	: >"$T/cred.log"
	direct cred.base setpriv --reuid=65534 --regid=65534 --clear-groups "$ATK" scm-cred "$T/cred.sock"
	sleep 0.2
	base=$(grep -c "uid=0" "$T/cred.log")
	: >"$T/cred.log"
	es_run cred --allow $A --user 65534:65534 --log "$T/cred.json" -- "$ATK" scm-cred "$T/cred.sock"
	sleep 0.3
	got=$(grep -c "uid=0" "$T/cred.log")
	d="--user 65534 sends SCM_CREDENTIALS claiming uid 0: refused (EPERM) like the kernel"
	if [ "${base:-0}" -gt 0 ] || ! grep -q "EPERM" "$T/cred.base.out"; then
		verdict scm-credentials "$d" broken "baseline: the kernel did not refuse uid 65534"
		show cred.base
	elif [ "${got:-0}" -gt 0 ]; then
		verdict scm-credentials "$d" escaped "the receiver saw uid=0 from a uid 65534 CMD"
		show cred
	elif grep -q "EPERM" "$T/cred.out"; then
		verdict scm-credentials "$d" blocked
	else
		verdict scm-credentials "$d" broken "program's view"
		show cred
	fi
fi

# ------------------------------------------------------------ the relay
# Rules that inspect (tls, http, ...) move connections into the
# supervisor's relay, which listens on loopback.
cat >"$T/relay.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$UP]
	rules:
	  - dst: ok.adv.test
	    proto: tls
	    port: 80
YAML
cat >"$T/relay-scan.py" <<-'PY'
	# connect to every TCP listener on 127.0.0.1 (the relay is one of them)
	import errno, socket
	for line in open("/proc/net/tcp").readlines()[1:]:
	    f = line.split()
	    addr, port = f[1].split(":")
	    if f[3] != "0A" or addr != "0100007F":
	        continue
	    s = socket.socket()
	    s.settimeout(2)
	    r = s.connect_ex(("127.0.0.1", int(port, 16)))
	    print("relay-port", int(port, 16), "OK" if r == 0 else errno.errorcode.get(r, r))
	    s.close()
PY
SUP=(--policy "$T/relay.yaml")
NOBASE="the relay exists only under the supervisor" \
LOG_WANT='"reason":"relay_port"' DEFEAT="relay-port [0-9]+ OK" \
	attack relay-direct "connect straight to the relay's loopback listener: EACCES" \
	- "relay-port [0-9]+ EACCES" python3 "$T/relay-scan.py"
SUP=(--policy "$T/relay.yaml")
attack relay-tfo "TCP Fast Open to a destination whose rule inspects (data before the relay sees it): EOPNOTSUPP" \
	h10 "EOPNOTSUPP" sh -c "getent hosts ok.adv.test >/dev/null; exec $NET tfo $A:80"

# ------------------------------------------------------------ loopback
# An unfiltered forwarder on 127.0.0.1:8080 to the denied host (a sidecar
# proxy, a port forward). SECURITY-CHECKLIST.md wants loopback other than
# the stub/relay denied unless a rule names it; README and
# egress-supervise-policy(5) say loopback is always allowed. Reported as a
# known limit (TODO) until one of the two changes.
"${IN_WORLD[@]}" socat TCP-LISTEN:8080,bind=127.0.0.1,reuseaddr,fork TCP:$D:22 >"$T/lo-socat.log" 2>&1 &
_world_pids="$_world_pids $!"
sleep 0.3
KNOWN="loopback is always allowed (README, egress-supervise-policy(5)); the checklist wants it denied unless named" \
attack loopback-forwarder "connect to an unfiltered forwarder on 127.0.0.1 (to the denied host): denied unless a rule names loopback" \
	h20 "EACCES" "$NET" tcp 127.0.0.1:8080

# ------------------------------------------------------------ ingress
# Who may reach CMD's sockets: with this policy only the allowed host may
# reach ports 7100-7102 of the client (192.0.2.2). The far side is CMD's
# own socket: the oracle is whether it accepted (received from) the
# denied host, which knocks while CMD serves. Baseline: the same program
# without the supervisor accepts the denied host.
printf 'version: 1\ningress:\n  - src: %s\n    port: 7100-7102\n' "$A" \
	>"$T/ingress.yaml"

# knock PROTO PORT: the denied host tries three times
knock() {
	local i
	for i in 1 2 3; do
		if [ "$1" = tcp ]; then
			in_ns h20 "$NET" -n -t 300 tcp 192.0.2.2:$2 >/dev/null 2>&1
		else
			in_ns h20 "$NET" udp-sendto 192.0.2.2:$2 >/dev/null 2>&1
			sleep 0.2
		fi
	done
}

# ingress_race ID DESC listen|bind PORT: adv-attack ingress-race, run
# without and with the supervisor, the denied host knocking meanwhile
ingress_race() {
	local id=$1 desc=$2 op=$3 port=$4 run p proto=tcp got
	[ -n "$ADV_ONLY" ] && ! [[ $id =~ $ADV_ONLY ]] && return
	[ "$op" = bind ] && proto=udp
	for run in base sup; do
		: >"$T/$id.$run.out"
		if [ $run = base ]; then
			"${IN_WORLD[@]}" timeout 30 "$ATK" ingress-race "$op" "$port" "$N" 3000 \
				>"$T/$id.$run.out" 2>"$T/$id.$run.err" &
		else
			"${IN_WORLD[@]}" timeout 30 "$ES_BIN" --policy "$T/ingress.yaml" \
				--log "$T/$id.json" -- "$ATK" ingress-race "$op" "$port" "$N" 3000 \
				>"$T/$id.$run.out" 2>"$T/$id.$run.err" &
		fi
		p=$!
		wait_for_line "$T/$id.$run.out" "^$op-state" 20
		knock $proto "$port"
		wait $p
	done
	got=$(grep -Ec "^(accepted|received) $D$" "$T/$id.sup.out")
	if ! grep -Eq "^(accepted|received) $D$" "$T/$id.base.out"; then
		verdict "$id" "$desc" broken "baseline: without the supervisor the denied host was not accepted"
		diag_file "$T/$id.base.out"
	elif [ "${got:-0}" -gt 0 ]; then
		verdict "$id" "$desc" escaped "CMD's socket accepted the denied host $got times"
		diag_file "$T/$id.sup.out"; diag_file "$T/$id.sup.err"
	elif ! grep -Eq "^$op-state yes filter=[1-9][0-9]* swaps=[1-9]" "$T/$id.sup.out"; then
		verdict "$id" "$desc" broken "under the supervisor the race did not run, or the socket did not end up filtered"
		diag_file "$T/$id.sup.out"; diag_file "$T/$id.sup.err"
	else
		verdict "$id" "$desc" blocked
	fi
}

ingress_race ingress-listen-race \
	"listen(fd) while fd swaps between a unix socket and a bound, unfiltered TCP socket: it listens filtered" \
	listen 7100
ingress_race ingress-bind-race \
	"bind(fd, [::]:port) while fd swaps between a unix socket and an unbound UDP socket: it binds filtered" \
	bind 7101

# A listening socket made by an unfiltered process and handed to CMD over
# AF_UNIX never met the supervisor (known limit, as scm-rights above).
cat >"$T/scm-listen.py" <<-'PY'
	import socket, sys, os, array
	path, port = sys.argv[1], int(sys.argv[2])
	t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
	t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
	t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	t.bind(("::", port)); t.listen(8)
	l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	try: os.unlink(path)
	except OSError: pass
	l.bind(path); os.chmod(path, 0o666); l.listen(8)
	open(path + ".ready", "w").close()
	while True:
	    c, _ = l.accept()
	    c.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [t.fileno()]))])
	    c.close()
PY
cat >"$T/scm-accept.py" <<-'PY'
	import socket, sys, array, select
	c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(sys.argv[1])
	fds = array.array("i")
	_, anc, _, _ = c.recvmsg(1, socket.CMSG_LEN(4))
	fds.frombytes(anc[0][2][:4])
	s = socket.socket(fileno=fds[0])
	print("ready", flush=True)
	while select.select([s], [], [], 3)[0]:
	    a, p = s.accept(); h = p[0]
	    print("accepted", h[7:] if h.startswith("::ffff:") else h, flush=True); a.close()
PY
if [ -z "$ADV_ONLY" ] || [[ ingress-scm-listener =~ $ADV_ONLY ]]; then
	"${IN_WORLD[@]}" python3 "$T/scm-listen.py" "$T/scml.sock" 7102 >"$T/scml.log" 2>&1 &
	_world_pids="$_world_pids $!"
	for i in $(seq 50); do [ -e "$T/scml.sock.ready" ] && break; sleep 0.1; done
	"${IN_WORLD[@]}" timeout 20 "$ES_BIN" --policy "$T/ingress.yaml" --log "$T/scml.json" -- \
		python3 "$T/scm-accept.py" "$T/scml.sock" >"$T/scml.out" 2>"$T/scml.err" &
	p=$!
	wait_for_line "$T/scml.out" "^ready" 10
	knock tcp 7102
	wait $p
	d="a listening TCP socket handed over AF_UNIX by an unfiltered process: the denied host reaches it"
	if ! grep -q "^ready" "$T/scml.out"; then
		verdict ingress-scm-listener "$d" broken "CMD did not receive the socket"
		diag_file "$T/scml.out"; diag_file "$T/scml.err"
	elif grep -q "^accepted $D$" "$T/scml.out"; then
		verdict ingress-scm-listener "$d" todo "CMD accepted the denied host: a socket received over AF_UNIX never met the supervisor (README: Known limits)"
	else
		verdict ingress-scm-listener "$d (blocked)" blocked
	fi
fi

# ============================================================ summary
sum="adversarial: $n_tech techniques, $n_blocked blocked, $n_escaped escaped"
[ $n_broken -gt 0 ] && sum="$sum, $n_broken broken"
[ $n_todo -gt 0 ] && sum="$sum, $n_todo known limits"
echo "$sum"
for e in "${ESCAPES[@]}"; do
	echo "# ESCAPE $e"
done
echo "1..$_tap_n"
[ $n_escaped -eq 0 ] && [ $n_broken -eq 0 ] && exit 0
exit 1
