"""ICMP errors through PAT: the server answers a UDP query with port
unreachable and a router on the way answers a TCP SYN with time exceeded,
each quoting the packet as it left the gateway (translated source).  The
gateway must deliver both errors to the inside client with the quoted
header translated back to the client's real address and port, and the
outer and quoted checksums consistent."""
from phgen import Tcp, Udp, icmp_error_for, ICMP_UNREACH, ICMP_TIMXCEED

RULES = '../common/pat.conf'
SEED = 1


def build(s):
    cli = s.host('inside', '10.48.66.106')
    u = Udp(s, cli, 1025, '192.168.201.25', 53)
    q = u.send('client', b'query')
    icmp_error_for(s, q, ICMP_UNREACH, 3)
    t = Tcp(s, cli, 4644, '192.168.201.25', 80)
    syn = t.syn()
    icmp_error_for(s, syn, ICMP_TIMXCEED, 0, from_ip='209.165.201.2')
