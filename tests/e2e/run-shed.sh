#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/e2e/run-shed.sh BUILDDIR - pinholed's overload shedding (--shed,
# docs/deploy.md) in the namespace topology of tests/e2e/lib.sh, PAT of
# 10.1.1.0/24 to the outside interface.  Behavioural, nothing timed:
#
#   auto       the table has the shedding chain (limit rate over
#              10000000/second, counter "shed") and one `jump shed` in
#              front of each queue rule; `show counters` shows it
#   overload   the daemon stopped (SIGSTOP) while 12,000 datagrams arrive:
#              the kernel queue (8192) drops the rest; after SIGCONT the
#              controller sees the drops, logs "shedding started" and
#              lowers the limit; with no more traffic it logs "shedding
#              stopped" and the limit is back at 10000000
#              (the limit in force is `show counters`': while shedding
#              it is held by the BPF program, and the rule sits at the
#              ceiling)
#   fixed      --shed 20: 600 datagrams at once, what was shed is counted
#              (`show counters`), some still pass
#   hooks      --shed 20 --shed-hook xdp|tc|xdpgeneric: the program is
#              loaded and tried at start, attached once the limit drops
#              (the next flood is shed by it, counted apart), detached 2 s
#              after; an ifindex change while attached re-attaches it;
#              --shed-hook nft loads none; --shed-hook bogus: exit 2
#   favour    --shed 1000 --shed-hook xdp: under a flood of new flows (no
#              tuple twice: 32 source ports x 40,001 destination ports), a
#              flow the daemon accepted before keeps passing (>= 95 of 100
#              datagrams) while the flood is shed, and under 1% of the
#              drops are of known flows (the bitmap's collisions)
#   stop       SIGTERM removes the table, shedding chain included
#   off        --shed off: no shedding chain; --shed bogus: exit 2
# Needs root; prints SKIP and exits 0 otherwise.  Bounded (watchdog), and
# everything is cleaned up on exit.  Logs in BUILDDIR/e2e-logs/shed/.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/daemon-lib.sh"

ph_require_root || exit 0
ph_require_cmds ip nft timeout python3 || exit 0
build=$(readlink -f "${1:-${PH_BUILDDIR:-.}}")


phd_script shed 120 || exit 1
phd_rules shed <<EOF
hostname pinhole-shed
nameif outside outside security0
nameif inside inside security100
ip address outside $PH_GW_OUT 255.255.255.0
ip address inside $PH_GW_IN 255.255.255.0
access-list acl-in permit ip any any
access-group acl-in in interface inside
nat (inside) 1 10.1.1.0 255.255.255.0 0 0
global (outside) 1 interface
EOF
CONF=$T/shed.conf

# ---- helpers ----------------------------------------------------------------

table() { ph_in gw nft list table ip pinhole 2>/dev/null; }
shed_chain() { ph_in gw nft list chain ip pinhole shed 2>/dev/null; }
# packets counted by the named counter "shed"
shed_count() {
	ph_in gw nft list counter ip pinhole shed 2>/dev/null |
		awk '/packets/ { print $2; exit }'
}
limit_rate() { shed_chain | sed -n 's/.*limit rate over \([0-9]*\)\/second.*/\1/p'; }
# from `show counters`: the limit in force, everything shed, the program's
ctl_val() {
	phd_ctl show counters | awk -v k="$1" 'index($0, k) { print $NF; exit }'
}
ctl_limit() { ctl_val 'limit (pps'; }
ctl_shed() { ctl_val 'packets shed'; }
ctl_prog_shed() { ctl_val 'by the BPF program'; }
ctl_title() { phd_ctl show counters | grep '^Overload shedding'; }
# flood N: N 32-byte datagrams from cli1 to the server's port 9999
flood() {
	ph_in cli1 timeout 20 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"x" * 32, (sys.argv[2], 9999))
' "$1" "$PH_SRV"
}
srv_count() { # datagrams to port 9999 counted in srv
	ph_in srv nft list counter inet phshed rx 2>/dev/null |
		awk '/packets/ { print $2; exit }'
}
jumps_before_queue() { # every queue rule is preceded by its jump
	ph_in gw nft list chain ip pinhole prerouting 2>/dev/null | awk '
		/jump shed/ { j[$2] = 1 }
		/queue|NFQUEUE/ { n++; if (!j[$2]) bad = 1 }
		END { exit !(n == 2 && !bad) }'
}

ph_topo_build 1 || {
	echo "FAIL: topology"
	exit 1
}
ph_in srv nft -f - <<'EOF'
table inet phshed {
	counter rx {
	}
	counter flood {
	}
	chain in {
		type filter hook input priority 0;
		udp dport 9999 counter name "rx" drop
		udp dport 20000-60000 counter name "flood" drop
	}
}
EOF

# ---- auto -------------------------------------------------------------------

STEP=auto
if ! phd_start "$CONF"; then
	echo "FAIL: pinholed did not start"
	exit 1
fi
check "shedding chain installed: $(shed_chain | grep limit | xargs)" \
	test "$(limit_rate)" = 10000000
