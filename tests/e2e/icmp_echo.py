#!/usr/bin/env python3
"""ICMP echo for the end-to-end tests (the CI image has no ping(8)).

usage: icmp_echo.py DST [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-s SIZE]

Sends COUNT echo requests (RFC 792) from a raw socket (needs root), waits
up to TIMEOUT seconds for each reply, and prints
"sent=N received=M".  Exit status 0 when every reply came back, 1 otherwise.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def echo_request(ident, seq, size):
    payload = bytes((seq + i) & 0xFF for i in range(size))
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload


def wait_reply(sock, dst, ident, seq, timeout):
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return False
        pkt, addr = sock.recvfrom(65535)
        ihl = (pkt[0] & 0x0F) * 4
        if addr[0] != dst or len(pkt) < ihl + 8:
            continue
        typ, _, _, rid, rseq = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
        if typ == 0 and rid == ident and rseq == seq:
            return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dst")
    ap.add_argument("-c", type=int, default=3)
    ap.add_argument("-i", type=float, default=0.2)
    ap.add_argument("-W", type=float, default=1.0)
    ap.add_argument("-s", type=int, default=56)
    a = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    got = 0
    for seq in range(1, a.c + 1):
        sock.sendto(echo_request(ident, seq, a.s), (a.dst, 0))
        if wait_reply(sock, a.dst, ident, seq, a.W):
            got += 1
        if seq < a.c:
            time.sleep(a.i)
    print("sent=%d received=%d" % (a.c, got))
    return 0 if got == a.c else 1


if __name__ == "__main__":
    sys.exit(main())
