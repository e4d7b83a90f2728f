#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 22-unix-creds.sh - unix sockets connected and sent to by the supervisor
# carry CMD's credentials, never the supervisor's (no confused deputy)
. "$(dirname "$0")/lib.sh"

require_root
require_cmd python3
tmpdir
chmod 755 "$T"

# A stream server reporting SO_PEERCRED, a datagram server reporting
# SCM_CREDENTIALS (SO_PASSCRED); both root-owned.
cat >"$T/srv.py" <<-'PY'
	import os, socket, struct, sys
	d = sys.argv[1]
	st = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	st.bind(d + "/stream.sock"); st.listen(8)
	os.chmod(d + "/stream.sock", 0o666)
	priv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	priv.bind(d + "/root-only.sock"); priv.listen(8)
	os.chmod(d + "/root-only.sock", 0o600)
	dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	dg.bind(d + "/dgram.sock")
	os.chmod(d + "/dgram.sock", 0o666)
	dg.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
	open(d + "/ready", "w").close()
	import select
	out = open(d + "/seen", "a", buffering=1)
	while True:
	    r, _, _ = select.select([st, dg, priv], [], [])
	    for s in r:
	        if s is dg:
	            msg, anc, _, _ = dg.recvmsg(100, socket.CMSG_SPACE(12))
	            for lvl, typ, data in anc:
	                if typ == socket.SCM_CREDENTIALS:
	                    pid, uid, gid = struct.unpack("iII", data[:12])
	                    out.write("dgram uid=%d gid=%d\n" % (uid, gid))
	        else:
	            c, _ = s.accept()
	            pid, uid, gid = struct.unpack("iII", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
	            out.write("stream uid=%d gid=%d\n" % (uid, gid))
	            c.close()
PY
python3 "$T/srv.py" "$T" >"$T/srv.out" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; _world_cleanup' EXIT
for i in $(seq 50); do [ -e "$T/ready" ] && break; sleep 0.1; done

cat >"$T/cli.py" <<-'PY'
	import socket, sys, errno, struct, os
	d = sys.argv[1]
	def tryit(what, f):
	    try:
	        f(); print(what, "OK")
	    except OSError as e:
	        print(what, errno.errorcode.get(e.errno, e.errno))
	def conn(p):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(d + p)
	tryit("stream", lambda: conn("/stream.sock"))
	tryit("root-only", lambda: conn("/root-only.sock"))
	def dgram():
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	    s.sendto(b"x", d + "/dgram.sock")
	tryit("dgram", dgram)
	def forged():
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	    cred = struct.pack("iII", os.getpid(), 0, 0)
	    s.sendmsg([b"y"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, cred)], 0, d + "/dgram.sock")
	tryit("forged-root-creds", forged)
	os.chdir(d)
	tryit("relative", lambda: (lambda s: s.connect("stream.sock"))(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)))
PY

# As root (the supervisor's own uid): everything as the kernel would
: >"$T/seen"
"$ES_BIN" --log /dev/null -- python3 "$T/cli.py" "$T" >"$T/root.out" 2>"$T/root.err"
file_like "$T/root.out" "^stream OK" "root CMD: stream connect works"
file_like "$T/root.out" "^root-only OK" "root CMD: the root-only socket is reachable for root"
file_like "$T/root.out" "^relative OK" "a relative path is resolved in CMD's directory"
sleep 0.3
file_like "$T/seen" "^stream uid=0 gid=0" "root CMD: the server sees uid 0"

# As nobody: the server must see nobody, and root-only stays closed
: >"$T/seen"
"$ES_BIN" --log /dev/null --user 65534:65534 -- python3 "$T/cli.py" "$T" >"$T/user.out" 2>"$T/user.err"
file_like "$T/user.out" "^stream OK" "--user: stream connect works"
file_like "$T/user.out" "^root-only EACCES" "--user: a root-only socket is not reachable through the supervisor"
file_like "$T/user.out" "^dgram OK" "--user: datagram send works"
file_like "$T/user.out" "^forged-root-creds (EPERM|EACCES)" "--user: forged SCM_CREDENTIALS of root are refused"
sleep 0.3
file_like "$T/seen" "^stream uid=65534 gid=65534" "--user: SO_PEERCRED shows CMD's uid and gid"
file_like "$T/seen" "^dgram uid=65534 gid=65534" "--user: SCM_CREDENTIALS (SO_PASSCRED) shows CMD's uid and gid"
file_unlike "$T/seen" "uid=0 " "--user: the server never saw uid 0"

done_testing
