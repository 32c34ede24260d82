"""GRE spoofed from another source: a call is up between 10.48.66.106
(PAT on the global address 209.165.201.10) and the server 192.168.201.25;
a GRE packet with the call's key, addressed to the PAT address, arrives
from 192.168.201.99: it is refused, while the server's own GRE before and
after it goes through."""
from phgen import Tcp, Pptp, gre

RULES = '../common/pat-pptp-addr.conf'
SEED = 1


def build(s):
    t = Tcp(s, s.host('inside', '10.48.66.106'), 4644, '192.168.201.25',
            1723)
    t.connect()
    p = Pptp(t)
    p.start()
    c = p.call(1, 600)
    if c is None:
        return
    c.gre('server')
    spoof = s.host('outside', '192.168.201.99')
    spoof.send(gre(spoof.ip, t.server.remote[0], c.pns_id_at_pac,
                   b'\xff\x03\xc0\x21\x09', seq=1, ipid=spoof.next_id()))
    c.gre('server')
    c.gre('client')
    p.clear(c)
    p.stop()
    t.close()
