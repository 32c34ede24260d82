#!/usr/bin/env python3
"""tests/ctl/rawclient.py - speak the control protocol byte by byte.

Used by run-ctl.sh for what pinholectl never sends: garbage, oversized
and pipelined requests, a client that never reads, a crowd of clients.

    rawclient.py SOCKET garbage         random bytes: expect E_PROTO + close
    rawclient.py SOCKET oversize        length 1 MiB: expect E_TOOBIG + close
    rawclient.py SOCKET badword         framed nonsense then a good request
                                        on the same connection
    rawclient.py SOCKET slowloris       half a header, then wait: dropped
    rawclient.py SOCKET noread SECONDS  ask `show conn`, never read; sleep
    rawclient.py SOCKET crowd N         hold N connections open, then ask
                                        one more: expect E_BUSY on it
Exit 0 when the daemon behaved as expected; prints why otherwise.
"""
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlwire import connect, frame, read_reply  # noqa: E402

E_OK, E_INVALID, E_TOOBIG, E_PROTO, E_BUSY = 0, 1, 6, 7, 9


def expect_closed(s):
    s.settimeout(5)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def fail(msg):
    print("rawclient: " + msg)
    sys.exit(1)


def garbage(path):
    rnd = random.Random(7)
    for i in range(20):
        s = connect(path)
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        if junk[:1] == b"P":
            junk = b"X" + junk[1:]
        s.sendall(junk)
        st, _, msg, _ = read_reply(s)
        if st != E_PROTO or "Protocol error" not in msg:
            fail("garbage %d: status %d %r" % (i, st, msg))
        if not expect_closed(s):
            fail("garbage: connection left open")
        s.close()


def oversize(path):
    s = connect(path)
    s.sendall(b"PHCQ" + struct.pack(">BBHI", 1, 0, 0, 1 << 20) + b"x" * 100)
    st, _, msg, _ = read_reply(s)
    if st != E_TOOBIG or "limit 4096" not in msg:
        fail("oversize: status %d %r" % (st, msg))
    if not expect_closed(s):
        fail("oversize: connection left open")


def badword(path):
    s = connect(path)
    # two requests in one write: an invalid one and a valid one
    s.sendall(frame("show frobnicate") + frame("sh ver"))
    st, _, msg, rest = read_reply(s)
    if st != E_INVALID or "Invalid input detected at 'frobnicate'" not in msg:
        fail("badword: status %d %r" % (st, msg))
    st, data, msg, _ = read_reply(s, rest)
    if st != E_OK or b"ctl-testd" not in data:
        fail("badword: second request: status %d %r" % (st, msg))
    # JSON flag and a bad flag
    s.sendall(frame("show counters", flags=1))
    st, data, _, _ = read_reply(s)
    if st != E_OK or not data.startswith(b"{"):
        fail("json flag: %d %r" % (st, data[:40]))
    s.sendall(b"PHCQ" + struct.pack(">BBHI", 1, 0x80, 0, 4) + b"sh c")
    st, _, msg, _ = read_reply(s)
    if st != E_PROTO or "unknown flags" not in msg:
        fail("bad flags: %d %r" % (st, msg))


def slowloris(path):
    s = connect(path)
    s.sendall(b"PHCQ\x01\x00")
    if not expect_closed_after(s, 8):
        fail("slowloris: a partial request was not dropped")


def expect_closed_after(s, secs):
    s.settimeout(secs)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def noread(path, secs):
    s = connect(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(frame("show conn detail"))
    time.sleep(secs)
    # by now the daemon should have dropped us: draining ends in EOF/reset
    s.settimeout(5)
    got = 0
    try:
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            got += len(b)
    except (ConnectionResetError, socket.timeout):
        pass
    print("noread: read %d bytes after waking" % got)


def crowd(path, n):
    held = [connect(path) for _ in range(n)]
    time.sleep(0.3)
    s = connect(path)
    try:
        s.sendall(frame("sh ver"))
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused at once: the answer is already queued for us
    st, _, msg, _ = read_reply(s)
    if st != E_BUSY or "Too many control clients" not in msg:
        fail("crowd: status %d %r" % (st, msg))
    for h in held:
        h.close()


def main():
    path, what = sys.argv[1], sys.argv[2]
    if what == "garbage":
        garbage(path)
    elif what == "oversize":
        oversize(path)
    elif what == "badword":
        badword(path)
    elif what == "slowloris":
        slowloris(path)
    elif what == "noread":
        noread(path, float(sys.argv[3]))
    elif what == "crowd":
        crowd(path, int(sys.argv[3]))
    else:
        fail("unknown mode " + what)


if __name__ == "__main__":
    main()
