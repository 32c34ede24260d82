"""Three PPTP clients behind one PAT address (the outside interface), all
from source port 4644 and all using call ID 1, to one server: every OCRQ
leaves with a distinct translated call ID, every OCRP comes back with its
client's call ID (1) restored, and GRE flows both ways for each call with
the right key and address.  Then each call is cleared (CCRQ/CDN), each
control connection stopped and closed."""
from phgen import Tcp, Pptp

RULES = '../common/pat-pptp.conf'
SEED = 1


def build(s):
    sessions = []
    for n in (106, 107, 108):
        t = Tcp(s, s.host('inside', '10.48.66.%d' % n), 4644,
                '192.168.201.25', 1723)
        t.connect()
        p = Pptp(t)
        p.start()
        sessions.append(p)
    calls = [p.call(1, 100 + i) for i, p in enumerate(sessions)]
    for _ in range(2):
        for c in calls:
            if c is not None:
                c.gre('client')
                c.gre('server')
    for p, c in zip(sessions, calls):
        if c is not None:
            p.clear(c)
        p.stop()
        p.tcp.close()
