#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 22-unix-creds.sh - unix sockets: connected and sent to by the supervisor
# with CMD's credentials, never the supervisor's (no confused deputy);
# container engine sockets and abstract sockets denied unless the policy
# allows them; a path swapped after the check cannot redirect a connect
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

# --- engine sockets, abstract sockets, symlinks, swaps
mkdir -p "$T/run/docker" "$T/mnt"
cat >"$T/engine.py" <<-'PY'
	import os, socket, sys, select
	paths = sys.argv[2:]
	socks = []
	for p in paths:
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    if p.startswith("@"):
	        s.bind("\0" + p[1:])
	    else:
	        s.bind(p); os.chmod(p, 0o666)
	    s.listen(64); socks.append(s)
	open(sys.argv[1], "w").close()
	log = open(sys.argv[1] + ".log", "a", buffering=1)
	while True:
	    r, _, _ = select.select(socks, [], [])
	    for s in r:
	        c, _ = s.accept(); log.write("accept %s\n" % paths[socks.index(s)]); c.close()
PY
ENG=$T/mnt/docker.sock
python3 "$T/engine.py" "$T/eng.ready" "$ENG" "$T/app.sock" "@es-abstract-$$" >"$T/eng.out" 2>&1 &
eng=$!
trap 'kill $srv $eng 2>/dev/null; _world_cleanup' EXIT
for i in $(seq 50); do [ -e "$T/eng.ready" ] && break; sleep 0.1; done
ln -s "$ENG" "$T/innocent.sock"

cat >"$T/ucli.py" <<-'PY'
	import socket, sys, errno
	for p in sys.argv[1:]:
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    try:
	        s.connect("\0" + p[1:] if p.startswith("@") else p); print(p, "OK")
	    except OSError as e:
	        print(p, errno.errorcode.get(e.errno, e.errno))
PY
: >"$T/eng.ready.log"
"$ES_BIN" --log "$T/u.json" -- python3 "$T/ucli.py" "$ENG" "$T/app.sock" "@es-abstract-$$" "$T/innocent.sock" >"$T/u.out" 2>"$T/u.err"
file_like "$T/u.out" "^$ENG EACCES" "a mounted docker.sock is denied"
file_like "$T/u.out" "^$T/app.sock OK" "an ordinary socket is allowed"
file_like "$T/u.out" "^@es-abstract-$$ EACCES" "an abstract socket is denied by default"
file_like "$T/u.out" "^$T/innocent.sock EACCES" "a symlink to docker.sock is denied too"
file_like "$T/u.json" '"proto":"unix".*"reason":"engine_socket"' "the denial is logged with its reason"
file_like "$T/u.err" "DENY unix $ENG" "and one human line names the path"
sleep 0.3
is "$(grep -c "accept $ENG" "$T/eng.ready.log")" 0 "the engine socket saw no connection"

cat >"$T/allow.yaml" <<-YAML
	version: 1
	unix:
	  allow: [$ENG, "@es-abstract-*"]
YAML
"$ES_BIN" --policy "$T/allow.yaml" --log /dev/null -- python3 "$T/ucli.py" "$ENG" "@es-abstract-$$" >"$T/ua.out" 2>&1
file_like "$T/ua.out" "^$ENG OK" "unix.allow opens the engine socket explicitly"
file_like "$T/ua.out" "^@es-abstract-$$ OK" "unix.allow opens abstract sockets by name"

# A thread swaps a symlink between an allowed socket and docker.sock while
# the main thread connects through it: the engine must never be reached
cat >"$T/swap.py" <<-'PY'
	import os, socket, sys, threading, errno
	d, eng, app = sys.argv[1:4]
	link = d + "/swap.sock"
	stop = False
	def flip():
	    i = 0
	    while not stop:
	        tmp = d + "/swap.tmp"
	        try: os.unlink(tmp)
	        except FileNotFoundError: pass
	        os.symlink(eng if i % 2 else app, tmp); os.rename(tmp, link); i += 1
	threading.Thread(target=flip, daemon=True).start()
	ok = den = 0
	for i in range(2000):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    try:
	        s.connect(link); ok += 1
	    except OSError as e:
	        den += 1
	    s.close()
	stop = True
	print("swap ok=%d denied=%d" % (ok, den))
