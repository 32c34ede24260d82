"""Link layers II: the inside capture is raw IPv4 (LINKTYPE_RAW), the
outside one Linux cooked v1 (SLL), and the DMZ has no input at all: its
output is raw IPv4 (and microsecond, as every input).  An IPv6 packet in
the raw capture is skipped and counted.  Traffic: TCP and ICMP through PAT
to the outside, one-way UDP to a DMZ host."""
from phgen import Tcp, Ping, Udp, ipv6_echo

RULES = 'rules.conf'
SEED = 1
IFACES = {
    'inside': dict(link='raw'),
    'outside': dict(link='sll'),
    'dmz': dict(link='raw', input=False),
}


def build(s):
    cli = s.host('inside', '10.48.66.106')
    s.send_other('inside', 0x86dd, ipv6_echo(b'\xfe\x80' + b'\0' * 14,
                                             b'\xff\x02' + b'\0' * 14))
    t = Tcp(s, cli, 4644, '192.168.201.25', 80)
    t.connect()
    t.send('client', b'over sll')
    p = Ping(s, cli, '192.168.201.25', 512)
    p.request(1)
    p.reply(1)
    u = Udp(s, cli, 1025, '172.16.1.20', 514)
    u.send('client', b'<134>one-way syslog')
    t.close()
