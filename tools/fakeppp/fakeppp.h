/*
 * fakeppp.h - shared definitions of pinhole-fakeppp, the stand-in for pppd
 * used by the PPTP end-to-end tests (tests/e2e/pptp-lib.sh, docs/e2e.md).
 *
 * The program speaks just enough PPP for a PPTP peer to carry real frames
 * over GRE: async HDLC framing (RFC 1662 section 4) on a pty and the LCP
 * packets of RFC 1661 section 5 (Configure-*, Terminate-*, Echo-*,
 * Code-Reject, Protocol-Reject). It never opens a network interface.
 */
#ifndef PH_FAKEPPP_H
#define PH_FAKEPPP_H

#include <stddef.h>
#include <stdint.h>

/* Largest PPP frame (address..information, no FCS) we keep. */
#define FP_FRAME_MAX 2048
/* Worst case of one encoded frame: every byte escaped, FCS, two flags. */
#define FP_WIRE_MAX (2 * (FP_FRAME_MAX + 2) + 2)

#define FP_PROTO_LCP 0xc021

/*
 * Receive side of the HDLC decoder. Feed it bytes; it calls back once per
 * complete frame with the unescaped bytes (FCS removed) and whether the
 * FCS was good.
 */
typedef void (*fp_frame_cb)(void *arg, const uint8_t *frame, size_t len,
			    int fcs_ok);

struct fp_hdlc_rx {
	uint8_t buf[FP_FRAME_MAX + 2];
	size_t len;
	int esc;
	int overflow;
};

/* Fold len bytes into an FCS-16 accumulator (RFC 1662 appendix C). */
uint16_t fp_fcs16(uint16_t fcs, const uint8_t *p, size_t len);

/*
 * Frame len bytes for the wire: flag, escaped bytes and FCS, flag.
 * Returns the encoded length, or 0 if out is too small.
 */
size_t fp_hdlc_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* Feed received bytes to the decoder; cb runs for each complete frame. */
void fp_hdlc_feed(struct fp_hdlc_rx *rx, const uint8_t *p, size_t n,
		  fp_frame_cb cb, void *arg);

/* LCP state: a much reduced RFC 1661 automaton. */
struct fp_lcp {
	uint8_t next_id;   /* id of our next Configure-Request */
	uint8_t req_id;	   /* id of the outstanding Configure-Request */
	uint8_t echo_id;   /* id of our next Echo-Request */
	unsigned int opts; /* FP_OPT_* we still put in our requests */
	uint16_t mru;
	uint32_t local_magic;
	uint32_t peer_magic;
	int our_acked;	 /* peer acked our Configure-Request */
	int peer_acked;	 /* we acked the peer's Configure-Request */
	int opened;	 /* both of the above, at least once */
	int term_rx;	 /* peer sent Terminate-Request */
	int term_ack_rx; /* peer acked our Terminate-Request */
	unsigned long echo_tx, echo_rx, echo_answered;
};

#define FP_OPT_MRU   0x1u
#define FP_OPT_ACCM  0x2u
#define FP_OPT_MAGIC 0x4u

/* Set up an LCP state with the given magic number. */
void fp_lcp_init(struct fp_lcp *lcp, uint32_t magic);

/*
 * Builders: each writes a complete PPP frame (address, control, protocol,
 * LCP packet) into out and returns its length, or 0 if cap is too small.
 */
size_t fp_lcp_confreq(struct fp_lcp *lcp, uint8_t *out, size_t cap);
size_t fp_lcp_echoreq(struct fp_lcp *lcp, uint8_t *out, size_t cap);
size_t fp_lcp_termreq(struct fp_lcp *lcp, uint8_t *out, size_t cap);
size_t fp_lcp_protrej(struct fp_lcp *lcp, uint16_t proto, const uint8_t *info,
		      size_t len, uint8_t *out, size_t cap);

/*
 * Handle one received LCP packet (information field of a PPP frame with
 * protocol 0xc021). Writes the PPP frame to answer with into out and
 * returns its length, or 0 when there is nothing to answer.
 */
size_t fp_lcp_input(struct fp_lcp *lcp, const uint8_t *pkt, size_t len,
		    uint8_t *out, size_t cap);

/*
 * Describe a PPP frame for the frame log: "LCP Configure-Request id=1
 * len=18 mru=1500 magic=0x..." or "proto=0x0021 len=40".
 */
void fp_ppp_describe(const uint8_t *frame, size_t len, char *buf, size_t cap);

/*
 * Split a PPP frame into protocol and information field, accepting
 * compressed address/control and protocol fields. Returns 0 or -1.
 */
int fp_ppp_split(const uint8_t *frame, size_t len, uint16_t *proto,
		 const uint8_t **info, size_t *info_len);

#endif /* PH_FAKEPPP_H */
