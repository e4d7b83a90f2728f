# SPDX-License-Identifier: GPL-2.0-or-later
"""relay-hold.py - open many HTTP keep-alive connections and hold them.

usage: relay-hold.py ADDR PORT N STATEDIR

For the relay benchmarks: prints "pre" and waits until STATEDIR/go exists;
then opens N connections to ADDR:PORT one after the other, sends one GET
/small on each and reads its answer (so that each relayed flow is open, past
its peek), prints "ready opened=K failed=F secs=S", and waits until
STATEDIR/verify exists; then sends a second GET on every connection and
prints "verified OK=K of N", and exits once STATEDIR/done exists.
"""

import os
import socket
import sys
import time


def wait_for(path):
    while not os.path.exists(path):
        time.sleep(0.01)


def get(s, host):
    s.sendall(b"GET /small HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        c = s.recv(4096)
        if not c:
            raise ConnectionError("closed")
        buf += c
    head, _, body = buf.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(body) < n:
        c = s.recv(4096)
        if not c:
            raise ConnectionError("closed")
        body += c
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(head.split(b"\r\n")[0].decode())


def main():
    addr, port, n, state = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    print("pre", flush=True)
    wait_for(os.path.join(state, "go"))
    socks, failed, err = [], 0, ""
    t0 = time.monotonic()
    for _ in range(n):
        try:
            s = socket.create_connection((addr, port), timeout=30)
            get(s, addr)
            socks.append(s)
        except OSError as e:
            failed += 1
            err = str(e)
    print("ready opened=%d failed=%d secs=%.2f%s" % (
        len(socks), failed, time.monotonic() - t0,
        " err=" + err.replace(" ", "_") if err else ""), flush=True)
    wait_for(os.path.join(state, "verify"))
    good = 0
    for s in socks:
        try:
            get(s, addr)
            good += 1
        except OSError:
            pass
    print("verified OK=%d of %d" % (good, n), flush=True)
    wait_for(os.path.join(state, "done"))


if __name__ == "__main__":
    main()
