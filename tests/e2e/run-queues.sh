#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/e2e/run-queues.sh BUILDDIR - pinholed --queues 2 end to end: two
# NFQUEUE queues, one thread each, one shared engine (docs/architecture.md,
# "Threads").  Topology of tests/e2e/lib.sh with 2 clients; PAT of
# 10.1.1.0/24 to the outside interface, so the replies come back addressed
# to the gateway and may be read from the other queue than the packets
# that built the connection.  Checks:
#   options    --queues 0 / 65 / a range past 65535 exit 2 with a message
#   start-up   "queue 0-1" logged, both queues bound in the gateway's
#              namespace, one queue rule per interface over the range with
#              CPU fanout, a worker thread besides the main one
#   traffic    from each client pinned to its own CPU (CPU fanout picks the
#              queue by the CPU the packet is processed on): UDP and TCP
#              through PAT seen from the PAT address, a 1 MiB TCP transfer
#              per client intact; `show counters` has per-queue lines and
#              (with 2 or more CPUs) both queues verdicted packets, and the
#              totals are the sum of the queues
#   reload     under two UDP streams (one per CPU, sequence numbers) and a
#              TCP stream: `pinholectl reload` and SIGHUP; every stream
#              keeps its one connection and loses nothing pinhole dropped
#   stop       SIGTERM: exit 0, table gone, no queue bound
# Needs root; prints SKIP and exits 0 otherwise.  Logs are kept in
# BUILDDIR/e2e-logs/queues/.  PH_QUEUES_EXTRA (words) is appended to the
# daemon's command line (e.g. a ThreadSanitizer build's options).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/daemon-lib.sh"

ph_require_root || exit 0
ph_require_cmds ip nft socat timeout python3 cmp ss taskset || exit 0
build=$(readlink -f "${1:-${PH_BUILDDIR:-.}}")
TRAFFIC="python3 $here/daemon-traffic.py"
NCPU=$(nproc)


phd_script queues 170 || exit 1
# shellcheck disable=SC2206 # word splitting wanted
EXTRA=(${PH_QUEUES_EXTRA:-})

rules() { # rules TAG: the rule set; TAG only changes a remark
	cat <<EOF
hostname pinhole-queues
nameif outside outside security0
nameif inside inside security100
ip address outside 172.18.124.152 255.255.255.0
ip address inside 10.1.1.1 255.255.255.0
access-list acl-in remark rule set $1
access-list acl-in deny tcp any any eq 7000
access-list acl-in permit ip any any
access-group acl-in in interface inside
nat (inside) 1 10.1.1.0 255.255.255.0 0 0
global (outside) 1 interface
logging on
logging buffered informational
EOF
}

# ---- helpers ----------------------------------------------------------------

table_exists() { ph_in gw nft list table ip pinhole >/dev/null 2>&1; }
table_absent() { ! table_exists; }
bound_queues() { # the queue numbers bound in the gateway's namespace
	ph_in gw awk '{print $1}' /proc/net/netfilter/nfnetlink_queue \
		2>/dev/null | sort -n | tr '\n' ' '
}

cpu_of() { # cpu_of CLIENT_NUMBER: the CPU its traffic is pinned to
	echo $((($1 - 1) % NCPU))
}

on_cpu() { # on_cpu CLIENT_NUMBER CMD...: in cliN, pinned to its CPU
	local i=$1
	shift
	ph_in "cli$i" taskset -c "$(cpu_of "$i")" "$@"
}

# pat_seen udp|tcp CLIENT_NUMBER PORT: srv saw the PAT address (the client
# pinned to its CPU)
pat_seen() {
	PEER_RUN=on_cpu peer_seen "$1" "$2" "$PH_SRV" "$3" "$PH_GW_OUT"
}

tcp_bulk() { # tcp_bulk CLIENT_NUMBER PORT: 1 MiB to srv, byte for byte
	local i=$1 port=$2 pid
	rm -f "$T/recv-$i"
	ph_bg srv "$T/tcpsrv-$i.log" timeout 20 socat -u \
		"TCP4-LISTEN:$port,reuseaddr" "OPEN:$T/recv-$i,creat,trunc"
	pid=$PH_LAST_PID
	wait_listen srv -t "$port"
	on_cpu "$i" timeout 15 socat -u "OPEN:$T/blob" \
		"TCP4:$PH_SRV:$port" 2>/dev/null
	ph_wait_exit "$pid" 15
	cmp -s "$T/blob" "$T/recv-$i"
}

