"""A tiny global: the pool 172.18.124.201-172.18.124.202 (dynamic NAT, no
PAT) and three inside hosts.  The first two get an address each (305009
Built dynamic translation); the third is refused with 305006 "regular
translation creation failed".  A second connection of the first host
reuses its translation."""
from phgen import Tcp

RULES = '../common/pool.conf'
SEED = 1


def build(s):
    for host in ('10.1.1.2', '10.1.1.3', '10.1.1.4'):
        Tcp(s, s.host('inside', host), 1025, '172.17.194.164', 80).connect()
    Tcp(s, s.host('inside', '10.1.1.2'), 1026, '172.17.194.164',
        80).connect()
