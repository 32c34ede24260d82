"""PAT port exhaustion: one global (the interface address) has 64512 UDP
ports (1024-65535); 64536 UDP flows from one inside host (source ports
1000-65535) take them all and the last 24 are refused with 305006
"portmap translation creation failed".  The output is compared as counts
(DUMP = 'summary'): 64512 distinct mapped source ports."""
from phgen import udp

RULES = 'rules.conf'
SEED = 1
DUMP = 'summary'


def build(s):
    cli = s.host('inside', '10.48.66.106')
    for port in range(1000, 65536):
        cli.send(udp(cli.ip, '192.168.201.25', port, 53, b'q',
                     ipid=cli.next_id()))
