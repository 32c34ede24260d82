#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/e2e/run-daemon.sh BUILDDIR - pinholed end to end: the daemon on a
# PIX rule set in the namespace topology of tests/e2e/lib.sh (3 clients in
# 10.1.1.0/24 behind "inside", the server 172.18.124.99 on "outside").
#
# Rule set 1 (PIX 6 style): PAT of 10.1.1.0/24 to the outside interface,
# an ACL on inside denying TCP port 7000, a static 172.18.124.205 ->
# 10.1.1.12 opened by a conduit for TCP 5000, logging to stderr (-d), the
# log buffer and a UDP `logging host` on the server.  Checks:
#   start-up   table, owned address, capabilities (CAP_NET_ADMIN only)
#   outbound   ICMP, UDP, TCP (1 MiB) through PAT, seen from the PAT
#              address (the static's host from its static address);
#              302013/302014/302015/302020/305011 logged; 106023
#              for the ACL; the same lines reach the UDP syslog host
#   inbound    static + conduit permitted (302013 inbound); denied with
#              106001 (TCP), 106006 (UDP), 106014 (ICMP), 106010 (GRE),
#              106011 (no xlate)
#   pinholectl show conn/xlate/access-list/running-config/counters/
#              version/logging, -j, read-only socket refuses clear
#   reload     under a UDP stream (sequence numbers) and a TCP stream: a
#              bad file (pinholectl reload FILE) prints file:line:col and
#              keeps the old rules; a good one (SIGHUP, rule set 2: ACL on
#              outside, a second static) loses no datagram and no byte,
#              adds the new owned address, and the new rules apply
#              (static + ACL inbound permitted, 106023 on outside)
#   stop       SIGTERM: exit 0, table and owned addresses gone
#   crash      kill -9 leaves the table (fail-closed: nothing passes);
#              the next start removes the stale table and address
#   --user     as nobody with CAP_NET_ADMIN only: traffic, show, clean
#              stop; the socket's --group may clear and reload, but only
#              root may `reload FILE`
#   start-up   errors: missing interface and bad rules exit 1 with a
#              clear message, bad flags exit 2; daemon mode (no -d)
#              returns once ready and writes the pidfile
# Needs root; prints SKIP and exits 0 otherwise.  Bounded (watchdog), and
# everything is cleaned up on exit.  Logs are kept in
# BUILDDIR/e2e-logs/daemon/.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/daemon-lib.sh"

ph_require_root || exit 0
ph_require_cmds ip nft socat timeout python3 cmp ss setpriv || exit 0
build=$(readlink -f "${1:-${PH_BUILDDIR:-.}}")
TRAFFIC="python3 $here/daemon-traffic.py"
STATIC1=172.18.124.205 # -> cli2 10.1.1.12
STATIC2=172.18.124.206 # -> cli3 10.1.1.13 (rule set 2)

phd_script daemon 170 || exit 1

# ---- rule sets ------------------------------------------------------------

common_rules() {
	cat <<EOF
hostname pinhole-e2e
nameif outside outside security0
nameif inside inside security100
ip address outside 172.18.124.152 255.255.255.0
ip address inside 10.1.1.1 255.255.255.0
access-list acl-in remark outbound: everything but TCP 7000
access-list acl-in deny tcp any any eq 7000
access-list acl-in permit ip any any
access-group acl-in in interface inside
nat (inside) 1 10.1.1.0 255.255.255.0 0 0
global (outside) 1 interface
static (inside,outside) $STATIC1 10.1.1.12 netmask 255.255.255.255 0 0
logging on
logging timestamp
logging buffered debugging
logging trap informational
logging host outside 172.18.124.99
EOF
}

