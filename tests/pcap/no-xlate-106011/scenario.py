"""The seed's RADIUS debug: an outside host pings 172.18.124.201, an
address of the global pool with no translation yet: 106011 "Deny inbound
(No xlate) icmp src outside:172.17.194.164 dst outside:172.18.124.201
(type 8, code 0)", twice.  Then the inside host 10.1.1.2 pings out and
gets 172.18.124.201 from the pool (305009); now the conduit lets the
same outside ping in (302020 inbound) and its reply out."""
from phgen import Ping

RULES = '../common/pool.conf'
SEED = 1


def build(s):
    far = s.host('outside', '172.17.194.164')
    p = Ping(s, far, '172.18.124.201', 768)
    p.request(1)
    p.request(2)
    near = s.host('inside', '10.1.1.2')
    q = Ping(s, near, '172.17.194.164', 1)
    q.request(1)
    q.reply(1)
    p.request(3)
    p.reply(3)
