#!/usr/bin/env python3
"""phdump - read pcap/pcapng captures and print one line per packet.

This is the decoder half of pinhole's traffic tools (tools/gen).  The pcap
goldens (tests/pcap) compare these lines, not capture bytes: a line names
what matters (addresses, ports, protocol, TCP flags and numbers, ICMP
type/id, GRE key and call id, PPTP control messages, payload digest) and
whether every checksum is valid, so a golden diff reads like a review.

Reads: pcap (micro/nanosecond, either byte order) and pcapng (any number of
interfaces, if_tsresol), link types Ethernet (with 802.1Q/802.1ad tags),
raw IPv4 (101, 228), Linux cooked SLL (113) and SLL2 (276), BSD loopback
(0, 108).  Standard library only.

PPTP (RFC 2637 s2): TCP payloads to or from port 1723 are reassembled per
direction and every complete control message is printed on the line of the
segment that completes it, so a message split across segments shows on the
last one, and a call id rewritten across a split is checked as a whole.

Output: a first line '# pcap link EN10MB, usec' (format, link type,
timestamp precision), then one line per packet, fields separated by one
space:
    N TIME PROTO SRC > DST details... csum=ok|bad(ip,tcp,...)

Known limits: IPv4 only (other frames print as "non-ip ethertype 0x86dd");
no IP reassembly (fragments print as "frag off=N"); TCP stream reassembly
for PPTP assumes in-order segments and resets on a gap.
"""

import signal
import struct
import sys
import zlib

__all__ = ['read_capture', 'decode_frame', 'decode_ip', 'Dumper',
           'PPTP_NAMES', 'parse_pptp', 'csum16', 'main']

# Link types (LINKTYPE_* values as stored in files).
LT_NULL, LT_EN10MB, LT_RAW, LT_LOOP = 0, 1, 101, 108
LT_SLL, LT_IPV4, LT_SLL2 = 113, 228, 276

ETH_IPV4, ETH_VLAN, ETH_QINQ = 0x0800, 0x8100, 0x88a8

PPTP_PORT = 1723
PPTP_MAGIC = 0x1A2B3C4D

# RFC 2637 s2: control message type -> (abbreviation, total length).
PPTP_NAMES = {
    1: ('SCCRQ', 156), 2: ('SCCRP', 156), 3: ('StopCCRQ', 16),
    4: ('StopCCRP', 16), 5: ('ECHORQ', 16), 6: ('ECHORP', 20),
    7: ('OCRQ', 168), 8: ('OCRP', 32), 9: ('ICRQ', 220), 10: ('ICRP', 24),
    11: ('ICCN', 28), 12: ('CCRQ', 16), 13: ('CDN', 148), 14: ('WEN', 40),
    15: ('SLI', 24),
}

ICMP_NAMES = {
    0: 'echo-reply', 3: 'unreach', 4: 'source-quench', 5: 'redirect',
    8: 'echo', 11: 'time-exceeded', 12: 'param-problem', 13: 'timestamp',
    14: 'timestamp-reply', 15: 'info-request', 16: 'info-reply',
    17: 'mask-request', 18: 'mask-reply',
}
ICMP_QUERIES = (0, 8, 13, 14, 15, 16, 17, 18)
ICMP_ERRORS = (3, 4, 5, 11, 12)
PROTO_NAMES = {1: 'ICMP', 6: 'TCP', 17: 'UDP', 47: 'GRE'}


class Malformed(Exception):
    """A capture or packet that cannot be decoded."""


def csum16(data):
    """RFC 1071 Internet checksum of data (returns the one's complement)."""
    if len(data) % 2:
        data = data + b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip_str(b):
    return '%d.%d.%d.%d' % tuple(b)


# --- capture files ---------------------------------------------------------

class Record:
    """One captured frame: time in ns, link type, bytes, original length."""

    __slots__ = ('t_ns', 'linktype', 'data', 'orig_len', 'digits')

    def __init__(self, t_ns, linktype, data, orig_len, digits):
        self.t_ns = t_ns
        self.linktype = linktype
        self.data = data
        self.orig_len = orig_len
        self.digits = digits  # 6 (micro) or 9 (nano): as the file stores


