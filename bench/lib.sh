# bench/lib.sh - shared pieces of the bench/run-*.sh figures: the
# three-namespace topology, CPU placement, the gateway modes (kernel
# forwarding, conntrack+MASQUERADE, the null NFQUEUE program, pinholed),
# traffic runs, medians, the machine line and the docs/performance.md
# section writer.  Source it from bash; it runs nothing by itself.
#
# Topology (namespace helpers and cleanup from tests/e2e/lib.sh; names
# ph-<pid>-<role>, all deleted on exit):
#
#   cli eth0 10.1.1.11 ---- inside [gw] outside ---- eth0 srv 172.18.124.99
#                      10.1.1.1      172.18.124.152
#
# One veth pair per side, no bridge (tests/e2e's bridge namespace would
# put a bridge hop on the generator's CPU).  CPU placement as in
# /work/shared/reference/nfqueue-baseline.md: the gateway's receive
# processing is steered to CPU 1 with RPS on both gateway interfaces and
# the queue program / pinholed is pinned to CPU 1; the generator, the
# receiver and the end hosts' receive processing (RPS on cli and srv) are
# on CPU 0.  Nothing else is moved: other jobs on the machine still run on
# both CPUs (the load average is recorded with each result).

BL_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BL_SRC=$(cd "$BL_HERE/.." && pwd)
# shellcheck source=../tests/e2e/lib.sh
. "$BL_SRC/tests/e2e/lib.sh"

BL_CLI=10.1.1.11
BL_GLOBAL=172.18.124.201 # pinholed's PAT address
BL_CPU_GW=${BL_CPU_GW:-1}
BL_CPU_GEN=${BL_CPU_GEN:-0}
BL_REPS=${BL_REPS:-3}
BL_SECS=${BL_SECS:-3}
BL_BUILD=${BL_BUILD:-$BL_SRC/build/bench}
# The traffic tools run at nice -10 so that the other jobs of a shared
# machine (builds at nice 0, fuzzers at nice 5) take less of the
# generator's CPU.  The gateway's program (BL_GW_NICE, set per figure by
# fig-kernel.sh) runs at nice -10 for the throughput figures, the nearest
# this machine gets to a CPU of its own, and at nice 0 for the overload
# figures, where its weight against ksoftirqd (nice 0) is what is being
# measured.
BL_NICE=${BL_NICE:--10}
# BL_GW_RT=N (default unset: off) runs the gateway's program (pinholed,
# the null program) as SCHED_FIFO priority N, so that it runs as soon as
# a packet waits, as the kernel's softirq path (MASQUERADE) does; at nice
# -10 it can wait behind other jobs for a scheduler slice.  Use it with
# BL_NOWRITE=1: the section header written says nice.
BL_GW_RT=${BL_GW_RT:-}
# BL_CPS_CONC=N: connections the conn/s figure keeps in flight (default 64;
# the figure's notes say 64).
BL_PERF=${BL_PERF:-$BL_SRC/docs/performance.md}
BL_MODE_PID=""
BL_PENDING=""