PY
: >"$T/eng.ready.log"
"$ES_BIN" --log /dev/null -- python3 "$T/swap.py" "$T" "$ENG" "$T/app.sock" >"$T/sw.out" 2>&1
file_like "$T/sw.out" "^swap ok=[1-9][0-9]* denied=[1-9]" "the race ran (some connects allowed, some denied)"
sleep 0.3
is "$(grep -c "accept $ENG" "$T/eng.ready.log")" 0 "swapping the path after the check never reached the engine socket"
python3 "$T/swap.py" "$T" "$ENG" "$T/app.sock" >/dev/null 2>&1
sleep 0.3
if [ "$(grep -c "accept $ENG" "$T/eng.ready.log")" -gt 0 ]; then
	ok "without the supervisor the same race reaches the engine (the oracle works)"
else
	not_ok "without the supervisor the same race reaches the engine (the oracle works)"
fi

# --- unix.deny_fd_passing: no socket reaches CMD over an allowed unix socket
cat >"$T/fdsrv.py" <<-'PY'
	import os, socket, sys, array
	p = sys.argv[1]
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.bind(p); os.chmod(p, 0o666); s.listen(8)
	open(p + ".ready", "w").close()
	log = open(p + ".log", "a", buffering=1)
	while True:
	    c, _ = s.accept()
	    try:
	        c.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [1]))])
	        log.write("sent fd\n")
	    except OSError as e:
	        log.write("send fd failed %s\n" % e.strerror)
	    c.close()
PY
python3 "$T/fdsrv.py" "$T/fd.sock" >/dev/null 2>&1 &
fdsrv=$!
trap 'kill $srv $eng $fdsrv 2>/dev/null; _world_cleanup' EXIT
for i in $(seq 50); do [ -e "$T/fd.sock.ready" ] && break; sleep 0.1; done
cat >"$T/fdcli.py" <<-'PY'
	import socket, sys, array, errno
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.connect(sys.argv[1])
	msg, anc, _, _ = s.recvmsg(10, socket.CMSG_SPACE(4))
	print("fds", sum(1 for l, t, d in anc if t == socket.SCM_RIGHTS))
	t = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	try:
	    t.sendmsg([b"y"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0]))], 0, sys.argv[2])
	    print("send-fd OK")
	except OSError as e:
	    print("send-fd", errno.errorcode[e.errno])
PY
"$ES_BIN" --log /dev/null -- python3 "$T/fdcli.py" "$T/fd.sock" "$T/dgram.sock" >"$T/fd1.out" 2>&1
file_like "$T/fd1.out" "^fds 1" "without deny_fd_passing a peer can pass CMD an fd (the check works)"
file_like "$T/fd1.out" "^send-fd OK" "without deny_fd_passing CMD can pass an fd"
printf 'version: 1\nunix:\n  deny_fd_passing: true\n' >"$T/nofd.yaml"
: >"$T/fd.sock.log"
"$ES_BIN" --policy "$T/nofd.yaml" --log /dev/null -- python3 "$T/fdcli.py" "$T/fd.sock" "$T/dgram.sock" >"$T/fd2.out" 2>&1
file_like "$T/fd2.out" "^fds 0" "deny_fd_passing: no fd reaches CMD"
file_like "$T/fd.sock.log" "send fd failed" "deny_fd_passing: the peer's SCM_RIGHTS send is refused by the kernel"
file_like "$T/fd2.out" "^send-fd EPERM" "deny_fd_passing: CMD cannot pass an fd either"