write_rules() {
	common_rules | phd_rules r1
	cat >>"$T/r1.conf" <<EOF
conduit permit tcp host $STATIC1 eq 5000 any
EOF
	{
		common_rules
		cat <<EOF
static (inside,outside) $STATIC2 10.1.1.13 netmask 255.255.255.255 0 0
access-list acl-out permit tcp any host $STATIC1 eq 5000
access-list acl-out permit tcp any host $STATIC2 eq 5000
access-group acl-out in interface outside
EOF
	} | phd_rules r2
	{
		common_rules
		echo "access-list acl-out permit tcp any host $STATIC1 eq 99999"
		echo "frobnicate the gateway"
	} | phd_rules bad
	cp "$T/r1.conf" "$T/pinhole.conf"
}

# ---- helpers ----------------------------------------------------------------

table_exists() { ph_in gw nft list table ip pinhole >/dev/null 2>&1; }
table_absent() { ! table_exists; }
owned() { ph_in gw ip -4 -o addr show dev outside | grep -q " $1/32 "; }
not_owned() { ! owned "$1"; }

tcp_bulk() { # tcp_bulk CLIENT: 1 MiB to srv:5002, byte for byte
	local pid
	rm -f "$T/recv"
	ph_bg srv "$T/tcpsrv.log" timeout 20 socat -u \
		TCP4-LISTEN:5002,reuseaddr "OPEN:$T/recv,creat,trunc"
	pid=$PH_LAST_PID
	wait_listen srv -t 5002
	ph_in "$1" timeout 15 socat -u "OPEN:$T/blob" "TCP4:$PH_SRV:5002" \
		2>/dev/null
	ph_wait_exit "$pid" 15
	cmp -s "$T/blob" "$T/recv"
}

tcp_fails() { # tcp_fails NS DST PORT: no connection within 2 s
	! ph_in "$1" timeout 3 socat -u /dev/null \
		"TCP4:$2:$3,connect-timeout=2" 2>/dev/null
}

udp_probe() { # udp_probe NS DST PORT: send one datagram
	echo probe | ph_in "$1" timeout 2 socat -u - "UDP4-SENDTO:$2:$3" \
		2>/dev/null
	return 0
}

# ---- steps ------------------------------------------------------------------

step_start() {
	STEP="start"
	phd_start "$T/pinhole.conf" || return 1
	check "table ip pinhole exists" table_exists
	check "one queue rule per interface" [ "$(ph_in gw nft list chain \
		ip pinhole prerouting 2>/dev/null | grep -ic 'iifname.*queue')" = 2 ]
	check "static address $STATIC1 owned on outside" owned "$STATIC1"
	check "capabilities reduced to CAP_NET_ADMIN" grep -q \
		'^CapEff:[[:space:]]*0000000000001000$' "/proc/$PHD_PID/status"
	check "bounding set cleared" grep -q \
		'^CapBnd:[[:space:]]*0000000000001000$' "/proc/$PHD_PID/status"
	return 0
}

