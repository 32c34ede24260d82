#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/e2e/run-netdev.sh BUILDDIR - pinholed while its interfaces change
# under it (docs/deploy.md, "Interfaces that change while running"), in the
# namespace topology of tests/e2e/lib.sh: 2 clients behind "inside", the
# server 172.18.124.99 on "outside", PAT to the outside interface address
# and a static 172.18.124.205 -> 10.1.1.12 opened for TCP 5000.
#
#   down/up    `ip link set outside down` under a TCP stream: 411004 and
#              411002; nothing passes while down; `up`: 411003, 411001,
#              the stream ends complete and in order (its connection was
#              kept: its teardown says TCP FINs), new traffic passes
#   carrier    the far end of the veth goes down: 411002 alone (the
#              interface stays administratively up), then 411001
#   re-create  `ip link del outside` and a new veth of the same name (new
#              ifindex): 411002 + 903002, then 903001 naming the new and
#              old ifindex, the owned static address put back on the new
#              interface, the queue rule (iifname) unchanged, PAT and the
#              static pass again without a restart, 903004 once the
#              address is back
#   address    the kernel's outside address changes to .153 while the rules
#              say .152: 903003 naming what the interface has; interface
#              PAT keeps the configured .152 (show xlate); the address back:
#              903004; the rules changed to .153 and reloaded: the PAT
#              translations on .152 are torn down (305012) and a live TCP
#              connection on them too (302014 Xlate Clear), new traffic is
#              seen from .153
#   stop       SIGTERM removes the owned address from the re-created
#              interface (the daemon tracked the new ifindex)
#   missing    an interface of the rules missing at start: exit 1 with a
#              message naming it (pinholed does not wait for it)
# Needs root; prints SKIP and exits 0 otherwise.  Bounded (watchdog), and
# everything is cleaned up on exit.  Logs in BUILDDIR/e2e-logs/netdev/.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/daemon-lib.sh"

ph_require_root || exit 0
ph_require_cmds ip nft socat timeout python3 ss || exit 0
build=$(readlink -f "${1:-${PH_BUILDDIR:-.}}")
TRAFFIC="python3 $here/daemon-traffic.py"
STATIC1=172.18.124.205 # -> cli2 10.1.1.12
NEWOUT=172.18.124.153  # the outside address after the change


phd_script netdev 170 || exit 1

rules() { # rules OUTSIDE_ADDRESS
	cat <<EOF
hostname pinhole-netdev
nameif outside outside security0
nameif inside inside security100
ip address outside $1 255.255.255.0
ip address inside 10.1.1.1 255.255.255.0
access-list acl-in permit ip any any
access-group acl-in in interface inside
nat (inside) 1 10.1.1.0 255.255.255.0 0 0
global (outside) 1 interface
static (inside,outside) $STATIC1 10.1.1.12 netmask 255.255.255.255 0 0
conduit permit tcp host $STATIC1 eq 5000 any
logging on
logging buffered debugging
logging trap informational
EOF
}

# ---- helpers ----------------------------------------------------------------

owned() { ph_in gw ip -4 -o addr show dev outside 2>/dev/null |
	grep -q " $1/32 "; }
not_owned() { ! owned "$1"; }
ifindex_of() { ph_in gw cat "/sys/class/net/$1/ifindex" 2>/dev/null; }
# The queue rules, counters left out (they match iifname, not iif).
queue_rules() { ph_in gw nft list chain ip pinhole prerouting 2>/dev/null |
	grep 'iifname' | sed 's/packets [0-9]* bytes [0-9]*//'; }
has_iifname() { queue_rules | grep -q "iifname \"$1\""; }

# wait_count REGEX N: until N lines of this run match (5 s).
wait_count() {
	local t=0
	while [ "$(phd_log_count "$1")" -lt "$2" ] && [ $t -lt 50 ]; do
		sleep 0.1
		t=$((t + 1))
	done
}

# The outside veth pair again, as ph_topo_build made it.
outside_recreate() {
	ph_veth gw outside srv eth0 || return 1
	ph_in gw sysctl -qw net.ipv4.conf.outside.rp_filter=0
	ph_in gw ip addr add "$PH_GW_OUT/24" dev outside
	ph_in srv ip addr add "$PH_SRV/24" dev eth0
	ph_in srv ip route add default via "$PH_GW_OUT"
}

# ---- steps ------------------------------------------------------------------

step_start() {
	STEP="start"
	rules "$PH_GW_OUT" | phd_rules r1
	phd_start "$T/r1.conf" || return 1
	check "queue rules match iifname outside" has_iifname outside
	check "queue rules match iifname inside" has_iifname inside
	queue_rules >"$T/queue-rules-start.txt"
	check "static address $STATIC1 owned on outside" owned "$STATIC1"
	check "ICMP cli1 -> srv through PAT" ph_ping cli1 "$PH_SRV"
	check "TCP srv -> $STATIC1:5000 reaches cli2" \
		peer_seen tcp srv "$STATIC1" 5000 "$PH_SRV" cli2
	check "no interface lines at start" [ "$(phd_log_count \
		'%PIX-[0-9]-(411|903)0')" = 0 ]
}

