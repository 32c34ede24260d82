"""tests/ctl/ctlwire.py - the control protocol's framing for test clients
(docs/control.md "Wire protocol"): a request frame, a connection, and the
reply's chunks up to the end chunk.  Used by tests/ctl/rawclient.py and
tests/e2e/ctl-attack.py, which send what pinholectl never would.
"""
import socket
import struct


def frame(text, flags=0):
    """A request frame: header PHCQ, version 1, flags, length, body."""
    data = text.encode() if isinstance(text, str) else text
    return b"PHCQ" + struct.pack(">BBHI", 1, flags, 0, len(data)) + data


def connect(path, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_reply(s, buf=b""):
    """Chunks up to the end chunk: (status, data, message, rest).
    EOFError when the daemon closes first; SystemExit on a bad chunk."""
    data = b""
    while True:
        while len(buf) >= 12:
            magic, kind, _, status, n = struct.unpack(">4scBHI", buf[:12])
            if magic != b"PHCR":
                raise SystemExit("bad chunk magic %r" % magic)
            if len(buf) < 12 + n:
                break
            payload, buf = buf[12:12 + n], buf[12 + n:]
            if kind == b"D":
                data += payload
            elif kind == b"E":
                return status, data, payload.decode(errors="replace"), buf
            else:
                raise SystemExit("bad chunk kind %r" % kind)
        more = s.recv(65536)
        if not more:
            raise EOFError("connection closed before the end chunk")
        buf += more