step_outbound() {
	STEP="outbound"
	ph_bg srv "$T/syslog-host.log" $TRAFFIC udp-log 514 150 \
		"$T/syslog-host.txt"
	wait_listen srv -u 514
	check "ICMP cli1 -> srv through PAT" ph_ping cli1 "$PH_SRV"
	check_log "302020 ICMP built" \
		'%PIX-6-302020: Built outbound ICMP connection for faddr 172\.18\.124\.99/[0-9]+ gaddr 172\.18\.124\.152/[0-9]+ laddr 10\.1\.1\.11/[0-9]+'
	check_log "305011 ICMP PAT" \
		'%PIX-6-305011: Built dynamic ICMP translation from inside:10\.1\.1\.11/[0-9]+ to outside:172\.18\.124\.152/[0-9]+'
	check "UDP cli1 -> srv seen from the PAT address" \
		peer_seen udp cli1 "$PH_SRV" 5001 "$PH_GW_OUT"
	check_log "302015 UDP built" \
		'%PIX-6-302015: Built outbound UDP connection [0-9]+ for outside:172\.18\.124\.99/5001 \(172\.18\.124\.99/5001\) to inside:10\.1\.1\.11/[0-9]+ \(172\.18\.124\.152/[0-9]+\)'
	check_log "305011 UDP PAT" \
		'305011: Built dynamic UDP translation from inside:10\.1\.1\.11/[0-9]+ to outside:172\.18\.124\.152/[0-9]+'
	check "TCP cli3 -> srv seen from the PAT address" \
		peer_seen tcp cli3 "$PH_SRV" 5003 "$PH_GW_OUT"
	check "TCP cli2 -> srv seen from its static address" \
		peer_seen tcp cli2 "$PH_SRV" 5003 "$STATIC1"
	check "TCP 1 MiB cli1 -> srv through PAT" tcp_bulk cli1
	check_log "302013 TCP built" \
		'%PIX-6-302013: Built outbound TCP connection [0-9]+ for outside:172\.18\.124\.99/5002 \(172\.18\.124\.99/5002\) to inside:10\.1\.1\.11/[0-9]+ \(172\.18\.124\.152/[0-9]+\)'
	check_log "302014 TCP teardown (FINs)" \
		'%PIX-6-302014: Teardown TCP connection [0-9]+ for outside:172\.18\.124\.99/5002 to inside:10\.1\.1\.11/[0-9]+ duration [0-9]+:[0-9]{2}:[0-9]{2} bytes [0-9]+ TCP FINs' 8
	check_log "305011 TCP PAT" \
		'305011: Built dynamic TCP translation from inside:10\.1\.1\.11/[0-9]+ to outside:172\.18\.124\.152/[0-9]+'
	check "TCP port 7000 denied by the inside ACL" \
		tcp_fails cli1 "$PH_SRV" 7000
	check_log "106023 by access-group acl-in" \
		'%PIX-4-106023: Deny tcp src inside:10\.1\.1\.11/[0-9]+ dst outside:172\.18\.124\.99/7000 by access-group "acl-in"'
	check "timestamps on (logging timestamp)" phd_wait_log \
		'^[A-Z][a-z]{2} [0-9 ][0-9] [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}: %PIX-6-302013'
	check "UDP logging host got <166>...%PIX-6-302013" ph_wait_line \
		"$T/syslog-host.txt" '^<166>.*%PIX-6-302013: Built outbound TCP' 5
	check "UDP logging host got no debug-level lines" \
		bash -c "! grep -q '^<167>' '$T/syslog-host.txt'"
}

step_inbound() {
	STEP="inbound"
	check "static + conduit: srv -> $STATIC1:5000 reaches cli2 untranslated" \
		peer_seen tcp srv "$STATIC1" 5000 "$PH_SRV" cli2
	check_log "302013 inbound TCP built" \
		'%PIX-6-302013: Built inbound TCP connection [0-9]+ for outside:172\.18\.124\.99/[0-9]+ \(172\.18\.124\.99/[0-9]+\) to inside:10\.1\.1\.12/5000 \(172\.18\.124\.205/5000\)'
	check "TCP to $STATIC1:5001 refused" tcp_fails srv "$STATIC1" 5001
	check_log "106001 inbound TCP denied" \
		"%PIX-2-106001: Inbound TCP connection denied from 172\.18\.124\.99/[0-9]+ to 172\.18\.124\.205/5001 flags SYN +on interface outside"
	udp_probe srv "$STATIC1" 5001
	check_log "106006 inbound UDP denied" \
		'%PIX-2-106006: Deny inbound UDP from 172\.18\.124\.99/[0-9]+ to 172\.18\.124\.205/5001 on interface outside'
	check "ICMP to $STATIC1 refused" ph_ping_none srv "$STATIC1"
	check_log "106014 inbound ICMP denied" \
		'%PIX-3-106014: Deny inbound icmp src outside:172\.18\.124\.99 dst (inside|outside):[0-9.]+ \(type 8, code 0\)'
	ph_in srv $TRAFFIC gre-send "$STATIC1"
	check_log "106010 inbound GRE denied" \
		'%PIX-3-106010: Deny inbound protocol 47 src outside:172\.18\.124\.99 dst (inside|outside):[0-9.]+'
	ph_in srv ip route add 10.1.1.0/24 via "$PH_GW_OUT"
	check "TCP to an inside address with no xlate refused" \
		tcp_fails srv 10.1.1.11 5000
	check_log "106011 no xlate" \
		'%PIX-3-106011: Deny inbound \(No xlate\) tcp src outside:172\.18\.124\.99/[0-9]+ dst (inside|outside):10\.1\.1\.11/5000'
	ph_in srv ip route del 10.1.1.0/24 via "$PH_GW_OUT"
}

