#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 09-abi.sh - the paths the notification never sees are closed by the
# filter: i386 socketcall (killed), x32 numbers (killed), io_uring (ENOSYS),
# raw/packet/other-family sockets (EPERM/EAFNOSUPPORT), IP_OPTIONS and IPv6
# routing headers (EPERM). Each denial is compared with a run without the
# supervisor, where the same call works, so each point can fail.

. "$(dirname "$0")/lib.sh"
require_root
require_bins
world_up
world_selftest

A=198.51.100.10
D=198.51.100.20
# Every TCP and UDP port, but no other protocol (a rule without a protocol
# would allow ICMP): the filter must stop these, not the rules.
ALLOW=(--allow 198.51.100.0/24:1-65535/tcp --allow 198.51.100.0/24:1-65535/udp)
M32="$ES_HELPERS/es-m32-socketcall"

# --- i386 ABI
if [ -x "$M32" ]; then
	direct m32base "$M32" $D 22
	expect_line m32base "^m32 connect 0$" "without supervisor, the i386 socketcall connect reaches $D (the check works)"
	world_reset
	es_run m32 "${ALLOW[@]}" -- "$M32" $D 22
	expect_rc 159 m32 "i386 socketcall: CMD killed by SIGSYS (exit 159)"
	if grep -q "^m32 socket" "$T/m32.out"; then
		not_ok "i386 socketcall: not even socket() returned"
		show m32
	else
		ok "i386 socketcall: not even socket() returned"
	fi
	expect_count h20 0 "i386 socketcall: $D saw 0 packets"
	es_run m32a "${ALLOW[@]}" -- "$M32" $A 22
	expect_rc 159 m32a "i386 socketcall to an allowed host: killed as well"
	expect_count h10 0 "i386 socketcall: $A saw 0 packets"
else
	skip "i386 socketcall" "no -m32 helper (configure found no -m32 toolchain)"
fi

# --- x32 numbers (killed whether or not the kernel has the x32 ABI)
es_run x32 "${ALLOW[@]}" -- "$NET" x32
expect_rc 159 x32 "x32 syscall number: CMD killed by SIGSYS (exit 159)"

# --- io_uring
direct iob "$NET" io-uring
if grep -q "^io_uring_setup - OK$" "$T/iob.out"; then
	ok "without supervisor, io_uring_setup works (the check works)"
else
	skip "io_uring baseline" "io_uring_setup fails here already: $(cat "$T/iob.out")"
fi
es_run io "${ALLOW[@]}" -- "$NET" io-uring
expect_line io "^io_uring_setup - ENOSYS$" "io_uring_setup fails with ENOSYS"

# --- socket(): allowed kinds
for s in "inet stream tcp" "inet dgram udp" "inet6 stream tcp" "inet6 dgram udp" \
	 "inet stream mptcp" "unix stream" "unix dgram" "inet stream" "inet6 dgram"; do
	es_run sk "${ALLOW[@]}" -- "$NET" socket $s
	expect_line sk "^socket [^ ]+ OK$" "socket($s) allowed"
done

# --- socket(): denied kinds; baseline first, so each denial is the filter's
# name and the answers the filter may give
deny_socket() {
	local want=$1
	shift
	direct skb "$NET" socket "$@"
	if ! grep -q " OK$" "$T/skb.out"; then
		skip "socket($*) denied" "fails without supervisor too: $(cat "$T/skb.out")"
		return
	fi
	es_run sk "${ALLOW[@]}" -- "$NET" socket "$@"
	expect_line sk "^socket [^ ]+ ($want)$" "socket($*) fails with $want"
}
deny_socket EAFNOSUPPORT packet raw all
deny_socket EAFNOSUPPORT packet dgram all
deny_socket EPERM inet raw raw
deny_socket EPERM inet raw icmp
deny_socket EPERM inet6 raw icmpv6
deny_socket EPERM inet dgram icmp		# ICMP datagram ("ping") socket, no icmp rule
deny_socket EPERM inet6 dgram icmpv6
deny_socket EAFNOSUPPORT netlink raw 12		# NETLINK_NETFILTER
deny_socket EAFNOSUPPORT netlink dgram 4	# NETLINK_SOCK_DIAG
deny_socket EAFNOSUPPORT vsock stream
deny_socket "EPERM|EAFNOSUPPORT" inet seqpacket
deny_socket "EPERM|EAFNOSUPPORT" inet stream sctp
deny_socket "EPERM|EAFNOSUPPORT" inet stream 33	# DCCP

# --- source routing
for o in ipopts:IP_OPTIONS rthdr:IPV6_RTHDR; do
	direct sob "$NET" sockopt ${o%:*}
	if grep -q " OK$" "$T/sob.out"; then
		ok "without supervisor, setsockopt ${o#*:} works (the check works)"
	else
		skip "${o#*:} baseline" "fails without supervisor: $(cat "$T/sob.out")"
	fi
	es_run so "${ALLOW[@]}" -- "$NET" sockopt ${o%:*}
	expect_line so "^setsockopt ${o#*:} EPERM$" "setsockopt ${o#*:} fails with EPERM"
done

expect_count h20 0 "in the end, $D saw 0 packets"
done_testing