counters_json() { phd_ctl -j show counters >"$T/counters.json" 2>&1; }

# queue_field INDEX KEY: a per-queue counter from counters.json
queue_field() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["queue"]["queues"][int(sys.argv[2])][sys.argv[3]])' \
		"$T/counters.json" "$1" "$2"
}

totals_are_sums() {
	python3 -c '
import json, sys
q = json.load(open(sys.argv[1]))["queue"]
for k in ("received", "accepted", "dropped", "modified"):
    if q[k] != sum(e[k] for e in q["queues"]):
        sys.exit("%s: total %d, queues %s" % (k, q[k],
                 [e[k] for e in q["queues"]]))' "$T/counters.json"
}


# ---- steps ------------------------------------------------------------------

step_options() {
	local out rc
	STEP="options"
	for args in "--queues 0" "--queues 65" "--queues x" \
		"--queue 65535 --queues 2"; do
		# shellcheck disable=SC2086 # split on purpose
		out=$("$PHD_BIN" -d -f "$T/pinhole.conf" $args 2>&1)
		rc=$?
		check "pinholed $args: exit 2 ($rc): $(echo "$out" | head -1)" \
			[ "$rc" = 2 ]
	done
	check "--help documents --queues" bash -c \
		"'$PHD_BIN' --help | grep -q -- '--queues N'"
}

step_start() {
	local threads
	STEP="start"
	phd_start "$T/pinhole.conf" --queues 2 "${EXTRA[@]}" || return 1
	check_log "start-up names the queue range" \
		'pinholed: started: .*queue 0-1 '
	check "queues 0 and 1 bound in the gateway namespace ($(bound_queues))" \
		[ "$(bound_queues)" = "0 1 " ]
	ph_in gw nft list chain ip pinhole prerouting >"$T/chain.txt" 2>&1
	check "one queue rule per interface, over 0-1 with CPU fanout" [ \
		"$(grep -Eic '(queue.*(num|to) 0-1.*fanout|queue-balance 0:1.*cpu-fanout)' \
			"$T/chain.txt")" = 2 ]
	threads=$(ls "/proc/$PHD_PID/task" | wc -l)
	check "a worker thread besides the main one ($threads threads)" \
		[ "$threads" -ge 2 ]
	check "the worker is named pinholed-q1" grep -qx 'pinholed-q1' \
		"/proc/$PHD_PID/task/"*/comm
}

step_traffic() {
	local r0 r1
	STEP="traffic"
	check "UDP cli1 (CPU $(cpu_of 1)) seen from the PAT address" \
		pat_seen udp 1 5001
	check "UDP cli2 (CPU $(cpu_of 2)) seen from the PAT address" \
		pat_seen udp 2 5011
	check "TCP cli1 seen from the PAT address" pat_seen tcp 1 5002
	check "TCP cli2 seen from the PAT address" pat_seen tcp 2 5012
	check "TCP 1 MiB cli1 -> srv through PAT" tcp_bulk 1 5003
	check "TCP 1 MiB cli2 -> srv through PAT" tcp_bulk 2 5013
	check_log "302013 TCP built" \
		'%PIX-6-302013: Built outbound TCP connection [0-9]+ for outside:172\.18\.124\.99/5013 '
	check_log "302014 TCP teardown (FINs)" \
		'%PIX-6-302014: Teardown TCP connection [0-9]+ for outside:172\.18\.124\.99/5013 .* TCP FINs' 8
	sleep 1.2 # the workers publish their counters at least once a second
	counters_json
	phd_ctl show counters >"$T/show-counters.txt" 2>&1
	check "show counters: a line per queue" grep -Eq \
		'^  1 +[0-9]+ +[0-9]+ ' "$T/show-counters.txt"
	check "show counters: the title names the range" grep -q \
		'^NFQUEUE 0-1 (' "$T/show-counters.txt"
	r0=$(queue_field 0 received)
	r1=$(queue_field 1 received)
	if [ "$NCPU" -ge 2 ]; then
		check "queue 0 verdicted packets (received $r0)" [ "$r0" -gt 0 ]
		check "queue 1 verdicted packets (received $r1)" [ "$r1" -gt 0 ]
	else
		ok "one CPU: CPU fanout uses queue 0 only (received $r0, $r1)"
	fi
	check "totals are the sums of the queues" totals_are_sums
}