bl_log() {
	printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

# The checks every kernel figure needs; status 1 with the reason printed.
bl_require() {
	ph_require_root || return 1
	ph_require_cmds ip nft taskset timeout iperf3 || return 1
	local p
	for p in ph-udpgen ph-udpsink ph-tcpcps pinhole-nfq-null pinholed; do
		if [ ! -x "$BL_BUILD/$p" ]; then
			echo "missing $BL_BUILD/$p: run bench/make.sh first"
			return 1
		fi
	done
}

# rps MASK on every rx queue of IFACE in ROLE.
bl_rps() {
	ph_in "$1" sh -c "for q in /sys/class/net/$2/queues/rx-*; do
		echo $3 > \$q/rps_cpus; done" 2>/dev/null
}

bl_mask() {
	printf '%x' $((1 << $1))
}

bl_topo() {
	ph_ns_add gw && ph_ns_add srv && ph_ns_add cli || return 1
	ph_veth cli eth0 gw inside || return 1
	ph_veth gw outside srv eth0 || return 1
	ph_in cli ip addr add "$BL_CLI/24" dev eth0
	ph_in cli ip route add default via "$PH_GW_IN"
	ph_in gw ip addr add "$PH_GW_IN/24" dev inside
	ph_in gw ip addr add "$PH_GW_OUT/24" dev outside
	ph_in srv ip addr add "$PH_SRV/24" dev eth0
	ph_in srv ip route add default via "$PH_GW_OUT"
	ph_gw_sysctls
	bl_rps gw inside "$(bl_mask "$BL_CPU_GW")"
	bl_rps gw outside "$(bl_mask "$BL_CPU_GW")"
	bl_rps cli eth0 "$(bl_mask "$BL_CPU_GEN")"
	bl_rps srv eth0 "$(bl_mask "$BL_CPU_GEN")"
	# short connections: wide client port range, deep server backlog
	ph_in cli sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	ph_in srv sysctl -qw net.core.somaxconn=65535
	ph_in srv sysctl -qw net.ipv4.tcp_max_syn_backlog=65535
	# the "light receiver": count and drop the UDP load at srv's
	# prerouting, so no socket is in the way (see bl_udp)
	ph_in srv nft -f - <<-'EOF'
		table ip phbench_rx {
			counter udp9000 { }
			counter udp9001 { }
			counter udpnew { }
			chain pre {
				type filter hook prerouting priority raw;
				udp dport 9000 counter name udp9000 drop
				udp dport 9001 counter name udp9001 drop
				udp dport 20000-60000 counter name udpnew drop
			}
		}
	EOF
	ph_in gw ping -c1 -W1 "$BL_CLI" >/dev/null 2>&1
	ph_in gw ping -c1 -W1 "$PH_SRV" >/dev/null 2>&1
	return 0
}

bl_gw_mac() {
	ph_in gw cat /sys/class/net/inside/address
}

# ---- the machine line ----------------------------------------------------

bl_machine() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	printf '%s, nproc %s, "%s", kernel %s' "$(date -u +%Y-%m-%d)" \
		"$(nproc)" "$cpu" "$(uname -r)"
}

bl_loadavg() {
	cut -d' ' -f1-3 /proc/loadavg
}

# ---- numbers -------------------------------------------------------------

# median of the arguments (numbers; "-" entries are ignored)
bl_median() {
	printf '%s\n' "$@" | grep -v '^-$' | grep -v '^$' | sort -g |
		awk '{v[NR]=$1} END {if (NR==0) {print "-"; exit}
			if (NR%2) print v[(NR+1)/2];
			else printf "%.0f\n", (v[NR/2]+v[NR/2+1])/2}'
}

# ratio A B as a percentage with one decimal, "-" if either is missing
bl_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "" || b == "" || b == 0)
			print "-"; else printf "%.1f\n", 100 * a / b }'
}

# met? PCT TARGET -> yes/no/-
bl_met() {
	awk -v p="$1" -v t="$2" 'BEGIN {
		if (p == "-") print "-"; else print (p >= t ? "yes" : "no") }'
}

# value of key=VALUE in a line of key=value pairs
bl_kv() {
	tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2; exit}'
}

# ---- gateway modes -------------------------------------------------------
#
# bl_mode_start MODE [ARGS...]; bl_mode_stop.  MODE is one of
#   kernel                  forwarding, no filter
#   masq                    kernel conntrack + MASQUERADE on outside
#   null [nfq-null args]    pinhole-nfq-null on inside and outside, CPU 1
#   pinholed [args]         pinholed with bench/pix-bench.conf, CPU 1
# A mode that cannot start sets BL_PENDING to the reason and returns 1.

BL_MODE=""

bl_mode_start() {
	BL_MODE=$1
	shift
	BL_PENDING=""
	case $BL_MODE in
	kernel) return 0 ;;
	masq) bl_masq_on ;;
	null) bl_null_on "$@" ;;
	pinholed) bl_pinholed_on "$@" ;;
	*)
		BL_PENDING="unknown mode $BL_MODE"
		return 1
		;;
	esac
}

bl_masq_on() {
	ph_in gw nft -f - <<-'EOF'
		table ip phbench_nat {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "outside" masquerade
			}
		}
	EOF
}

bl_null_on() {
	# shellcheck disable=SC2086
	ph_bg gw "$PH_TMP/null.log" nice -n "$BL_GW_NICE" \
		${BL_GW_RT:+chrt -f $BL_GW_RT} taskset -c "$BL_CPU_GW" \
		"$BL_BUILD/pinhole-nfq-null" --iface inside --iface outside "$@"
	BL_MODE_PID=$PH_LAST_PID
	if ! ph_wait_line "$PH_TMP/null.log" '^ready' 10; then
		BL_PENDING="pinhole-nfq-null did not start: $(head -c 200 \
			"$PH_TMP/null.log")"
		return 1
	fi
}

