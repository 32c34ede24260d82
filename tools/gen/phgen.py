#!/usr/bin/env python3
"""phgen - write pcap traffic for pinhole-replay, and drive scenarios.

Library (standard library only, no scapy):
  * IPv4 (RFC 791), TCP (RFC 9293), UDP (RFC 768), ICMP echo and errors
    (RFC 792), GRE version 0 (RFC 2784/2890) and enhanced GRE version 1
    (RFC 2637 s4.1: key = payload length << 16 | peer's call id), all with
    correct checksums;
  * PPTP control messages, all 15 types with their RFC 2637 s2 lengths,
    and TCP segmentation of a message stream at any offsets;
  * framing: Ethernet (optionally 802.1Q-tagged), raw IPv4, Linux cooked
    SLL and SLL2, BSD loopback; pcap (micro or nano) and pcapng writers.

Scenarios (tests/pcap/*/scenario.py) describe a conversation in terms of
hosts that REACT to what they receive: a server answers the SYN the
gateway delivered to it, so it answers the translated (PAT) address and
port the engine chose, acks the sequence numbers it saw, and echoes the
PPTP call id it read.  Those values are only known after the engine ran,
so `phgen.py scenario` runs in passes: it builds the scenario until the
first packet whose content depends on an unknown delivery, writes the
captures so far, runs pinhole-replay on them with --trace (which names,
for every input frame, its fate and its frame number in the output
capture), decodes the outputs, and builds again from the start with that
knowledge.  With a fixed --seed the engine is deterministic and causal
(what it does with packet N does not depend on packets after N), so each
pass extends the last one and the result is the same capture every time.
See docs/replay.md.

CLI:
  phgen.py scenario DIR --workdir W [--replay BIN]  build DIR/scenario.py
  phgen.py pptp -o FILE [--clients N] [--calls N] [--split 13] ...
                                  whole PPTP conversations on one wire
  phgen.py dump CAPTURE...                          same as phdump.py
"""

import argparse
import importlib.util
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import phdump  # noqa: E402
from phdump import csum16  # noqa: E402

# Capture time of the first packet of a scenario: 2001-09-09 01:46:40 UTC.
T0_NS = 1000000000 * 10**9
STEP_NS = 1000000  # 1 ms between packets unless the scenario waits

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

ICMP_ECHOREPLY, ICMP_UNREACH, ICMP_ECHO, ICMP_TIMXCEED = 0, 3, 8, 11

LINKTYPES = {'ether': phdump.LT_EN10MB, 'raw': phdump.LT_RAW,
             'ipv4': phdump.LT_IPV4, 'sll': phdump.LT_SLL,
             'sll2': phdump.LT_SLL2, 'null': phdump.LT_NULL,
             'loop': phdump.LT_LOOP}


def aton(a):
    """'10.0.0.1' -> 4 bytes."""
    parts = [int(x) for x in a.split('.')]
    if len(parts) != 4 or any(not 0 <= x <= 255 for x in parts):
        raise ValueError('bad IPv4 address %r' % a)
    return bytes(parts)


def mac_for(ip, iface_no=0):
    """A stable locally administered MAC for a host address."""
    return b'\x02' + bytes([iface_no & 0xff]) + aton(ip)


# --- IPv4 and transports ------------------------------------------------------

def ipv4(src, dst, proto, payload, ipid=0, ttl=64, tos=0, df=False,
         mf=False, frag_off=0, options=b'', total_len=None):
    """An IPv4 packet with a correct header checksum (RFC 791).
    frag_off is in bytes (multiple of 8); total_len overrides the length
    field (for malformed packets)."""
    if len(options) % 4:
        raise ValueError('IP options must be a multiple of 4 bytes')
    ihl = 5 + len(options) // 4
    tot = total_len if total_len is not None else ihl * 4 + len(payload)
    frag = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off // 8)
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, tos, tot, ipid & 0xffff,
                      frag, ttl, proto, 0, aton(src), aton(dst)) + options
    c = csum16(hdr)
    return hdr[:10] + struct.pack('!H', c) + hdr[12:] + payload


