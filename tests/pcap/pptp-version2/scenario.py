"""A control connection that announces PPTP version 2 (0x0200) in its
SCCRQ: only version 1 is inspected (PIX 6.3 fixup), so inspection stops
for this connection (902001) and the OCRQ that follows is not rewritten
and opens no GRE: the server's GRE is denied."""
from phgen import Tcp, Pptp

RULES = '../common/pat-pptp.conf'
SEED = 1


def build(s):
    t = Tcp(s, s.host('inside', '10.48.66.106'), 4644, '192.168.201.25',
            1723)
    t.connect()
    p = Pptp(t)
    p.start(version=0x0200)
    c = p.call_request(1)
    if p.call_reply(c, 400):
        c.gre('client')
        c.gre('server')
    t.close()
