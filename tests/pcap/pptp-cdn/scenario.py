"""A call ended by the server's Call-Disconnect-Notify: GRE works both
ways while the call is up; after the CDN, the server's GRE for that call
is denied (no call) and so is the client's."""
from phgen import Tcp, Pptp

RULES = '../common/pat-pptp.conf'
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
