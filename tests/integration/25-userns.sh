#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 25-userns.sh - no user namespaces for CMD (FUSE in one could stall the
# supervisor's memory reads) unless --allow-userns; threads still work
. "$(dirname "$0")/lib.sh"

require_root
require_cmd unshare python3
world_up

direct base unshare -U true
is "$RC" 0 "without the supervisor a user namespace can be created (the check works)"
es_run u1 -- unshare -U true
isnt_rc=$RC
if [ "$isnt_rc" != 0 ]; then ok "unshare(CLONE_NEWUSER) is refused"; else not_ok "unshare(CLONE_NEWUSER) is refused"; fi
file_like "$T/u1.err" "Operation not permitted" "with EPERM"
es_run u2 -- python3 -c '
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
# clone(CLONE_NEWUSER | SIGCHLD) through the raw syscall
r = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)
if r == 0:
    libc.syscall(60, 0)
print("clone", r, errno.errorcode.get(ctypes.get_errno(), ""))
r = libc.syscall(435, 0, 0)
print("clone3", r, errno.errorcode.get(ctypes.get_errno(), ""))'
expect_line u2 "^clone -1 EPERM" "clone(CLONE_NEWUSER) is refused"
expect_line u2 "^clone3 -1 ENOSYS" "clone3 is refused as unknown (its flags are in memory)"
es_run u3 --allow-userns -- unshare -U true
is "$RC" 0 "--allow-userns lets CMD create one"
es_run thr --allow 198.51.100.10 -- python3 -c '
import threading, socket
ok = []
def go():
    s = socket.create_connection(("198.51.100.10", 22), timeout=5); ok.append(s.recv(9))
ts = [threading.Thread(target=go) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print("threads", len(ok))'
expect_line thr "^threads 8$" "threads (clone without CLONE_NEWUSER) still work and connect"

done_testing