def _read_pcap(buf):
    magic = buf[:4]
    table = {b'\xd4\xc3\xb2\xa1': ('<', 6), b'\xa1\xb2\xc3\xd4': ('>', 6),
             b'\x4d\x3c\xb2\xa1': ('<', 9), b'\xa1\xb2\x3c\x4d': ('>', 9)}
    if magic not in table:
        raise Malformed('not a pcap file')
    end, digits = table[magic]
    if len(buf) < 24:
        raise Malformed('short pcap header')
    linktype = struct.unpack(end + 'I', buf[20:24])[0] & 0x0fffffff
    off = 24
    scale = 1000 if digits == 6 else 1
    while off + 16 <= len(buf):
        sec, frac, incl, orig = struct.unpack(end + 'IIII', buf[off:off + 16])
        off += 16
        if off + incl > len(buf):
            raise Malformed('truncated record')
        yield Record(sec * 10**9 + frac * scale, linktype,
                     buf[off:off + incl], orig, digits)
        off += incl


def _pcapng_options(body, end):
    """Yield (code, value) of a pcapng option list."""
    off = 0
    while off + 4 <= len(body):
        code, olen = struct.unpack(end + 'HH', body[off:off + 4])
        if code == 0:
            return
        yield code, body[off + 4:off + 4 + olen]
        off += 4 + ((olen + 3) & ~3)


