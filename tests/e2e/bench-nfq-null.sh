#!/usr/bin/env bash
# tests/e2e/bench-nfq-null.sh BUILDDIR [SECONDS] - rough throughput of the
# null NFQUEUE program in the e2e topology (not part of ctest: timing).
#
# For each mode: UDP 64-byte datagrams from cli1 to srv with iperf3 at a
# fixed offered rate (delivered pps measured at the receiver), and one TCP
# stream.  The gateway's queue program is pinned to CPU 1 and its receive
# processing steered there with RPS; the traffic runs on CPU 0, as in
# /work/shared/reference/nfqueue-baseline.md.  Numbers are noisy on a
# shared 2-core VM: compare modes within one run only.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
ph_require_root || exit 0
ph_require_cmds iperf3 taskset python3 || exit 0
build=${1:-${PH_BUILDDIR:-}}
secs=${2:-3}
rate=${PH_BENCH_RATE:-400M} # offered UDP bit rate (64 B payload)
NULL="$build/pinhole-nfq-null"
[ -x "$NULL" ] || {
	echo "no $NULL"
	exit 1
}
ph_trap_cleanup
ph_mktemp || exit 1
T=$PH_TMP
ph_topo_build 1
ph_in gw sh -c 'for d in inside outside; do
	echo 2 > /sys/class/net/$d/queues/rx-0/rps_cpus; done' 2>/dev/null

udp_pps() {
	local pid
	ph_bg srv "$T/srv.log" taskset -c 0 iperf3 -s -1 -J
	pid=$PH_LAST_PID
	sleep 0.5
	ph_in cli1 taskset -c 0 timeout $((secs + 10)) iperf3 -u -l 64 -P 4 \
		-b "$rate" -t "$secs" -c "$PH_SRV" >/dev/null 2>&1
	ph_wait_exit "$pid" 10
	python3 -c 'import json,sys
j=json.load(open(sys.argv[1])); s=j["end"]["sum"]
print("%d pps delivered (%.1f%% lost)" % ((s["packets"]-s["lost_packets"])/s["seconds"], s["lost_percent"]))' "$T/srv.log" 2>/dev/null || echo "n/a"
}

tcp_gbps() {
	local pid
	ph_bg srv "$T/srv.log" taskset -c 0 iperf3 -s -1 -J
	pid=$PH_LAST_PID
	sleep 0.5
	ph_in cli1 taskset -c 0 timeout $((secs + 10)) iperf3 -t "$secs" \
		-c "$PH_SRV" >/dev/null 2>&1
	ph_wait_exit "$pid" 10
	python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
print("%.2f Gbit/s" % (j["end"]["sum_received"]["bits_per_second"]/1e9))' "$T/srv.log" 2>/dev/null || echo "n/a"
}

bench() {
	local name=$1 pid
	shift
	if [ "$name" != kernel ]; then
		ph_bg gw "$T/null.log" taskset -c 1 "$NULL" --iface inside \
			--iface outside "$@"
		pid=$PH_LAST_PID
		ph_wait_line "$T/null.log" '^ready' 10 || return
	fi
	printf '%-22s UDP64 %-36s TCP %s\n' "$name" "$(udp_pps)" "$(tcp_gbps)"
	if [ "$name" != kernel ]; then
		kill -TERM "$pid"
		ph_wait_exit "$pid" 10
		grep '^stats' "$T/null.log" | tr ' ' '\n' |
			grep -E '^(received|enobufs|queue_dropped|user_dropped)=' |
			tr '\n' ' '
		echo
	fi
}

echo "offered UDP rate $rate, ${secs}s per test"
bench kernel
bench "null batched"
bench "null per-packet" --per-packet
bench "null batched no-gso" --no-gso
bench "null echo (rewrite)" --echo