json_ok() { # json_ok FILE KEY: FILE is one JSON object with KEY
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if sys.argv[2] in d else 1)' "$1" "$2"
}

step_ctl() {
	STEP="pinholectl"
	# a live connection for `show conn`
	ph_bg srv "$T/hold.log" timeout 20 socat -u TCP4-LISTEN:5004 /dev/null
	wait_listen srv -t 5004
	ph_bg cli1 "$T/holdc.log" timeout 15 socat -u \
		"EXEC:sleep 12" "TCP4:$PH_SRV:5004"
	sleep 0.8
	phd_ctl show conn >"$T/show-conn.txt" 2>&1
	check "show conn: count line" grep -Eq '^[0-9]+ in use, [0-9]+ most used$' \
		"$T/show-conn.txt"
	check "show conn: the held TCP connection" grep -Eq \
		'^TCP out 172\.18\.124\.99:5004 in 10\.1\.1\.11:[0-9]+ idle [0-9]+:[0-9]{2}:[0-9]{2} Bytes [0-9]+ flags' \
		"$T/show-conn.txt"
	phd_ctl show conn detail >"$T/show-conn-detail.txt" 2>&1
	check "show conn detail: legend and interfaces" grep -Eq \
		'^TCP outside:172\.18\.124\.99:5004 inside:10\.1\.1\.11:[0-9]+ \(172\.18\.124\.152:[0-9]+\)' \
		"$T/show-conn-detail.txt"
	phd_ctl show xlate >"$T/show-xlate.txt" 2>&1
	check "show xlate: the static" grep -q \
		"^Global $STATIC1 Local 10.1.1.12$" "$T/show-xlate.txt"
	check "show xlate: a PAT entry" grep -Eq \
		'^PAT Global 172\.18\.124\.152\([0-9]+\) Local 10\.1\.1\.11\([0-9]+\)$' \
		"$T/show-xlate.txt"
	phd_ctl show access-list >"$T/show-acl.txt" 2>&1
	check "show access-list: header" grep -q \
		'^access-list acl-in; 2 elements$' "$T/show-acl.txt"
	check "show access-list: deny line hit" grep -Eq \
		'^access-list acl-in line 2 deny tcp any any eq 7000 \(hitcnt=[1-9][0-9]*\)$' \
		"$T/show-acl.txt"
	check "show access-list: permit line hit" grep -Eq \
		'^access-list acl-in line 3 permit ip any any \(hitcnt=[1-9][0-9]*\)$' \
		"$T/show-acl.txt"
	check "show access-list NAME" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show access-list acl-in | grep -q 'line 1 remark'"
	phd_ctl show running-config >"$T/show-run.txt" 2>&1
	check "show running-config: canonical rules" grep -q \
		'^global (outside) 1 interface$' "$T/show-run.txt"
	check "show running-config = pinholed -t -p" bash -c \
		"'$PHD_BIN' -t -p -f '$T/pinhole.conf' 2>/dev/null | cmp -s - '$T/show-run.txt'"
	phd_ctl show counters >"$T/show-counters.txt" 2>&1
	check "show counters: engine, drop reasons, queue" bash -c \
		"grep -Eq '^  packets in +[1-9]' '$T/show-counters.txt' && grep -Eq '^  acl +[1-9]' '$T/show-counters.txt' && grep -q '^NFQUEUE 0' '$T/show-counters.txt'"
	phd_ctl show version >"$T/show-version.txt" 2>&1
	check "show version" grep -q '^pinholed ' "$T/show-version.txt"
	phd_ctl show logging >"$T/show-logging.txt" 2>&1
	check "show logging: buffered lines" grep -q '%PIX-6-302013' \
		"$T/show-logging.txt"
	phd_ctl -j show conn >"$T/show-conn.json" 2>&1
	check "-j show conn is JSON with connections" json_ok \
		"$T/show-conn.json" connections
	phd_ctl_ro -j show counters >"$T/show-counters.json" 2>&1
	check "-j show counters on the read-only socket" json_ok \
		"$T/show-counters.json" engine
	phd_ctl_ro clear conn >"$T/ro-clear.txt" 2>&1
	check "read-only socket refuses clear conn (exit 5)" [ $? = 5 ]
	check "show service-policy inspect pptp (off here)" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show service-policy inspect pptp | grep -q 'not configured'"
}

