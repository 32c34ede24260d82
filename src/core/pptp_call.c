/*
 * core/pptp_call.c - PPTP control connection and call state machines.
 *
 * RFC 2637 §3.1 (control connection: SCCRQ/SCCRP, StopCCRQ/StopCCRP,
 * collisions), §3.2 (calls: OCRQ/OCRP, ICRQ/ICRP/ICCN, CCRQ/CDN), and
 * reference pptp-pix-linux.md §1.5/§2.8 for which IDs each message
 * carries.  Orientation (I/O), rewrite rule and ops: see pptp_call.h.
 *
 * Fail-closed rules (docs/pptp.md): any message not allowed in the current
 * state, a reply or ICCN that matches no call, and a call ID an endpoint
 * reuses while its call is alive are state errors, and the stream fails
 * the whole control connection.  A reply or ICCN that crosses the PNS's
 * CCRQ on the wire is not an error: the call stays down and its CDN
 * follows.  CCRQ, CDN, WEN and SLI that name no known
 * call are harmless (they open nothing and name an ID nobody else owns on
 * this control connection): they pass, counted.  So do those four after a
 * StopCCRQ, when a peer may not yet have seen the stop ("late").
 */
#include <string.h>

#include "core/cursor.h"
#include "core/pptp_call.h"

static const char *const ctl_state_names[PH_PPTP_CTL_MAX] = {
#define PH_PPTP_CTL_NAME(id, name) [PH_PPTP_CTL_##id] = name,
	PH_PPTP_CTL_STATES(PH_PPTP_CTL_NAME)
#undef PH_PPTP_CTL_NAME
};

static const char *const call_state_names[PH_PPTP_CALL_STATE_MAX] = {
#define PH_PPTP_CALL_NAME(id, name) [PH_PPTP_CALL_##id] = name,
	PH_PPTP_CALL_STATES(PH_PPTP_CALL_NAME)
#undef PH_PPTP_CALL_NAME
};

static const char *const end_names[PH_PPTP_END_MAX] = {
#define PH_PPTP_END_NAME(id, name) [PH_PPTP_END_##id] = name,
	PH_PPTP_ENDS(PH_PPTP_END_NAME)
#undef PH_PPTP_END_NAME
};

const char *
ph_pptp_ctl_state_name(unsigned st)
{
	return st < PH_PPTP_CTL_MAX ? ctl_state_names[st] : "?";
}

const char *
ph_pptp_call_state_name(unsigned st)
{
	return st < PH_PPTP_CALL_STATE_MAX ? call_state_names[st] : "?";
}

const char *
ph_pptp_end_name(unsigned why)
{
	return why < PH_PPTP_END_MAX ? end_names[why] : "?";
}

void
ph_pptp_ctl_init(struct ph_pptp_ctl *ctl, struct ph_pptp_call *calls,
		 uint16_t max_calls, const struct ph_pptp_ops *ops, void *arg,
		 struct ph_pptp_stats *stats)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->ops = ops;
	ctl->arg = arg;
	ctl->calls = calls;
	ctl->max_calls = max_calls;
	ctl->stats = stats;
	ctl->state = PH_PPTP_CTL_IDLE;
	ctl->pns_dir = -1;
}

static bool
identity(const struct ph_pptp_ctl *ctl)
{
	return ctl->ops == NULL || ctl->ops->alloc_id == NULL;
}

#define DIRBIT(d) (1u << (d))

/* --- call table ----------------------------------------------------- */

/* Live call whose ID allocated by side `side` equals v (xl: use xl_id). */
static struct ph_pptp_call *
call_find(const struct ph_pptp_ctl *ctl, int side, bool xl, uint16_t v)
{
	struct ph_pptp_call *c;
	uint16_t i;

	for (i = 0; i < ctl->max_calls; i++) {
		c = &ctl->calls[i];
		if (c->state == PH_PPTP_CALL_FREE)
			continue;
		if (side == PH_PPTP_DIR_I) {
			if ((c->flags & PH_PPTP_CALL_HAVE_IN) &&
			    (xl ? c->xl_id : c->in_id) == v)
				return c;
		} else if ((c->flags & PH_PPTP_CALL_HAVE_OUT) &&
			   c->out_id == v) {
			return c;
		}
	}
	return NULL;
}

/*
 * The call a message names by an ID that side `side` allocated, as that ID
 * appears on the wire in a message from `dir`: I's IDs are in_id when I
 * sends them and xl_id when O does.
 */
