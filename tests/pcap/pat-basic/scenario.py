"""Inside client through PAT on the outside interface (the seed's client
inside, server outside): a TCP connection to port 1723 carrying an SCCRQ
and its SCCRP (no fixup here: plain TCP data) and a FIN close, a UDP exchange and an ICMP echo.  Expect 305011 (PAT
translation) and 302013/302015/302020 (built) lines, 302014 with TCP FINs;
every reply comes back to the real client address and port."""
from phgen import Tcp, Udp, Ping, Pptp

RULES = '../common/pat.conf'
SEED = 1


def build(s):
    cli = s.host('inside', '10.48.66.106')
    t = Tcp(s, cli, 4644, '192.168.201.25', 1723)
    t.connect()
    Pptp(t).start()
    u = Udp(s, cli, 1025, '192.168.201.25', 53)
    u.send('client', b'query')
    u.send('server', b'answer')
    p = Ping(s, cli, '192.168.201.25', 512)
    p.request(1)
    p.reply(1)
    t.close()
