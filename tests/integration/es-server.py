# SPDX-License-Identifier: GPL-2.0-or-later
"""es-server.py - the real servers of one host of the integration world.

usage: es-server.py --log FILE --ready FILE [--tcp PORT]... [--udp PORT]...

Every TCP port greets with an SSH-like banner ("SSH-2.0-es-test <host>") and
echoes each line it receives as "echo: <line>". Every UDP port records the
datagrams it receives. All sockets are dual-stack ([::], IPV6_V6ONLY off).
Each event is one line in the log:

    tcp PORT accept SRC
    tcp PORT data SRC PAYLOAD
    udp PORT SRC PAYLOAD

The ready file is written once every socket is bound.
"""

import argparse
import asyncio
import socket
import sys


def peer(addr):
    host = addr[0]
    if host.startswith("::ffff:"):
        host = host[7:]
    return host


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)

    def write(self, line):
        self.f.write(line + "\n")


def dual_stack(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    return s


class Udp(asyncio.DatagramProtocol):
    def __init__(self, log, port):
        self.log, self.port = log, port

    def datagram_received(self, data, addr):
        text = data.decode(errors="replace").rstrip("\n")
        self.log.write(f"udp {self.port} {peer(addr)} {text}")


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--name", default="host")
    ap.add_argument("--tcp", type=int, action="append", default=[])
    ap.add_argument("--udp", type=int, action="append", default=[])
    args = ap.parse_args()
    log = Log(args.log)
    loop = asyncio.get_running_loop()

    def handler(port):
        async def handle(reader, writer):
            src = peer(writer.get_extra_info("peername"))
            log.write(f"tcp {port} accept {src}")
            try:
                writer.write(f"SSH-2.0-es-test {args.name}\r\n".encode())
                await writer.drain()
                while True:
                    line = await reader.readline()
                    if not line:
                        break
                    text = line.decode(errors="replace").rstrip("\r\n")
                    log.write(f"tcp {port} data {src} {text}")
                    writer.write(f"echo: {text}\n".encode())
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()
        return handle

    for port in args.tcp:
        s = dual_stack(socket.SOCK_STREAM, port)
        # accept data in the SYN from clients holding a TFO cookie
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 64)
        s.listen(1024)
        await asyncio.start_server(handler(port), sock=s, backlog=1024)
    for port in args.udp:
        s = dual_stack(socket.SOCK_DGRAM, port)
        await loop.create_datagram_endpoint(lambda p=port: Udp(log, p),
                                            sock=s)
    with open(args.ready, "w") as f:
        f.write("ready\n")
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
