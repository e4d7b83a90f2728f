# SPDX-License-Identifier: GPL-2.0-or-later
"""es-ingress.py - the server side of the ingress tests (run as CMD).

usage: es-ingress.py OP ARGS...

  serve LOG SPEC...    listen/bind each SPEC and log who reaches it:
                       "tcp PORT SRC" per accepted connection (which gets
                       a banner), "udp PORT SRC" per datagram.  SPEC is
                       tcp4:PORT, tcp6:PORT (IPV6_V6ONLY), tcp46:PORT
                       (dual-stack), udp4:PORT, udp46:PORT; "LOG.ready"
                       is written once all are up.
  tamper LOG PORT UPORT  a dual-stack TCP listener on PORT and a UDP
                       socket on UPORT, then every way to remove or
                       replace their filters, one line each ("detach
                       EPERM", "udp-detach EPERM", ...); then serve, and
                       try the same on the first accepted connection
                       ("child-detach EPERM").
  preempt-locked PORT  lock the (empty) filter of a TCP socket, then
                       listen: "listen EPERM" (or "listen OK"); first
                       tries a filter of our own ("own-attach ...": TCP
                       filters need CAP_NET_ADMIN since Linux 6.18).
  preempt-own LOG PORT a UDP socket with an unlocked filter of our own
                       (it drops 203.0.113.5, accepts the rest), bound
                       to PORT and served; prints the filter's length
                       before and after the bind.
  activated LOG        socket activation: check LISTEN_FDS/LISTEN_PID,
                       then serve fd 3, 4, ... as they are.
  udp-retry LOG TAKEN FREE  bind UDP to TAKEN (in use: EADDRINUSE), then
                       to FREE, and serve it.
  mptcp                an MPTCP socket: "mptcp OK" or "mptcp ERRNO".
  unix-bind DIR        bind unix sockets at a relative and an absolute
                       path under DIR (long enough that the supervisor
                       performs the bind), list owner and mode, connect.
  bind PORT            bind a UDP socket to PORT: "bind OK" or the errno.
"""

import ctypes
import errno
import os
import selectors
import socket
import stat
import struct
import sys

SO_ATTACH_FILTER = 26
SO_DETACH_FILTER = 27
SO_GET_FILTER = 26
SO_LOCK_FILTER = 44
SO_ATTACH_BPF = 50
ACCEPT_ALL = [(0x06, 0, 0, 0xFFFFFFFF)]  # ret #-1

_keep = []


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def attach(s, insns):
    code = b"".join(struct.pack("HBBI", *i) for i in insns)
    buf = ctypes.create_string_buffer(code)
    _keep.append(buf)
    prog = struct.pack("HL", len(insns), ctypes.addressof(buf))
    s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, prog)


_libc = ctypes.CDLL(None, use_errno=True)


def filter_len(s):
    # SO_GET_FILTER counts in instructions, not bytes (so Python's own
    # getsockopt would let the kernel write past its buffer): with no
    # buffer and a length of 0 it answers the count
    n = ctypes.c_uint(0)
    if _libc.getsockopt(s.fileno(), socket.SOL_SOCKET, SO_GET_FILTER,
                        None, ctypes.byref(n)):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return n.value


def peer(addr):
    host = addr[0]
    return host[7:] if host.startswith("::ffff:") else host


def make(spec):
    kind, port = spec.split(":")
    port = int(port)
    tcp = kind.startswith("tcp")
    fam = socket.AF_INET if kind.endswith("4") else socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                     1 if kind == "tcp6" else 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0" if fam == socket.AF_INET else "::", port))
    if tcp:
        s.listen(16)
    return s


class Server:
    def __init__(self, log):
        self.log = open(log, "a", buffering=1)
        self.sel = selectors.DefaultSelector()
        self.child_hook = None

    def add(self, s):
        s.setblocking(False)
        self.sel.register(s, selectors.EVENT_READ)

    def run(self):
        while True:
            for key, _ in self.sel.select():
                s = key.fileobj
                port = s.getsockname()[1]
                if s.type == socket.SOCK_STREAM:
                    try:
                        c, a = s.accept()
                    except BlockingIOError:
                        continue
                    self.log.write(f"tcp {port} {peer(a)}\n")
                    if self.child_hook:
                        self.child_hook(c)
                        self.child_hook = None
                    try:
                        c.sendall(b"SSH-2.0-es-ingress\r\n")
                    except OSError:
                        pass
                    c.close()
                else:
                    try:
                        _, a = s.recvfrom(2048)
                    except BlockingIOError:
                        continue
                    self.log.write(f"udp {port} {peer(a)}\n")


def ready(log):
    open(log + ".ready", "w").close()


def op_serve(log, *specs):
    srv = Server(log)
    for spec in specs:
        srv.add(make(spec))
    ready(log)
    srv.run()


