#!/usr/bin/env bash
# tests/e2e/run-dataplane.sh BUILDDIR - end-to-end test of the data plane
# (daemon/nft.c, daemon/nfq.c, daemon/netdev.c) with pinhole-nfq-null in a
# client / gateway / server topology of network namespaces (tests/e2e/lib.sh).
#
# Checks:
#   1. the table appears, ICMP / UDP / TCP (8 MiB) pass through the queue
#      from two clients, and the table is gone after SIGTERM;
#   2. fail-closed: after kill -9 the table stays and nothing passes;
#   3. a stale table is replaced by the next start (no duplicate rules);
#   4. --fail-open: after kill -9 traffic still passes (queue bypass);
#   5. the rewrite paths: --echo (every packet sent back as modified),
#      --defer (out-of-order verdicts), --per-packet, --no-gso;
#   6. --static-nat: global /32 owned on "outside" (ARP answered), NATed
#      ICMP and TCP, address removed on SIGTERM, stale one removed after
#      kill -9.
# Needs root; prints "SKIP: ..." and exits 0 otherwise.  Every step has a
# timeout; every namespace is deleted on exit.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ph_require_root || exit 0
ph_require_cmds ip nft socat timeout python3 cmp || exit 0

build=${1:-${PH_BUILDDIR:-}}
NULL="$build/pinhole-nfq-null"
if [ ! -x "$NULL" ]; then
	echo "FAIL: $NULL not built"
	exit 1
fi

ph_trap_cleanup
ph_mktemp || exit 1
T=$PH_TMP
FAILS=0
STEP=""

# ---- helpers --------------------------------------------------------------

NULL_PID=""
NULL_LOG=""

# start_null LOGNAME ARGS...: start the null program in gw, wait for ready.
start_null() {
	local name=$1
	shift
	NULL_LOG="$T/$name.log"
	ph_bg gw "$NULL_LOG" "$NULL" --iface inside --iface outside "$@"
	NULL_PID=$PH_LAST_PID
	if ph_wait_line "$NULL_LOG" '^ready ' 10; then
		return 0
	fi
	bad "pinhole-nfq-null $* did not become ready"
	sed 's/^/    | /' "$NULL_LOG"
	return 1
}

# stop_null SIGNAL: signal it and wait for the exit.
stop_null() {
	# (stderr off: bash reports "Killed" when it reaps a kill -9 victim)
	{
		kill -"$1" "$NULL_PID"
		ph_wait_exit "$NULL_PID" 10
	} 2>/dev/null || bad "pinhole-nfq-null did not exit"
}

table_exists() {
	ph_in gw nft list table ip pinhole >/dev/null 2>&1
}

table_absent() {
	! table_exists
}

rule_count() {
	ph_in gw nft list chain ip pinhole prerouting 2>/dev/null |
		grep -c 'iifname'
}

