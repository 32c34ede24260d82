"""A call ended by the server's Call-Disconnect-Notify, through PAT on the
global address 209.165.201.10: GRE works both ways while the call is up;
after the CDN the call is gone, so the server's GRE with that key is
refused.  (The client's GRE after the CDN is plain outbound GRE, which
PAT admits for one host per global address, as PIX does.)"""
from phgen import Tcp, Pptp

RULES = '../common/pat-pptp-addr.conf'
SEED = 1


def build(s):
    t = Tcp(s, s.host('inside', '10.48.66.106'), 4644, '192.168.201.25',
            1723)
    t.connect()
    p = Pptp(t)
    p.start()
    c = p.call(1, 500)
    if c is None:
        return
    c.gre('client')
    c.gre('server')
    p.disconnect(c)
    s.wait(1)
    c.gre('server')
    c.gre('client')
    p.stop()
    t.close()