# udp_stream_check SOFTNET0 DROPS0: the sequence-numbered stream of
# step_reload kept its one connection, pinhole dropped nothing meanwhile,
# and every datagram arrived - or the ones that did not were dropped by
# the kernel's input backlog (machine load), which is reported, not
# counted against pinhole.
udp_stream_check() {
	local lost built kd pd
	lost=$(sed -n 's/.* lost=\([0-9]*\).*/\1/p' "$T/udp-recv.log")
	built=$(phd_log_count \
		'Built outbound UDP connection [0-9]+ for outside:172\.18\.124\.99/6001 ')
	check "UDP stream kept its one connection through both reloads" \
		[ "$built" = 1 ]
	pd=$(($(pinhole_drops) - $2))
	check "pinhole dropped nothing during the streams (engine, queue)" \
		[ "$pd" = 0 ]
	kd=$(($(softnet_drops) - $1))
	if [ "${lost:-x}" = 0 ]; then
		ok "UDP stream across both reloads: $(cat "$T/udp-recv.log")"
	elif [ -n "$lost" ] && [ "$pd" = 0 ] && [ "$kd" -ge "$lost" ]; then
		ok "UDP stream across both reloads: $(cat "$T/udp-recv.log")" \
			"- not pinhole's: the kernel's input backlog dropped" \
			"$kd packets meanwhile (machine load)"
	else
		bad "UDP stream across both reloads: $(cat "$T/udp-recv.log")" \
			"(kernel backlog drops meanwhile: $kd)"
	fi
}

step_reload() {
	local upid tpid sn0 pd0
	STEP="reload"
	sn0=$(softnet_drops)
	pd0=$(pinhole_drops)
	ph_bg srv "$T/udp-recv.log" $TRAFFIC udp-recv 6001 1200 5
	upid=$PH_LAST_PID
	ph_bg srv "$T/tcp-recv.log" $TRAFFIC tcp-recv 6002 20
	tpid=$PH_LAST_PID
	wait_listen srv -u 6001 && wait_listen srv -t 6002 ||
		bad "the stream receivers did not start"
	ph_bg cli1 "$T/udp-send.log" $TRAFFIC udp-send "$PH_SRV" 6001 1200 5
	ph_bg cli1 "$T/tcp-send.log" $TRAFFIC tcp-send "$PH_SRV" 6002 7
	sleep 1.5
	phd_ctl reload "$T/bad.conf" >"$T/reload-bad.txt" 2>&1
	check "bad reload fails (exit 1)" [ $? = 1 ]
	check "bad reload prints file:line:col" grep -Eq \
		"bad\.conf:[0-9]+:[0-9]+: error: " "$T/reload-bad.txt"
	check "bad reload says the configuration is unchanged" grep -q \
		'unchanged' "$T/reload-bad.txt"
	check_log "bad reload logged" 'reload of .*bad\.conf failed'
	check "old rules still in force" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show running-config | grep -q '^conduit permit tcp host $STATIC1 eq 5000 any'"
	sleep 1
	cp "$T/r2.conf" "$T/pinhole.conf"
	kill -HUP "$PHD_PID"
	check_log "good reload (SIGHUP) logged" 'pinholed: reloaded .*pinhole\.conf' 5
	check "new static address $STATIC2 owned after the reload" \
		owned "$STATIC2"
	ph_wait_exit "$upid" 30
	ph_wait_exit "$tpid" 30
	phd_ctl show counters >"$T/show-counters-reload.txt" 2>&1
	ph_in srv cat /proc/net/snmp >"$T/srv-snmp.txt" 2>&1
	udp_stream_check "$sn0" "$pd0"
	check "TCP stream across both reloads: $(cat "$T/tcp-recv.log")" \
		grep -q ' ok$' "$T/tcp-recv.log"
	STEP="rules 2"
	check "static + ACL: srv -> $STATIC2:5000 reaches cli3" \
		peer_seen tcp srv "$STATIC2" 5000 "$PH_SRV" cli3
	check "TCP to $STATIC1:5001 refused by acl-out" \
		tcp_fails srv "$STATIC1" 5001
	check_log "106023 by access-group acl-out" \
		'%PIX-4-106023: Deny tcp src outside:172\.18\.124\.99/[0-9]+ dst (inside|outside):[0-9.]+/5001 by access-group "acl-out"'
	check "outbound still works after the reload" ph_ping cli2 "$PH_SRV"
}

