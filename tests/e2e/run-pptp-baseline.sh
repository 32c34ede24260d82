#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # (functions run by name)
# tests/e2e/run-pptp-baseline.sh BUILDDIR - self-test of the PPTP end-to-end
# harness (tests/e2e/pptp-lib.sh) WITHOUT pinhole: real pptpd and pptp-linux
# peers, pinhole-fakeppp for PPP, through plain Linux forwarding and kernel
# NAT, in the namespaces of tests/e2e/lib.sh.
#
# Scenarios (10 clients each, all up at the same time, one pptpd):
#   a1  clients cli1..cli10 inside -> server srv outside, plain routing,
#       random call IDs                                         (asserted)
#   a2  same, every client forced to call ID 4660               (asserted)
#   b1  kernel MASQUERADE + nf_conntrack_pptp helper, random call IDs
#   b2  MASQUERADE + helper, every client call ID 4660
#   b0  MASQUERADE without the PPTP helper
#   c   server inside (cli1) behind a 1:1 static (DNAT+SNAT), 10 clients
#       outside sharing the srv namespace (--localbind)         (asserted)
# The b* results are the baseline of what Linux does: printed and kept in
# the summary, never a failure. Needs root (prints SKIP otherwise); the
# whole run is bounded (watchdog at 110 s) and always cleaned up. Logs stay
# in BUILDDIR/e2e-logs/pptp-baseline/.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/pptp-lib.sh"

ph_require_root || exit 0
builddir=$(readlink -f "${1:-${PH_BUILDDIR:-.}}")

# shellcheck disable=SC2034 # read by pptp-lib.sh
PPTP_RUN_TIMEOUT=60 PPTP_GRACE=4
NCLIENTS=10
STATIC_GLOBAL=172.18.124.205
LOGROOT=$builddir/e2e-logs/pptp-baseline
failed=0
summary=()

cleanup() {
	trap - EXIT INT TERM
	[ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
	pptp_stop_all
	ph_cleanup
}
trap cleanup EXIT
trap 'echo "FAIL: interrupted or watchdog fired"; cleanup; exit 1' INT TERM
# Watchdog: TERM ourselves after 110 s. It must not keep our stdout open
# (ctest reads it through a pipe), and cleanup stops its sleep.
(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep 110 &
	s=$!
	wait "$s" && kill -TERM $$
) >/dev/null 2>&1 </dev/null &
watchdog=$!

pptp_lib_init "$builddir" || {
	echo "FAIL: harness prerequisites missing"
	exit 1
}
rm -rf "$LOGROOT"
mkdir -p "$LOGROOT"

# nat_masq HELPER(0|1): PAT of everything leaving "outside" to the
# gateway's address, optionally with the kernel's PPTP helper on TCP 1723.
nat_masq() {
	local helper=""
	[ "$1" = 1 ] && helper='tcp dport 1723 ct helper set "pptp_h"'
	ph_in gw nft -f - <<EOF
table ip pinhole_e2e {
	ct helper pptp_h {
		type "pptp" protocol tcp
		l3proto ip
	}
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		$helper
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "outside" masquerade
	}
}
EOF
}

# nat_static: the seeds' "static (inside,outside) GLOBAL LOCAL" for the
# server host cli1.
nat_static() {
	ph_in gw ip addr add "$STATIC_GLOBAL/32" dev outside
	ph_in gw nft -f - <<EOF
table ip pinhole_e2e {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $STATIC_GLOBAL dnat to $(ph_cli_addr 1)
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr $(ph_cli_addr 1) oifname "outside" snat to $STATIC_GLOBAL
	}
}
EOF
}
nat_none() {
	return 0
}
nat_masq_helper() {
	nat_masq 1
}
nat_masq_nohelper() {
	nat_masq 0
}

# setup_out: clients cli1..cliN inside, server srv outside.
setup_out() {
	local i
	ph_topo_build "$NCLIENTS" || return 1
	SRV_NS=$(ph_ns srv) SRV_ADDR=$PH_SRV TARGET=$PH_SRV
	CLT_NS=() CLT_ADDR=()
	for i in $(seq 1 "$NCLIENTS"); do
		CLT_NS+=("$(ph_ns "cli$i")")
		CLT_ADDR+=("$(ph_cli_addr "$i")")
	done
}

# setup_in: the server on cli1 (inside), N clients outside in srv's
# namespace, each with its own address.
setup_in() {
	local i a
	ph_topo_build 1 || return 1
	SRV_NS=$(ph_ns cli1) SRV_ADDR=$(ph_cli_addr 1) TARGET=$STATIC_GLOBAL
	CLT_NS=() CLT_ADDR=()
	for i in $(seq 1 "$NCLIENTS"); do
		a=$PH_OUT_NET.$((29 + i))
		ph_in srv ip addr add "$a/24" dev eth0 || return 1
		CLT_NS+=("$(ph_ns srv)")
		CLT_ADDR+=("$a")
	done
}

# still_up LOGDIR...: how many clients have LCP up and have not exited,
# i.e. were all up at the same time when we looked.
still_up() {
	local d n=0
	for d in "$@"; do
		grep -q " event lcp-up " "$d/frames.log" 2>/dev/null &&
			! grep -q " exit status=" "$d/frames.log" && n=$((n + 1))
	done
	echo "$n"
}