step_down_up() {
	local rpid spid t0
	STEP="down/up"
	ph_bg srv "$T/updown-recv.log" $TRAFFIC tcp-recv 5010 40
	rpid=$PH_LAST_PID
	wait_listen srv -t 5010 || bad "the TCP receiver did not start"
	ph_bg cli1 "$T/updown-send.log" $TRAFFIC tcp-send "$PH_SRV" 5010 8
	spid=$PH_LAST_PID
	sleep 1.5
	t0=$(date +%s%N)
	ph_in gw ip link set outside down
	check_log "411004 administratively down" \
		'%PIX-4-411004: Configuration status on Interface outside, changed state to administratively down'
	check_log "411002 line protocol down" \
		'%PIX-4-411002: Line protocol on Interface outside, changed state to down'
	check "while down, nothing passes (ICMP cli1 -> srv)" \
		ph_ping_none cli1 "$PH_SRV"
	ph_in gw ip link set outside up
	ok "outside was down for $((($(date +%s%N) - t0) / 1000000)) ms"
	check_log "411003 administratively up" \
		'%PIX-4-411003: Configuration status on Interface outside, changed state to administratively up'
	check_log "411001 line protocol up" \
		'%PIX-4-411001: Line protocol on Interface outside, changed state to up'
	check "after up, ICMP cli1 -> srv passes" ph_ping cli1 "$PH_SRV"
	ph_wait_exit "$spid" 30
	ph_wait_exit "$rpid" 40
	check "TCP stream across down/up complete and in order: $(cat \
		"$T/updown-recv.log") ($(cat "$T/updown-send.log"))" \
		grep -q "^bytes=$(sed -n 's/^sent=//p' "$T/updown-send.log") .* ok$" \
		"$T/updown-recv.log"
	check_log "its connection was kept: one teardown, TCP FINs" \
		'302014: Teardown TCP connection [0-9]+ for outside:172\.18\.124\.99/5010 to inside:10\.1\.1\.11/[0-9]+ duration [0-9:]+ bytes [0-9]+ TCP FINs' 8
	check "one connection built for the stream" [ "$(phd_log_count \
		'302013: Built outbound TCP connection [0-9]+ for outside:172\.18\.124\.99/5010 ')" = 1 ]
}

step_carrier() {
	STEP="carrier"
	local n3 n4
	n3=$(phd_log_count '411003')
	n4=$(phd_log_count '411004')
	ph_in srv ip link set eth0 down
	check_log "411002 when the far end goes down" \
		'411002: Line protocol on Interface outside, changed state to down.*' 5
	check "no 411004: outside is still administratively up" \
		[ "$(phd_log_count '411004')" = "$n4" ]
	ph_in srv ip link set eth0 up
	ph_in srv ip route replace default via "$PH_GW_OUT"
	wait_count '411001' 2
	check "second 411001 (carrier back)" [ "$(phd_log_count '411001')" -ge 2 ]
	check "no 411003 either" [ "$(phd_log_count '411003')" = "$n3" ]
	check "ICMP cli1 -> srv passes" ph_ping cli1 "$PH_SRV"
}

step_recreate() {
	local old new
	STEP="re-create"
	old=$(ifindex_of outside)
	ph_in gw ip link del outside
	check_log "903002 removed" \
		'%PIX-4-903002: Interface outside: Linux interface outside was removed'
	check "411002 with it" [ "$(phd_log_count '411002')" -ge 3 ]
	outside_recreate || bad "re-creating the outside veth"
	new=$(ifindex_of outside)
	check "the new outside has another ifindex ($old -> $new)" \
		[ "$old" != "$new" ]
	check_log "903001 names the new and the old ifindex" \
		"%PIX-5-903001: Interface outside is Linux interface outside \\(ifindex $new, was $old\\)"
	check_log "owned addresses put back (daemon notice)" \
		'interface outside: 1 global/static address\(es\) put back'
	check "static address $STATIC1 owned on the new outside" owned "$STATIC1"
	check_log "903004 once the address is configured again" \
		'%PIX-5-903004: Interface outside address 172\.18\.124\.152 is on Linux interface outside \(has 172\.18\.124\.152/24\) again'
	queue_rules >"$T/queue-rules-recreate.txt"
	check "the queue rules are untouched (iifname)" cmp -s \
		"$T/queue-rules-start.txt" "$T/queue-rules-recreate.txt"
	check "ICMP cli1 -> srv through PAT again" ph_ping cli1 "$PH_SRV"
	check "UDP cli1 -> srv seen from the PAT address" \
		peer_seen udp cli1 "$PH_SRV" 5011 "$PH_GW_OUT"
	check "TCP srv -> $STATIC1:5000 reaches cli2 again" \
		peer_seen tcp srv "$STATIC1" 5000 "$PH_SRV" cli2
	check "no packet from an unknown ifindex" bash -c \
		"! timeout 20 '$PHD_CTL_BIN' -s '$PHD_SOCK' show counters |
		grep -Eq 'unknown.interface[^0-9]*[1-9]'"
}