# stat_of KEY: a counter from the "stats" line of the last run.
stat_of() {
	grep '^stats ' "$NULL_LOG" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

stat_positive() {
	local v
	v=$(stat_of "$1")
	[ -n "$v" ] && [ "$v" -gt 0 ]
}

stat_zero() {
	[ "$(stat_of "$1")" = 0 ]
}

# udp_echo CLIENT DST: one datagram out, the same one back.
udp_echo() {
	local pid reply msg="udp-$1-$RANDOM"
	ph_bg srv "$T/udpsrv.log" timeout 15 socat \
		UDP4-RECVFROM:5001,fork EXEC:cat
	pid=$PH_LAST_PID
	sleep 0.3
	reply=$(echo "$msg" | ph_in "$1" timeout 5 socat -t 2 - \
		"UDP4-SENDTO:$2:5001" 2>/dev/null)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$reply" = "$msg" ]
}

# tcp_bulk CLIENT DST: 8 MiB through a TCP connection, byte for byte.
tcp_bulk() {
	local pid
	rm -f "$T/recv"
	ph_bg srv "$T/tcpsrv.log" timeout 30 socat -u \
		TCP4-LISTEN:5000,reuseaddr "OPEN:$T/recv,creat,trunc"
	pid=$PH_LAST_PID
	sleep 0.3
	ph_in "$1" timeout 20 socat -u "OPEN:$T/blob" "TCP4:$2:5000" \
		2>/dev/null
	ph_wait_exit "$pid" 15
	cmp -s "$T/blob" "$T/recv"
}

# Traffic that must pass: ICMP from both clients, UDP and TCP.
traffic_passes() {
	check "ping cli1 -> srv" ph_ping cli1 "$PH_SRV"
	check "ping cli2 -> srv" ph_ping cli2 "$PH_SRV"
	check "UDP echo cli2 <-> srv" udp_echo cli2 "$PH_SRV"
	check "TCP 8 MiB cli1 -> srv" tcp_bulk cli1 "$PH_SRV"
}

# ---- the steps ------------------------------------------------------------

step_basic() {
	STEP="basic"
	start_null basic || return
	check "method logged" grep -Eq '^ready queue=0 method=(native|compat)$' \
		"$NULL_LOG"
	ok "$(grep '^ready' "$NULL_LOG")"
	check "table exists while running" table_exists
	check "one rule per interface" [ "$(rule_count)" = 2 ]
	traffic_passes
	check "ping the gateway itself" ph_ping cli1 "$PH_GW_IN"
	stop_null TERM
	check "table gone after SIGTERM" table_absent
	check "packets went through the queue" stat_positive received
	check "no verdict errors" stat_zero verdict_errors
	check "GSO super-packets seen" stat_positive gso
	check "batched verdicts (fewer messages than packets)" \
		[ "$(stat_of verdict_msgs)" -lt "$(stat_of received)" ]
	ok "$(grep '^stats' "$NULL_LOG" | cut -c1-120)..."
}

step_fail_closed() {
	STEP="fail-closed"
	start_null crash || return
	stop_null KILL
	check "table survives kill -9" table_exists
	check "no traffic passes without a listener" ph_ping_none cli1 "$PH_SRV"
	STEP="stale-table"
	start_null restart || return
	check "stale table replaced, no duplicate rules" [ "$(rule_count)" = 2 ]
	check "traffic passes again" ph_ping cli1 "$PH_SRV"
	stop_null TERM
	check "table gone after SIGTERM" table_absent
}

step_fail_open() {
	STEP="fail-open"
	start_null failopen --fail-open || return
	check "ping with --fail-open" ph_ping cli1 "$PH_SRV"
	stop_null KILL
	check "table survives kill -9" table_exists
	check "traffic bypasses the dead queue" ph_ping cli1 "$PH_SRV"
	ph_in gw nft delete table ip pinhole 2>/dev/null
}

# step_mode NAME ARGS...: traffic passes with these options.
step_mode() {
	STEP=$1
	shift
	start_null "$STEP" "$@" || return
	traffic_passes
	stop_null TERM
	check "no verdict errors" stat_zero verdict_errors
}

step_rewrite_modes() {
	step_mode echo --echo
	check "every packet sent back rewritten" \
		[ "$(stat_of modified)" = "$(stat_of received)" ]
	check "partial checksums completed" stat_positive csum_completed
	step_mode defer --defer 3
	check "packets deferred" stat_positive deferred
	step_mode per-packet --per-packet
	check "one message per packet" \
		[ "$(stat_of verdict_msgs)" = "$(stat_of received)" ]
	step_mode no-gso --no-gso
	check "no GSO packets with --no-gso" stat_zero gso
}

global_present() {
	ph_in gw ip -4 -o addr show dev outside | grep -q ' 172\.18\.124\.201/32 '
}

global_absent() {
	! global_present
}

step_static_nat() {
	local nat=10.1.1.11=172.18.124.201@outside
	STEP="static-nat"
	ph_srv_no_return
	check "without NAT and a return route, nothing comes back" \
		ph_ping_none cli1 "$PH_SRV"
	start_null nat --static-nat "$nat" || return
	check "global address owned on outside" global_present
	check "NATed ping cli1 -> srv" ph_ping cli1 "$PH_SRV"
	check "NATed TCP 8 MiB cli1 -> srv" tcp_bulk cli1 "$PH_SRV"
	stop_null TERM
	check "packets rewritten" stat_positive modified
	check "global address removed on SIGTERM" global_absent
	start_null nat-crash --static-nat "$nat" || return
	stop_null KILL
	check "global address left by kill -9" global_present
	start_null nat-again --static-nat "$nat" || return
	check "stale address removed at start" \
		grep -q 'removed 1 stale' "$NULL_LOG"
	check "NATed ping after restart" ph_ping cli1 "$PH_SRV"
	stop_null TERM
	check "global address removed again" global_absent
}

main() {
	head -c 8M /dev/urandom >"$T/blob"
	STEP="topology"
	if ! ph_topo_build 2; then
		bad "could not build the namespaces"
		return
	fi
	check "kernel forwarding works before the queue" ph_ping cli1 "$PH_SRV"
	step_basic
	step_fail_closed
	step_fail_open
	step_rewrite_modes
	step_static_nat
}

main
if [ "$FAILS" -ne 0 ]; then
	echo "FAILED: $FAILS check(s)"
	exit 1
fi
echo "PASS"
exit 0