# pinholed needs its daemon mode (not only -t).  It is "up" when its nft
# table exists in gw and it still runs.
bl_pinholed_on() {
	local t=0 help extra=()
	help=$("$BL_BUILD/pinholed" --help 2>&1)
	grep -q -- '--foreground' <<<"$help" && extra+=(-F)
	grep -q -- '--control ' <<<"$help" && extra+=(-c "$PH_TMP/ctl.sock")
	grep -q -- '--control-ro' <<<"$help" && extra+=(-r none)
	# BL_PH_ARGS: more pinholed arguments for every figure (word-split)
	# shellcheck disable=SC2086
	ph_bg gw "$PH_TMP/pinholed.log" nice -n "$BL_GW_NICE" \
		${BL_GW_RT:+chrt -f $BL_GW_RT} taskset -c "$BL_CPU_GW" \
		"$BL_BUILD/pinholed" -f "$BL_HERE/pix-bench.conf" \
		-i ethernet0=outside -i ethernet1=inside "${extra[@]}" \
		${BL_PH_ARGS:-} "$@"
	BL_MODE_PID=$PH_LAST_PID
	while [ "$t" -lt 50 ]; do
		if ! kill -0 "$BL_MODE_PID" 2>/dev/null; then
			BL_PENDING="pinholed has no daemon mode yet (it exits: $(
				head -n1 "$PH_TMP/pinholed.log" | head -c 160))"
			BL_MODE_PID=""
			return 1
		fi
		if ph_in gw nft list table ip pinhole >/dev/null 2>&1; then
			sleep 0.3
			# only translated traffic can come back
			ph_srv_no_return
			bl_verify_pat && return 0
			bl_mode_stop
			return 1
		fi
		sleep 0.1
		t=$((t + 1))
	done
	BL_PENDING="pinholed did not install its nft table in 5 s"
	bl_mode_stop
	return 1
}

bl_mode_stop() {
	case $BL_MODE in
	masq) ph_in gw nft delete table ip phbench_nat 2>/dev/null ;;
	null | pinholed)
		if [ -n "$BL_MODE_PID" ]; then
			kill -TERM "$BL_MODE_PID" 2>/dev/null
			ph_wait_exit "$BL_MODE_PID" 10 ||
				kill -KILL "$BL_MODE_PID" 2>/dev/null
		fi
		ph_in gw nft delete table ip pinhole 2>/dev/null
		ph_in srv ip route replace default via "$PH_GW_OUT"
		;;
	esac
	BL_MODE_PID=""
	BL_MODE=""
	return 0
}

# ---- traffic -------------------------------------------------------------

# srv's light-receiver counter (packets) for port ${1:-9000}
bl_rx_count() {
	ph_in srv nft list counter ip phbench_rx "udp${1:-9000}" 2>/dev/null |
		awk '/packets/ {for (i = 1; i <= NF; i++)
			if ($i == "packets") print $(i + 1)}'
}