step_reload() {
	local sn0 pd0 u1 u2 tp lost kd pd built i
	STEP="reload"
	sn0=$(softnet_drops)
	pd0=$(pinhole_drops)
	ph_bg srv "$T/udp-recv-1.log" $TRAFFIC udp-recv 6001 1500 5
	u1=$PH_LAST_PID
	ph_bg srv "$T/udp-recv-2.log" $TRAFFIC udp-recv 6011 1500 5
	u2=$PH_LAST_PID
	ph_bg srv "$T/tcp-recv.log" $TRAFFIC tcp-recv 6002 20
	tp=$PH_LAST_PID
	wait_listen srv -u 6001 && wait_listen srv -u 6011 &&
		wait_listen srv -t 6002 || bad "the stream receivers did not start"
	ph_bg cli1 "$T/udp-send-1.log" taskset -c "$(cpu_of 1)" \
		$TRAFFIC udp-send "$PH_SRV" 6001 1500 4
	ph_bg cli2 "$T/udp-send-2.log" taskset -c "$(cpu_of 2)" \
		$TRAFFIC udp-send "$PH_SRV" 6011 1500 4
	ph_bg cli2 "$T/tcp-send.log" taskset -c "$(cpu_of 2)" \
		$TRAFFIC tcp-send "$PH_SRV" 6002 6
	sleep 1.5
	rules two | phd_rules pinhole
	phd_ctl reload >"$T/reload-ctl.txt" 2>&1
	check "pinholectl reload under traffic (exit $?)" [ $? = 0 ]
	sleep 1.5
	rules three | phd_rules pinhole
	kill -HUP "$PHD_PID"
	check_log "SIGHUP reload logged" 'pinholed: reloaded .*pinhole\.conf' 5
	check "the new rules are in force" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show running-config | grep -q 'rule set three'"
	ph_wait_exit "$u1" 30
	ph_wait_exit "$u2" 30
	ph_wait_exit "$tp" 30
	pd=$(($(pinhole_drops) - pd0))
	kd=$(($(softnet_drops) - sn0))
	check "pinhole dropped nothing during the streams (engine, queues)" \
		[ "$pd" = 0 ]
	for i in 1 2; do
		built=$(phd_log_count \
			"Built outbound UDP connection [0-9]+ for outside:172\.18\.124\.99/60$((i - 1))1 ")
		check "UDP stream $i kept its one connection" [ "$built" = 1 ]
		lost=$(sed -n 's/.* lost=\([0-9]*\).*/\1/p' "$T/udp-recv-$i.log")
		if [ "${lost:-x}" = 0 ]; then
			ok "UDP stream $i: $(cat "$T/udp-recv-$i.log")"
		elif [ -n "$lost" ] && [ "$pd" = 0 ] && [ "$kd" -ge "$lost" ]; then
			ok "UDP stream $i: $(cat "$T/udp-recv-$i.log") - not" \
				"pinhole's: the kernel's input backlog dropped $kd"
		else
			bad "UDP stream $i: $(cat "$T/udp-recv-$i.log")" \
				"(kernel backlog drops meanwhile: $kd)"
		fi
	done
	check "TCP stream across both reloads: $(cat "$T/tcp-recv.log")" \
		grep -q ' ok$' "$T/tcp-recv.log"
	counters_json
	check "both reloads counted" python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["daemon"]["reloads"] == 2 else 1)' \
		"$T/counters.json"
}

step_stop() {
	STEP="stop"
	phd_stop TERM
	check "SIGTERM: exit 0 (${PHD_RC:-none})" [ "${PHD_RC:-x}" = 0 ]
	check "table removed" table_absent
	check "no queue bound any more" [ -z "$(bound_queues)" ]
	check "no sanitizer report" bash -c \
		"! grep -Eq 'ThreadSanitizer|AddressSanitizer|runtime error' '$PHD_LOG'"
}

# ---- run --------------------------------------------------------------------

if ! ph_topo_build 2; then
	echo "FAIL: topology"
	exit 1
fi
ph_srv_no_return
head -c 1048576 /dev/urandom >"$T/blob"
rules one | phd_rules pinhole
echo "# $NCPU CPU(s); clients pinned: cli1 CPU $(cpu_of 1), cli2 CPU $(cpu_of 2)"
step_options
if step_start; then
	step_traffic
	step_reload
	step_stop
else
	bad "pinholed --queues 2 did not start"
fi
if [ "$FAILS" -ne 0 ]; then
	echo "FAILED: $FAILS check(s); logs in $LOGS"
	exit 1
fi
echo "PASSED"
exit 0
