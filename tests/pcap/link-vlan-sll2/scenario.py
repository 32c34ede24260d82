"""Link layers I: the inside capture is Ethernet with an 802.1Q tag (VLAN
10), padded to 60 bytes, in pcapng with nanosecond timestamps; the outside
capture is Linux cooked v2 (SLL2).  ARP, IPv6 and LLDP frames on the
inside and IPv6 on the outside are skipped and counted.  The outputs keep
each interface's link type and precision: the outside output is SLL2
(outgoing, with the input's ifindex), the inside output Ethernet with
the MAC header each packet arrived with (a synthetic one for replies that
came in on SLL2), in nanoseconds; padding is not copied."""
from phgen import (Tcp, Ping, arp_request, ipv6_echo, lldp_frame_payload)

RULES = '../common/pat.conf'
SEED = 1
IFACES = {
    'inside': dict(link='ether', vlan=10, nano=True, pcapng=True, pad=True),
    'outside': dict(link='sll2'),
}

LL_A = b'\xfe\x80' + b'\0' * 13 + b'\x01'
LL_B = b'\xff\x02' + b'\0' * 13 + b'\x01'


def build(s):
    cli = s.host('inside', '10.48.66.106')
    s.send_other('inside', 0x0806, arp_request(cli.mac, cli.ip,
                                               '10.48.66.47'), cli.mac)
    s.send_other('inside', 0x86dd, ipv6_echo(LL_A, LL_B), cli.mac)
    s.send_other('inside', 0x88cc, lldp_frame_payload(), cli.mac)
    t = Tcp(s, cli, 4644, '192.168.201.25', 80)
    t.connect()
    s.send_other('outside', 0x86dd, ipv6_echo(LL_A, LL_B))
    t.send('client', b'x')
    t.send('server', b'y')
    p = Ping(s, cli, '192.168.201.25', 512)
    p.request(1)
    p.reply(1)
    t.close()
