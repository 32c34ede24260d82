"""Two calls on one control connection through PAT: OCRQ call 1 and OCRQ
call 2 on the same TCP connection get distinct translated IDs; GRE for
both calls flows both ways; Set-Link-Info for each; call 1 is cleared and
call 2 keeps working; then call 2 is cleared and the control connection
stopped."""
from phgen import Tcp, Pptp

RULES = '../common/pat-pptp.conf'
SEED = 1


def build(s):
    t = Tcp(s, s.host('inside', '10.48.66.106'), 4644, '192.168.201.25',
            1723)
    t.connect()
    p = Pptp(t)
    p.start()
    c1 = p.call(1, 200)
    c2 = p.call(2, 201)
    if c1 is None or c2 is None:    # a call was refused: the golden shows it
        return
    for c in (c1, c2):
        c.gre('client')
        c.gre('server')
        p.set_link_info(c)
    p.clear(c1)
    c2.gre('client')
    c2.gre('server')
    p.clear(c2)
    p.stop()
    t.close()