static struct ph_pptp_call *
call_by_wire(const struct ph_pptp_ctl *ctl, int dir, int side, uint16_t v)
{
	return call_find(ctl, side, side == PH_PPTP_DIR_I && dir != side, v);
}

static void
call_remove(struct ph_pptp_ctl *ctl, struct ph_pptp_call *c,
	    enum ph_pptp_end why)
{
	const struct ph_pptp_ops *ops = ctl->ops;

	if (c->state == PH_PPTP_CALL_UP && ops != NULL &&
	    ops->call_down != NULL)
		ops->call_down(ctl->arg, c, why);
	if ((c->flags & PH_PPTP_CALL_XL_OWNED) && ops != NULL &&
	    ops->free_id != NULL)
		ops->free_id(ctl->arg, c->xl_id);
	memset(c, 0, sizeof(*c));
	ctl->ncalls--;
}

static void
call_set_up(struct ph_pptp_ctl *ctl, struct ph_pptp_call *c)
{
	c->state = PH_PPTP_CALL_UP;
	ctl->stats->calls_up++;
	if (ctl->ops != NULL && ctl->ops->call_up != NULL)
		ctl->ops->call_up(ctl->arg, c);
}

/* Give back the reservation of dir's message if it was not consumed. */
static void
pend_release(struct ph_pptp_ctl *ctl, int dir)
{
	if (ctl->pend[dir].have_x && ctl->ops != NULL &&
	    ctl->ops->free_id != NULL)
		ctl->ops->free_id(ctl->arg, ctl->pend[dir].x);
	memset(&ctl->pend[dir], 0, sizeof(ctl->pend[dir]));
}

/* Record the ID I or O announces for itself in a request or reply. */
static void
call_set_own(struct ph_pptp_ctl *ctl, struct ph_pptp_call *c, int dir,
	     uint16_t id)
{
	if (dir == PH_PPTP_DIR_I) {
		c->in_id = id;
		c->xl_id = id;
		c->flags |= PH_PPTP_CALL_HAVE_IN;
		if (ctl->pend[dir].have_x) {
			c->xl_id = ctl->pend[dir].x;
			c->flags |= PH_PPTP_CALL_XL_OWNED;
			ctl->pend[dir].have_x = false;
		}
	} else {
		c->out_id = id;
		c->flags |= PH_PPTP_CALL_HAVE_OUT;
	}
}

void
ph_pptp_ctl_teardown(struct ph_pptp_ctl *ctl, enum ph_pptp_end why)
{
	uint16_t i;

	for (i = 0; i < ctl->max_calls; i++)
		if (ctl->calls[i].state != PH_PPTP_CALL_FREE)
			call_remove(ctl, &ctl->calls[i], why);
	pend_release(ctl, PH_PPTP_DIR_I);
	pend_release(ctl, PH_PPTP_DIR_O);
}

void
ph_pptp_ctl_uninspect(struct ph_pptp_ctl *ctl, uint16_t version)
{
	ph_pptp_ctl_teardown(ctl, PH_PPTP_END_ERROR);
	ctl->version = version;
	ctl->state = PH_PPTP_CTL_UNINSPECTED;
}

void
ph_pptp_ctl_fail(struct ph_pptp_ctl *ctl)
{
	ph_pptp_ctl_teardown(ctl, PH_PPTP_END_ERROR);
	ctl->state = PH_PPTP_CTL_DEAD;
}

/* --- state checks --------------------------------------------------- */

static enum ph_reason
precheck_ctl(const struct ph_pptp_ctl *ctl, int dir, unsigned type)
{
	unsigned me = DIRBIT(dir), peer = DIRBIT(!dir);
	bool ok = false;

	switch (type) {
	case PH_PPTP_SCCRQ: /* a second one from the other side: collision */
		ok = ctl->state == PH_PPTP_CTL_IDLE ||
		     (ctl->state == PH_PPTP_CTL_WAIT_SCCRP &&
		      !(ctl->sccrq & me));
		break;
	case PH_PPTP_SCCRP:
		ok = ctl->state == PH_PPTP_CTL_WAIT_SCCRP &&
		     (ctl->sccrq & peer);
		break;
	case PH_PPTP_STOPCCRQ:
		ok = ctl->state == PH_PPTP_CTL_WAIT_SCCRP ||
		     ctl->state == PH_PPTP_CTL_ESTABLISHED ||
		     (ctl->state == PH_PPTP_CTL_STOPPING &&
		      !(ctl->stopped & me));
		break;
	case PH_PPTP_STOPCCRP:
		ok = ctl->state == PH_PPTP_CTL_STOPPING &&
		     (ctl->stopped & peer);
		break;
	}
	return ok ? PH_R_NONE : PH_R_PPTP_STATE;
}