step_stop() {
	STEP="stop"
	phd_stop TERM || bad "pinholed did not exit on SIGTERM"
	check "exit status 0 after SIGTERM" [ "$PHD_RC" = 0 ]
	check "table removed" table_absent
	check "owned address $STATIC1 removed" not_owned "$STATIC1"
	check "owned address $STATIC2 removed" not_owned "$STATIC2"
	check "control sockets removed" bash -c \
		"[ ! -e '$PHD_SOCK' ] && [ ! -e '$PHD_RO' ]"
}

step_crash() {
	STEP="crash"
	cp "$T/r1.conf" "$T/pinhole.conf"
	phd_start "$T/pinhole.conf" || return
	phd_stop KILL
	check "table survives kill -9 (fail-closed)" table_exists
	check "nothing passes without the daemon" ph_ping_none cli1 "$PH_SRV"
	check "owned address left behind" owned "$STATIC1"
	phd_start "$T/pinhole.conf" || return
	check "restart removes the stale address" phd_wait_log \
		'removed 1 stale address' 1
	check "one rule per interface after restart" [ "$(ph_in gw nft list \
		chain ip pinhole prerouting 2>/dev/null |
		grep -ic 'iifname.*queue')" = 2 ]
	check "traffic passes again" ph_ping cli1 "$PH_SRV"
	phd_stop TERM
	check "clean stop" [ "$PHD_RC" = 0 ]
}

step_user() {
	STEP="--user"
	id nobody >/dev/null 2>&1 || {
		ok "skipped: no user 'nobody'"
		return
	}
	cp "$T/r1.conf" "$T/pinhole.conf"
	chmod 644 "$T/pinhole.conf"
	chmod 711 "$T"
	mkdir -p -m 755 "$T/pub"
	PHD_SOCK=$T/pub/ctl.sock PHD_RO=$T/pub/ro.sock
	phd_start "$T/pinhole.conf" -u nobody -g nogroup || return
	check "runs as nobody" grep -Eq \
		"^Uid:[[:space:]]+$(id -u nobody)[[:space:]]" "/proc/$PHD_PID/status"
	check "keeps CAP_NET_ADMIN only" grep -q \
		'^CapEff:[[:space:]]*0000000000001000$' "/proc/$PHD_PID/status"
	check "traffic passes" ph_ping cli1 "$PH_SRV"
	check "show conn works" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show conn | grep -q 'in use'"
	as_nobody "$PHD_CTL_BIN" -s "$PHD_SOCK" clear conn >/dev/null 2>&1
	check "--group member may clear (full socket)" [ $? = 0 ]
	as_nobody "$PHD_CTL_BIN" -s "$PHD_SOCK" reload >"$T/reload-nobody.txt" 2>&1
	check "--group member may reload the configured file" [ $? = 0 ]
	as_nobody "$PHD_CTL_BIN" -s "$PHD_SOCK" reload "$T/r2.conf" \
		>"$T/reload-file-nobody.txt" 2>&1
	check "but not reload FILE (root only, exit 5)" [ $? = 5 ]
	phd_stop TERM
	check "clean stop as nobody (table, addresses)" bash -c \
		"[ '$PHD_RC' = 0 ] && ! ip netns exec '$(ph_ns gw)' nft list table ip pinhole >/dev/null 2>&1 && ! ip netns exec '$(ph_ns gw)' ip -4 -o addr show dev outside | grep -q ' $STATIC1/32 '"
	rm -f "$PHD_SOCK" "$PHD_RO"
	PHD_SOCK=$T/ctl.sock PHD_RO=$T/ctl-ro.sock
}

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

