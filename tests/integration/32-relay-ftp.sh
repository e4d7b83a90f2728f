#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 32-relay-ftp.sh - ftp rules: the relay follows the control connection,
# and each PASV (227) or EPSV (229) reply allows exactly one data connect,
# to the server's own address and the port the reply names. Downloads from
# vsftpd over IPv4 and IPv6 arrive whole; a data connect nobody announced
# is denied; a fake server whose 227 names another host (FTP bounce) gets
# no connection to it, and that host sees no packet.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-servers.sh"

require_root
require_bins
require_cmd curl
world_up
world_selftest
srv_dns
srv_ftp h10
H10=198.51.100.10
H5=203.0.113.5

# a fake FTP server on h20: its PASV reply names h5 (203,0,113,5) port
# 30001 = 117*256+49; EPSV is refused, so clients fall back to PASV
cat >"$T/fake-ftp.py" <<-'PY'
	import socket, sys, threading
	s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
	s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("::", 21)); s.listen(16)
	log = open(sys.argv[1], "a", buffering=1)
	def serve(c):
	    f = c.makefile("rwb", buffering=0)
	    f.write(b"220 fake ftp\r\n")
	    for line in f:
	        cmd = line.decode(errors="replace").strip()
	        log.write(cmd + "\n")
	        verb = cmd.split(" ")[0].upper()
	        if verb == "PASV":
	            f.write(b"227 Entering Passive Mode (203,0,113,5,117,49).\r\n")
	        elif verb == "EPSV":
	            f.write(b"500 EPSV not understood\r\n")
	        elif verb == "QUIT":
	            f.write(b"221 bye\r\n"); break
	        elif verb in ("USER",):
	            f.write(b"331 pass\r\n")
	        elif verb in ("RETR", "LIST", "NLST"):
	            f.write(b"150 here it comes\r\n")
	            f.write(b"226 done\r\n")
	        elif verb == "SIZE":
	            f.write(b"213 10\r\n")
	        else:
	            f.write(b"200 ok\r\n")
	    c.close()
	def data():
	    # behind NAT, the port the 227 names is open on h20 itself
	    d = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
	    d.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
	    d.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	    d.bind(("::", 30001)); d.listen(16)
	    while True:
	        c, _ = d.accept()
	        log.write("data connect\n")
	        c.sendall(b"nat data\r\n"); c.close()
	threading.Thread(target=data, daemon=True).start()
	while True:
	    c, _ = s.accept()
	    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
_bg "$(ns_of h20)" "$T/fake-ftp.out" "$PYTHON" "$T/fake-ftp.py" "$T/fake-ftp.log"
wait_listen h20 21 || bail_out "fake ftp server did not start"
# the bounce target: something listens on h5:30001, so a connect would work
srv_banner h5 30001 "220 bounce target"
# a server on port 21 that does not speak FTP
srv_banner h5 21 "HTTP/1.0 200 OK"

# the world works without the supervisor: the fake server's 227 leads to h5
in_client "$PYTHON" -c "
import socket
c = socket.create_connection(('198.51.100.20', 21), timeout=5)
f = c.makefile('rwb', buffering=0); f.readline()
f.write(b'PASV\r\n'); print(f.readline().decode().strip())
d = socket.create_connection(('$H5', 30001), timeout=5); print(d.recv(64).decode().strip())
" >"$T/direct-bounce.out" 2>&1
grep -q '^220 bounce target' "$T/direct-bounce.out" ||
	bail_out "the world does not work: $(cat "$T/direct-bounce.out")"
world_reset
: >"$T/fake-ftp.log"

cat >"$T/p.yaml" <<-YAML
	version: 1
	dns:
	  upstream: [$DNS_UP]
	rules:
	  - dst: h10.test
	    proto: ftp
	  - dst: h20.test
	    proto: ftp
	  - dst: h5.test
	    proto: ftp
YAML

# es NAME SCRIPT: SCRIPT (sh) under the supervisor; log $T/NAME.json
es() {
	es_run "$1" --policy "$T/p.yaml" --log "$T/$1.json" -- sh -c "$2"
}
C="curl -sS --max-time 20"

# ---------------------------------------------------------------- vsftpd
es dl "$C -4 -o $T/epsv4.bin ftp://h10.test/file.bin; echo rc=\$?; $C -4 --ftp-pasv --disable-epsv -o $T/pasv4.bin ftp://h10.test/file.bin; echo rc=\$?; $C -6 -o $T/epsv6.bin ftp://h10.test/file.bin; echo rc=\$?; $C -4 ftp://h10.test/; echo rc=\$?"
is "$(grep -c '^rc=0$' "$T/dl.out")" 4 "curl: four FTP transfers succeed"
is "$(sha "$T/epsv4.bin" 2>/dev/null)" "$FTP_SHA" "IPv4, EPSV: the file arrives whole (sha256)"
is "$(sha "$T/pasv4.bin" 2>/dev/null)" "$FTP_SHA" "IPv4, PASV (--disable-epsv): the file arrives whole"
is "$(sha "$T/epsv6.bin" 2>/dev/null)" "$FTP_SHA" "IPv6, EPSV: the file arrives whole"
expect_line dl "file\.bin" "a directory listing over a data connection"
expect_event "$T/dl.json" 1+ "an EPSV reply opened an expectation (logged)" \
	event=ftp verdict=allow reply=229 dst=$H10 port='~^3000[0-9]$' reason=ftp_passive
expect_event "$T/dl.json" 1 "a PASV reply opened an expectation (logged)" \
	event=ftp verdict=allow reply=227 dst=$H10 reason=ftp_passive
expect_event "$T/dl.json" 1+ "the IPv6 EPSV reply: an expectation for h10's IPv6 address" \
	event=ftp verdict=allow reply=229 dst=2001:db8:2::10
