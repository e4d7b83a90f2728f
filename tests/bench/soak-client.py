# SPDX-License-Identifier: GPL-2.0-or-later
"""soak-client.py - relayed and denied connects in a loop, for soak.sh.

usage: soak-client.py ADDR RELAYED_PORT DENIED_PORT N STATEDIR

Call i (0 <= i < N) is, by i % 3:
  0  a relayed connect, closed at once with a reset (SO_LINGER 0);
  1  a relayed connect that sends bytes that are not TLS and reads until
     the relay closes it (the relay's denial path);
  2  a connect the supervisor denies (EACCES expected).
At every tenth of N it prints "mark PCT I SECS" and waits until
STATEDIR/ack-PCT exists, so that the caller samples the supervisor between
two calls. At the end it prints "done calls=N errors=E first=..." where an
error is any result other than the expected one.
"""

import errno
import os
import socket
import struct
import sys
import time

LINGER0 = struct.pack("ii", 1, 0)


def main():
    addr, rport, dport, n, state = (sys.argv[1], int(sys.argv[2]),
                                    int(sys.argv[3]), int(sys.argv[4]),
                                    sys.argv[5])
    errors, first = 0, "-"
    marks = {n * k // 10: k * 10 for k in range(1, 11)}
    t0 = time.monotonic()
    for i in range(n):
        kind = i % 3
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            if kind == 2:
                e = s.connect_ex((addr, dport))
                if e != errno.EACCES:
                    raise OSError(e, "denied connect: %s" % errno.errorcode.get(e, e))
            else:
                s.connect((addr, rport))
                if kind == 1:
                    s.sendall(b"not a ClientHello\r\n")
                    while s.recv(4096):
                        pass
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
        except OSError as e:
            if kind == 1 and e.errno in (errno.ECONNRESET, errno.EPIPE):
                pass  # the relay reset it: that is its denial
            else:
                errors += 1
                if first == "-":
                    first = "%d:%s" % (kind, str(e).replace(" ", "_"))
        finally:
            s.close()
        pct = marks.get(i + 1)
        if pct:
            print("mark %d %d %.2f" % (pct, i + 1, time.monotonic() - t0),
                  flush=True)
            ack = os.path.join(state, "ack-%d" % pct)
            while not os.path.exists(ack):
                time.sleep(0.005)
    print("done calls=%d errors=%d first=%s secs=%.2f" % (
        n, errors, first, time.monotonic() - t0), flush=True)


if __name__ == "__main__":
    main()