static bool
role_ok(const struct ph_pptp_ctl *ctl, int dir,
	const struct ph_pptp_msg_info *mi)
{
	if (ctl->pns_dir < 0 || mi->sender == PH_PPTP_BY_EITHER)
		return true;
	return (mi->sender == PH_PPTP_BY_PNS) == (dir == ctl->pns_dir);
}

enum ph_reason
ph_pptp_ctl_precheck(const struct ph_pptp_ctl *ctl, int dir, unsigned type)
{
	const struct ph_pptp_msg_info *mi = ph_pptp_msg_info(type);

	if (mi == NULL)
		return PH_R_PPTP_MALFORMED;
	if (ctl->state == PH_PPTP_CTL_DEAD ||
	    ctl->state == PH_PPTP_CTL_UNINSPECTED)
		return PH_R_PPTP_STATE;
	switch (mi->op) {
	case PH_PPTP_OP_ECHO:
		return PH_R_NONE;
	case PH_PPTP_OP_CTL:
		return precheck_ctl(ctl, dir, type);
	}
	if (!role_ok(ctl, dir, mi))
		return PH_R_PPTP_STATE;
	if (ctl->state == PH_PPTP_CTL_ESTABLISHED)
		return PH_R_NONE;
	if ((ctl->state == PH_PPTP_CTL_STOPPING ||
	     ctl->state == PH_PPTP_CTL_CLOSED) &&
	    (mi->op == PH_PPTP_OP_CLEAR || mi->op == PH_PPTP_OP_DISC ||
	     mi->op == PH_PPTP_OP_INFO))
		return PH_R_NONE; /* late: passes, counted */
	return PH_R_PPTP_STATE;
}

/* --- rewrite decisions ---------------------------------------------- */

enum ph_pptp_plan
ph_pptp_ctl_plan(const struct ph_pptp_ctl *ctl, int dir, unsigned type,
		 int field)
{
	const struct ph_pptp_msg_info *mi = ph_pptp_msg_info(type);
	unsigned role;

	if (mi == NULL || identity(ctl))
		return PH_PPTP_PLAN_NONE;
	role = field == 0 ? mi->id12 : mi->id14;
	if (dir == PH_PPTP_DIR_I && role == PH_PPTP_ID_OWN)
		return mi->op == PH_PPTP_OP_REQUEST ||
				       mi->op == PH_PPTP_OP_REPLY
			       ? PH_PPTP_PLAN_ALLOC
			       : PH_PPTP_PLAN_LOOKUP;
	if (dir == PH_PPTP_DIR_O && role == PH_PPTP_ID_PEER)
		return PH_PPTP_PLAN_LOOKUP;
	return PH_PPTP_PLAN_NONE;
}

enum ph_reason
ph_pptp_ctl_reserve(struct ph_pptp_ctl *ctl, int dir, unsigned type)
{
	const struct ph_pptp_msg_info *mi = ph_pptp_msg_info(type);
	bool slot, alloc;
	uint16_t x;
	unsigned busy;

	if (mi == NULL)
		return PH_R_PPTP_MALFORMED;
	slot = mi->op == PH_PPTP_OP_REQUEST;
	alloc = ph_pptp_ctl_plan(ctl, dir, type, 0) == PH_PPTP_PLAN_ALLOC;
	busy = ctl->ncalls + ctl->pend[0].slot + ctl->pend[1].slot;
	if (slot && busy >= ctl->max_calls) {
		ctl->stats->call_limit++;
		return PH_R_PPTP_CALL_LIMIT;
	}
	if (alloc) {
		if (ctl->ops->alloc_id(ctl->arg, &x) != 0) {
			ctl->stats->exhausted++;
			return PH_R_PPTP_CALLID_EXHAUSTED;
		}
		if (call_find(ctl, PH_PPTP_DIR_I, true, x) != NULL ||
		    (ctl->pend[!dir].have_x && ctl->pend[!dir].x == x)) {
			/* the owner broke its contract: refuse, don't clash */
			if (ctl->ops->free_id != NULL)
				ctl->ops->free_id(ctl->arg, x);
			ctl->stats->exhausted++;
			return PH_R_PPTP_CALLID_EXHAUSTED;
		}
		ctl->pend[dir].have_x = true;
		ctl->pend[dir].x = x;
	}
	ctl->pend[dir].slot = slot;
	return PH_R_NONE;
}

