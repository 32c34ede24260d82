"""PAT port exhaustion: one global (the interface address) has 64512 UDP
ports in the range that source ports >= 1024 map to (1024-65535; PIX keeps
ports below 1024 in their own ranges).  One inside host takes them all
with 64512 flows from source ports 1024-65535; 24 more flows from a
second host find none and are refused with 305006 "portmap translation
creation failed".  Only errors are logged; the output is compared as
counts (DUMP = 'summary'): 64512 distinct mapped source ports."""
from phgen import udp

RULES = 'rules.conf'
SEED = 1
DUMP = 'summary'


def build(s):
    for host, ports in (('10.48.66.106', range(1024, 65536)),
                        ('10.48.66.107', range(1024, 1048))):
        cli = s.host('inside', host)
        for port in ports:
            cli.send(udp(cli.ip, '192.168.201.25', port, 53, b'q',
                         ipid=cli.next_id()))