def try_opt(what, fn):
    try:
        fn()
        print(f"{what} OK", flush=True)
    except OSError as e:
        print(f"{what} {ename(e)}", flush=True)


def tamper(s, pre):
    try_opt(pre + "detach", lambda: s.setsockopt(socket.SOL_SOCKET,
                                                 SO_DETACH_FILTER, 0))
    try_opt(pre + "replace", lambda: attach(s, ACCEPT_ALL))
    try_opt(pre + "unlock", lambda: s.setsockopt(socket.SOL_SOCKET,
                                                 SO_LOCK_FILTER, 0))
    try_opt(pre + "attach-bpf", lambda: s.setsockopt(socket.SOL_SOCKET,
                                                     SO_ATTACH_BPF,
                                                     struct.pack("i", 0)))


def op_tamper(log, port, uport):
    s = make(f"tcp46:{port}")
    u = make(f"udp46:{uport}")
    print(f"filter {filter_len(s)} {filter_len(u)}", flush=True)
    tamper(s, "")
    tamper(u, "udp-")
    print(f"filter-after {filter_len(s)} {filter_len(u)}", flush=True)
    srv = Server(log)
    srv.add(s)
    srv.add(u)

    def child(c):
        try_opt("child-detach", lambda: c.setsockopt(socket.SOL_SOCKET,
                                                     SO_DETACH_FILTER, 0))
        try_opt("child-replace", lambda: attach(c, ACCEPT_ALL))
    srv.child_hook = child
    ready(log)
    srv.run()


def op_preempt_locked(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    try_opt("own-attach", lambda: attach(s, ACCEPT_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_LOCK_FILTER, 1)
    s.bind(("::", int(port)))
    try_opt("listen", lambda: s.listen(4))


# ld [net+12]; jeq #203.0.113.5, drop, accept (IPv4 packets; IPv6 ones
# read other bytes there and are accepted)
DROP_H5 = [(0x20, 0, 0, (-0x100000 + 12) & 0xFFFFFFFF),
           (0x15, 0, 1, 0xCB007105),
           (0x06, 0, 0, 0),
           (0x06, 0, 0, 0xFFFFFFFF)]


def op_preempt_own(log, port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    attach(s, DROP_H5)
    print(f"filter {filter_len(s)}", flush=True)
    s.bind(("::", int(port)))
    print(f"filter-after {filter_len(s)}", flush=True)
    srv = Server(log)
    srv.add(s)
    ready(log)
    srv.run()


def op_activated(log):
    fds = int(os.environ.get("LISTEN_FDS", "0"))
    pid = int(os.environ.get("LISTEN_PID", "0"))
    print(f"fds {fds} pid {'ok' if pid == os.getpid() else pid}",
          flush=True)
    try:
        os.fstat(3 + fds)
        print(f"fd {3 + fds} open", flush=True)
    except OSError:
        pass
    srv = Server(log)
    for fd in range(3, 3 + fds):
        s = socket.socket(fileno=fd)
        kind = "tcp" if s.type == socket.SOCK_STREAM else "udp"
        acc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        print(f"fd {fd} {kind} port {s.getsockname()[1]} "
              f"listening {acc} filter {filter_len(s)}", flush=True)
        srv.add(s)
    ready(log)
    srv.run()


def op_udp_retry(log, taken, free):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    for port in (int(taken), int(free)):
        try:
            s.bind(("::", port))
            print(f"bind {port} OK", flush=True)
            break
        except OSError as e:
            print(f"bind {port} {ename(e)}", flush=True)
    srv = Server(log)
    srv.add(s)
    ready(log)
    srv.run()


def op_mptcp():
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262).close()
        print("mptcp OK")
    except OSError as e:
        print(f"mptcp {ename(e)}")


def op_unix_bind(d):
    os.chdir(d)
    rel = "relative-socket-name-long-enough.sock"
    ab = os.path.join(d, "absolute-socket-name-long-enough.sock")
    for path in (rel, ab):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(1)
        st = os.stat(os.path.join(d, os.path.basename(path)))
        print(f"bound {os.path.basename(path)} uid {st.st_uid} "
              f"mode {stat.S_IMODE(st.st_mode):o} name {s.getsockname()}",
              flush=True)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try_opt("connect", lambda: c.connect(path))


def op_bind(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try_opt("bind", lambda: s.bind(("0.0.0.0", int(port))))


OPS = {
    "serve": op_serve, "tamper": op_tamper,
    "preempt-locked": op_preempt_locked, "preempt-own": op_preempt_own,
    "activated": op_activated, "udp-retry": op_udp_retry,
    "mptcp": op_mptcp, "unix-bind": op_unix_bind, "bind": op_bind,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in OPS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    os.umask(0o027) if sys.argv[1] == "unix-bind" else None
    OPS[sys.argv[1]](*sys.argv[2:])