# run_case NAME SETUP CALLID NATFN ASSERT DESCRIPTION
run_case() {
	local name=$1 setup=$2 callid=$3 natfn=$4 assert=$5 desc=$6
	local logs=$LOGROOT/$name i t0 line up pair_ok=yes dirs=()
	echo "== $name: $desc"
	ph_cleanup
	if ! $setup || ! $natfn; then
		echo "FAIL: $name: topology or NAT rules"
		failed=1
		return
	fi
	for i in $(seq 1 "$NCLIENTS"); do
		dirs+=("$logs/client-$i")
	done
	t0=$(date +%s%N)
	if ! pptp_server_start "$SRV_NS" "$SRV_ADDR" "$logs/server"; then
		echo "FAIL: $name: pptpd did not start"
		failed=1
		return
	fi
	for i in $(seq 0 $((NCLIENTS - 1))); do
		PPTP_CALL_ID=$callid pptp_client_start "${CLT_NS[$i]}" \
			"$TARGET" "${CLT_ADDR[$i]}" "${dirs[$i]}"
	done
	pptp_wait_all 15 "${dirs[@]}"
	up=$(still_up "${dirs[@]}")
	line="$name: $PPTP_N_OK/$NCLIENTS established"
	line+=" in $((($(date +%s%N) - t0) / 1000000)) ms,"
	line+=" $up up at once,"
	line+=" server calls with LCP up: $(pptp_server_sessions "$logs/server")"
	if pptp_check_pairing "$logs/server" "${dirs[@]}" >"$logs/pairing.txt"
	then
		line+=", LCP pairing ok"
	else
		pair_ok=no
		line+=", LCP pairing broken (see $name/pairing.txt)"
	fi
	echo "$line"
	summary+=("$line ($desc)")
	pptp_stop_all
	pptp_lib_init "$builddir" >/dev/null
	if [ "$assert" = yes ] && { [ "$PPTP_N_OK" -ne "$NCLIENTS" ] ||
		[ "$up" -ne "$NCLIENTS" ] || [ "$pair_ok" = no ]; }; then
		echo "FAIL: $name: expected all $NCLIENTS clients up at once"
		failed=1
	fi
}

# fakeppp_selftest: pinhole-fakeppp against itself and against broken
# peers, checking exit statuses and the frame log (no namespaces needed).
fakeppp_selftest() {
	local f=$PPTP_FAKEPPP d=$LOGROOT/fakeppp rc bad=0
	mkdir -p "$d"
	# 1. back to back: both sides reach LCP up and exchange echoes
	timeout 10 "$f" -r a -H 1.2 -t 5 -l "$d/a.log" --exec -- \
		"$f" -r b -t 5 -l "$d/b.log"
	rc=$?
	if ! { [ "$rc" -eq 0 ] && grep -q " event lcp-up " "$d/a.log" &&
		grep -q " event lcp-up " "$d/b.log" &&
		grep -q " rx LCP Echo-Reply " "$d/a.log" &&
		grep -q " rx LCP Terminate-Request " "$d/b.log"; }; then
		echo "FAIL: fakeppp back to back (status $rc)"
		bad=1
	fi
	# 2. a silent peer: timeout before LCP, status 2
	timeout 10 "$f" -r s -t 0.5 -l "$d/silent.log" --exec -- sleep 3
	rc=$?
	[ "$rc" -eq 2 ] || {
		echo "FAIL: fakeppp silent peer: status $rc, want 2"
		bad=1
	}
	# 3. a peer sending garbage then leaving: bad frames counted, status 3
	timeout 10 "$f" -r g -t 5 -l "$d/garbage.log" --exec -- \
		sh -c 'printf "\176\377\003\300\041\001\001\000\004\000\000\176"
			sleep 0.5'
	rc=$?
	if ! { [ "$rc" -eq 3 ] && grep -q " rx bad-frame " "$d/garbage.log"; }
	then
		echo "FAIL: fakeppp garbage peer: status $rc, want 3 + bad-frame"
		bad=1
	fi
	# 4. usage error: status 1
	"$f" --timeout=-1 >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 1 ] || {
		echo "FAIL: fakeppp bad option: status $rc, want 1"
		bad=1
	}
	if [ "$bad" -eq 0 ]; then
		echo "== fakeppp self-test: ok"
		summary+=("fakeppp self-test: ok")
	else
		failed=1
		summary+=("fakeppp self-test: FAILED")
	fi
}

fakeppp_selftest
run_case a1 setup_out "" nat_none yes "routing, random call IDs"
run_case a2 setup_out 4660 nat_none yes "routing, all call IDs 4660"
run_case b1 setup_out "" nat_masq_helper no \
	"MASQUERADE + pptp helper, random call IDs"
run_case b2 setup_out 4660 nat_masq_helper no \
	"MASQUERADE + pptp helper, all call IDs 4660"
run_case b0 setup_out "" nat_masq_nohelper no "MASQUERADE, no pptp helper"
run_case c setup_in "" nat_static yes \
	"server inside behind static $STATIC_GLOBAL, clients outside"

printf '%s\n' "${summary[@]}" >"$LOGROOT/summary.txt"
echo "== summary (also in $LOGROOT/summary.txt)"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
	echo "FAIL"
	exit 1
fi
echo "PASS"
exit 0