def _pseudo(src, dst, proto, length):
    return aton(src) + aton(dst) + struct.pack('!BBH', 0, proto, length)


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload=b'',
                win=65535, options=b'', urg=0):
    """A TCP header + payload with its checksum (pseudo-header included)."""
    if len(options) % 4:
        raise ValueError('TCP options must be a multiple of 4 bytes')
    off = (5 + len(options) // 4) << 12
    hdr = struct.pack('!HHIIHHHH', sport, dport, seq & 0xffffffff,
                      ack & 0xffffffff, off | flags, win, 0, urg) + options
    seg = hdr + payload
    c = csum16(_pseudo(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack('!H', c) + seg[18:]


def tcp(src, dst, sport, dport, seq=0, ack=0, flags=SYN, payload=b'',
        ipid=0, ttl=64, win=65535, options=b''):
    """A whole IPv4/TCP packet."""
    return ipv4(src, dst, 6, tcp_segment(src, dst, sport, dport, seq, ack,
                                         flags, payload, win, options),
                ipid=ipid, ttl=ttl, df=True)


def udp(src, dst, sport, dport, payload=b'', ipid=0, ttl=64, csum=True):
    """A whole IPv4/UDP packet (csum=False: checksum field 0)."""
    length = 8 + len(payload)
    dg = struct.pack('!HHHH', sport, dport, length, 0) + payload
    if csum:
        c = csum16(_pseudo(src, dst, 17, length) + dg) or 0xffff
        dg = dg[:6] + struct.pack('!H', c) + dg[8:]
    return ipv4(src, dst, 17, dg, ipid=ipid, ttl=ttl)


def icmp_msg(itype, code, rest, payload=b''):
    """An ICMP message: type, code, checksum, 4 bytes `rest`, payload."""
    m = struct.pack('!BBH', itype, code, 0) + rest + payload
    c = csum16(m)
    return m[:2] + struct.pack('!H', c) + m[4:]


def icmp_echo(src, dst, ident, seq, payload=b'abcdefghijklmnop', reply=False,
              ipid=0, ttl=64):
    """ICMP echo request (or reply) packet."""
    t = ICMP_ECHOREPLY if reply else ICMP_ECHO
    return ipv4(src, dst, 1, icmp_msg(t, 0, struct.pack('!HH', ident, seq),
                                      payload), ipid=ipid, ttl=ttl)


def icmp_error(src, dst, itype, code, quoted_ip, ipid=0, ttl=64, mtu=0):
    """An ICMP error from src to dst quoting the IP header and the first 8
    bytes of data of quoted_ip (RFC 792).  mtu: next-hop MTU for
    fragmentation-needed (RFC 1191)."""
    ihl = (quoted_ip[0] & 15) * 4
    rest = struct.pack('!HH', 0, mtu)
    return ipv4(src, dst, 1, icmp_msg(itype, code, rest,
                                      quoted_ip[:ihl + 8]), ipid=ipid,
                ttl=ttl)


def gre_header(version=1, proto=0x880b, key=None, seq=None, ack=None,
               csum=False, payload=b''):
    """A GRE header (RFC 2784/2890; version 1 = RFC 2637 s4.1) + payload.
    For version 1 the key must be given (payload length << 16 | call id;
    see pptp_key())."""
    flags = version & 7
    if csum:
        flags |= 0x8000
    if key is not None:
        flags |= 0x2000
    if seq is not None:
        flags |= 0x1000
    if ack is not None:
        if version != 1:
            raise ValueError('GRE ack needs version 1')
        flags |= 0x0080
    h = struct.pack('!HH', flags, proto)
    if csum:
        h += b'\0\0\0\0'
    for v in (key, seq, ack):
        if v is not None:
            h += struct.pack('!I', v & 0xffffffff)
    g = h + payload
    if csum:
        c = csum16(g)
        g = g[:4] + struct.pack('!H', c) + g[6:]
    return g


def pptp_key(call_id, payload):
    """Enhanced GRE key: payload length in the high half, peer's call id
    in the low half (RFC 2637 s4.1)."""
    return (len(payload) << 16) | (call_id & 0xffff)


def gre(src, dst, call_id=None, payload=b'\xff\x03\xc0\x21', seq=None,
        ack=None, version=1, key=None, ipid=0, ttl=64, proto=None):
    """A whole IPv4/GRE packet.  Version 1: key from call_id and payload;
    version 0: give key (or none)."""
    if version == 1 and key is None:
        key = pptp_key(call_id, payload)
    if proto is None:
        proto = 0x880b if version == 1 else 0x0800
    return ipv4(src, dst, 47, gre_header(version, proto, key, seq, ack,
                                         payload=payload), ipid=ipid,
                ttl=ttl)


# --- PPTP control messages (RFC 2637 s2) ----------------------------------------

PPTP_MAGIC = 0x1A2B3C4D

# type -> (name, total length, [(field, offset, struct format, default)])
PPTP_LAYOUT = {
    1: ('SCCRQ', 156, [
        ('version', 12, 'H', 0x0100), ('reserved1', 14, 'H', 0),
        ('framing', 16, 'I', 1), ('bearer', 20, 'I', 1),
        ('max_channels', 24, 'H', 0), ('firmware', 26, 'H', 0x0100),
        ('hostname', 28, '64s', b'client'), ('vendor', 92, '64s', b'phgen')]),
    2: ('SCCRP', 156, [
        ('version', 12, 'H', 0x0100), ('result', 14, 'B', 1),
        ('error', 15, 'B', 0), ('framing', 16, 'I', 1),
        ('bearer', 20, 'I', 1), ('max_channels', 24, 'H', 1),
        ('firmware', 26, 'H', 0x0100), ('hostname', 28, '64s', b'server'),
        ('vendor', 92, '64s', b'phgen')]),
    3: ('StopCCRQ', 16, [('reason', 12, 'B', 1)]),
    4: ('StopCCRP', 16, [('result', 12, 'B', 1), ('error', 13, 'B', 0)]),
    5: ('ECHORQ', 16, [('ident', 12, 'I', 0)]),
    6: ('ECHORP', 20, [('ident', 12, 'I', 0), ('result', 16, 'B', 1),
                       ('error', 17, 'B', 0)]),
    7: ('OCRQ', 168, [
        ('call_id', 12, 'H', 0), ('serial', 14, 'H', 0),
        ('min_bps', 16, 'I', 2400), ('max_bps', 20, 'I', 10000000),
        ('bearer', 24, 'I', 3), ('framing', 28, 'I', 3),
        ('window', 32, 'H', 64), ('delay', 34, 'H', 0),
        ('phone_len', 36, 'H', 0), ('phone', 40, '64s', b''),
        ('subaddress', 104, '64s', b'')]),
    8: ('OCRP', 32, [
        ('call_id', 12, 'H', 0), ('peer_call_id', 14, 'H', 0),
        ('result', 16, 'B', 1), ('error', 17, 'B', 0), ('cause', 18, 'H', 0),
        ('speed', 20, 'I', 10000000), ('window', 24, 'H', 64),
        ('delay', 26, 'H', 0), ('channel', 28, 'I', 0)]),
    9: ('ICRQ', 220, [
        ('call_id', 12, 'H', 0), ('serial', 14, 'H', 0),
        ('bearer', 16, 'I', 1), ('channel', 20, 'I', 0),
        ('dialed_len', 24, 'H', 0), ('dialing_len', 26, 'H', 0),
        ('dialed', 28, '64s', b''), ('dialing', 92, '64s', b''),
        ('subaddress', 156, '64s', b'')]),
    10: ('ICRP', 24, [
        ('call_id', 12, 'H', 0), ('peer_call_id', 14, 'H', 0),
        ('result', 16, 'B', 1), ('error', 17, 'B', 0),
        ('window', 18, 'H', 64), ('delay', 20, 'H', 0)]),
    11: ('ICCN', 28, [
        ('peer_call_id', 12, 'H', 0), ('speed', 16, 'I', 10000000),
        ('window', 20, 'H', 64), ('delay', 22, 'H', 0),
        ('framing', 24, 'I', 1)]),
    12: ('CCRQ', 16, [('call_id', 12, 'H', 0)]),
    13: ('CDN', 148, [
        ('call_id', 12, 'H', 0), ('result', 14, 'B', 4), ('error', 15, 'B', 0),
        ('cause', 16, 'H', 0), ('stats', 20, '128s', b'')]),
    14: ('WEN', 40, [
        ('peer_call_id', 12, 'H', 0), ('crc_errors', 16, 'I', 0),
        ('framing_errors', 20, 'I', 0), ('hw_overruns', 24, 'I', 0),
        ('buf_overruns', 28, 'I', 0), ('timeouts', 32, 'I', 0),
        ('alignment_errors', 36, 'I', 0)]),
    15: ('SLI', 24, [
        ('peer_call_id', 12, 'H', 0), ('send_accm', 16, 'I', 0xffffffff),
        ('recv_accm', 20, 'I', 0xffffffff)]),
}
PPTP_TYPES = {name: t for t, (name, _, _) in PPTP_LAYOUT.items()}


def pptp_msg(ctype, length=None, magic=PPTP_MAGIC, msg_type=1, **fields):
    """Build a PPTP control message of type ctype (number or name such as
    'OCRQ').  Unknown field names are refused; length/magic/msg_type may be
    overridden to build malformed messages (length then also sets the
    number of bytes produced)."""
    if isinstance(ctype, str):
        ctype = PPTP_TYPES[ctype]
    name, size, layout = PPTP_LAYOUT[ctype]
    known = {f[0] for f in layout}
    bad = set(fields) - known
    if bad:
        raise ValueError('%s has no field %s' % (name, ', '.join(sorted(bad))))
    buf = bytearray(max(size, length or 0))
    struct.pack_into('!HHIHH', buf, 0, length if length is not None else size,
                     msg_type, magic, ctype, 0)
    for fname, off, fmt, default in layout:
        struct.pack_into('!' + fmt, buf, off, fields.get(fname, default))
    return bytes(buf[:length if length is not None else size])


def split_stream(data, offsets):
    """Cut data at the given absolute offsets: split_stream(b, [13]) gives
    [b[:13], b[13:]].  Offsets outside (0, len) are ignored."""
    cuts = [0] + sorted(o for o in set(offsets) if 0 < o < len(data)) + \
        [len(data)]
    return [data[a:b] for a, b in zip(cuts, cuts[1:])]


def arp_request(sender_mac, sender_ip, target_ip):
    """An ARP who-has (RFC 826) payload, for ethertype 0x0806."""
    return struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + sender_mac + \
        aton(sender_ip) + b'\0' * 6 + aton(target_ip)


def ipv6_echo(src16, dst16, ident=1, seq=1):
    """A minimal IPv6 packet carrying an ICMPv6 echo (checksum not set:
    pinhole skips IPv6 anyway)."""
    body = struct.pack('!BBHHH', 128, 0, 0, ident, seq)
    return struct.pack('!IHBB', 6 << 28, len(body), 58, 64) + src16 + \
        dst16 + body


def lldp_frame_payload(chassis=b'\x02\0\0\0\0\x09'):
    """An LLDP PDU (chassis id, port id, TTL, end), for ethertype
    0x88cc."""
    def tlv(t, v):
        return struct.pack('!H', (t << 9) | len(v)) + v
    return tlv(1, b'\x04' + chassis) + tlv(2, b'\x05eth0') + \
        tlv(3, b'\0\x78') + tlv(0, b'')


# --- link layers and capture files ----------------------------------------

def frame(linktype, ip, src_mac=b'\x02\0\0\0\0\1', dst_mac=b'\x02\0\0\0\0\2',
          vlan=None, ethertype=0x0800, ifindex=1, outgoing=False):
    """Wrap an L3 packet for a link type (a LINKTYPE_* number)."""
    if linktype == phdump.LT_EN10MB:
        tag = b'' if vlan is None else struct.pack('!HH', 0x8100, vlan)
        return dst_mac + src_mac + tag + struct.pack('!H', ethertype) + ip
    if linktype in (phdump.LT_RAW, phdump.LT_IPV4):
        return ip
    pkttype = 4 if outgoing else 0
    if linktype == phdump.LT_SLL:
        return struct.pack('!HHH', pkttype, 1, 6) + src_mac + b'\0\0' + \
            struct.pack('!H', ethertype) + ip
    if linktype == phdump.LT_SLL2:
        return struct.pack('!HHIHBB', ethertype, 0, ifindex, 1, pkttype, 6) + \
            src_mac + b'\0\0' + ip
    if linktype == phdump.LT_NULL:
        return struct.pack('=I', 2 if ethertype == 0x0800 else 30) + ip
    if linktype == phdump.LT_LOOP:
        return struct.pack('!I', 2 if ethertype == 0x0800 else 30) + ip
    raise ValueError('unsupported link type %d' % linktype)


class PcapWriter:
    """pcap file writer (microsecond or nanosecond magic)."""

    def __init__(self, path, linktype, nano=False, snaplen=262144):
        self.f = open(path, 'wb')
        self.nano = nano
        magic = 0xa1b23c4d if nano else 0xa1b2c3d4
        self.f.write(struct.pack('<IHHiIII', magic, 2, 4, 0, 0, snaplen,
                                 linktype))

    def write(self, t_ns, data, orig_len=None):
        sec, ns = divmod(t_ns, 10**9)
        frac = ns if self.nano else ns // 1000
        self.f.write(struct.pack('<IIII', sec, frac, len(data),
                                 orig_len or len(data)) + data)

    def close(self):
        self.f.close()


class PcapngWriter:
    """pcapng writer: one section, one interface (if_tsresol 6 or 9)."""

    def __init__(self, path, linktype, nano=False, snaplen=262144):
        self.f = open(path, 'wb')
        self.nano = nano
        self._block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))
        opts = struct.pack('<HHB3x', 9, 1, 9 if nano else 6) + b'\0\0\0\0'
        self._block(1, struct.pack('<HHI', linktype, 0, snaplen) + opts)

    def _block(self, btype, body):
        body += b'\0' * (-len(body) % 4)
        n = len(body) + 12
        self.f.write(struct.pack('<II', btype, n) + body +
                     struct.pack('<I', n))

    def write(self, t_ns, data, orig_len=None):
        units = t_ns if self.nano else t_ns // 1000
        self._block(6, struct.pack('<IIIII', 0, units >> 32,
                                   units & 0xffffffff, len(data),
                                   orig_len or len(data)) + data)

    def close(self):
        self.f.close()


# --- scenarios -------------------------------------------------------------

class NeedPass(Exception):
    """The scenario needs a delivery the last replay run did not show."""


class ScenarioError(Exception):
    """The scenario cannot continue (a bug in the scenario)."""


class Sent:
    """A packet the scenario put on an interface: frame n of that input."""

    def __init__(self, iface, n, t_ns, ip):
        self.iface, self.n, self.t_ns, self.ip = iface, n, t_ns, ip

    def __repr__(self):
        return '%s#%d' % (self.iface, self.n)


class Delivery:
    """What the engine made of a Sent packet: where it left and how."""

    def __init__(self, iface, n, pkt, rewritten):
        self.iface, self.n, self.pkt = iface, n, pkt
        self.rewritten = rewritten

    def __getattr__(self, name):
        return getattr(self.pkt, name)


class Knowledge:
    """One replay run: the fate of each input frame and the outputs."""

    def __init__(self, trace_path, outputs):
        self.fates = {}
        self.outputs = outputs  # iface -> list of decoded Pkt (or None)
        with open(trace_path) as f:
            for line in f:
                self._parse(line.split())

    def _parse(self, w):
        # TIME IFACE#N VERB [ARG [rewritten]]
        if len(w) < 3 or '#' not in w[1]:
            return
        iface, n = w[1].rsplit('#', 1)
        key = (iface, int(n))
        verb = w[2]
        if verb in ('accept', 'release') and w[3] == 'to-gateway':
            self.fates[key] = ('local',)
        elif verb in ('accept', 'release'):
            oif, on = w[3].rsplit('#', 1)
            self.fates[key] = ('accept', oif, int(on), 'rewritten' in w[4:])
        elif verb in ('drop', 'release-drop'):
            self.fates[key] = ('drop', w[3] if len(w) > 3 else '?')
        elif verb in ('hold', 'skip'):
            self.fates[key] = (verb,)

    def delivery(self, sent):
        """The Delivery of sent, None if it was dropped or taken by the
        gateway itself; NeedPass if the run did not settle it."""
        fate = self.fates.get((sent.iface, sent.n))
        if fate is None or fate[0] == 'hold':
            raise NeedPass(sent)
        if fate[0] != 'accept':
            return None
        _, oif, on, rewritten = fate
        outs = self.outputs.get(oif, [])
        if on < 1 or on > len(outs) or outs[on - 1] is None:
            raise ScenarioError('%r left on %s#%d, not in the output' %
                                (sent, oif, on))
        return Delivery(oif, on, outs[on - 1], rewritten)


class Host:
    """An end host on one interface: addresses its frames, counts IP ids."""

    def __init__(self, s, iface, ip, mac=None):
        self.s, self.iface, self.ip = s, iface, ip
        self.mac = mac or mac_for(ip)
        self.ipid = (sum(aton(ip)) * 251) & 0xffff

    def next_id(self):
        self.ipid = (self.ipid + 1) & 0xffff
        return self.ipid

    def send(self, ip):
        return self.s.send(self.iface, ip, src_mac=self.mac)

    def __repr__(self):
        return '%s@%s' % (self.ip, self.iface)


class Wire:
    """Knowledge of a plain wire with no gateway: every packet is
    delivered unchanged on the interface it was sent on.  Used to write a
    whole conversation into one capture without pinhole-replay."""

    def delivery(self, sent):
        return Delivery(sent.iface, sent.n, phdump.decode_ip(sent.ip), False)


class Scenario:
    """Builds the input captures of one scenario (one pass).  know is
    the last replay run (Knowledge), a Wire, or None before any run."""

    def __init__(self, know=None):
        self.know = know
        self.now = T0_NS
        self.links = {}
        self.frames = {}
        self.hosts = {}

    # interfaces and hosts
    def iface(self, name, link='ether', vlan=None, nano=False, pcapng=False,
              gw_mac=None, pad=False, input=True):
        """Declare the capture of one gateway interface: link type (see
        LINKTYPES), 802.1Q tag, nanosecond timestamps, pcapng format,
        Ethernet padding to 60 bytes; input=False: no input capture for
        it (it only gets an output)."""
        self.links[name] = dict(linktype=LINKTYPES[link], vlan=vlan,
                                nano=nano, pcapng=pcapng, pad=pad,
                                input=input,
                                gw_mac=gw_mac or
                                b'\x02\xff\0\0\0' + bytes([len(self.links)]),
                                ifindex=len(self.links) + 1)
        self.frames[name] = []

    def host(self, iface, ip, mac=None):
        """The host with address ip on iface (one object per address)."""
        key = (iface, ip)
        if key not in self.hosts:
            if iface not in self.links:
                raise ScenarioError('interface %s not declared' % iface)
            self.hosts[key] = Host(self, iface, ip, mac)
        return self.hosts[key]

    # clock
    def wait(self, sec):
        """Let sec seconds (float) of capture time pass."""
        self.now += int(round(sec * 10**9))

    # frames
    def send(self, iface, ip, src_mac=None, ethertype=0x0800):
        """Put an L3 packet on iface (as arriving at the gateway)."""
        link = self.links[iface]
        data = frame(link['linktype'], ip, src_mac=src_mac or b'\x02\0\0\0\0\1',
                     dst_mac=link['gw_mac'], vlan=link['vlan'],
                     ethertype=ethertype, ifindex=link['ifindex'])
        if link['pad'] and link['linktype'] == phdump.LT_EN10MB:
            data += b'\0' * max(0, 60 - len(data))
        self.frames[iface].append((self.now, data))
        sent = Sent(iface, len(self.frames[iface]), self.now, ip)
        self.now += STEP_NS
        return sent

    def send_other(self, iface, ethertype, payload, src_mac=None):
        """A frame that is not IPv4 (ARP 0x0806, IPv6 0x86dd, LLDP 0x88cc)
        framed for iface's link type."""
        return self.send(iface, payload, src_mac=src_mac, ethertype=ethertype)

    def send_raw(self, iface, data):
        """Put a complete link-layer frame on iface (e.g. ARP)."""
        self.frames[iface].append((self.now, data))
        self.now += STEP_NS
        return Sent(iface, len(self.frames[iface]), self.now, None)

    def delivered(self, sent):
        """Where and how `sent` left the gateway: a Delivery, or None if
        it was dropped.  Raises NeedPass when the last run did not
        include it."""
        if sent is None:
            return None
        if self.know is None:
            raise NeedPass(sent)
        return self.know.delivery(sent)

    def count(self):
        return sum(len(v) for v in self.frames.values())

    def write(self, workdir):
        """Write in-IFACE.pcap (or .pcapng) for every interface."""
        paths = {}
        for name, link in self.links.items():
            if not link['input']:
                if self.frames[name]:
                    raise ScenarioError('%s has no input' % name)
                paths[name] = None
                continue
            ext = 'pcapng' if link['pcapng'] else 'pcap'
            path = os.path.join(workdir, 'in-%s.%s' % (name, ext))
            cls = PcapngWriter if link['pcapng'] else PcapWriter
            w = cls(path, link['linktype'], link['nano'])
            for t, data in self.frames[name]:
                w.write(t, data)
            w.close()
            paths[name] = path
        return paths


# --- conversations --------------------------------------------------------------

class _Side:
    """One end of a conversation as that end sees it."""

    def __init__(self, host, local, remote):
        self.host = host            # Host (gives iface, MAC, IP ids)
        self.local = local          # (ip, port) of this end
        self.remote = remote        # (ip, port) this end talks to
        self.snd_nxt = 0
        self.rcv_nxt = None
        self.inbox = []             # Sent by the peer, not yet looked at
        self.rx = []                # Deliveries received, in order
        self.stream = b''           # TCP payload received, in order
        self.learned = False


class Tcp:
    """A TCP connection from `client` to dst:dport.  The server end is
    learned from the SYN the gateway delivered.  Every segment a side
    sends acks what that side has received so far."""

    def __init__(self, s, client, sport, dst, dport, isn=1000,
                 server_isn=5000, win=65535):
        self.s, self.win = s, win
        self.client = _Side(client, (client.ip, sport), (dst, dport))
        self.client.snd_nxt = isn
        self.server = None
        self.server_isn = server_isn
        self.syn_sent = None
        self.refused = False

    def side(self, name):
        return self.client if name == 'client' else self.server

    def peer(self, name):
        return self.server if name == 'client' else self.client

    def _learn_server(self, d):
        host = self.s.host(d.iface, d.dst)
        self.server = _Side(host, (d.dst, d.dport), (d.src, d.sport))
        self.server.snd_nxt = self.server_isn

    def learn(self, name):
        """Take in everything the peer sent that reached this side."""
        me = self.side(name)
        while me.inbox:
            d = self.s.delivered(me.inbox[0])
            me.inbox.pop(0)
            if d is None:
                continue
            n = len(d.payload) + (1 if d.flags & SYN else 0) + \
                (1 if d.flags & FIN else 0)
            me.rcv_nxt = (d.seq + n) & 0xffffffff
            me.rx.append(d)
            me.stream += d.payload

    def segment(self, name, flags, payload=b''):
        """Send one segment from side `name` ('client' or 'server')."""
        if name == 'server' and self.server is None:
            d = self.s.delivered(self.syn_sent)
            if d is None:
                self.refused = True
                return None
            self._learn_server(d)
            self.server.inbox = []
            self.server.rcv_nxt = (d.seq + 1) & 0xffffffff
            self.server.rx.append(d)
        me = self.side(name)
        self.learn(name)
        ack = me.rcv_nxt if me.rcv_nxt is not None and flags & ACK else 0
        ip = tcp(me.local[0], me.remote[0], me.local[1], me.remote[1],
                 me.snd_nxt, ack, flags, payload, ipid=me.host.next_id(),
                 win=self.win)
        sent = me.host.send(ip)
        me.snd_nxt = (me.snd_nxt + len(payload) + (1 if flags & SYN else 0) +
                      (1 if flags & FIN else 0)) & 0xffffffff
        peer = self.peer(name)
        if peer is not None:
            peer.inbox.append(sent)
        return sent

    def syn(self):
        self.syn_sent = self.segment('client', SYN)
        return self.syn_sent

    def connect(self):
        """Three-way handshake; False if the SYN or SYN-ACK was dropped."""
        self.syn()
        if self.segment('server', SYN | ACK) is None:
            return False
        self.learn('client')
        if self.client.rcv_nxt is None:
            self.refused = True
            return False
        self.segment('client', ACK)
        return True

    def send(self, name, data, flags=PSH | ACK):
        return self.segment(name, flags, data)

    def ack(self, name):
        return self.segment(name, ACK)

    def fin(self, name):
        return self.segment(name, FIN | ACK)

    def rst(self, name):
        return self.segment(name, RST | ACK)

    def close(self, first='client'):
        """FIN from `first`, FIN+ACK back, last ACK."""
        other = 'server' if first == 'client' else 'client'
        self.fin(first)
        self.fin(other)
        self.ack(first)


class Udp:
    """A UDP flow from `client`; the server end is learned on delivery."""

    def __init__(self, s, client, sport, dst, dport):
        self.s = s
        self.client = _Side(client, (client.ip, sport), (dst, dport))
        self.server = None
        self.first = None

    def send(self, name, payload):
        if name == 'server' and self.server is None:
            d = self.s.delivered(self.first)
            if d is None:
                return None
            self.server = _Side(self.s.host(d.iface, d.dst),
                                (d.dst, d.dport), (d.src, d.sport))
        me = self.client if name == 'client' else self.server
        sent = me.host.send(udp(me.local[0], me.remote[0], me.local[1],
                                me.remote[1], payload,
                                ipid=me.host.next_id()))
        if self.first is None:
            self.first = sent
        return sent


class Ping:
    """ICMP echo from `client` to dst; replies answer what was delivered."""

    def __init__(self, s, client, dst, ident):
        self.s, self.client, self.dst, self.ident = s, client, dst, ident
        self.requests = {}

    def request(self, seq, payload=b'abcdefghijklmnop'):
        sent = self.client.send(icmp_echo(self.client.ip, self.dst,
                                          self.ident, seq, payload,
                                          ipid=self.client.next_id()))
        self.requests[seq] = sent
        return sent

    def reply(self, seq):
        d = self.s.delivered(self.requests[seq])
        if d is None:
            return None
        h = self.s.host(d.iface, d.dst)
        return h.send(icmp_echo(d.dst, d.src, d.icmp_id, d.icmp_seq,
                                d.payload, reply=True, ipid=h.next_id()))


def icmp_error_for(s, sent, itype=ICMP_UNREACH, code=3, from_ip=None):
    """The receiver of `sent` (or router from_ip on its interface) answers
    with an ICMP error quoting the packet as it was delivered."""
    d = s.delivered(sent)
    if d is None:
        return None
    h = s.host(d.iface, from_ip or d.dst)
    return h.send(icmp_error(h.ip, d.src, itype, code, d.raw,
                             ipid=h.next_id()))


class Call:
    """One PPTP call: each end's own call id and the peer id it was told."""

    def __init__(self, pptp, pns_id, pac_id):
        self.pptp = pptp
        self.pns_id = pns_id        # client (PNS) id as the client chose it
        self.pac_id = pac_id        # server (PAC) id as the server chose it
        self.pns_id_at_pac = None   # client id as the server read it
        self.pac_id_at_pns = None   # server id as the client read it
        self.seq = {'client': 0, 'server': 0}
        self.ocrq = self.ocrp = None

    def gre(self, name, payload=b'\xff\x03\xc0\x21\x01\x01\x00\x04',
            ack=True):
        """One enhanced GRE data packet from `name` to its peer, keyed with
        the call id that end was told (RFC 2637 s4.1)."""
        t = self.pptp.tcp
        me = t.side(name)
        peer_name = 'server' if name == 'client' else 'client'
        key_id = self.pac_id_at_pns if name == 'client' else \
            self.pns_id_at_pac
        if key_id is None:
            raise ScenarioError('call not set up: no peer call id')
        self.seq[name] += 1
        return me.host.send(gre(me.local[0], me.remote[0], key_id, payload,
                                seq=self.seq[name],
                                ack=self.seq[peer_name] if ack else None,
                                ipid=me.host.next_id()))


class Pptp:
    """A PPTP control connection (RFC 2637 s3) over a connected Tcp whose
    client is the PNS (the VPN client) and whose server is the PAC."""

    def __init__(self, tcp_conn):
        self.tcp = tcp_conn
        self.parsed = {'client': 0, 'server': 0}  # stream bytes consumed
        self.calls = []

    def send(self, name, msgs, split=()):
        """Send messages (bytes) from `name` as one stream, cut into TCP
        segments at the given offsets.  Returns the list of Sent."""
        data = b''.join(msgs)
        return [self.tcp.send(name, chunk)
                for chunk in split_stream(data, split)]

    def receive(self, name):
        """Messages that reached `name` since the last call (dicts from
        phdump.parse_pptp plus 'raw')."""
        self.tcp.learn(name)
        me = self.tcp.side(name)
        out = []
        while True:
            buf = me.stream[self.parsed[name]:]
            if len(buf) < 12:
                break
            length = struct.unpack('!H', buf[:2])[0]
            if length < 12 or len(buf) < length:
                break
            d = phdump.parse_pptp(buf[:length])
            d['raw'] = buf[:length]
            out.append(d)
            self.parsed[name] += length
        return out

    def expect(self, name, ctype):
        """The next message `name` received must be of type ctype."""
        msgs = self.receive(name)
        for m in msgs:
            if m['name'] == ctype:
                return m
        return None

    def start(self, version=0x0100, split=()):
        """SCCRQ from the client, SCCRP (same version) from the server."""
        self.send('client', [pptp_msg('SCCRQ', version=version)], split)
        rq = self.expect('server', 'SCCRQ')
        if rq is None:
            return False
        self.send('server', [pptp_msg('SCCRP', version=version)])
        return self.expect('client', 'SCCRP') is not None

    def call_request(self, pns_id, serial=None, split=(), before=(),
                     extra=()):
        """OCRQ from the client, optionally with other messages before
        and after it in the same stream (split offsets count from the
        first).  Returns the Call (not yet answered)."""
        c = Call(self, pns_id, None)
        msg = pptp_msg('OCRQ', call_id=pns_id,
                       serial=serial if serial is not None else pns_id)
        c.ocrq = self.send('client', list(before) + [msg] + list(extra),
                           split)
        self.calls.append(c)
        return c

    def call_reply(self, c, pac_id, result=1, split=()):
        """The server answers the OCRQ it read with an OCRP."""
        rq = self.expect('server', 'OCRQ')
        if rq is None:
            return False
        c.pac_id = pac_id
        c.pns_id_at_pac = rq['call']
        self.send('server', [pptp_msg('OCRP', call_id=pac_id,
                                      peer_call_id=rq['call'],
                                      result=result)], split)
        rp = self.expect('client', 'OCRP')
        if rp is None:
            return False
        c.pac_id_at_pns = rp['call']
        c.ocrp_peer_at_pns = rp['peer']
        return True

    def call(self, pns_id, pac_id, split=()):
        """OCRQ/OCRP; returns the Call or None if either was lost."""
        c = self.call_request(pns_id, split=split)
        return c if self.call_reply(c, pac_id) else None

    def set_link_info(self, c):
        return self.send('client', [pptp_msg('SLI',
                                             peer_call_id=c.pac_id_at_pns)])

    def clear(self, c):
        """CCRQ from the client, CDN from the server."""
        self.send('client', [pptp_msg('CCRQ', call_id=c.pns_id)])
        self.expect('server', 'CCRQ')
        return self.disconnect(c)

    def disconnect(self, c, result=3):
        """CDN from the server for call c (RFC: its own call id)."""
        return self.send('server', [pptp_msg('CDN', call_id=c.pac_id,
                                             result=result)])

    def stop(self):
        """StopCCRQ from the client, StopCCRP from the server."""
        self.send('client', [pptp_msg('StopCCRQ', reason=1)])
        if self.expect('server', 'StopCCRQ') is None:
            return False
        self.send('server', [pptp_msg('StopCCRP', result=1)])
        return True


def pptp_conversation(s, client, server, sport=4644, pns_id=1, pac_id=100,
                      calls=1, gre_each=2, split=()):
    """A whole PPTP session (RFC 2637 s3): TCP handshake, SCCRQ/SCCRP,
    `calls` times OCRQ/OCRP (call ids pns_id+i / pac_id+i; the OCRQ cut
    at `split`) with Set-Link-Info and `gre_each` GRE packets each way,
    then CCRQ/CDN per call, StopCCRQ/StopCCRP and the FIN close.  Returns
    the Pptp."""
    t = Tcp(s, client, sport, server, 1723)
    p = Pptp(t)
    if not t.connect() or not p.start():
        return p
    done = []
    for i in range(calls):
        c = p.call(pns_id + i, pac_id + i, split=split)
        if c is None:
            continue
        p.set_link_info(c)
        for _ in range(gre_each):
            c.gre('client')
            c.gre('server')
        done.append(c)
    for c in done:
        p.clear(c)
    p.stop()
    t.close()
    return p


def cmd_pptp(a):
    """Write PPTP conversations on one wire (no gateway) into a capture."""
    s = Scenario(Wire())
    s.iface('wire', link=a.link, nano=a.nano, pcapng=a.pcapng)
    base = aton(a.client)
    split = [int(x) for x in a.split.split(',')] if a.split else []
    for i in range(a.clients):
        ip = '%d.%d.%d.%d' % tuple(base[:3] + bytes([(base[3] + i) & 0xff]))
        pptp_conversation(s, s.host('wire', ip), a.server, calls=a.calls,
                          gre_each=a.gre, split=split)
    link = s.links['wire']
    w = (PcapngWriter if a.pcapng else PcapWriter)(a.output,
                                                   link['linktype'], a.nano)
    for t, data in s.frames['wire']:
        w.write(t, data)
    w.close()
    return 0


# --- driving a scenario ------------------------------------------------------------

def load_scenario(path):
    """Import DIR/scenario.py (or a .py file) as a module."""
    if os.path.isdir(path):
        path = os.path.join(path, 'scenario.py')
    spec = importlib.util.spec_from_file_location('ph_scenario', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.SCENARIO_DIR = os.path.dirname(os.path.abspath(path))
    return mod


def _declare(mod, s):
    for name, opts in getattr(mod, 'IFACES', {'inside': {},
                                                 'outside': {}}).items():
        s.iface(name, **opts)


def replay_args(mod, paths, workdir, final):
    """pinhole-replay arguments for a run over the written inputs."""
    # relative to the scenario directory, where pinhole-replay runs, so
    # diagnostics name the rule file the same way on every machine
    args = ['-f', getattr(mod, 'RULES', 'rules.conf'),
            '--seed', str(getattr(mod, 'SEED', 1))]
    for name, path in paths.items():
        if path is not None:
            args += ['--in', '%s=%s' % (name, path)]
    for name in paths:
        args += ['--out', '%s=%s' % (name, os.path.join(
            workdir, 'out-%s.pcap' % name))]
    args += list(getattr(mod, 'ARGS', []))
    if final and getattr(mod, 'DRAIN', 0):
        args += ['--drain', str(mod.DRAIN)]
    return args


def _run_pass(replay, mod, paths, workdir):
    trace = os.path.join(workdir, 'trace')
    args = replay_args(mod, paths, workdir, False) + ['--trace', trace]
    r = subprocess.run([os.path.abspath(replay)] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, cwd=mod.SCENARIO_DIR)
    if r.returncode != 0:
        raise ScenarioError('pinhole-replay failed (%d): %s' %
                            (r.returncode, r.stderr.strip()))
    outputs = {}
    for name in paths:
        pkts = []
        for rec in phdump.read_capture(os.path.join(workdir,
                                                    'out-%s.pcap' % name)):
            try:
                et, l3, _ = phdump.decode_frame(rec.linktype, rec.data)
                pkts.append(phdump.decode_ip(l3) if et == 0x0800 else None)
            except (phdump.Malformed, struct.error):
                pkts.append(None)
        outputs[name] = pkts
    return Knowledge(trace, outputs)


def build(mod, workdir, replay=None, max_passes=500, log=None):
    """Run the pass loop; leaves the final inputs in workdir and returns
    (paths, passes)."""
    passdir = os.path.join(workdir, 'pass')
    os.makedirs(passdir, exist_ok=True)
    know, last = None, -1
    for n in range(1, max_passes + 1):
        s = Scenario(know)
        _declare(mod, s)
        try:
            mod.build(s)
            return s.write(workdir), n
        except NeedPass as e:
            if replay is None:
                raise ScenarioError('scenario needs pinhole-replay (--replay)'
                                    ' to learn the delivery of %r' % e.args)
            if s.count() <= last:
                raise ScenarioError('scenario stuck at %r: it is held or '
                                    'missing after the run' % e.args)
            last = s.count()
            if log:
                log('pass %d: %d frames, waiting on %r' % (n, last, e.args[0]))
            know = _run_pass(replay, mod, s.write(passdir), passdir)
    raise ScenarioError('more than %d passes' % max_passes)


def cmd_scenario(a):
    mod = load_scenario(a.dir)
    os.makedirs(a.workdir, exist_ok=True)
    a.workdir = os.path.abspath(a.workdir)
    log = (lambda m: sys.stderr.write('phgen: %s\n' % m)) if a.verbose \
        else None
    try:
        paths, passes = build(mod, a.workdir, a.replay, log=log)
    except ScenarioError as e:
        sys.stderr.write('phgen: %s: %s\n' % (a.dir, e))
        return 1
    with open(os.path.join(a.workdir, 'args'), 'w') as f:
        for arg in replay_args(mod, paths, a.workdir, True):
            f.write(arg + '\n')
    with open(os.path.join(a.workdir, 'dump-mode'), 'w') as f:
        f.write(getattr(mod, 'DUMP', 'lines') + '\n')
    if a.verbose:
        sys.stderr.write('phgen: %s: %d pass(es)\n' % (a.dir, passes))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog='phgen.py', description='Write pcap traffic for pinhole-replay.')
    sub = ap.add_subparsers(dest='cmd', required=True)
    sc = sub.add_parser('scenario', help='build a scenario\'s input '
                        'captures (running pinhole-replay between passes)')
    sc.add_argument('dir', help='scenario directory (with scenario.py) or '
                    'a scenario .py file')
    sc.add_argument('--workdir', required=True,
                    help='where in-IFACE.pcap and args are written')
    sc.add_argument('--replay', help='the pinhole-replay binary')
    sc.add_argument('-v', '--verbose', action='store_true')
    pp = sub.add_parser('pptp', help='write whole PPTP conversations as '
                        'seen on one wire (no gateway)')
    pp.add_argument('-o', '--output', required=True, help='capture to write')
    pp.add_argument('--clients', type=int, default=1,
                    help='clients, at consecutive addresses (default 1)')
    pp.add_argument('--client', default='10.48.66.106',
                    help='first client address')
    pp.add_argument('--server', default='192.168.201.25')
    pp.add_argument('--calls', type=int, default=1,
                    help='calls per control connection (default 1)')
    pp.add_argument('--gre', type=int, default=2,
                    help='GRE packets each way per call (default 2)')
    pp.add_argument('--split', default='',
                    help='offsets at which to cut each OCRQ, e.g. 13')
    pp.add_argument('--link', default='ether', choices=sorted(LINKTYPES))
    pp.add_argument('--nano', action='store_true')
    pp.add_argument('--pcapng', action='store_true')
    dp = sub.add_parser('dump', help='print one line per packet')
    dp.add_argument('captures', nargs='+')
    a = ap.parse_args(argv)
    if a.cmd == 'dump':
        return phdump.main(a.captures)
    if a.cmd == 'pptp':
        return cmd_pptp(a)
    return cmd_scenario(a)


if __name__ == '__main__':
    # Run as the `phgen` module, so scenarios that `from phgen import *`
    # share its classes and exceptions.
    import phgen as _phgen
    sys.exit(_phgen.main())