expect_event "$T/dl.json" 4 "the control connections went through the FTP relay" \
	event=connect verdict=allow relay=ftp port=21
expect_event "$T/dl.json" 4 "the data connections were allowed by the expectation" \
	event=connect verdict=allow port='~^3000[0-9]$'
expect_event "$T/dl.json" 4 "one close event per control connection" \
	event=close proto=ftp port=21 bytes_up='~^[1-9]' bytes_down='~^[1-9]'
file_like "$T/h10.vsftpd.log" 'OK DOWNLOAD: Client "(::ffff:)?192\.0\.2\.2", "/file\.bin", '"$FTP_SIZE" \
	"vsftpd logged a whole download to the client's address"

# A reply allows one connect: a second one to the same port, or one to a
# port no reply named, is denied.
world_reset
es once "$PYTHON -c '
import socket, errno, re
socket.getaddrinfo(\"h10.test\", 21)
c = socket.create_connection((\"$H10\", 21), timeout=10)
f = c.makefile(\"rwb\", buffering=0)
def cmd(s):
    if s: f.write(s.encode() + b\"\\r\\n\")
    while True:
        l = f.readline().decode()
        if l[3:4] != \"-\": return l.strip()
cmd(\"\"); cmd(\"USER anonymous\"); cmd(\"PASS x@\")
r = cmd(\"PASV\"); print(\"reply\", r)
n = [int(x) for x in re.search(r\"\\((.*)\\)\", r).group(1).split(\",\")]
port = n[4] * 256 + n[5]
def conn(host, p):
    s = socket.socket(); s.settimeout(5)
    print(\"connect\", host, \"+\" + str(p - port) if host == \"$H10\" else \"\", errno.errorcode.get(s.connect_ex((host, p)), \"OK\"))
    return s
a = conn(\"$H10\", port)
b = conn(\"$H10\", port)
o = conn(\"$H10\", 30000 if port != 30000 else 30001)
'"
expect_line once "^reply 227 " "PASV answered"
expect_line once "^connect $H10 \+0 OK$" "the announced data connect: allowed"
is "$(grep -c "^connect $H10 +0 EACCES$" "$T/once.out")" 1 "a second connect to the same port: EACCES"
expect_line once "^connect $H10 \+-?[0-9]+ EACCES$" "a port no reply named: EACCES"

# ---------------------------------------------------------------- bounce
world_reset
es bounce "$PYTHON -c '
import socket, errno
socket.getaddrinfo(\"h5.test\", 21)  # h5 is a known, allowed name
c = socket.create_connection((\"h20.test\", 21), timeout=10)
f = c.makefile(\"rwb\", buffering=0)
print(\"banner\", f.readline().decode().strip())
f.write(b\"PASV\\r\\n\"); print(\"reply\", f.readline().decode().strip())
s = socket.socket(); s.settimeout(5)
print(\"data\", errno.errorcode.get(s.connect_ex((\"$H5\", 30001)), \"OK\"))
'; $C -4 --no-ftp-skip-pasv-ip --disable-epsv -o /dev/null ftp://h20.test/x; echo curl-rc=\$?"
expect_line bounce "^reply 227 Entering Passive Mode \(203,0,113,5,117,49\)" "the fake server's 227 names h5"
expect_line bounce "^data EACCES$" "a raw client's data connect to the named host: EACCES"
expect_line bounce "^curl-rc=(7|15|28)$" "curl following the 227's address fails"
expect_event "$T/bounce.json" 1+ "the 227 is logged as ftp_bounce" event=ftp verdict=deny reason=ftp_bounce
expect_count h5 0 "h5 (the bounce target) saw 0 packets"
file_like "$T/fake-ftp.log" "^PASV" "the fake server did get the PASV"

# ---------------------------------------------------------------- behind NAT
# the same 227 from a server behind NAT: clients that connect to the
# control connection's peer (Python's ftplib, curl by default) get the data
world_reset
: >"$T/fake-ftp.log"
es nat "$PYTHON -c '
import ftplib, socket
socket.getaddrinfo(\"h20.test\", 21)
f = ftplib.FTP()
f.connect(\"198.51.100.20\", 21, timeout=10)
f.retrlines(\"RETR x\", lambda l: print(\"ftplib\", l))
f.quit()
'; $C -4 --disable-epsv ftp://h20.test/x; echo curl-rc=\$?"
expect_line nat "^ftplib nat data$" "Python's ftplib: the data arrives from the server's own address"
expect_line nat "^nat data" "curl (skipping the 227's address): the data arrives"
expect_line nat "^curl-rc=0$" "curl: exit status 0"
expect_event "$T/nat.json" 2 "each 227 naming another address is logged as ftp_bounce" \
	event=ftp verdict=deny reason=ftp_bounce
expect_event "$T/nat.json" 2 "and each allows the server's own address, port 30001" \
	event=ftp verdict=allow reason=ftp_passive dst=198.51.100.20 port=30001
is "$(grep -c '^data connect$' "$T/fake-ftp.log")" 2 "the server saw two data connects"
expect_count h5 0 "h5 (the address the 227 names) saw 0 packets"

# ---------------------------------------------------------------- not ftp
world_reset
es notftp "$C -o /dev/null ftp://h5.test/x; echo rc=\$?"
expect_line notftp "^rc=(8|56|7|28)$" "a port-21 server that does not speak FTP: curl fails"
is "$(ev_count "$T/notftp.json" event=close proto=ftp bytes_down=0)" 1 \
	"the relay passed none of its bytes to the client"
expect_event "$T/notftp.json" 1 "its close event says not_ftp" event=close proto=ftp reason=not_ftp

done_testing
