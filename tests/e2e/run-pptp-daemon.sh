#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # (functions run by name)
# tests/e2e/run-pptp-daemon.sh BUILDDIR - real PPTP peers (pptpd, pptp-linux
# with pinhole-fakeppp, tests/e2e/pptp-lib.sh) through pinholed, in the
# namespaces of tests/e2e/lib.sh (10 clients cli1..cli10 inside, srv
# outside).  One topology; pinholed is restarted with each case's rules.
#
#   pat        10 clients behind the outside interface's address (PAT),
#              `fixup protocol pptp 1723` (the PIX 6.3 seed), random call
#              IDs: all 10 calls established (OCRP result 1) and up at the
#              same time, LCP both ways, each client paired with its own
#              server call; 302013 and 302017 logged
#   pat-same   the same with every client forced to call ID 4660 and the
#              ASA 7.x form (policy-map global_policy / inspect pptp)
#   static-in  the seeds' "client outside, server inside": pptpd on cli1
#              behind static 172.18.124.205, 10 clients outside (in srv,
#              each its own address), the seed's acl-out (gre + tcp 1723)
#   no-inspect inspection off, 3 clients behind the interface PAT: at
#              most one call works (GRE without inspection gets one
#              "port 0" translation per address; the others fail with
#              305006, and a server GRE that arrives first goes to the
#              gateway itself, which refuses it)
#   no-inspect-static
#              inspection off, 3 clients each behind a static, nothing
#              permits GRE in (PIX 6.2 without the seed's GRE line) and
#              the clients may not send GRE: every call fails, the
#              server's GRE is denied with 106010
# PH_PPTP_CASES="pat no_inspect" runs a subset (default: all).
# Needs root (SKIP otherwise).  Bounded by a watchdog; peers, daemon and
# namespaces are always cleaned up.  Logs: BUILDDIR/e2e-logs/pptp-daemon/.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/pptp-lib.sh"
. "$here/daemon-lib.sh"

ph_require_root || exit 0
ph_require_cmds ip nft timeout python3 || exit 0
builddir=$(readlink -f "${1:-${PH_BUILDDIR:-.}}")

# shellcheck disable=SC2034 # read by pptp-lib.sh
PPTP_RUN_TIMEOUT=60 PPTP_GRACE=3
NCLIENTS=10
STATIC=172.18.124.205
LOGROOT=$builddir/e2e-logs/pptp-daemon
FAILS=0
summary=()