step_errors() {
	local rc out
	STEP="errors"
	{
		common_rules
		echo "nameif dmz dmz security50"
	} | phd_rules nodev
	out=$(ph_in gw "$PHD_BIN" -d -f "$T/nodev.conf" -c "$T/x.sock" \
		-r none 2>&1)
	rc=$?
	check "missing interface: exit 1" [ "$rc" = 1 ]
	check "missing interface: clear message" grep -q \
		"interface 'dmz': Linux interface 'dmz' does not exist" \
		<<<"$out"
	out=$(ph_in gw "$PHD_BIN" -d -f "$T/bad.conf" 2>&1)
	rc=$?
	check "bad rules: exit 1" [ "$rc" = 1 ]
	check "bad rules: file:line:col" grep -Eq \
		'bad\.conf:[0-9]+:[0-9]+: error' <<<"$out"
	"$PHD_BIN" -f "$T/r1.conf" --queue 99999 >/dev/null 2>&1
	check "bad flag value: exit 2" [ $? = 2 ]
	"$PHD_BIN" --no-such-flag >/dev/null 2>&1
	check "unknown flag: exit 2" [ $? = 2 ]
	check "table left absent by failed starts" table_absent
	STEP="daemon mode"
	ph_in gw "$PHD_BIN" -f "$T/r1.conf" -c "$PHD_SOCK" -r none \
		-P "$T/pinholed.pid" >"$T/daemon-mode.out" 2>&1
	rc=$?
	check "returns 0 once the daemon is ready" [ "$rc" = 0 ]
	check "pidfile names a live pinholed" bash -c \
		"kill -0 \$(cat '$T/pinholed.pid') 2>/dev/null"
	check "it answers pinholectl" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show version | grep -q '^pinholed'"
	PHD_PID=$(cat "$T/pinholed.pid" 2>/dev/null)
	if [ -n "$PHD_PID" ]; then
		kill -TERM "$PHD_PID"
		local t=0
		while kill -0 "$PHD_PID" 2>/dev/null && [ $t -lt 50 ]; do
			sleep 0.1
			t=$((t + 1))
		done
		PHD_PID=""
	fi
	check "stopped: table and pidfile gone" bash -c \
		"! ip netns exec '$(ph_ns gw)' nft list table ip pinhole >/dev/null 2>&1 && [ ! -e '$T/pinholed.pid' ]"
}

main() {
	head -c 1M /dev/urandom >"$T/blob"
	write_rules
	STEP="topology"
	if ! ph_topo_build 3; then
		bad "could not build the namespaces"
		return
	fi
	ph_srv_no_return
	step_start || return
	step_outbound
	step_inbound
	step_ctl
	step_reload
	step_stop
	step_crash
	step_user
	step_errors
}

main
if [ "$FAILS" -ne 0 ]; then
	echo "FAILED: $FAILS check(s); logs in $LOGS"
	exit 1
fi
echo "PASS"
exit 0
