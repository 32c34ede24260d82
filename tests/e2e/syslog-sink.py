#!/usr/bin/env python3
"""syslog-sink.py - collect the syslog(3) output of pptpd/pptp in a test.

Network namespaces have no syslog daemon and this machine has no /dev/log,
so tests/e2e/pptp-lib.sh points /dev/log of each private mount namespace
at a Unix datagram socket bound by this program. Every datagram becomes
one line of the output file:

    <epoch seconds with ms> <raw message as sent, e.g. "<29>Nov 22 ...">

The file is line-buffered so a test can grep it while the peers run.

Usage: syslog-sink.py --socket PATH --out FILE [--timeout SEC]
Exits on SIGTERM/SIGINT or after --timeout seconds (default 120), and
removes its socket. Exit status 0, or 1 if the socket cannot be bound.
"""

import argparse
import os
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--socket", required=True, help="datagram socket path")
    ap.add_argument("--out", required=True, help="file to append lines to")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="exit after this many seconds")
    args = ap.parse_args()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(args.socket)
        os.chmod(args.socket, 0o666)
    except OSError as e:
        print("syslog-sink: bind %s: %s" % (args.socket, e), file=sys.stderr)
        return 1
    sock.settimeout(0.2)
    end = time.monotonic() + args.timeout
    with open(args.out, "a", buffering=1, errors="replace") as out:
        while not stop and time.monotonic() < end:
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            text = data.decode("utf-8", "replace").rstrip("\n\0")
            for line in text.split("\n"):
                out.write("%.3f %s\n" % (time.time(), line))
    sock.close()
    try:
        os.unlink(args.socket)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
