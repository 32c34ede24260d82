"""Static plus ACL inbound (seed: client outside, server inside): the
outside client 192.168.201.25 opens TCP 1723 to the static address
192.168.201.5 (302013 inbound, delivered to 10.48.66.106), exchanges
SCCRQ/SCCRP (no fixup: plain data) and sends GRE,
which the ACL permits and the static translates; the server's GRE goes out
through the static.  Denied: TCP to port 80 of the static address and GRE
from another outside host (106023 by access-group "acl-out")."""
from phgen import Tcp, Pptp, gre

RULES = 'rules.conf'
SEED = 1


def build(s):
    cli = s.host('outside', '192.168.201.25')
    t = Tcp(s, cli, 1030, '192.168.201.5', 1723)
    t.connect()
    Pptp(t).start()
    g = cli.send(gre(cli.ip, '192.168.201.5', 7, b'\xff\x03\xc0\x21\x01',
                     seq=1, ipid=cli.next_id()))
    d = s.delivered(g)
    if d is not None:
        srv = s.host(d.iface, d.dst)
        srv.send(gre(srv.ip, d.src, 9, b'\xff\x03\xc0\x21\x02', seq=1,
                     ack=1, ipid=srv.next_id()))
    Tcp(s, cli, 1031, '192.168.201.5', 80).syn()
    other = s.host('outside', '192.168.201.26')
    other.send(gre(other.ip, '192.168.201.5', 7, b'\xff\x03', seq=1,
                   ipid=other.next_id()))
    t.close()
