#!/usr/bin/env python3
"""tests/e2e/ctl-attack.py - hostile control-socket clients for
run-ctl-attack.sh, aimed at the real pinholed (standard library only).

    ctl-attack.py SOCK garbage N        N connections of junk: each gets an
                                        E_PROTO/E_TOOBIG end chunk, closed
    ctl-attack.py SOCK oversize         declared 4097 and 1 MiB lengths,
                                        a 4096-byte request, 17 words, a
                                        2000-byte word
    ctl-attack.py SOCK split            a request byte by byte, two in one
                                        write, header then body 1 s later
    ctl-attack.py SOCK denied           every WRITE command: E_DENIED, the
                                        connection stays usable for show
    ctl-attack.py RO FULL crowd         fill the read-only socket, then
                                        the full one, until E_BUSY
    ctl-attack.py SOCK burst N          N clients connect at once
    ctl-attack.py SOCK noread SECS      `show conn`, read nothing for SECS,
                                        then drain: closed, no end chunk
    ctl-attack.py SOCK pipeline SECS    send `show running-config` frames
                                        for SECS, never read
    ctl-attack.py SOCK idle SECS        connect, send nothing, wait for
                                        the daemon to close (<= SECS)
    ctl-attack.py SOCK partial SECS     half a header, then wait
    ctl-attack.py - udpflows DST N      one UDP datagram to each of N
                                        ports of DST (N connections)
Each prints one line of figures; exit 0 when the daemon behaved as
expected, 1 with the reason otherwise.  Every wait is bounded.
"""
import os
import random
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "ctl"))
from ctlwire import connect, frame, read_reply  # noqa: E402

OK, E_INVALID, E_DENIED, E_TOOBIG, E_PROTO, E_BUSY = 0, 1, 4, 6, 7, 9
WRITE_CMDS = ["clear conn", "clear xlate", "clear counters", "clear logging",
              "reload", "reload /etc/passwd", "debug pptp", "no debug pptp",
              "undebug all", "clear access-list counters",
              "clear service-policy"]


def closed_within(s, secs):
    """True when the daemon closes s within secs (data before EOF is
    discarded); returns (closed, bytes read)."""
    s.settimeout(0.5)
    got = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            b = s.recv(1 << 20)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True, got
        if not b:
            return True, got
        got += len(b)
    return False, got


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def expect(s, req, status, has=None, what=""):
    s.sendall(frame(req) if isinstance(req, str) else req)
    st, data, msg, _ = read_reply(s)
    if st != status or (has is not None and has not in msg + data.decode(
            errors="replace")):
        fail("%s: status %d %r (wanted %d, %r)" % (what or req, st, msg,
                                                   status, has))
    return data, msg


