"""The seed's debug trace: the inside PPTP client 10.48.66.106 (static
192.168.201.5) opens TCP 4644 -> 192.168.201.25:1723 (302013 outbound ...
to inside:10.48.66.106/4644 (192.168.201.5/4644)) and runs the control
conversation; no fixup, no ACL: the server's first GRE packets to
192.168.201.5 are denied with 106010 "Deny inbound protocol 47 src
outside:192.168.201.25 dst inside:192.168.201.5", twice.  The client's
own GRE goes out through the static (302017), but with no fixup the
server's GRE is still not return traffic: as on PIX 6.2 it needs an ACL
or conduit line, so it is denied with 106010 a third time."""
from phgen import Tcp, Pptp, gre

RULES = 'rules.conf'
SEED = 1


def build(s):
    cli = s.host('inside', '10.48.66.106')
    t = Tcp(s, cli, 4644, '192.168.201.25', 1723)
    t.connect()
    p = Pptp(t)
    p.start()
    c = p.call(1, 32768)
    srv = s.host('outside', '192.168.201.25')
    for seq in (1, 2):
        srv.send(gre(srv.ip, '192.168.201.5', 1, b'\xff\x03\xc0\x21\x01',
                     seq=seq, ipid=srv.next_id()))
    c.gre('client')
    c.seq['server'] = 2
    c.gre('server')