check "counter object \"shed\" exists" test -n "$(shed_count)"
check "a jump to the shedding chain in front of each queue rule" \
	jumps_before_queue
out=$(phd_ctl show counters)
check "show counters: Overload shedding (auto), limit 10000000" \
	grep -Eq 'limit \(pps.*10000000' <<<"$out"
check "show counters names the mode" grep -q 'Overload shedding (auto' \
	<<<"$out"

STEP=overload
kill -STOP "$PHD_PID"
flood 12000
q=$(ph_in gw awk '{ s += $6 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue)
kill -CONT "$PHD_PID"
check "the kernel queue dropped while the daemon was stopped ($q)" \
	test "${q:-0}" -gt 0
check_log "controller saw the drops" \
	'overload: the kernel dropped packets at the queue; shedding started at [0-9]+ pps' 10
r=$(ctl_limit)
check "limit lowered ($r pps, $(ctl_title))" test "${r:-10000000}" -lt 10000000
check "show counters: shedding now or started once" \
	grep -Eq 'times shedding started +1' <<<"$(phd_ctl show counters)"
check_log "no traffic: shedding stopped" \
	'overload: shedding stopped after [0-9]+ ms' 15
check "limit back at 10000000" test "$(ctl_limit)" = 10000000
check "the nft rule holds it again" test "$(limit_rate)" = 10000000

STEP=stop
phd_stop TERM
check "SIGTERM: exit 0" test "${PHD_RC:-x}" = 0
check "table removed, shedding chain with it" test -z "$(table)"

# ---- fixed ------------------------------------------------------------------

STEP=fixed
if phd_start "$CONF" --shed 20; then
	check "limit rate over 20/second" test "$(limit_rate)" = 20
	before=$(srv_count)
	flood 600
	sleep 1
	n=$(ctl_shed)
	got=$(($(srv_count) - ${before:-0}))
	check "600 datagrams at once: the rule shed ${n:-0}" \
		test "${n:-0}" -ge 300
	check "the rest passed through PAT ($got)" test "$got" -gt 0
	check "shed + passed = sent ($n + $got)" test $((n + got)) -eq 600
	check "show counters: packets shed" grep -Eq \
		"packets shed.* $n\$" <<<"$(phd_ctl show counters)"
	phd_stop TERM
	check "table removed" test -z "$(table)"
else
	bad "pinholed --shed 20 did not start"
fi

# ---- hooks ------------------------------------------------------------------

# hook_run HOOK: --shed 20 at that hook
hook_run() {
	local h=$1 before n p got t
	STEP=hook-$h
	if ! phd_start "$CONF" --shed 20 --shed-hook "$h"; then
		bad "pinholed --shed-hook $h did not start"
		return
	fi
	check_log "program loaded and tried" \
		"a BPF program at $h on the managed interfaces" 5
	check "standing by: $(ctl_title)" grep -q "at nft, $h when shedding" \
		<<<"$(ctl_title)"
	before=$(srv_count)
	flood 600 # the rule sheds: the program is attached at the next tick
	t=0
	while ! grep -q "at $h" <<<"$(ctl_title)" && [ $t -lt 20 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	check "attached while the limit drops: $(ctl_title)" \
		grep -q "(fixed, at $h)" <<<"$(ctl_title)"
	check "the rule is idle meanwhile ($(limit_rate))" \
		test "$(limit_rate)" = 10000000
	check "the limit in force is still 20" test "$(ctl_limit)" = 20
	if [ "$h" != tc ]; then
		check "ip link shows XDP on inside" \
			grep -q prog/xdp <<<"$(ph_in gw ip -d link show dev inside)"
	fi
	flood 600
	sleep 0.5
	n=$(ctl_shed)
	p=$(ctl_prog_shed)
	got=$(($(srv_count) - ${before:-0}))
	check "the program shed part of the second flood ($p of $n)" \
		test "${p:-0}" -ge 300
	check "shed + passed = sent ($n + $got = 1200)" \
		test $((n + got)) -eq 1200
	check "detached 2 s after the last shed packet" \
		wait_title "at nft, $h when shedding" 60
	check "the rule holds the limit again ($(limit_rate))" \
		test "$(limit_rate)" = 20
	check "ip link shows no XDP on inside" \
		test -z "$(ph_in gw ip -d link show dev inside | grep prog/xdp)"
	# detached at every hook (tcx shows in no ip/tc listing): a flood
	# now is shed by the rule alone, the program's count stays
	p=$(ctl_prog_shed)
	n=$(ctl_shed)
	flood 100
	sleep 0.3
	check "after detaching, the rule sheds ($(ctl_shed) > ${n:-x})" \
		test "$(ctl_shed)" -gt "${n:-999999999}"
	check "after detaching, the program drops nothing ($(ctl_prog_shed) = ${p:-x})" \
		test "$(ctl_prog_shed)" = "${p:-x}"
	phd_stop TERM
	check "SIGTERM: exit 0" test "${PHD_RC:-x}" = 0
}
wait_title() { # wait_title TEXT TENTHS
	local t=0
	while [ $t -lt "$2" ]; do
		grep -q "$1" <<<"$(ctl_title)" && return 0
		sleep 0.1
		t=$((t + 1))
	done
	return 1
}

for h in xdp tc xdpgeneric; do
	hook_run "$h"
done

# An interface re-created while the program is attached gets it again.
STEP=hook-remap
if phd_start "$CONF" --shed 20 --shed-hook xdp; then
	ph_bg cli1 "$PH_TMP/remap-send.log" timeout 20 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 8
while time.time() < end:
    s.sendto(b"x" * 32, (sys.argv[1], 9999))
    time.sleep(0.004)
' "$PH_SRV"
	bgp=$PH_LAST_PID
	check "attached under a steady 250 pps" wait_title "(fixed, at xdp)" 30
	ph_in gw ip link del outside
	ph_veth gw outside srv eth0 && ph_in gw ip addr add "$PH_GW_OUT/24" \
		dev outside && ph_in srv ip addr add "$PH_SRV/24" dev eth0 &&
		ph_in srv ip route add default via "$PH_GW_OUT" &&
		ph_gw_sysctls || bad "re-creating the outside veth"
	check_log "903001: outside re-mapped" \
		'%PIX-5-903001: Interface outside is Linux interface outside' 5
	check "the new outside has the program" \
		grep -q prog/xdp <<<"$(ph_in gw ip -d link show dev outside)"
	check "no fall back to the rule" \
		test "$(phd_log_count 'the nft rule sheds from now on')" = 0
	wait "$bgp"
	phd_stop TERM
	check "SIGTERM: exit 0" test "${PHD_RC:-x}" = 0
	check "no program left on inside or outside" test -z \
		"$(ph_in gw ip -d link show | grep prog/xdp)"
else
	bad "pinholed --shed-hook xdp did not start"
fi

# ---- favour -------------------------------------------------------------------

STEP=favour
if phd_start "$CONF" --shed 1000 --shed-hook xdp; then
	send_probe() { # send_probe N PPS: N datagrams from port 7000
		ph_in cli1 timeout 30 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 7000))
for i in range(int(sys.argv[2])):
    s.sendto(b"p" * 32, (sys.argv[1], 9999))
    time.sleep(1.0 / int(sys.argv[3]))
' "$PH_SRV" "$1" "$2"
	}
	send_probe 5 50 # accepted: the flow is known from now on
	ph_bg cli1 "$PH_TMP/favour-flood.log" timeout 30 python3 -c '