# bl_udp RATE [SECS] [extra ph-udpgen args]: UDP 64 B from 1024 ports,
# cli -> srv:9000 for SECS, after a 1 s warm-up of the same flows at a low
# rate (so PAT flows are established).  RATE 0 = unlimited (AF_PACKET
# generator).  Prints "offered=PPS delivered=PPS" where delivered is
# counted by srv's nft counter over the measured run.
bl_udp() {
	local rate=$1 secs=${2:-$BL_SECS} out n0 n1 c0 c1 sent gsecs mac
	shift 2 2>/dev/null || shift $#
	mac=$(bl_gw_mac)
	ph_in cli nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" "$BL_BUILD/ph-udpgen" \
		--dst "$PH_SRV" --rate 20000 --duration 1 "$@" >/dev/null
	sleep 0.3
	n0=$(bl_rx_count)
	c0=$(bl_prog_ticks)
	if [ "$rate" = 0 ]; then
		out=$(ph_in cli nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" timeout $((secs + 10)) \
			"$BL_BUILD/ph-udpgen" --dst "$PH_SRV" --rate 0 \
			--duration "$secs" --iface eth0 --dst-mac "$mac" "$@")
	else
		out=$(ph_in cli nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" timeout $((secs + 10)) \
			"$BL_BUILD/ph-udpgen" --dst "$PH_SRV" --rate "$rate" \
			--duration "$secs" "$@")
	fi
	c1=$(bl_prog_ticks)
	sleep 0.3
	n1=$(bl_rx_count)
	sent=$(bl_kv "$out" sent)
	gsecs=$(bl_kv "$out" secs)
	awk -v s="$sent" -v t="$gsecs" -v a="$n0" -v b="$n1" -v c0="$c0" \
		-v c1="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		cpu = "-"
		if (c0 != "-" && c1 != "-")
			cpu = sprintf("%.0f%%", 100 * (c1 - c0) / hz / t)
		printf "offered=%.0f delivered=%.0f prog_cpu=%s\n", s / t,
			(b - a) / t, cpu }'
}

# CPU ticks (user + system) of the gateway's program so far, "-" if none
bl_prog_ticks() {
	if [ -n "$BL_MODE_PID" ] && [ -r "/proc/$BL_MODE_PID/stat" ]; then
		awk '{print $14 + $15}' "/proc/$BL_MODE_PID/stat"
	else
		echo "-"
	fi
}

# bl_udp_sink RATE [SECS] [extra ph-udpgen args]: the same load to port
# 9002 and ph-udpsink (a socket receiver with per-flow loss and the
# translated source) instead of the nft counter; prints the sink's and
# the generator's lines.
bl_udp_sink() {
	local rate=$1 secs=${2:-$BL_SECS} pid
	shift 2 2>/dev/null || shift $#
	ph_bg srv "$PH_TMP/sink.log" nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" \
		"$BL_BUILD/ph-udpsink" --port 9002 --idle 1 \
		--duration $((secs + 20))
	pid=$PH_LAST_PID
	ph_wait_line "$PH_TMP/sink.log" '^ready' 5
	ph_in cli nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" timeout $((secs + 10)) \
		"$BL_BUILD/ph-udpgen" --dst "$PH_SRV" --port 9002 \
		--rate "$rate" --duration "$secs" "$@" >"$PH_TMP/gen.log"
	ph_wait_exit "$pid" 15
	grep '^udpsink' "$PH_TMP/sink.log"
	grep '^udpgen' "$PH_TMP/gen.log"
}

# pinholed really translates: 1 s of UDP reaches the sink from the PAT
# address (loss is reported by the figures, not judged here: a loaded
# machine loses packets).  Sets BL_PENDING and returns 1 otherwise.
bl_verify_pat() {
	local out src
	out=$(bl_udp_sink 2000 1)
	src=$(bl_kv "$out" first_src)
	if [ "${src%%:*}" != "$BL_GLOBAL" ]; then
		BL_PENDING="pinholed does not translate as configured (server saw ${src:-nothing})"
		return 1
	fi
}

# bl_tcp [SECS]: one iperf3 TCP stream cli -> srv; prints "GBIT/S CPU"
# (CPU: the gateway program's share of a CPU during the run, or "-").
bl_tcp() {
	local secs=${1:-$BL_SECS} pid c0 c1 t0 t1
	ph_bg srv "$PH_TMP/iperf.json" nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" \
		iperf3 -s -1 -J
	pid=$PH_LAST_PID
	sleep 0.5
	c0=$(bl_prog_ticks)
	t0=$(date +%s.%N)
	ph_in cli nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" timeout $((secs + 15)) \
		iperf3 -t "$secs" -c "$PH_SRV" >/dev/null 2>&1
	c1=$(bl_prog_ticks)
	t1=$(date +%s.%N)
	ph_wait_exit "$pid" 10 || kill -KILL "$pid" 2>/dev/null
	python3 -c 'import json,sys
try:
    j = json.load(open(sys.argv[1]))
    g = "%.2f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9)
except Exception:
    g = "-"
print(g, sys.argv[2])' "$PH_TMP/iperf.json" "$(bl_cpu_pct "$c0" "$c1" "$t0" "$t1")"
}

# bl_cpu_pct TICKS0 TICKS1 T0 T1: CPU share between two bl_prog_ticks
bl_cpu_pct() {
	awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN {
		if (a == "-" || b == "-") print "-";
		else printf "%.0f%%\n", 100 * (b - a) / hz / (t1 - t0) }'
}

# bl_cps [SECS] [CONC]: short TCP connections cli -> srv; prints the
# client's line plus prog_cpu= (the gateway program's CPU share).  Each
# run uses the next server port of 8000-8999: the server keeps TIME_WAIT
# (it closes first), and a PAT restarted between runs maps client ports
# to other global ports than before, so a SYN could meet an old TIME_WAIT
# with a newer timestamp and be refused (PAWS), a 1 s stall that belongs
# to the test set-up, not to the gateway being measured.
bl_cps() {
	local secs=${1:-$BL_SECS} conc=${2:-${BL_CPS_CONC:-64}} pid c0 c1 t0 t1 out port
	port=$(cat "$PH_TMP/cps-port" 2>/dev/null || echo 8000)
	echo $((port >= 8999 ? 8000 : port + 1)) >"$PH_TMP/cps-port"
	ph_bg srv "$PH_TMP/cps-srv.log" nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" \
		"$BL_BUILD/ph-tcpcps" server --port "$port"
	pid=$PH_LAST_PID
	ph_wait_line "$PH_TMP/cps-srv.log" '^ready' 5
	c0=$(bl_prog_ticks)
	t0=$(date +%s.%N)
	out=$(ph_in cli nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" \
		timeout $((secs + 10)) "$BL_BUILD/ph-tcpcps" client \
		--dst "$PH_SRV" --port "$port" --conc "$conc" \
		--duration "$secs")
	c1=$(bl_prog_ticks)
	t1=$(date +%s.%N)
	echo "$out prog_cpu=$(bl_cpu_pct "$c0" "$c1" "$t0" "$t1")"
	kill -TERM "$pid" 2>/dev/null
	ph_wait_exit "$pid" 5
}

# ---- the table and docs/performance.md ------------------------------------

# bl_row NAME PINHOLE BASELINE TARGET_PCT UNIT [RATIO...]: one printed
# table row with the ratio and whether the target is met; also appended
# to $BL_ROWS.  With RATIO arguments (the per-repetition ratios, in %,
# each of a candidate and its baseline measured back to back) the ratio
# shown is their median, not the ratio of the two medians.
BL_ROWS=""
bl_row() {
	local pct met
	if [ $# -gt 5 ]; then
		pct=$(bl_median_f "${@:6}")
	else
		pct=$(bl_pct "$2" "$3")
	fi
	met=$(bl_met "$pct" "$4")
	printf '| %s | %s | %s | %s | >= %s%% | %s |\n' "$1" "$2 $5" "$3 $5" \
		"${pct}%" "$4" "$met" | sed 's/- [a-zA-Z/]*\b/-/g'
	BL_ROWS+="| $1 | $2 $5 | $3 $5 | ${pct}% | >= $4% | $met |"$'\n'
}

# median of decimal numbers ("-" and empty ignored), one decimal
bl_median_f() {
	printf '%s\n' "$@" | grep -v '^-$' | grep -v '^$' | sort -g |
		awk '{v[NR]=$1} END {if (NR==0) {print "-"; exit}
			if (NR%2) printf "%.1f\n", v[(NR+1)/2];
			else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'
}

# bl_section_write TITLE BODY_FILE: replace (or append) the section
# "## TITLE" of docs/performance.md with the file's text.  Sections are
# delimited by the next "## " heading.
bl_section_write() {
	local title=$1 body=$2 tmp
	tmp=$(mktemp)
	awk -v t="## $title" -v f="$body" '
		BEGIN { while ((getline l < f) > 0) body = body l "\n" }
		$0 == t { print t; printf "\n%s", body; skip = 1; done = 1;
			next }
		skip && /^## / { skip = 0; print "" }
		!skip { print }
		END { if (!done) { print ""; print t; printf "\n%s", body } }
	' "$BL_PERF" >"$tmp" && cat "$tmp" >"$BL_PERF"
	rm -f "$tmp"
}

# bl_emit_section FIG TITLE CONTEXT: write BL_TABLE, BL_NOTES and BL_RAW
# as the section TITLE of docs/performance.md (unless BL_NOWRITE=1).
bl_emit_section() {
	local fig=$1 title=$2 context=$3 body
	[ "${BL_NOWRITE:-0}" = 1 ] && return 0
	body=$(mktemp)
	{
		echo "Measured with \`sudo bench/run.sh $fig\`: $(bl_machine);"
		echo "source $(git -C "$BL_SRC" describe --always --dirty 2>/dev/null)."
		echo "$context"
		echo
		printf '%s\n' "$BL_TABLE"
		[ -n "$BL_NOTES" ] && printf '%s\n\n' "$BL_NOTES"
		echo "Raw numbers:"
		echo
		echo '```'
		printf '%s' "$BL_RAW"
		echo '```'
	} >"$body"
	bl_section_write "$title" "$body"
	rm -f "$body"
	echo "(written to $BL_PERF)"
}