uint16_t
ph_pptp_ctl_pending_id(const struct ph_pptp_ctl *ctl, int dir)
{
	return ctl->pend[dir].x;
}

bool
ph_pptp_ctl_translate(const struct ph_pptp_ctl *ctl, int dir, uint16_t v,
		      uint16_t *out)
{
	const struct ph_pptp_call *c;

	*out = v;
	c = call_find(ctl, PH_PPTP_DIR_I, dir == PH_PPTP_DIR_O, v);
	if (c == NULL)
		return false;
	*out = dir == PH_PPTP_DIR_I ? c->xl_id : c->in_id;
	return true;
}

/* --- commit: one complete message ----------------------------------- */

static enum ph_reason
commit_ctl(struct ph_pptp_ctl *ctl, int dir, unsigned type, const uint8_t *msg)
{
	switch (type) {
	case PH_PPTP_SCCRQ:
		ctl->version = ph_get_be16(msg + PH_PPTP_OFF_VERSION);
		ctl->sccrq |= DIRBIT(dir);
		ctl->state = PH_PPTP_CTL_WAIT_SCCRP;
		break;
	case PH_PPTP_SCCRP: /* Result Code @14: 1 = success */
		if (msg[14] == 1) {
			ctl->state = PH_PPTP_CTL_ESTABLISHED;
		} else {
			ctl->state = PH_PPTP_CTL_IDLE;
			ctl->sccrq = 0;
		}
		break;
	case PH_PPTP_STOPCCRQ:
		ph_pptp_ctl_teardown(ctl, PH_PPTP_END_STOP);
		ctl->stopped |= DIRBIT(dir);
		ctl->state = PH_PPTP_CTL_STOPPING;
		break;
	case PH_PPTP_STOPCCRP:
		ctl->state = PH_PPTP_CTL_CLOSED;
		break;
	}
	return PH_R_NONE;
}

static struct ph_pptp_call *
call_slot(struct ph_pptp_ctl *ctl)
{
	uint16_t i;

	for (i = 0; i < ctl->max_calls; i++)
		if (ctl->calls[i].state == PH_PPTP_CALL_FREE)
			return &ctl->calls[i];
	return NULL;
}

/* OCRQ, ICRQ: a new call with the sender's own ID @12. */
static enum ph_reason
commit_request(struct ph_pptp_ctl *ctl, int dir, unsigned type,
	       const uint8_t *msg)
{
	uint16_t id = ph_get_be16(msg + 12);
	struct ph_pptp_call *c;

	if (call_find(ctl, dir, false, id) != NULL)
		return PH_R_PPTP_STATE; /* ID reused while its call lives */
	if (!ctl->pend[dir].slot &&
	    ctl->ncalls + ctl->pend[!dir].slot >= ctl->max_calls)
		return PH_R_PPTP_STATE; /* no reserve(): caller bug */
	c = call_slot(ctl);
	if (c == NULL)
		return PH_R_PPTP_STATE;
	ctl->pend[dir].slot = false;
	c->kind = type == PH_PPTP_OCRQ ? PH_PPTP_CALL_OUTGOING
				       : PH_PPTP_CALL_INCOMING;
	c->origin = (uint8_t)dir;
	c->state = PH_PPTP_CALL_WAIT_REPLY;
	call_set_own(ctl, c, dir, id);
	ctl->ncalls++;
	ctl->stats->calls++;
	return PH_R_NONE;
}

/* OCRP, ICRP: own ID @12, requester's ID @14, Result Code @16. */
static enum ph_reason
commit_reply(struct ph_pptp_ctl *ctl, int dir, unsigned type,
	     const uint8_t *msg)
{
	uint16_t own = ph_get_be16(msg + 12), peer = ph_get_be16(msg + 14);
	uint8_t kind = type == PH_PPTP_OCRP ? PH_PPTP_CALL_OUTGOING
					    : PH_PPTP_CALL_INCOMING;
	struct ph_pptp_call *c;

	c = call_by_wire(ctl, dir, !dir, peer);
	if (c == NULL || c->kind != kind || c->origin != !dir ||
	    (c->state != PH_PPTP_CALL_WAIT_REPLY &&
	     c->state != PH_PPTP_CALL_CLEARING) ||
	    (c->flags & (dir == PH_PPTP_DIR_I ? PH_PPTP_CALL_HAVE_IN
					      : PH_PPTP_CALL_HAVE_OUT)))
		return PH_R_PPTP_STATE; /* reply to no request */
	if (call_find(ctl, dir, false, own) != NULL)
		return PH_R_PPTP_STATE;
	call_set_own(ctl, c, dir, own);
	if (msg[16] != 1) { /* not Connected / Connect: the call is over */
		call_remove(ctl, c, PH_PPTP_END_CDN);
		return PH_R_NONE;
	}
	if (c->state == PH_PPTP_CALL_CLEARING)
		return PH_R_NONE; /* crossed a CCRQ: stays down, CDN follows */
	if (type == PH_PPTP_OCRP)
		call_set_up(ctl, c);
	else
		c->state = PH_PPTP_CALL_WAIT_CONNECT;
	return PH_R_NONE;
}