import socket, sys, time
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for i in range(32)]
end = time.time() + 6
for s in socks:
    for p in range(20000, 60001):
        s.sendto(b"f" * 32, (sys.argv[1], p))
    if time.time() > end:
        break
' "$PH_SRV"
	fpid=$PH_LAST_PID
	check "the flood makes the program take the limit" \
		wait_title "(fixed, at xdp)" 30
	before=$(srv_count)
	send_probe 100 50
	got=$(($(srv_count) - ${before:-0}))
	check "the flood lasted through the probe" kill -0 "$fpid"
	wait "$fpid"
	ps=$(ctl_prog_shed)
	pk=$(ctl_val 'of known flows')
	check "the known flow kept passing: $got of 100" test "$got" -ge 95
	check "the flood was shed by the program (${ps:-0})" \
		test "${ps:-0}" -ge 1000
	check "under 1% of the drops were known flows (${pk:-x} of ${ps:-0})" \
		test "$((${pk:-999999} * 100))" -lt "${ps:-0}"
	phd_stop TERM
else
	bad "pinholed --shed 1000 --shed-hook xdp did not start"
fi

STEP=hook-nft
if phd_start "$CONF" --shed-hook nft; then
	check "no program: $(ctl_title)" grep -q '(auto, at nft)' \
		<<<"$(ctl_title)"
	phd_stop TERM
else
	bad "pinholed --shed-hook nft did not start"
fi
ph_in gw timeout 10 "$PHD_BIN" -F -f "$CONF" --shed-hook bogus >/dev/null 2>&1
check "--shed-hook bogus: exit 2" test $? = 2

# ---- off --------------------------------------------------------------------

STEP=off
if phd_start "$CONF" --shed off; then
	check "no shedding chain" test -z "$(shed_chain)"
	check "queue rules still there" \
		grep -Eq 'queue|NFQUEUE' <<<"$(table 2>&1)"
	check "show counters: limit 0 (no rule)" grep -Eq \
		'limit \(pps, 0: no rule\) +0$' <<<"$(phd_ctl show counters)"
	phd_stop TERM
else
	bad "pinholed --shed off did not start"
fi
ph_in gw timeout 10 "$PHD_BIN" -F -f "$CONF" --shed bogus >/dev/null 2>&1
check "--shed bogus: exit 2" test $? = 2

if [ "$FAILS" -gt 0 ]; then
	echo "FAIL: $FAILS check(s) failed (logs: $LOGS)"
	exit 1
fi
echo "PASS: run-shed"
exit 0
