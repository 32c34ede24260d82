"""PPTP control messages split across TCP segments, and several messages
per segment, through PAT:
  - the SCCRQ comes in three segments (cut at offsets 5 and 100);
  - the OCRQ is cut at offset 13, inside its Call ID field (bytes 12-13),
    so the engine must hold the first segment to rewrite the ID;
  - the OCRP comes back cut at offset 15, inside its Peer's Call ID
    (bytes 14-15);
  - a Set-Link-Info and the start of a second OCRQ share one segment, the
    rest of that OCRQ (its Call ID split again) follows.
Every message must arrive whole and rewritten; GRE for both calls works."""
from phgen import Tcp, Pptp, pptp_msg

RULES = '../common/pat-pptp.conf'
SEED = 1


def build(s):
    t = Tcp(s, s.host('inside', '10.48.66.106'), 4644, '192.168.201.25',
            1723)
    t.connect()
    p = Pptp(t)
    p.start(split=[5, 100])
    c1 = p.call_request(1, split=[13])
    if not p.call_reply(c1, 300, split=[15]):
        return
    c1.gre('client')
    c1.gre('server')
    sli = pptp_msg('SLI', peer_call_id=c1.pac_id_at_pns)
    c2 = p.call_request(2, before=[sli], split=[len(sli) + 13])
    if not p.call_reply(c2, 301):
        return
    c2.gre('client')
    c2.gre('server')
    p.send('server', [pptp_msg('ECHORQ', ident=7)])
    p.send('client', [pptp_msg('ECHORP', ident=7)])
    p.clear(c1)
    p.clear(c2)
    p.stop()
    t.close()
