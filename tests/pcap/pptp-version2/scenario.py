"""A control connection that announces PPTP version 2 (0x0200) in its
SCCRQ: only version 1 is inspected (PIX 6.3 fixup), so inspection stops
for this connection (902001) and the OCRQ that follows is neither
rewritten nor registered: the server's first GRE, which no call expects,
is refused.  The client's own GRE then leaves as plain GRE through PAT
(one host per global address, as PIX without the fixup), and the server's
GRE after it is its return traffic.  PAT is on a global address of its
own, so the refused GRE is not taken for the gateway itself."""
from phgen import Tcp, Pptp, gre

RULES = '../common/pat-pptp-addr.conf'
SEED = 1


def build(s):
    t = Tcp(s, s.host('inside', '10.48.66.106'), 4644, '192.168.201.25',
            1723)
    t.connect()
    p = Pptp(t)
    p.start(version=0x0200)
    c = p.call_request(1)
    if p.call_reply(c, 400):
        srv = t.server.host
        srv.send(gre(srv.ip, t.server.remote[0], c.pns_id_at_pac,
                     b'\xff\x03\xc0\x21\x01', seq=1, ipid=srv.next_id()))
        c.gre('client')
        c.seq['server'] = 1
        c.gre('server')
    t.close()