def _read_pcapng(buf):
    off, end, ifaces = 0, '<', []
    while off + 12 <= len(buf):
        btype = struct.unpack(end + 'I', buf[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = buf[off + 8:off + 12]
            end = '<' if bom == b'\x4d\x3c\x2b\x1a' else '>'
            ifaces = []
        blen = struct.unpack(end + 'I', buf[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(buf):
            raise Malformed('bad pcapng block length')
        body = buf[off + 8:off + blen - 4]
        if btype == 1:  # Interface Description Block
            lt = struct.unpack(end + 'H', body[:2])[0]
            res = 6
            for code, val in _pcapng_options(body[8:], end):
                if code == 9 and val:
                    res = val[0]
            ifaces.append((lt, res))
        elif btype == 6:  # Enhanced Packet Block
            ifid, hi, lo, incl, orig = struct.unpack(end + 'IIIII',
                                                     body[:20])
            lt, res = ifaces[ifid]
            if res & 0x80:
                raise Malformed('binary if_tsresol not supported')
            units = (hi << 32) | lo
            t_ns = units * 10**9 // 10**res
            yield Record(t_ns, lt, body[20:20 + incl], orig,
                         9 if res > 6 else 6)
        elif btype == 3:  # Simple Packet Block
            lt, res = ifaces[0]
            orig = struct.unpack(end + 'I', body[:4])[0]
            yield Record(0, lt, body[4:4 + orig], orig, 6)
        off += blen


def read_capture(path):
    """Return the list of Records of a pcap or pcapng file."""
    with open(path, 'rb') as f:
        buf = f.read()
    if buf[:4] == b'\x0a\x0d\x0d\x0a':
        return list(_read_pcapng(buf))
    return list(_read_pcap(buf))


# --- link layers --------------------------------------------------------------

def decode_frame(linktype, data):
    """Strip the link header: returns (ethertype or None, l3 bytes, notes).

    notes is a list of strings such as 'vlan=10'.  ethertype is 0x0800 for
    IPv4 and None when the link layer says nothing (raw).
    """
    notes = []
    if linktype == LT_EN10MB:
        if len(data) < 14:
            raise Malformed('short ethernet header')
        etype = struct.unpack('!H', data[12:14])[0]
        off = 14
        while etype in (ETH_VLAN, ETH_QINQ):
            if len(data) < off + 4:
                raise Malformed('short vlan tag')
            tci, etype = struct.unpack('!HH', data[off:off + 4])
            notes.append('vlan=%d' % (tci & 0xfff))
            off += 4
        return etype, data[off:], notes
    if linktype in (LT_RAW, LT_IPV4):
        if data and data[0] >> 4 != 4:
            return 0x86dd if data[0] >> 4 == 6 else 0, data, notes
        return ETH_IPV4, data, notes
    if linktype == LT_SLL:
        if len(data) < 16:
            raise Malformed('short sll header')
        return struct.unpack('!H', data[14:16])[0], data[16:], notes
    if linktype == LT_SLL2:
        if len(data) < 20:
            raise Malformed('short sll2 header')
        return struct.unpack('!H', data[0:2])[0], data[20:], notes
    if linktype in (LT_NULL, LT_LOOP):
        if len(data) < 4:
            raise Malformed('short loopback header')
        fam = data[:4]
        af = struct.unpack('!I' if linktype == LT_LOOP else '=I', fam)[0]
        return ETH_IPV4 if af == 2 else 0, data[4:], notes
    raise Malformed('unsupported link type %d' % linktype)


# --- IPv4 and transports --------------------------------------------------

class Pkt:
    """A decoded IPv4 packet (fields in host order, payload as bytes)."""

    def __init__(self):
        self.raw = b''
        self.src = self.dst = ''
        self.proto = 0
        self.ttl = self.ipid = self.tos = 0
        self.frag_off = 0
        self.mf = False
        self.sport = self.dport = 0
        self.seq = self.ack = 0
        self.flags = 0
        self.win = 0
        self.payload = b''
        self.icmp_type = self.icmp_code = None
        self.icmp_id = self.icmp_seq = None
        self.inner = None  # quoted packet of an ICMP error (Pkt)
        self.gre_flags = self.gre_ver = self.gre_proto = 0
        self.gre_key = self.gre_seq = self.gre_ack = None
        self.bad = []      # names of invalid checksums
        self.error = None  # decoding problem


def _tcp_csum_ok(p, ip_hdr, l4):
    pseudo = ip_hdr[12:20] + struct.pack('!BBH', 0, p.proto, len(l4))
    return csum16(pseudo + l4) == 0


def _decode_tcp(p, l4, quoted):
    if len(l4) < (8 if quoted else 20):
        raise Malformed('short tcp header')
    p.sport, p.dport, p.seq = struct.unpack('!HHI', l4[:8])
    if quoted:
        return
    p.ack, off_flags, p.win = struct.unpack('!IHH', l4[8:16])
    hlen = (off_flags >> 12) * 4
    p.flags = off_flags & 0xff
    if hlen < 20 or hlen > len(l4):
        raise Malformed('bad tcp data offset')
    p.payload = l4[hlen:]


def _decode_udp(p, l4, quoted):
    if len(l4) < 8:
        raise Malformed('short udp header')
    p.sport, p.dport, ulen, _ = struct.unpack('!HHHH', l4[:8])
    if not quoted:
        if ulen < 8 or ulen > len(l4):
            raise Malformed('bad udp length')
        p.payload = l4[8:ulen]


def _decode_icmp(p, l4, quoted):
    if len(l4) < 8:
        raise Malformed('short icmp header')
    p.icmp_type, p.icmp_code = l4[0], l4[1]
    if p.icmp_type in ICMP_QUERIES:
        p.icmp_id, p.icmp_seq = struct.unpack('!HH', l4[4:8])
    p.payload = l4[8:]
    if p.icmp_type in ICMP_ERRORS and not quoted:
        p.inner = decode_ip(l4[8:], quoted=True)
        ihl = (l4[8] & 15) * 4
        if csum16(l4[8:8 + ihl]) != 0:
            p.bad.append('inner-ip')  # a NAT must fix the quoted header


def _decode_gre(p, l4, quoted):
    if len(l4) < 4:
        raise Malformed('short gre header')
    p.gre_flags, p.gre_proto = struct.unpack('!HH', l4[:4])
    p.gre_ver = p.gre_flags & 7
    off = 4
    if p.gre_flags & 0x8000:
        off += 4
    fields = []
    for bit in (0x2000, 0x1000, 0x0080 if p.gre_ver == 1 else 0):
        if bit and p.gre_flags & bit:
            if len(l4) < off + 4:
                if quoted:
                    break
                raise Malformed('short gre header')
            fields.append(struct.unpack('!I', l4[off:off + 4])[0])
            off += 4
        else:
            fields.append(None)
    fields += [None] * (3 - len(fields))
    p.gre_key, p.gre_seq, p.gre_ack = fields
    p.payload = l4[off:]


L4_DECODERS = {6: _decode_tcp, 17: _decode_udp, 1: _decode_icmp,
               47: _decode_gre}


def _check_l4_csum(p, hdr, l4):
    if p.proto == 6 and not _tcp_csum_ok(p, hdr, l4):
        p.bad.append('tcp')
    elif p.proto == 17 and l4[6:8] != b'\0\0':
        if not _tcp_csum_ok(p, hdr, l4[:struct.unpack('!H', l4[4:6])[0]]):
            p.bad.append('udp')
    elif p.proto == 1 and csum16(l4) != 0:
        p.bad.append('icmp')
    elif p.proto == 47 and p.gre_flags & 0x8000 and csum16(l4) != 0:
        p.bad.append('gre')


def decode_ip(data, quoted=False):
    """Decode an IPv4 packet.  quoted=True: the header quoted in an ICMP
    error (total length not enforced, checksums not checked here; the
    caller checks the quoted IP header's, 'inner-ip')."""
    p = Pkt()
    if len(data) < 20 or data[0] >> 4 != 4:
        raise Malformed('not ipv4')
    ihl = (data[0] & 15) * 4
    tot = struct.unpack('!H', data[2:4])[0]
    if ihl < 20 or len(data) < ihl:
        raise Malformed('bad ihl')
    if not quoted:
        if tot < ihl or tot > len(data):
            raise Malformed('bad total length')
        data = data[:tot]
    p.raw = data
    p.tos, p.ttl, p.proto = data[1], data[8], data[9]
    p.ipid, frag = struct.unpack('!HH', data[4:8])
    p.mf = bool(frag & 0x2000)
    p.frag_off = (frag & 0x1fff) * 8
    p.src, p.dst = ip_str(data[12:16]), ip_str(data[16:20])
    if not quoted and csum16(data[:ihl]) != 0:
        p.bad.append('ip')
    l4 = data[ihl:]
    dec = L4_DECODERS.get(p.proto)
    if dec is None or p.frag_off:
        p.payload = l4
        return p
    try:
        dec(p, l4, quoted)
    except Malformed as e:
        if not quoted:
            raise
        p.error = str(e)
        return p
    if not quoted and not p.mf:
        _check_l4_csum(p, data[:ihl], l4)
    return p


# --- PPTP -------------------------------------------------------------------

def parse_pptp(msg):
    """Decode one complete PPTP control message into a dict of its fields
    (RFC 2637 s2; offsets from the Length field)."""
    length, mtype, magic, ctype = struct.unpack('!HHIH', msg[:10])
    name, want = PPTP_NAMES.get(ctype, ('type%d' % ctype, None))
    d = {'type': ctype, 'name': name, 'len': length}
    if magic != PPTP_MAGIC:
        d['bad'] = 'magic'
    elif mtype != 1:
        d['bad'] = 'msgtype=%d' % mtype
    elif want is not None and length != want:
        d['bad'] = 'len=%d' % length

    def u16(o):
        return struct.unpack('!H', msg[o:o + 2])[0] if len(msg) >= o + 2 \
            else None
    if ctype in (1, 2):
        v = u16(12)
        d['ver'] = '%d.%d' % (v >> 8, v & 0xff) if v is not None else '?'
        if ctype == 2 and len(msg) > 15:
            d['result'] = msg[14]
    elif ctype in (7, 9):
        d['call'], d['serial'] = u16(12), u16(14)
    elif ctype in (8, 10):
        d['call'], d['peer'] = u16(12), u16(14)
        if len(msg) > 16:
            d['result'] = msg[16]
    elif ctype in (11, 14, 15):
        d['peer'] = u16(12)
    elif ctype == 12:
        d['call'] = u16(12)
    elif ctype == 13:
        d['call'] = u16(12)
        if len(msg) > 14:
            d['result'] = msg[14]
    elif ctype in (3, 4) and len(msg) > 12:
        d['reason' if ctype == 3 else 'result'] = msg[12]
    elif ctype in (5, 6) and len(msg) >= 16:
        d['id'] = struct.unpack('!I', msg[12:16])[0]
    return d


def pptp_str(d):
    keys = [k for k in ('ver', 'call', 'peer', 'serial', 'result', 'reason',
                        'id', 'bad') if k in d]
    inner = ','.join('%s=%s' % (k, d[k]) for k in keys)
    return '%s(%s)' % (d['name'], inner)


class PptpStreams:
    """Per-direction reassembly of PPTP control streams (TCP port 1723)."""

    def __init__(self):
        self.streams = {}  # (src, sport, dst, dport) -> [next_seq, buf]

    def feed(self, p):
        """Feed a TCP segment; return the list of messages it completes,
        or a one-element list with an error string."""
        key = (p.src, p.sport, p.dst, p.dport)
        st = self.streams.get(key)
        if p.flags & 0x02:  # SYN
            self.streams[key] = [(p.seq + 1) & 0xffffffff, b'']
            return []
        if not p.payload:
            return []
        if st is None:
            st = self.streams[key] = [p.seq, b'']
        out = []
        if p.seq != st[0]:
            out.append('gap')
            st[1] = b''
        st[0] = (p.seq + len(p.payload)) & 0xffffffff
        st[1] += p.payload
        while len(st[1]) >= 10:
            length = struct.unpack('!H', st[1][:2])[0]
            if length < 12 or struct.unpack('!I', st[1][4:8])[0] != \
                    PPTP_MAGIC:
                out.append('bad-magic')
                st[1] = b''
                break
            if len(st[1]) < length:
                break
            out.append(parse_pptp(st[1][:length]))
            st[1] = st[1][length:]
        return out


# --- one line per packet ------------------------------------------------------

TCP_FLAG_CHARS = ((0x02, 'S'), (0x01, 'F'), (0x04, 'R'), (0x08, 'P'),
                  (0x20, 'U'), (0x40, 'E'), (0x80, 'W'), (0x10, '.'))


def tcp_flags_str(f):
    return ''.join(c for bit, c in TCP_FLAG_CHARS if f & bit) or 'none'


def digest(b):
    return '%08x' % (zlib.crc32(b) & 0xffffffff)


def icmp_str(p):
    name = ICMP_NAMES.get(p.icmp_type, 'type%d' % p.icmp_type)
    s = name if p.icmp_code == 0 and p.icmp_type in ICMP_QUERIES else \
        '%s code=%d' % (name, p.icmp_code)
    if p.icmp_id is not None:
        s += ' id=%d seq=%d' % (p.icmp_id, p.icmp_seq)
    return s


def gre_str(p):
    s = 'v%d' % p.gre_ver
    if p.gre_proto != 0x880b or p.gre_ver != 1:
        s += ' proto=0x%04x' % p.gre_proto
    if p.gre_key is not None:
        if p.gre_ver == 1:
            plen = p.gre_key >> 16
            s += ' call=%d plen=%d' % (p.gre_key & 0xffff, plen)
            if plen != len(p.payload):
                s += '(!=%d)' % len(p.payload)
        else:
            s += ' key=0x%08x' % p.gre_key
    if p.gre_seq is not None:
        s += ' seq=%d' % p.gre_seq
    if p.gre_ack is not None:
        s += ' ack=%d' % p.gre_ack
    return s


def inner_str(q):
    """The packet quoted in an ICMP error, in brackets."""
    name = PROTO_NAMES.get(q.proto, 'proto%d' % q.proto)
    if q.proto in (6, 17):
        s = '%s %s:%d > %s:%d' % (name, q.src, q.sport, q.dst, q.dport)
    else:
        s = '%s %s > %s' % (name, q.src, q.dst)
    if q.proto == 1 and q.icmp_type is not None:
        s += ' ' + icmp_str(q)
    if q.proto == 47 and q.gre_key is not None:
        s += ' ' + gre_str(q)
    return '[' + s + ']'


class Dumper:
    """Formats packets of one capture; keeps PPTP stream state."""

    def __init__(self):
        self.pptp = PptpStreams()

    def l4_str(self, p):
        if p.frag_off:
            return '%s %s > %s frag off=%d len=%d' % (
                PROTO_NAMES.get(p.proto, 'proto%d' % p.proto), p.src, p.dst,
                p.frag_off, len(p.payload))
        if p.proto in (6, 17):
            s = '%s %s:%d > %s:%d' % (PROTO_NAMES[p.proto], p.src, p.sport,
                                      p.dst, p.dport)
            if p.proto == 6:
                s += ' [%s] seq=%d ack=%d win=%d' % (
                    tcp_flags_str(p.flags), p.seq, p.ack, p.win)
            s += ' len=%d' % len(p.payload)
            if p.proto == 6 and PPTP_PORT in (p.sport, p.dport):
                msgs = self.pptp.feed(p)
                if msgs:
                    s += ' pptp=' + ';'.join(
                        m if isinstance(m, str) else pptp_str(m)
                        for m in msgs)
                elif p.payload:
                    s += ' pptp=partial'
            elif p.payload:
                s += ' data=' + digest(p.payload)
            return s
        s = '%s %s > %s' % (PROTO_NAMES.get(p.proto, 'proto%d' % p.proto),
                            p.src, p.dst)
        if p.proto == 1:
            s += ' ' + icmp_str(p)
            if p.inner is not None:
                s += ' ' + inner_str(p.inner)
            elif p.payload:
                s += ' len=%d data=%s' % (len(p.payload), digest(p.payload))
        elif p.proto == 47:
            s += ' ' + gre_str(p) + ' len=%d' % len(p.payload)
            if p.payload:
                s += ' data=' + digest(p.payload)
        else:
            s += ' len=%d' % len(p.payload)
        if p.mf:
            s += ' frag=first'
        return s

    def line(self, n, rec):
        t = '%d.%0*d' % (rec.t_ns // 10**9, rec.digits,
                         (rec.t_ns % 10**9) // 10**(9 - rec.digits))
        try:
            etype, l3, notes = decode_frame(rec.linktype, rec.data)
            if etype != ETH_IPV4:
                return '%d %s non-ip ethertype=0x%04x len=%d' % (
                    n, t, etype or 0, len(rec.data))
            p = decode_ip(l3)
            body = self.l4_str(p)
        except (Malformed, struct.error, IndexError) as e:
            return '%d %s malformed (%s) len=%d' % (n, t, e, len(rec.data))
        extra = ' '.join(notes + ['ttl=%d' % p.ttl, 'id=%d' % p.ipid])
        csum = 'ok' if not p.bad else 'bad(%s)' % ','.join(p.bad)
        if rec.orig_len != len(rec.data):
            extra += ' snap=%d/%d' % (len(rec.data), rec.orig_len)
        return '%d %s %s %s csum=%s' % (n, t, body, extra, csum)


LINKTYPE_NAMES = {LT_NULL: 'NULL', LT_EN10MB: 'EN10MB', LT_RAW: 'RAW',
                  LT_LOOP: 'LOOP', LT_SLL: 'LINUX_SLL', LT_IPV4: 'IPV4',
                  LT_SLL2: 'LINUX_SLL2'}


def header(path):
    """'# link EN10MB, usec': the capture's link type and precision (of
    its first interface for pcapng)."""
    with open(path, 'rb') as f:
        head = f.read(24)
    recs = read_capture(path)
    if head[:4] == b'\x0a\x0d\x0d\x0a':
        fmt = 'pcapng'
        lt = recs[0].linktype if recs else None
        digits = recs[0].digits if recs else 6
    else:
        fmt = 'pcap'
        end = '<' if head[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') \
            else '>'
        lt = struct.unpack(end + 'I', head[20:24])[0] & 0x0fffffff
        digits = 9 if head[:4] in (b'\x4d\x3c\xb2\xa1',
                                   b'\xa1\xb2\x3c\x4d') else 6
    return '# %s link %s, %s' % (fmt, LINKTYPE_NAMES.get(lt, str(lt)),
                                 'nsec' if digits == 9 else 'usec')


def dump(path, out=sys.stdout):
    d = Dumper()
    out.write(header(path) + '\n')
    for n, rec in enumerate(read_capture(path), 1):
        out.write(d.line(n, rec) + '\n')


def summarize(path, out=sys.stdout):
    """Counts instead of lines, for captures too big for a golden:
    packets per protocol, checksum status, distinct source and destination
    endpoints, time span."""
    recs = read_capture(path)
    out.write(header(path) + '\n')
    protos, bad, other = {}, 0, 0
    srcs, dsts = set(), set()
    for rec in recs:
        try:
            etype, l3, _ = decode_frame(rec.linktype, rec.data)
            if etype != ETH_IPV4:
                other += 1
                continue
            p = decode_ip(l3)
        except (Malformed, struct.error, IndexError):
            other += 1
            continue
        name = PROTO_NAMES.get(p.proto, 'proto%d' % p.proto)
        protos[name] = protos.get(name, 0) + 1
        bad += bool(p.bad)
        srcs.add((p.src, p.sport, p.icmp_id))
        dsts.add((p.dst, p.dport))
    out.write('packets %d\n' % len(recs))
    for name in sorted(protos):
        out.write('  %s %d\n' % (name, protos[name]))
    out.write('not decoded %d\n' % other)
    out.write('bad checksums %d\n' % bad)
    out.write('distinct sources %d\n' % len(srcs))
    out.write('distinct destinations %d\n' % len(dsts))
    if recs:
        out.write('first %d last %d (ns)\n' % (recs[0].t_ns, recs[-1].t_ns))


def main(argv=None):
    if hasattr(signal, 'SIGPIPE'):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # | head is fine
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ('-h', '--help'):
        sys.stdout.write('usage: phdump.py [--summary] CAPTURE...\n'
                         'Print one line per packet of each pcap/pcapng '
                         'file (see the module doc);\n--summary: counts '
                         'only.\n')
        return 0 if argv else 2
    fn = dump
    if argv[0] == '--summary':
        fn, argv = summarize, argv[1:]
    for path in argv:
        if len(argv) > 1:
            sys.stdout.write('# %s\n' % path)
        try:
            fn(path)
        except (OSError, Malformed) as e:
            sys.stderr.write('phdump: %s: %s\n' % (path, e))
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