# --- deny_fd_passing also covers the sockets CMD binds, listens and
# accepts on itself and its datagram sockets (each made by the supervisor
# with SO_PASSRIGHTS off), and CMD cannot turn SO_PASSRIGHTS back on. A
# peer outside the filter hands CMD's own sockets an fd (or, if the kernel
# refuses, plain data).
cat >"$T/own.py" <<-'PY'
	import os, socket, sys, errno
	d = sys.argv[1]
	l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	l.bind(d + "/own.sock"); os.chmod(d + "/own.sock", 0o666); l.listen(4)
	g = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	g.bind(d + "/own.dsock"); os.chmod(d + "/own.dsock", 0o666)
	for name, v in (("passrights-off", 0), ("passrights-on", 1)):
	    for s in (l, g):
	        try:
	            s.setsockopt(socket.SOL_SOCKET, 83, v); print(name, "OK")
	        except OSError as e:
	            print(name, errno.errorcode[e.errno])
	open(d + "/own.ready", "w").close()
	c, _ = l.accept()
	msg, anc, _, _ = c.recvmsg(10, socket.CMSG_SPACE(4))
	print("accepted-fds", sum(1 for x, t, y in anc if t == socket.SCM_RIGHTS))
	msg, anc, _, _ = g.recvmsg(10, socket.CMSG_SPACE(4))
	print("dgram-fds", sum(1 for x, t, y in anc if t == socket.SCM_RIGHTS))
PY
cat >"$T/peer.py" <<-'PY'
	import array, errno, os, socket, sys, time
	d = sys.argv[1]
	for i in range(200):
	    if os.path.exists(d + "/own.ready"):
	        break
	    time.sleep(0.05)
	fds = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0]))]
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.connect(d + "/own.sock")
	try:
	    s.sendmsg([b"x"], fds); print("stream-send-fd OK")
	except OSError as e:
	    print("stream-send-fd", errno.errorcode[e.errno]); s.send(b"x")
	g = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	try:
	    g.sendmsg([b"y"], fds, 0, d + "/own.dsock"); print("dgram-send-fd OK")
	except OSError as e:
	    print("dgram-send-fd", errno.errorcode[e.errno])
	    g.sendto(b"y", d + "/own.dsock")
PY
own_run() {	# own_run NAME [ES OPTIONS]: CMD's own sockets, the peer outside
	local name=$1
	shift
	rm -f "$T"/own.sock "$T"/own.dsock "$T"/own.ready
	python3 "$T/peer.py" "$T" >"$T/$name.peer" 2>&1 &
	local peer=$!
	timeout 20 "$ES_BIN" "$@" --log "$T/$name.json" -- python3 "$T/own.py" "$T" \
		>"$T/$name.out" 2>&1
	wait $peer
}
own_run own1
file_like "$T/own1.out" "^accepted-fds 1" "without deny_fd_passing a peer can pass an fd to a socket CMD accepted (the check works)"
file_like "$T/own1.out" "^dgram-fds 1" "without deny_fd_passing a peer can pass an fd to CMD's datagram socket (the check works)"
own_run own2 --policy "$T/nofd.yaml"
file_like "$T/own2.out" "^accepted-fds 0" "deny_fd_passing: no fd reaches a socket CMD accepted on its own listener"
file_like "$T/own2.peer" "^stream-send-fd EPERM" "deny_fd_passing: the kernel refuses the peer's fd to CMD's accepted socket"
file_like "$T/own2.out" "^dgram-fds 0" "deny_fd_passing: no fd reaches CMD's own datagram socket"
file_like "$T/own2.peer" "^dgram-send-fd EPERM" "deny_fd_passing: the kernel refuses the peer's fd to CMD's datagram socket"
n=$(grep -c "^passrights-on EPERM" "$T/own2.out")
[ "$n" = 2 ] && ok "deny_fd_passing: CMD cannot turn SO_PASSRIGHTS back on (EPERM)" ||
	not_ok "deny_fd_passing: CMD cannot turn SO_PASSRIGHTS back on (EPERM): $n of 2"
n=$(grep -c "^passrights-off OK" "$T/own2.out")
[ "$n" = 2 ] && ok "deny_fd_passing: turning it off is performed (OK)" ||
	not_ok "deny_fd_passing: turning it off is performed (OK): $n of 2"
file_like "$T/own2.json" '"reason":"SO_PASSRIGHTS on: unix.deny_fd_passing"' "deny_fd_passing: the refused SO_PASSRIGHTS is logged"

done_testing
