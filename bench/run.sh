#!/usr/bin/env bash
# bench/run.sh FIGURE [BUILDDIR] - measure one figure of issue 6, print its
# table and write it, with the date, the machine and the raw numbers, into
# docs/performance.md (its own "## ..." section, replaced on each run).
#
#   baselines  kernel forwarding, conntrack+MASQUERADE, the null NFQUEUE
#              program (batch and per-packet verdicts): UDP peak, TCP, cps
#   udp        (1) 64 B UDP through pinholed's PAT vs the null program
#   tcp        (2) one TCP stream through PAT vs kernel forwarding
#   overload   (3) unlimited offered load: delivered vs own peak, for
#              pinholed and the null program, and established flows
#   cps        (4) new TCP connections/s through PAT vs MASQUERADE
#   acl        (5) bench/acl_bench (its own section is its author's; only
#              printed here)
#   scale      (6) the engine alone at 1,000 and 1,000,000 connections:
#              ns and instructions per packet, bytes per connection
#   pptp       (7) the engine alone: 10,000 PPTP calls through one PAT
#              address: GRE cost with 10,000 calls vs 1, set-up time
#   queues     (8) pinholed --queues 1 vs 2
#   shed       the livelock counter-measure prototype: the null program
#              under unlimited load with and without nft shedding in
#              front of the queue
#   all        every figure above, in that order
#
# BUILDDIR defaults to build/bench; bench/make.sh builds it.  Environment:
# BL_REPS (3), BL_SECS (3 s per run), BL_NOWRITE=1 (print only),
# BL_PH_ARGS (more pinholed arguments, e.g. "--shed-hook nft"),
# BL_GW_RT=N (the gateway's program as SCHED_FIFO N), BL_CPS_CONC=N
# (connections in flight in the conn/s figure, 64), BL_OV_MODES (the
# overload figure's modes, e.g. "pinholed null").
#
# Every kernel figure runs in its own namespaces (bench/lib.sh): traffic
# never leaves them, every run is bounded by timeouts, and the namespaces
# are deleted on exit.  Each repetition measures the candidate and its
# baseline back to back, and the table shows medians of BL_REPS
# repetitions.  Figures whose code has not landed print "pending: why".
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fig=${1:-}
[ -n "${2:-}" ] && BL_BUILD=$(cd "$2" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=fig-kernel.sh
. "$here/fig-kernel.sh"
# shellcheck source=fig-engine.sh
. "$here/fig-engine.sh"

usage() {
	sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//; /^set -u/d'
}

run_one() {
	case $1 in
	baselines | udp | tcp | overload | cps | queues | shed)
		kernel_figure "$1"
		;;
	acl | scale | pptp) "fig_$1" ;;
	*)
		usage >&2
		return 2
		;;
	esac
}

case $fig in
all)
	rc=0
	for f in baselines udp tcp overload cps acl scale pptp queues shed; do
		echo "=== $f"
		(run_one "$f") || rc=1
	done
	exit $rc
	;;
"" | -h | --help)
	usage
	exit 0
	;;
*)
	run_one "$fig"
	;;
esac