step_address() {
	local hpid n
	STEP="address"
	# a TCP connection on the interface PAT address, idle but alive
	ph_bg srv "$T/hold.log" timeout 40 socat -u TCP4-LISTEN:5012 /dev/null
	wait_listen srv -t 5012
	ph_bg cli1 "$T/holdc.log" timeout 40 socat -u "EXEC:sleep 35" \
		"TCP4:$PH_SRV:5012"
	hpid=$PH_LAST_PID
	sleep 1
	ph_in gw ip addr del "$PH_GW_OUT/24" dev outside
	ph_in gw ip addr add "$NEWOUT/24" dev outside
	check_log "903003 says what the interface has instead" \
		'%PIX-4-903003: Interface outside address 172\.18\.124\.152 is not on Linux interface outside \(has 172\.18\.124\.153/24\)'
	phd_ctl show xlate >"$T/xlate-mismatch.txt" 2>&1
	check "interface PAT keeps the configured 172.18.124.152" grep -Eq \
		'^PAT Global 172\.18\.124\.152\([0-9]+\) Local 10\.1\.1\.11\([0-9]+\)$' \
		"$T/xlate-mismatch.txt"
	ph_in gw ip addr add "$PH_GW_OUT/24" dev outside
	check_log "903004 when it is back" \
		'%PIX-5-903004: Interface outside address 172\.18\.124\.152 is on Linux interface outside \(has 172\.18\.124\.153/24, 172\.18\.124\.152/24\) again'
	n=$(phd_log_count '903003')
	ph_in gw ip addr del "$PH_GW_OUT/24" dev outside
	wait_count '903003' $((n + 1))
	check "903003 again when it goes, once" \
		[ "$(phd_log_count '903003')" = $((n + 1)) ]
	check "... saying what is left" bash -c "grep 903003 '$PHD_LOG' |
		tail -1 | grep -q '(has 172\.18\.124\.153/24)$'"
	# the rules follow the host: reload with the new address
	rules "$NEWOUT" | phd_rules r2
	phd_ctl reload "$T/r2.conf" >"$T/reload.txt" 2>&1
	check "reload with ip address outside $NEWOUT" grep -qi 'reload' \
		"$T/reload.txt"
	check_log "PAT translations on .152 torn down (305012)" \
		'%PIX-6-305012: Teardown dynamic (TCP|UDP|ICMP) translation from inside:10\.1\.1\.11/[0-9]+ to outside:172\.18\.124\.152/[0-9]+ duration'
	check_log "the live TCP connection on them: 302014 Xlate Clear" \
		'302014: Teardown TCP connection [0-9]+ for outside:172\.18\.124\.99/5012 to inside:10\.1\.1\.11/[0-9]+ duration [0-9:]+ bytes [0-9]+ Xlate Clear'
	check "no PAT translation left on .152" bash -c \
		"! timeout 20 '$PHD_CTL_BIN' -s '$PHD_SOCK' show xlate |
		grep -q 'Global 172\.18\.124\.152('"
	check "UDP cli1 -> srv now seen from $NEWOUT" \
		peer_seen udp cli1 "$PH_SRV" 5013 "$NEWOUT"
	check "TCP cli1 -> srv now seen from $NEWOUT" \
		peer_seen tcp cli1 "$PH_SRV" 5014 "$NEWOUT"
	kill "$hpid" 2>/dev/null
}

step_stop() {
	STEP="stop"
	phd_stop TERM
	check "SIGTERM: exit 0" [ "${PHD_RC:-x}" = 0 ]
	check "owned $STATIC1 removed from the re-created outside" \
		not_owned "$STATIC1"
	check "no tagged address left" bash -c "! ip -n '$(ph_ns gw)' -4 -o \
		addr show | grep -q 'proto 0x9c'"
}

step_missing() {
	STEP="missing"
	{
		rules "$NEWOUT"
		echo "nameif ethernet2 dmz security50"
	} | phd_rules r3
	if phd_start "$T/r3.conf" -i ethernet2=nosuchif0 >/dev/null; then
		bad "started with a missing interface"
		phd_stop TERM
		return
	fi
	wait "$PHD_PID" 2>/dev/null
	check "exit status 1" [ $? = 1 ]
	PHD_PID=""
	check_log "the message names it" \
		"interface 'dmz': Linux interface 'nosuchif0' does not exist"
}

# ---- run --------------------------------------------------------------------

ph_topo_build 2 || {
	echo "FAIL: topology"
	exit 1
}
if step_start; then
	step_down_up
	step_carrier
	step_recreate
	step_address
	step_stop
else
	bad "pinholed did not start"
fi
step_missing

echo "----"
if [ "$FAILS" -ne 0 ]; then
	echo "FAIL: $FAILS check(s) failed (logs: $LOGS)"
	exit 1
fi
echo "PASS: run-netdev"
exit 0