cleanup() {
	trap - EXIT INT TERM
	[ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
	pptp_stop_all
	if [ -n "$PHD_PID" ]; then
		kill -TERM "$PHD_PID" 2>/dev/null
		sleep 0.5
	fi
	[ -d "${PH_TMP:-}" ] && cp -a "$PH_TMP/." "$LOGROOT/daemon/" \
		2>/dev/null
	ph_cleanup
}
trap cleanup EXIT
trap 'echo "FAIL: interrupted (SIGINT)"; exit 1' INT
trap 'echo "FAIL: terminated (SIGTERM, watchdog?)"; exit 1' TERM
(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep 200 &
	s=$!
	wait "$s" && kill -TERM $$
) >/dev/null 2>&1 </dev/null &
watchdog=$!

ok() { printf 'ok   %s: %s\n' "$CASE" "$1"; }
bad() {
	printf 'FAIL %s: %s\n' "$CASE" "$1"
	FAILS=$((FAILS + 1))
}
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

pptp_lib_init "$builddir" || {
	echo "FAIL: PPTP harness prerequisites missing"
	exit 1
}
ph_mktemp || exit 1
rm -rf "$LOGROOT"
mkdir -p "$LOGROOT/daemon"
phd_init "$builddir" "$PH_TMP" || {
	echo "FAIL: pinholed or pinholectl not built"
	exit 1
}

ifaces() {
	cat <<EOF
nameif outside outside security0
nameif inside inside security100
ip address outside 172.18.124.152 255.255.255.0
ip address inside 10.1.1.1 255.255.255.0
logging on
logging buffered debugging
EOF
}

# The PIX 6.3 seed ("Commands to Add for Version 6.3").
rules_pat() {
	ifaces
	cat <<EOF
fixup protocol pptp 1723
nat (inside) 1 0.0.0.0 0.0.0.0 0 0
global (outside) 1 interface
EOF
}

# The ASA 7.x/8.0 seed (inspection through the MPF).
rules_pat_mpf() {
	ifaces
	cat <<EOF
policy-map global_policy
 class inspection_default
  inspect pptp
nat (inside) 1 0.0.0.0 0.0.0.0 0 0
global (outside) 1 interface
EOF
}

# The seeds' "PPTP with the Client Outside and the Server Inside".
rules_static_in() {
	ifaces
	cat <<EOF
access-list acl-out permit gre any host $STATIC
access-list acl-out permit tcp any host $STATIC eq 1723
static (inside,outside) $STATIC 10.1.1.11 netmask 255.255.255.255 0 0
access-group acl-out in interface outside
EOF
}

# No inspection, PAT on the interface (the PIX 6.3 seed without its
# fixup line).
rules_no_inspect() {
	ifaces
	cat <<EOF
nat (inside) 1 0.0.0.0 0.0.0.0 0 0
global (outside) 1 interface
EOF
}

# PIX 6.2 without the GRE line: statics, no fixup, nothing permits GRE
# in; the inside hosts may not send GRE either (see case_no_inspect_static).
rules_no_inspect_static() {
	ifaces
	cat <<EOF
access-list acl-in deny gre any any
access-list acl-in permit ip any any
access-group acl-in in interface inside
EOF
	for i in 1 2 3; do
		echo "static (inside,outside) 172.18.124.21$i 10.1.1.1$i" \
			"netmask 255.255.255.255 0 0"
	done
}

# still_up LOGDIR...: clients with LCP up that have not exited.
still_up() {
	local d n=0
	for d in "$@"; do
		grep -q " event lcp-up " "$d/frames.log" 2>/dev/null &&
			! grep -q " exit status=" "$d/frames.log" && n=$((n + 1))
	done
	echo "$n"
}

# start_case NAME RULEFN: fresh peers state, pinholed on the case's rules.
start_case() {
	CASE=$1
	echo "== $CASE"
	pptp_stop_all
	pptp_lib_init "$builddir" >/dev/null
	[ -n "$PHD_PID" ] && phd_stop TERM
	$2 | phd_rules "$CASE"
	phd_start "$PH_TMP/$CASE.conf"
}

end_case() {
	pptp_stop_all
	phd_stop TERM
	check "pinholed stopped cleanly" [ "${PHD_RC:-x}" = 0 ]
	cp "$PHD_LOG" "$LOGROOT/daemon/pinholed.log" 2>/dev/null
}

# run_clients CALLID SERVER_NS SERVER_ADDR TARGET CLIENT_NS... : start a
# server and NCLIENTS clients; results in OK_N, UP_N, PAIR.
run_clients() {
	local callid=$1 sns=$2 saddr=$3 target=$4 logs=$LOGROOT/$CASE i
	shift 4
	DIRS=()
	for i in $(seq 1 "$NCLIENTS"); do
		DIRS+=("$logs/client-$i")
	done
	if ! pptp_server_start "$sns" "$saddr" "$logs/server"; then
		bad "pptpd did not start"
		return 1
	fi
	for i in $(seq 0 $((NCLIENTS - 1))); do
		PPTP_CALL_ID=$callid pptp_client_start "${CNS[$i]}" "$target" \
			"${CADDR[$i]}" "${DIRS[$i]}"
	done
	pptp_wait_all "${WAIT_S:-25}" "${DIRS[@]}" >"$logs/wait.txt"
	OK_N=$PPTP_N_OK
	UP_N=$(still_up "${DIRS[@]}")
	PAIR=ok
	pptp_check_pairing "$logs/server" "${DIRS[@]}" >"$logs/pairing.txt" ||
		PAIR=broken
	summary+=("$CASE: $OK_N/$NCLIENTS established, $UP_N up at once, pairing $PAIR")
}

expect_all_up() {
	check "$OK_N/$NCLIENTS calls established (OCRP result 1, LCP both ways)" \
		[ "$OK_N" = "$NCLIENTS" ]
	check "$UP_N/$NCLIENTS up at the same time" [ "$UP_N" = "$NCLIENTS" ]
	check "each client paired with its own server call" [ "$PAIR" = ok ]
	[ "$OK_N" = "$NCLIENTS" ] || sed 's/^/    | /' "$LOGROOT/$CASE/wait.txt"
}

clients_inside() {
	CNS=() CADDR=()
	for i in $(seq 1 "$NCLIENTS"); do
		CNS+=("$(ph_ns "cli$i")")
		CADDR+=("$(ph_cli_addr "$i")")
	done
}

case_pat() {
	local dbg
	start_case pat rules_pat || return
	clients_inside
	# (no timeout(1) here: it would pass our SIGINT to its process group)
	"$PHD_CTL_BIN" -s "$PHD_SOCK" debug pptp >"$LOGROOT/pat-debug.txt" \
		2>&1 &
	dbg=$!
	PH_BG_PIDS+=("$dbg")
	sleep 0.3
	run_clients "" "$(ph_ns srv)" "$PH_SRV" "$PH_SRV" || return
	kill -INT "$dbg" 2>/dev/null
	wait "$dbg" 2>/dev/null
	check "debug pptp streamed decoded control messages" grep -q \
		'^Tnl [0-9]* PPTP: ' "$LOGROOT/pat-debug.txt"
	check "debug pptp shows translated call IDs" grep -Eq \
		'[0-9]+ -> [0-9]+' "$LOGROOT/pat-debug.txt"
	expect_all_up
	check "302013 for the control connections" \
		[ "$(phd_log_count '%PIX-6-302013: Built outbound TCP connection [0-9]+ for outside:172\.18\.124\.99/1723')" -ge "$NCLIENTS" ]
	check "302017 GRE built for every call" \
		[ "$(phd_log_count '%PIX-6-302017: Built outbound GRE connection')" -ge "$NCLIENTS" ]
	phd_ctl show conn >"$LOGROOT/$CASE/show-conn.txt" 2>&1
	phd_ctl show xlate >"$LOGROOT/$CASE/show-xlate.txt" 2>&1
	phd_ctl show service-policy inspect pptp \
		>"$LOGROOT/$CASE/show-pptp.txt" 2>&1
	check "show conn lists GRE connections" \
		[ "$(grep -c '^GRE ' "$LOGROOT/$CASE/show-conn.txt")" -ge "$NCLIENTS" ]
	check "show service-policy inspect pptp: packets inspected" grep -Eq \
		'Inspect: pptp, packet [1-9][0-9]*, drop 0, reset-drop 0' \
		"$LOGROOT/$CASE/show-pptp.txt"
	phd_ctl -j show service-policy inspect pptp \
		>"$LOGROOT/$CASE/show-pptp.json" 2>&1
	check "inspection counters (JSON): every call came up" python3 -c \
		'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["calls_up"] >= int(sys.argv[2]) else 1)' \
		"$LOGROOT/$CASE/show-pptp.json" "$NCLIENTS"
	end_case
}

case_pat_same() {
	local ids
	start_case pat-same rules_pat_mpf || return
	clients_inside
	run_clients 4660 "$(ph_ns srv)" "$PH_SRV" "$PH_SRV" || return
	ids=$(for d in "${DIRS[@]}"; do pptp_client_ids "$d" | cut -d' ' -f1; done |
		sort -u | tr '\n' ' ')
	check "every client used call ID 4660 (got: $ids)" [ "$ids" = "4660 " ]
	expect_all_up
	check "302017 GRE built for every call" \
		[ "$(phd_log_count '%PIX-6-302017: Built outbound GRE connection')" -ge "$NCLIENTS" ]
	end_case
}

case_static_in() {
	local i a
	start_case static-in rules_static_in || return
	CNS=() CADDR=()
	for i in $(seq 1 "$NCLIENTS"); do
		a=$PH_OUT_NET.$((29 + i))
		ph_in srv ip addr add "$a/24" dev eth0 2>/dev/null
		CNS+=("$(ph_ns srv)")
		CADDR+=("$a")
	done
	run_clients "" "$(ph_ns cli1)" "$(ph_cli_addr 1)" "$STATIC" || return
	expect_all_up
	check "302013 inbound for the control connections" \
		[ "$(phd_log_count '%PIX-6-302013: Built inbound TCP connection [0-9]+ for outside:172\.18\.124\.[0-9]+/[0-9]+ \([0-9.]+/[0-9]+\) to inside:10\.1\.1\.11/1723')" -ge "$NCLIENTS" ]
	end_case
}

# run_few N CASE RULEFN: start_case with N clients inside.
run_few() {
	NSAVED=$NCLIENTS
	NCLIENTS=$1
	if start_case "$2" "$3"; then
		clients_inside
		# a call that works is up within 1-3 s
		WAIT_S=8 run_clients "" "$(ph_ns srv)" "$PH_SRV" "$PH_SRV"
		return 0
	fi
	NCLIENTS=$NSAVED
	return 1
}

case_no_inspect() {
	run_few 3 no-inspect rules_no_inspect || return
	check "at most one call up through PAT without inspection ($OK_N/$NCLIENTS)" \
		[ "$OK_N" -le 1 ]
	check "305006: GRE cannot be port-translated for a second host" \
		phd_wait_log '%PIX-3-305006: portmap translation creation failed for protocol 47 src inside:10\.1\.1\.1[1-3] dst outside:172\.18\.124\.99' 1
	end_case
	NCLIENTS=$NSAVED
}

# The engine tracks an outbound GRE flow like any other protocol, so a
# client whose first GRE leaves before the server's arrives opens the way
# back (PIX 6.2 kept no GRE state, hence the seed's GRE line).  To see the
# denial every time, the inside ACL keeps the clients' GRE in (106023):
# the only GRE then is the server's, denied with 106010, and no call works.
case_no_inspect_static() {
	run_few 3 no-inspect-static rules_no_inspect_static || return
	check "no call comes up ($OK_N/$NCLIENTS)" [ "$OK_N" = 0 ]
	check "106010: the server's GRE to a static is denied" phd_wait_log \
		'%PIX-3-106010: Deny inbound protocol 47 src outside:172\.18\.124\.99 dst inside:172\.18\.124\.21[1-3]' 1
	check "106023: the clients' GRE is kept in" phd_wait_log \
		'%PIX-4-106023: Deny protocol 47 src inside:10\.1\.1\.1[1-3] dst outside:172\.18\.124\.99 by access-group "acl-in"' 1
	end_case
	NCLIENTS=$NSAVED
}

if ! ph_topo_build "$NCLIENTS"; then
	echo "FAIL: could not build the namespaces"
	exit 1
fi
ph_srv_no_return
for c in ${PH_PPTP_CASES:-pat pat_same static_in no_inspect no_inspect_static}; do
	"case_$c"
done

printf '%s\n' "${summary[@]}" >"$LOGROOT/summary.txt"
echo "== summary (also in $LOGROOT/summary.txt)"
printf '  %s\n' "${summary[@]}"
if [ "$FAILS" -ne 0 ]; then
	echo "FAILED: $FAILS check(s); logs in $LOGROOT"
	exit 1
fi
echo "PASS"
exit 0
