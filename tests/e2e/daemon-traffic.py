#!/usr/bin/env python3
# tests/e2e/daemon-traffic.py - traffic generators and sinks for the
# pinholed end-to-end tests (run-daemon.sh), standard library only.
#
#   udp-send DST PORT COUNT INTERVAL_MS   sequence-numbered datagrams
#   udp-recv PORT COUNT IDLE_S            count them; prints
#                                         "received=N lost=M dup=D"
#   tcp-send DST PORT SECONDS             1 KiB records every 10 ms, then
#                                         close; prints "sent=BYTES"
#   tcp-recv PORT TIMEOUT_S               one connection, checks every
#                                         record's sequence; prints
#                                         "bytes=N records=R ok|broken"
#   gre-send DST                          one GRE (protocol 47) packet
#   peer-echo tcp|udp PORT TIMEOUT_S      answer each client with the
#                                         address it came from
#   udp-log PORT SECONDS FILE             one line per datagram (a syslog
#                                         `logging host`)
#
# Every mode has a hard time bound; exit status 0 means the check passed.
import socket
import struct
import sys
import time

REC = 1024


def udp_send(dst, port, count, interval_ms):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gap = interval_ms / 1000.0
    t0 = time.monotonic()
    for i in range(count):
        s.sendto(struct.pack("!I", i) + b"x" * 60, (dst, port))
        # keep the rate even if a send was late
        delay = t0 + (i + 1) * gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print("sent=%d" % count)
    return 0


def udp_recv(port, count, idle):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # a busy test machine may not run us for a while: a loss must be
        # the firewall's, not our socket buffer's (SO_RCVBUFFORCE, root)
        s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("0.0.0.0", port))
    s.settimeout(idle)
    seen = set()
    dup = 0
    deadline = time.monotonic() + 120
    while len(seen) < count and time.monotonic() < deadline:
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            break
        if len(data) < 4:
            continue
        n = struct.unpack("!I", data[:4])[0]
        if n in seen:
            dup += 1
        seen.add(n)
    missing = [n for n in range(count) if n not in seen]
    print("received=%d lost=%d dup=%d%s" % (
        len(seen), len(missing), dup,
        " missing=" + ",".join(map(str, missing[:10])) if missing else ""))
    lost = len(missing)
    return 0 if lost == 0 else 1


def tcp_send(dst, port, seconds):
    s = socket.create_connection((dst, port), timeout=10)
    end = time.monotonic() + seconds
    seq = 0
    while time.monotonic() < end:
        rec = struct.pack("!I", seq) + bytes([seq & 0xFF]) * (REC - 4)
        s.sendall(rec)
        seq += 1
        time.sleep(0.01)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(10)
    while s.recv(4096):
        pass
    s.close()
    print("sent=%d" % (seq * REC))
    return 0


def tcp_recv(port, timeout):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    ls.settimeout(timeout)
    c, _ = ls.accept()
    c.settimeout(timeout)
    buf = b""
    total = 0
    rec = 0
    ok = True
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            total += len(d)
            buf += d
            while len(buf) >= REC:
                n = struct.unpack("!I", buf[:4])[0]
                if n != rec or buf[4:REC] != bytes([n & 0xFF]) * (REC - 4):
                    ok = False
                rec += 1
                buf = buf[REC:]
    except (socket.timeout, ConnectionError):
        ok = False
    if buf:
        ok = False
    c.close()
    print("bytes=%d records=%d %s" % (total, rec, "ok" if ok else "broken"))
    return 0 if ok and rec > 0 else 1


def gre_send(dst):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
    # GRE v0, protocol 0x0800, no options, then a few bytes
    s.sendto(struct.pack("!HH", 0, 0x0800) + b"\x00" * 20, (dst, 0))
    return 0


def peer_echo(kind, port, timeout):
    end = time.monotonic() + timeout
    if kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", port))
        while time.monotonic() < end:
            s.settimeout(max(0.1, end - time.monotonic()))
            try:
                _, peer = s.recvfrom(2048)
            except socket.timeout:
                break
            s.sendto(("%s\n" % peer[0]).encode(), peer)
        return 0
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(8)
    while time.monotonic() < end:
        ls.settimeout(max(0.1, end - time.monotonic()))
        try:
            c, peer = ls.accept()
        except socket.timeout:
            break
        c.sendall(("%s\n" % peer[0]).encode())
        c.close()
    return 0


def udp_log(port, seconds, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    end = time.monotonic() + seconds
    with open(path, "a", buffering=1, errors="replace") as out:
        while time.monotonic() < end:
            s.settimeout(max(0.1, end - time.monotonic()))
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            out.write(data.decode("utf-8", "replace").rstrip("\n") + "\n")
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__ or "usage: see the file header", file=sys.stderr)
        return 2
    m, a = argv[1], argv[2:]
    if m == "udp-send":
        return udp_send(a[0], int(a[1]), int(a[2]), float(a[3]))
    if m == "udp-recv":
        return udp_recv(int(a[0]), int(a[1]), float(a[2]))
    if m == "tcp-send":
        return tcp_send(a[0], int(a[1]), float(a[2]))
    if m == "tcp-recv":
        return tcp_recv(int(a[0]), float(a[1]))
    if m == "gre-send":
        return gre_send(a[0])
    if m == "peer-echo":
        return peer_echo(a[0], int(a[1]), float(a[2]))
    if m == "udp-log":
        return udp_log(int(a[0]), float(a[1]), a[2])
    print("unknown mode %s" % m, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
