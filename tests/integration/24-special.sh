#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 24-special.sh - the container's gateway is special (a rule must name it),
# NAT64 addresses are decided as the IPv4 address they reach
. "$(dirname "$0")/lib.sh"

require_root
world_up
GW=192.0.2.1

# The client's default route goes through the router: the "host" of a
# rootless container, whose own services listen on the gateway address.
ip -n "$NS_CLIENT" route add default via $GW
cat >"$T/gw.py" <<-'PY'
	import socket, sys
	s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind((sys.argv[1], 8080)); s.listen(8)
	open(sys.argv[2] + ".ready", "w").close()
	log = open(sys.argv[2], "a", buffering=1)
	while True:
	    c, a = s.accept(); log.write("accept %s\n" % a[0]); c.close()
PY
ip netns exec "$NS_NET" python3 "$T/gw.py" $GW "$T/gw.log" >/dev/null 2>&1 &
_world_pids="$_world_pids $!"
for i in $(seq 50); do [ -e "$T/gw.log.ready" ] && break; sleep 0.1; done

direct gwb "$ES_HELPERS/es-net" tcp $GW:8080
expect_line gwb "^connect $GW:8080 OK" "without the supervisor the gateway's service answers (the check works)"
: >"$T/gw.log"

es_run gw1 --allow 192.0.2.0/24 --log "$T/gw1.json" -- "$ES_HELPERS/es-net" tcp $GW:8080
expect_line gw1 "^connect $GW:8080 EACCES" "the gateway is denied under a rule for its whole network"
file_like "$T/gw1.json" '"reason":"special_address"' "logged as a special address"
es_run gw2 --allow $GW/32:8080/tcp -- "$ES_HELPERS/es-net" tcp $GW:8080
expect_line gw2 "^connect $GW:8080 OK" "a rule for exactly the gateway allows it"
is "$(grep -c accept "$T/gw.log")" 1 "the gateway's service saw exactly the allowed connection"

# NAT64: 64:ff9b::c633:640a is 198.51.100.10 through a NAT64 gateway.  No
# NAT64 here: allowed, the kernel then says ENETUNREACH; denied: EACCES.
es_run n64 --allow 198.51.100.10 --log "$T/n64.json" -- sh -c \
	"'$ES_HELPERS/es-net' tcp '[64:ff9b::c633:640a]:22'; '$ES_HELPERS/es-net' tcp '[64:ff9b::c633:6414]:22'"
expect_line n64 '^connect \[64:ff9b::c633:640a\]:22 (ENETUNREACH|EHOSTUNREACH)' "NAT64 of an allowed IPv4 address is allowed"
expect_line n64 '^connect \[64:ff9b::c633:6414\]:22 EACCES' "NAT64 of a denied IPv4 address is denied"
es_run n64b --allow ::/0 -- "$ES_HELPERS/es-net" tcp '[64:ff9b::c633:6414]:22'
expect_line n64b '^connect \[64:ff9b::c633:6414\]:22 EACCES' "an IPv6 rule does not allow NAT64 of a denied IPv4 address"

done_testing