/* ICCN: the PNS's ID @12. */
static enum ph_reason
commit_connect(struct ph_pptp_ctl *ctl, int dir, const uint8_t *msg)
{
	struct ph_pptp_call *c;

	c = call_by_wire(ctl, dir, !dir, ph_get_be16(msg + 12));
	if (c == NULL || c->kind != PH_PPTP_CALL_INCOMING || c->origin != dir)
		return PH_R_PPTP_STATE;
	if (c->state == PH_PPTP_CALL_CLEARING &&
	    (c->flags & PH_PPTP_CALL_HAVE_IN) &&
	    (c->flags & PH_PPTP_CALL_HAVE_OUT))
		return PH_R_NONE; /* crossed a CCRQ: stays down */
	if (c->state != PH_PPTP_CALL_WAIT_CONNECT)
		return PH_R_PPTP_STATE;
	call_set_up(ctl, c);
	return PH_R_NONE;
}

/* CCRQ, CDN (sender's own ID @12), WEN, SLI (receiver's ID @12). */
static enum ph_reason
commit_named(struct ph_pptp_ctl *ctl, int dir,
	     const struct ph_pptp_msg_info *mi, const uint8_t *msg)
{
	int side = mi->id12 == PH_PPTP_ID_OWN ? dir : !dir;
	struct ph_pptp_call *c;

	if (ctl->state != PH_PPTP_CTL_ESTABLISHED) {
		ctl->stats->late++;
		return PH_R_NONE;
	}
	c = call_by_wire(ctl, dir, side, ph_get_be16(msg + 12));
	if (c == NULL) {
		ctl->stats->unknown_call++;
		return PH_R_NONE;
	}
	if (mi->op == PH_PPTP_OP_DISC) {
		call_remove(ctl, c, PH_PPTP_END_CDN);
	} else if (mi->op == PH_PPTP_OP_CLEAR) {
		if (c->state == PH_PPTP_CALL_UP && ctl->ops != NULL &&
		    ctl->ops->call_down != NULL)
			ctl->ops->call_down(ctl->arg, c, PH_PPTP_END_CCRQ);
		c->state = PH_PPTP_CALL_CLEARING;
	}
	return PH_R_NONE;
}

enum ph_reason
ph_pptp_ctl_commit(struct ph_pptp_ctl *ctl, int dir, const uint8_t *msg,
		   size_t len)
{
	const struct ph_pptp_msg_info *mi;
	enum ph_reason r;

	if (len < PH_PPTP_MIN_MSG)
		return PH_R_PPTP_MALFORMED;
	mi = ph_pptp_msg_info(ph_get_be16(msg + 8));
	if (mi == NULL || len != mi->size)
		return PH_R_PPTP_MALFORMED;
	r = ph_pptp_ctl_precheck(ctl, dir, mi->type);
	if (r != PH_R_NONE)
		return r;
	switch (mi->op) {
	case PH_PPTP_OP_CTL:
		r = commit_ctl(ctl, dir, mi->type, msg);
		break;
	case PH_PPTP_OP_ECHO:
		break;
	case PH_PPTP_OP_REQUEST:
		r = commit_request(ctl, dir, mi->type, msg);
		break;
	case PH_PPTP_OP_REPLY:
		r = commit_reply(ctl, dir, mi->type, msg);
		break;
	case PH_PPTP_OP_CONNECT:
		r = commit_connect(ctl, dir, msg);
		break;
	default:
		r = commit_named(ctl, dir, mi, msg);
		break;
	}
	if (r == PH_R_NONE && mi->sender != PH_PPTP_BY_EITHER &&
	    ctl->pns_dir < 0)
		ctl->pns_dir =
			(int8_t)(mi->sender == PH_PPTP_BY_PNS ? dir : !dir);
	pend_release(ctl, dir);
	return r;
}
