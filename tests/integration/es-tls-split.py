# SPDX-License-Identifier: GPL-2.0-or-later
"""es-tls-split.py - an HTTPS GET whose ClientHello is cut on purpose.

usage: es-tls-split.py [--records N] [--bytewise] [--ca FILE] [--sni NAME]
                       HOST PORT PATH

Python's ssl module builds the ClientHello in memory (MemoryBIO); this
script then re-frames it before it goes out: --records N cuts the Handshake
message into N TLS records (the first cut falls inside the server name, so
that no record holds the whole SNI), and --bytewise sends every byte in its
own write with TCP_NODELAY (one TCP segment each). The rest of the handshake
and the request go through the same SSLObject unchanged.

Prints one line:
    tls OK status=S x-host=H body=FIRST-LINE
    tls ALERT <description>     (a TLS alert record came back, e.g. 49)
    tls ERR <message>
and exits 0 only for OK.
"""

import argparse
import socket
import ssl
import sys
import time


def reframe(data, sni, nrec):
    """Cut the ClientHello record(s) in DATA into NREC handshake records."""
    hs = b""
    ver = data[1:3]
    off = 0
    while off < len(data):
        typ, ln = data[off], int.from_bytes(data[off + 3:off + 5], "big")
        if typ != 22:
            raise ValueError("not a handshake record")
        hs += data[off + 5:off + 5 + ln]
        off += 5 + ln
    if nrec <= 1:
        cuts = []
    else:
        pos = hs.find(sni.encode()) if sni else -1
        first = pos + max(1, len(sni) // 2) if pos >= 0 else len(hs) // 2
        step = max(1, (len(hs) - first) // (nrec - 1))
        cuts = [first] + [first + step * i for i in range(1, nrec - 1)]
    out, prev = b"", 0
    for c in cuts + [len(hs)]:
        piece = hs[prev:c]
        out += bytes([22]) + ver + len(piece).to_bytes(2, "big") + piece
        prev = c
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=2)
    ap.add_argument("--bytewise", action="store_true")
    ap.add_argument("--ca")
    ap.add_argument("--sni")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    a = ap.parse_args()
    sni = a.sni or a.host

    ctx = ssl.create_default_context(cafile=a.ca)
    if not a.ca:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, outg, server_hostname=sni)

    sock = socket.create_connection((a.host, a.port), timeout=a.timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = reframe(outg.read(), sni, a.records)
    if a.bytewise:
        for i in range(len(hello)):
            sock.sendall(hello[i:i + 1])
            if i % 64 == 0:
                time.sleep(0.001)
    else:
        sock.sendall(hello)

    def pump():
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by peer")
        if data[0] == 21 and len(data) >= 7 and not tls_started[0]:
            print("tls ALERT", data[6])
            sys.exit(1)
        tls_started[0] = True
        inc.write(data)

    tls_started = [False]
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            out = outg.read()
            if out:
                sock.sendall(out)
            pump()
    out = outg.read()
    if out:
        sock.sendall(out)
    tls.write(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
               % (a.path, sni)).encode())
    sock.sendall(outg.read())
    resp = b""
    while True:
        try:
            chunk = tls.read(65536)
            if not chunk:
                break
            resp += chunk
        except ssl.SSLWantReadError:
            out = outg.read()
            if out:
                sock.sendall(out)
            data = sock.recv(65536)
            if not data:
                break
            inc.write(data)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    status = lines[0].split(" ")[1] if lines and " " in lines[0] else "?"
    xhost = "-"
    for h in lines[1:]:
        k, _, v = h.partition(":")
        if k.lower() == "x-host":
            xhost = v.strip()
    first = body.decode(errors="replace").split("\n")[0]
    print("tls OK status=%s x-host=%s body=%s" % (status, xhost, first))


if __name__ == "__main__":
    try:
        main()
    except (OSError, ssl.SSLError, ValueError) as e:
        print("tls ERR", e)
        sys.exit(1)