def garbage(path, n):
    rnd = random.Random(7)
    sent = 0
    # fixed cases first: each bad header field, then random junk
    fixed = [b"GET / HTTP/1.0\r\n\r\n", b"\x00" * 64,
             b"PHCQ\x02\x00\x00\x00\x00\x00\x00\x04show",
             b"PHCQ\x01\x80\x00\x00\x00\x00\x00\x04show",
             b"PHCQ\x01\x00\x00\x01\x00\x00\x00\x04show",
             b"PHCQ\x01\x00\x00\x00\x00\x00\x00\x00"]
    for i in range(n):
        if i < len(fixed):
            junk = fixed[i]
        else:
            junk = bytes(rnd.randrange(256)
                         for _ in range(rnd.randrange(1, 2000)))
            if junk[:1] == b"P":
                junk = b"X" + junk[1:]
        s = connect(path)
        try:
            s.sendall(junk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # already refused: the answer waits in our buffer
        sent += len(junk)
        try:
            st, _, msg, _ = read_reply(s)
        except (EOFError, ConnectionResetError):
            fail("garbage %d: closed without an error chunk" % i)
        if st not in (E_PROTO, E_TOOBIG):
            fail("garbage %d: status %d %r" % (i, st, msg))
        if not closed_within(s, 5)[0]:
            fail("garbage %d: connection left open" % i)
        s.close()
    print("garbage: %d connections, %d bytes: each got E_PROTO/E_TOOBIG "
          "and was closed" % (n, sent))


def oversize(path):
    s = connect(path)
    s.sendall(b"PHCQ" + struct.pack(">BBHI", 1, 0, 0, 4097))
    st, _, msg, _ = read_reply(s)
    if st != E_TOOBIG or "limit 4096" not in msg:
        fail("length 4097: status %d %r" % (st, msg))
    if not closed_within(s, 5)[0]:
        fail("length 4097: connection left open")
    s = connect(path)
    pushed = 0
    try:
        s.sendall(b"PHCQ" + struct.pack(">BBHI", 1, 0, 0, 1 << 20))
        for _ in range(16):
            s.sendall(b"x" * 65536)
            pushed += 65536
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    try:
        st, _, msg, _ = read_reply(s)
    except (EOFError, ConnectionResetError):
        st, msg = -1, "reset"  # answer lost to the reset: still closed
    if st not in (E_TOOBIG, -1):
        fail("length 1 MiB: status %d %r" % (st, msg))
    s.close()
    s = connect(path)
    # the longest request: 4096 bytes of text, blanks around the words
    big = ("show version" + " " * 4096)[:4096]
    expect(s, big, OK, "pinholed", "a 4096-byte request")
    expect(s, " ".join(["show"] * 17), E_INVALID, "Too many words",
           "17 words")
    expect(s, "show access-list " + "a" * 2000, E_INVALID, "too long",
           "a 2000-byte word")
    expect(s, "show version", OK, "pinholed", "after the errors")
    print("oversize: 4097 and 1 MiB lengths refused E_TOOBIG and closed "
          "(%d body bytes pushed), a 4096-byte request served, 17 words "
          "and a 2000-byte word refused E_INVALID on a connection that "
          "stays usable" % pushed)


def split(path):
    s = connect(path)
    req = frame("show version")
    for b in req:
        s.sendall(bytes([b]))
        time.sleep(0.005)
    st, data, msg, _ = read_reply(s)
    if st != OK or not data.startswith(b"pinholed"):
        fail("byte by byte: status %d %r" % (st, msg))
    s.sendall(frame("show version") + frame("sh cou"))
    st, data, _, rest = read_reply(s)
    st2, data2, _, _ = read_reply(s, rest)
    if st != OK or st2 != OK or b"pinholed" not in data or not data2:
        fail("two in one write: %d %d" % (st, st2))
    s.sendall(req[:12])
    time.sleep(1)
    s.sendall(req[12:])
    st, data, msg, _ = read_reply(s)
    if st != OK:
        fail("header then body: status %d %r" % (st, msg))
    print("split: %d bytes one per write served; two requests in one "
          "write answered in order; header and body 1 s apart served"
          % len(req))


def denied(path):
    s = connect(path)
    for c in WRITE_CMDS:
        expect(s, c, E_DENIED, "not allowed on the read-only socket",
               "'%s' on the read-only socket" % c)
    data, _ = expect(s, "show conn", OK, "in use", "show conn after")
    print("denied: %d WRITE commands refused E_DENIED on one connection; "
          "show conn still served" % len(WRITE_CMDS))


def fill(path, held):
    """Open clients on path until one is refused: how many got in."""
    n = 0
    while n < 64:
        try:
            s = connect(path, 5)
            s.sendall(frame("show version"))
            st, _, msg, _ = read_reply(s)
        except (BrokenPipeError, ConnectionResetError):
            st, msg = E_BUSY, "reset"
        if st == E_BUSY:
            if "Too many control clients" not in msg and msg != "reset":
                fail("busy message %r" % msg)
            s.close()
            return n
        if st != OK:
            fail("crowd: status %d %r" % (st, msg))
        held.append(s)
        n += 1
    return n


def crowd(ro, full):
    held = []
    n_ro = fill(ro, held)
    n_full = fill(full, held)
    for h in held:
        h.close()
    time.sleep(0.5)
    s = connect(ro)
    expect(s, "show version", OK, "pinholed", "after the crowd")
    print("crowd: ro=%d full=%d" % (n_ro, n_full))


def burst(path, n):
    res = {"ok": 0, "busy": 0, "other": 0}
    lock = threading.Lock()
    go = threading.Event()
    hold = threading.Event()

    def one():
        go.wait()
        try:
            s = connect(path, 10)
            s.sendall(frame("show version"))
            st, _, _, _ = read_reply(s)
            k = "ok" if st == OK else "busy" if st == E_BUSY else "other"
        except (BrokenPipeError, ConnectionResetError):
            k = "busy"
        except Exception:  # noqa: BLE001 - counted, reported
            k = "other"
        with lock:
            res[k] += 1
        hold.wait(15)

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    go.set()
    end = time.monotonic() + 20
    while sum(res.values()) < n and time.monotonic() < end:
        time.sleep(0.05)
    hold.set()
    for t in ts:
        t.join(5)
    print("burst: %d clients at once: ok=%d busy=%d other=%d"
          % (n, res["ok"], res["busy"], res["other"]))
    if res["other"] or res["ok"] + res["busy"] != n:
        sys.exit(1)


def noread(path, secs):
    s = connect(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(frame("show conn detail"))
    print("noread: asked, not reading for %g s" % secs, flush=True)
    time.sleep(secs)
    closed, got = closed_within(s, 10)
    # the reply was cut: whatever arrived, it never ends in an end chunk
    print("noread: then read %d bytes, %s" % (got, "closed by the daemon"
                                             if closed else "still open"))
    sys.exit(0 if closed else 1)


def hup_within(s, secs):
    """Seconds until the daemon closes s, reading nothing (None: never)."""
    p = select.poll()
    p.register(s, select.POLLRDHUP | select.POLLHUP)
    t0 = time.monotonic()
    if p.poll(secs * 1000):
        return time.monotonic() - t0
    return None


def pipeline(path, secs):
    s = connect(path)
    s.setblocking(False)
    one = frame("show running-config")
    req = one * 64
    sent = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            sent += s.send(req)
        except BlockingIOError:
            time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            break
    print("pipeline: %d requests (%d bytes) written in %g s without "
          "reading" % (sent // len(one), sent, secs), flush=True)
    t = hup_within(s, 20)
    print("pipeline: %s" % ("closed by the daemon %.0f s later" % t
                            if t is not None else "still open after 20 s"))
    sys.exit(0 if t is not None else 1)


def idle(path, secs):
    s = connect(path)
    t0 = time.monotonic()
    closed, _ = closed_within(s, secs)
    print("idle: %s after %.0f s" % ("closed by the daemon" if closed else
                                     "still open", time.monotonic() - t0))
    sys.exit(0 if closed else 1)


def partial(path, secs):
    s = connect(path)
    s.sendall(b"PHCQ\x01\x00")
    t0 = time.monotonic()
    closed, _ = closed_within(s, secs)
    print("partial: half a header, %s after %.0f s"
          % ("closed by the daemon" if closed else "still open",
             time.monotonic() - t0))
    sys.exit(0 if closed else 1)


def udpflows(dst, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(b"flow", (dst, 10000 + i))
        if i % 200 == 199:
            time.sleep(0.02)  # the queue holds 1024: stay well below
    print("udpflows: %d datagrams to %s ports 10000..%d" % (n, dst,
                                                            10000 + n - 1))


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[1] == "udpflows":
        udpflows(a[2], int(a[3]))
        return
    if len(a) >= 3 and a[2] == "crowd":
        crowd(a[0], a[1])
        return
    path, what, rest = a[0], a[1], a[2:]
    modes = {"garbage": lambda: garbage(path, int(rest[0])),
             "oversize": lambda: oversize(path),
             "split": lambda: split(path),
             "denied": lambda: denied(path),
             "burst": lambda: burst(path, int(rest[0])),
             "noread": lambda: noread(path, float(rest[0])),
             "pipeline": lambda: pipeline(path, float(rest[0])),
             "idle": lambda: idle(path, float(rest[0])),
             "partial": lambda: partial(path, float(rest[0]))}
    if what not in modes:
        fail("unknown mode " + what)
    modes[what]()


if __name__ == "__main__":
    main()
