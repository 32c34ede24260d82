# bench/fig-kernel.sh - the figures measured through the kernel, in
# network namespaces (sourced by bench/run.sh; uses bench/lib.sh).
#
# Each fig_* function runs BL_REPS repetitions; in each repetition the
# candidate and its baseline are measured back to back, so that the load
# other jobs put on the machine hits both alike.  Results go to BL_ROWS
# (the table), BL_RAW (per-repetition numbers) and BL_NOTES (text).

# The peak: offered rate from BL_PEAK_START up by 1.25x per step until
# two steps deliver less than 90% of what was offered, the generator
# falls behind, or 640k pps; then one step at the generator's maximum
# (AF_PACKET, unlimited).  The peak is the highest delivered rate seen.
# A fixed grid would miss the knee, and past it a queue program delivers
# less (livelock), while kernel forwarding is limited by the generator.
BL_PEAK_START=${BL_PEAK_START:-30000}
BL_RAW=""
BL_NOTES=""

bl_raw() {
	BL_RAW+="$*"$'\n'
	printf '  %s\n' "$*"
}

# bl_peak: the sweep in the current mode; echoes "PEAK SWEEP..."
bl_peak() {
	local best=0 r=$BL_PEAK_START out d o sweep="" miss=0
	while [ "$miss" -lt 2 ] && [ "$r" -le 640000 ]; do
		out=$(bl_udp "$r" "$BL_SECS")
		d=$(bl_kv "$out" delivered)
		o=$(bl_kv "$out" offered)
		d=${d:-0}
		o=${o:-0}
		sweep+="$((o / 1000))k->$((d / 1000))k($(bl_kv "$out" prog_cpu)) "
		[ "$d" -gt "$best" ] && best=$d
		[ "$((d * 10))" -lt "$((o * 9))" ] && miss=$((miss + 1))
		[ "$((o * 10))" -lt "$((r * 9))" ] && break
		r=$((r * 5 / 4))
	done
	out=$(bl_udp 0 "$BL_SECS")
	d=$(bl_kv "$out" delivered)
	o=$(bl_kv "$out" offered)
	d=${d:-0}
	sweep+="max:$((${o:-0} / 1000))k->$((d / 1000))k($(bl_kv "$out" prog_cpu))"
	[ "$d" -gt "$best" ] && best=$d
	echo "$best $sweep"
}

# The pinholed command line options this build has.
bl_pinholed_has() {
	"$BL_BUILD/pinholed" --help 2>&1 | grep -q -- "--$1"
}

# ---- baselines ----------------------------------------------------------------

fig_baselines() {
	local rep m mode args udp tcp cps out
	declare -A U T C
	local modes=(kernel masq null null-pp)
	for rep in $(seq 1 "$BL_REPS"); do
		for m in "${modes[@]}"; do
			mode=$m
			args=()
			[ "$m" = null-pp ] && mode=null args=(--per-packet)
			if ! bl_mode_start "$mode" "${args[@]}"; then
				bl_raw "rep $rep $m: pending: $BL_PENDING"
				continue
			fi
			udp=$(bl_peak)
			tcp=$(bl_tcp)
			tcp=${tcp%% *}
			out=$(bl_cps)
			cps=$(bl_kv "$out" cps)
			bl_mode_stop
			U[$m]+="${udp%% *} "
			T[$m]+="$tcp "
			C[$m]+="$cps "
			bl_raw "rep $rep $m: udp peak ${udp%% *} pps" \
				"(sweep offered->delivered: ${udp#* }) tcp $tcp" \
				"Gbit/s, cps $cps ($(bl_kv "$out" fail) failed)"
		done
	done
	BL_TABLE="| path | UDP 64 B peak delivered (pps) | TCP, 1 stream (Gbit/s) | TCP connections/s (64 in flight) |
|---|---:|---:|---:|
"
	for m in "${modes[@]}"; do
		# shellcheck disable=SC2086
		BL_TABLE+="| $(bl_mode_label "$m") | $(bl_median ${U[$m]:-}) | $(bl_median ${T[$m]:-}) | $(bl_median ${C[$m]:-}) |"$'\n'
	done
	BL_NOTES="UDP: 64-byte payload from 1024 source ports (ph-udpgen),
each rate after a 1 s warm-up of the same flows; offered from
$BL_PEAK_START pps up by 1.25x per step until two steps lose more than
10% or the generator falls behind, then once at the generator's
maximum (\`max\` in the raw numbers); the peak is the highest rate
counted at the receiver (an nft counter in srv's prerouting: a light
receiver). TCP: one iperf3
stream. Connections: ph-tcpcps, open and close, 64 in flight."
}

bl_mode_label() {
	case $1 in
	kernel) echo "kernel forwarding, no filter" ;;
	masq) echo "kernel conntrack + MASQUERADE" ;;
	null) echo "null NFQUEUE program, batch verdicts, GSO" ;;
	null-pp) echo "null NFQUEUE program, per-packet verdicts" ;;
	pinholed) echo "pinholed, PAT + ACLs + fixup pptp" ;;
	*) echo "$1" ;;
	esac
}

# ---- (1) UDP through PAT vs the null program --------------------------------

# bl_paced_best SWEEP: the best delivered pps of the paced steps of a
# sweep ("30k->30k(55%) ... max:548k->23k(69%)"), the unlimited step left
# out, in thousands.
bl_paced_best() {
	sed 's/max:.*//' <<<"$1" | tr ' ' '\n' |
		sed -n 's/^[0-9]*k->\([0-9]*\)k.*/\1/p' | sort -n | tail -1
}

fig_udp() {
	local rep p n P=() N=() R=() PP=() NP=() RP=() pend=""
	for rep in $(seq 1 "$BL_REPS"); do
		bl_mode_start null || return 1
		n=$(bl_peak)
		bl_mode_stop
		N+=("${n%% *}")
		if bl_mode_start pinholed; then
			p=$(bl_peak)
			bl_mode_stop
			P+=("${p%% *}")
			R+=("$(bl_pct "${p%% *}" "${n%% *}")")
			PP+=("$(bl_paced_best "${p#* }")")
			NP+=("$(bl_paced_best "${n#* }")")
			RP+=("$(bl_pct "${PP[-1]:--}" "${NP[-1]:--}")")
		else
			pend=$BL_PENDING
			p="- (pending)"
		fi
		bl_raw "rep $rep: null ${n%% *} pps (${n#* }); pinholed" \
			"${p%% *} pps (${p#* })"
	done
	bl_table_start
	bl_row "64 B UDP peak, established flows (pps)" \
		"$(bl_median "${P[@]:-}")" "$(bl_median "${N[@]}")" 90 pps \
		"${R[@]:-}"
	bl_pending_note "$pend"
	BL_NOTES+="Baseline: the null NFQUEUE program (batch verdicts). Sweep
and receiver as in the baselines.  The peak is the best step of the
sweep, the unlimited one included: there pinholed sheds (its BPF
program drops the excess on the sending CPU: section (3)) while the
null program collapses.  The best paced steps alone (the unlimited step
left out): pinholed $(bl_median "${PP[@]:-}")k, null $(bl_median "${NP[@]:-}")k pps,
$(bl_median "${RP[@]:-}")% (median of the runs' ratios)."
}

# ---- (2) TCP through PAT vs kernel forwarding -------------------------------

fig_tcp() {
	local rep p k P=() K=() R=() pend=""
	for rep in $(seq 1 "$BL_REPS"); do
		bl_mode_start kernel
		k=$(bl_tcp)
		k=${k%% *}
		bl_mode_stop
		K+=("$k")
		if bl_mode_start pinholed; then
			p=$(bl_tcp)
			bl_mode_stop
			P+=("${p%% *}")
			R+=("$(bl_pct "${p%% *}" "$k")")
		else
			pend=$BL_PENDING
			p="- -"
		fi
		bl_raw "rep $rep: kernel $k Gbit/s; pinholed ${p%% *} Gbit/s" \
			"(pinholed CPU ${p#* })"
	done
	bl_table_start
	bl_row "TCP, one iperf3 stream (Gbit/s)" "$(bl_median_f "${P[@]:-}")" \
		"$(bl_median_f "${K[@]}")" 90 Gbit/s "${R[@]:-}"
	bl_pending_note "$pend"
}

# ---- (3) overload -------------------------------------------------------------

# Unlimited offered load on port 9000 (AF_PACKET generator) while 16
# established flows send 2,000 pps on port 9001; echoes
# "DELIVERED OFFERED PROBE_PCT CPU".  Extra arguments go to the flood's
# generator (--port 20000 --dport-span 40000: a flood of new flows, whose
# delivered datagrams are not counted: DELIVERED is then 0).
bl_overload_run() {
	local secs=$BL_SECS pid out p0 p1 ps
	ph_in cli nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" \
		"$BL_BUILD/ph-udpgen" --dst "$PH_SRV" --port 9001 --flows 16 \
		--sport-base 30000 --flow-base 100000 --rate 2000 \
		--duration 1 >/dev/null
	p0=$(bl_rx_count 9001)
	ph_bg cli "$PH_TMP/probe.log" nice -n "$BL_NICE" taskset -c \
		"$BL_CPU_GEN" "$BL_BUILD/ph-udpgen" --dst "$PH_SRV" \
		--port 9001 --flows 16 --sport-base 30000 --flow-base 100000 \
		--rate 2000 --duration "$secs"
	pid=$PH_LAST_PID
	out=$(bl_udp 0 "$secs" "$@")
	ph_wait_exit "$pid" 10
	sleep 0.3
	p1=$(bl_rx_count 9001)
	ps=$(bl_kv "$(grep '^udpgen' "$PH_TMP/probe.log")" sent)
	awk -v d="$(bl_kv "$out" delivered)" -v o="$(bl_kv "$out" offered)" \
		-v a="$p0" -v b="$p1" -v s="${ps:-0}" \
		-v c="$(bl_kv "$out" prog_cpu)" 'BEGIN {
		printf "%.0f %.0f %s %s\n", d, o,
			(s > 0 ? sprintf("%.1f", 100 * (b - a) / s) : "-"), c }'
}

# bl_times A B: A / B as "N.Nx", or "-"
bl_times() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (b + 0 > 0 && a != "-") printf "%.1fx", a / b; else print "-" }'
}

# Packets pinholed shed so far (its BPF program and its nft rule), from
# `show counters`; the nft rule's counter when pinholectl is missing.
bl_shed_count() {
	if [ -x "$BL_BUILD/pinholectl" ]; then
		ph_in gw "$BL_BUILD/pinholectl" -s "$PH_TMP/ctl.sock" \
			show counters 2>/dev/null |
			awk '/packets shed/ { print $NF; exit }'
		return
	fi
	ph_in gw nft list counter ip pinhole shed 2>/dev/null |
		awk '/packets/ { print $2; exit }'
}

# Where pinholed's shedding limit drops: the program's hook if it has one
# (whether or not it is attached when this runs, 2 s after the flood),
# else nft; and what the program dropped.
bl_shed_hook() {
	[ -x "$BL_BUILD/pinholectl" ] || return 0
	ph_in gw "$BL_BUILD/pinholectl" -s "$PH_TMP/ctl.sock" \
		show counters 2>/dev/null | awk '
		/^Overload shedding/ { if (match($0, /[a-z]+ when shedding/))
			hook = substr($0, RSTART, RLENGTH - 14)
			else if (match($0, /, at [a-z]+/))
			hook = substr($0, RSTART + 5, RLENGTH - 5) }
		/by the BPF program/ { prog = $NF }
		END { if (hook != "") printf "%s%s", hook,
			(prog != "" ? ", " prog " by the program" : "") }'
}

# pinholed with its built-in shedding (--shed auto, the default), and,
# when the build has the option, with it off (the old behaviour).
fig_overload() {
	local rep m pk ov sh hk nf np modes=(null pinholed)
	declare -A PK OV PR OF RT NP
	local pend=""
	bl_pinholed_has shed-hook && modes+=(pinholed-nft)
	bl_pinholed_has shed && modes+=(pinholed-off)
	# shellcheck disable=SC2206
	[ -n "${BL_OV_MODES:-}" ] && modes=($BL_OV_MODES)
	for rep in $(seq 1 "$BL_REPS"); do
		for m in "${modes[@]}"; do
			if [ "$m" = pinholed-off ]; then
				BL_OV_MODE=(pinholed --shed off)
			elif [ "$m" = pinholed-nft ]; then
				BL_OV_MODE=(pinholed --shed-hook nft)
			else
				BL_OV_MODE=("$m")
			fi
			if ! bl_mode_start "${BL_OV_MODE[@]}"; then
				pend=$BL_PENDING
				bl_raw "rep $rep $m: pending: $BL_PENDING"
				continue
			fi
			pk=$(bl_peak)
			ov=$(bl_overload_run)
			sh=$(bl_shed_count)
			hk=$(bl_shed_hook)
			np=""
			if [ "$m" = pinholed ] || [ "$m" = pinholed-nft ]; then
				# the same probe under a flood of new flows
				nf=$(bl_overload_run --port 20000 --dport-span 40000)
				read -r _ _ np _ <<<"$nf"
				NP[$m]+="$np "
			fi
			bl_mode_stop
			PK[$m]+="${pk%% *} "
			read -r d o p c <<<"$ov"
			OV[$m]+="$d "
			OF[$m]+="$o "
			PR[$m]+="$p "
			RT[$m]+="$(bl_pct "$d" "${pk%% *}") "
			bl_raw "rep $rep $m: peak ${pk%% *} pps (sweep" \
				"offered->delivered(program CPU): ${pk#* });" \
				"unlimited: offered $o pps, delivered $d pps" \
				"(program CPU $c), established probe" \
				"delivered $p%${sh:+, shed $sh}${hk:+ (at $hk)}" \
				"${np:+; under a flood of new flows the probe delivered $np%}"
		done
	done
	bl_table_start
	# shellcheck disable=SC2086
	bl_row "pinholed (--shed auto): delivered at unlimited load vs own peak (pps)" \
		"$(bl_median ${OV[pinholed]:-})" \
		"$(bl_median ${PK[pinholed]:-})" 80 pps ${RT[pinholed]:-}
	# shellcheck disable=SC2086
	[ -n "${OV[pinholed-nft]:-}" ] &&
		bl_row "pinholed --shed-hook nft (the rule only): delivered at unlimited load vs own peak (pps)" \
			"$(bl_median ${OV[pinholed-nft]:-})" \
			"$(bl_median ${PK[pinholed-nft]:-})" 80 pps ${RT[pinholed-nft]:-}
	# shellcheck disable=SC2086
	[ -n "${OV[pinholed-off]:-}" ] &&
		bl_row "pinholed --shed off: delivered at unlimited load vs own peak (pps)" \
			"$(bl_median ${OV[pinholed-off]:-})" \
			"$(bl_median ${PK[pinholed-off]:-})" 80 pps ${RT[pinholed-off]:-}
	# shellcheck disable=SC2086
	bl_row "null program: delivered at unlimited load vs own peak (pps)" \
		"$(bl_median ${OV[null]:-})" "$(bl_median ${PK[null]:-})" 80 pps \
		${RT[null]:-}
	# shellcheck disable=SC2086
	BL_NOTES+="Offered load (median): null $(bl_median ${OF[null]:-}) pps
($(bl_times "$(bl_median ${OF[null]:-})" "$(bl_median ${PK[null]:-})") its peak),
pinholed $(bl_median ${OF[pinholed]:-}) pps ($(bl_times "$(bl_median ${OF[pinholed]:-})" "$(bl_median ${PK[pinholed]:-})") its peak)${OF[pinholed-nft]:+, pinholed --shed-hook nft $(bl_median ${OF[pinholed-nft]}) pps ($(bl_times "$(bl_median ${OF[pinholed-nft]})" "$(bl_median ${PK[pinholed-nft]})") its peak)}, from the AF_PACKET
generator: the most one CPU of this machine can offer.  With the BPF
program at XDP on these veths the drop runs in the veth's receive poll
on the sending CPU, the generator's, which lowers what it can offer
(docs/performance.md, \"Overload: the BPF program, measured by hand\").
The peak is each program's own, from
the sweep of the same repetition (raw numbers, with the program's CPU
share in parentheses). Established flows: 16 flows at 2,000 pps on
port 9001, started before the flood; delivered: null
$(bl_median ${PR[null]:-})%, pinholed $(bl_median ${PR[pinholed]:-})%${PR[pinholed-nft]:+, pinholed --shed-hook nft $(bl_median ${PR[pinholed-nft]})%}${PR[pinholed-off]:+, pinholed --shed off $(bl_median ${PR[pinholed-off]})%} (median).
The flood's 1,024 flows were established too (a warm-up), so they are
as \"known\" as the probe.  Under a flood of new flows instead (every
datagram a new tuple: 1,024 source ports x 40,000 destination ports,
unlimited), the probe delivered: pinholed $(bl_median ${NP[pinholed]:-})%${NP[pinholed-nft]:+, pinholed --shed-hook nft $(bl_median ${NP[pinholed-nft]})%} (median).
pinholed sheds with its built-in controller (--shed auto): a \`limit
rate over\` rule in front of its queue rules, set every 250 ms from the
queue's counters, and while it drops, the same limit in a BPF program
(XDP, else tcx) that favours flows pinholed accepted before
(docs/performance.md, \"NFQUEUE livelock\"); the raw numbers give what
was shed and where.
"
	bl_pending_note "$pend"
}

# ---- (4) connections per second ---------------------------------------------------

fig_cps() {
	local rep m out
	declare -A C F
	local pend=""
	local R=() cm=""
	for rep in $(seq 1 "$BL_REPS"); do
		for m in masq kernel pinholed; do
			if ! bl_mode_start "$m"; then
				pend=$BL_PENDING
				continue
			fi
			out=$(bl_cps)
			bl_mode_stop
			C[$m]+="$(bl_kv "$out" cps) "
			F[$m]+="$(bl_kv "$out" fail) "
			[ "$m" = masq ] && cm=$(bl_kv "$out" cps)
			[ "$m" = pinholed ] &&
				R+=("$(bl_pct "$(bl_kv "$out" cps)" "$cm")")
			bl_raw "rep $rep $m: $out"
		done
	done
	bl_table_start
	# shellcheck disable=SC2086
	bl_row "new TCP connections/s, PAT vs MASQUERADE" \
		"$(bl_median ${C[pinholed]:-})" "$(bl_median ${C[masq]:-})" \
		100 conn/s "${R[@]:-}"
	# shellcheck disable=SC2086
	BL_NOTES+="Kernel forwarding without conntrack: $(bl_median ${C[kernel]:-})
connections/s. Target: at least as many as MASQUERADE (issue 6, item
4), so 100%; the per-run ratios are in the raw numbers. Failed
connections (median): MASQUERADE
$(bl_median ${F[masq]:-}), pinholed $(bl_median ${F[pinholed]:-}).
"
	bl_pending_note "$pend"
}

# ---- (8) --queues -----------------------------------------------------------------

# Placement for this figure only: the gateway's receive processing is
# spread over both CPUs (RPS mask 3 on inside and outside: the 1024 flows
# are hashed over the CPUs) and pinholed may run on both (taskset 0,1),
# for --queues 1 and 2 alike; with --queues 2 the rule's CPU fanout gives
# each CPU its own queue and thread.  The generator stays on CPU 0.
# Shedding (--shed, when the build has it) is off: this is capacity.
BL_Q_CG_RATE=${BL_Q_CG_RATE:-2000} # pps offered to pinholed under callgrind
BL_Q_CG_SECS=${BL_Q_CG_SECS:-6}

bl_q_place() { # bl_q_place MASK: RPS mask of the gateway's interfaces
	bl_rps gw inside "$1"
	bl_rps gw outside "$1"
}

# bl_q_counters: "pkts reads" of the running pinholed (JSON counters)
bl_q_counters() {
	[ -x "$BL_BUILD/pinholectl" ] || {
		echo "- -"
		return 0
	}
	timeout 60 "$BL_BUILD/pinholectl" -s "$PH_TMP/ctl.sock" -j show counters \
		2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print(d["engine"]["pkts_in"], d["queue"]["reads"])
except Exception:
    print("- -")'
}

# bl_q_ir N: pinholed --queues N under callgrind at BL_Q_CG_RATE pps;
# echoes "IR_PER_PKT PKTS_PER_READ PKTS" (instructions in drain_queue, the
# whole packet path in user space: read, lock, engine, verdicts).
bl_q_ir() {
	local n=$1 out="$BL_BUILD/cg-q$1.out" pid t=0 c ir pk rd extra=()
	command -v valgrind >/dev/null 2>&1 || {
		echo "- - -"
		return 0
	}
	bl_pinholed_has shed && extra+=(--shed off)
	ph_bg gw "$PH_TMP/cg-q$n.log" taskset -c 0,1 valgrind \
		--tool=callgrind --collect-atstart=no \
		--toggle-collect=drain_queue --callgrind-out-file="$out" \
		"$BL_BUILD/pinholed" -F -f "$BL_HERE/pix-bench.conf" \
		-i ethernet0=outside -i ethernet1=inside \
		-c "$PH_TMP/ctl.sock" -r none --queues "$n" "${extra[@]}"
	pid=$PH_LAST_PID
	while ! ph_in gw nft list table ip pinhole >/dev/null 2>&1; do
		t=$((t + 1))
		[ "$t" -gt 600 ] && break
		sleep 0.1
	done
	sleep 1
	ph_srv_no_return
	ph_in cli nice -n "$BL_NICE" taskset -c "$BL_CPU_GEN" \
		timeout $((BL_Q_CG_SECS + 10)) "$BL_BUILD/ph-udpgen" \
		--dst "$PH_SRV" --rate "$BL_Q_CG_RATE" \
		--duration "$BL_Q_CG_SECS" >/dev/null
	sleep 2 # the workers publish their counters once a second
	c=$(bl_q_counters)
	pk=${c%% *}
	rd=${c#* }
	kill -TERM "$pid" 2>/dev/null
	ph_wait_exit "$pid" 60 || kill -KILL "$pid" 2>/dev/null
	ph_in gw nft delete table ip pinhole 2>/dev/null
	ph_in srv ip route replace default via "$PH_GW_OUT"
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out" 2>/dev/null)
	awk -v ir="${ir:--}" -v pk="$pk" -v rd="$rd" 'BEGIN {
		if (ir == "-" || pk == "-" || pk == 0) { print "- - -"; exit }
		printf "%.0f %.2f %d\n", ir / pk, (rd > 0 ? pk / rd : 0), pk }'
}

fig_queues() {
	local rep n p1 p2 P1=() P2=() R=() i1 i2 I1=() I2=() extra=() cpu
	if ! bl_pinholed_has queues; then
		bl_table_start
		bl_row "UDP peak, --queues 2 vs --queues 1 (pps)" - - 150 pps
		bl_pending_note "pinholed has no --queues option yet"
		return 0
	fi
	bl_pinholed_has shed && extra+=(--shed off)
	cpu=$BL_CPU_GW
	BL_CPU_GW=0,1
	bl_q_place 3
	for rep in $(seq 1 "$BL_REPS"); do
		# the order alternates: a load that drifts during a
		# repetition favours neither
		for n in $(if [ $((rep % 2)) = 1 ]; then echo 1 2; else echo 2 1; fi); do
			bl_mode_start pinholed --queues "$n" "${extra[@]}" || break 2
			if [ "$n" = 1 ]; then p1=$(bl_peak); else p2=$(bl_peak); fi
			bl_mode_stop
		done
		P1+=("${p1%% *}")
		P2+=("${p2%% *}")
		R+=("$(bl_pct "${p2%% *}" "${p1%% *}")")
		bl_raw "rep $rep: 1 queue ${p1%% *} pps (sweep ${p1#* });" \
			"2 queues ${p2%% *} pps (sweep ${p2#* })"
	done
	BL_CPU_GW=$cpu
	for rep in 1 2; do # callgrind counts do not vary much: two runs
		i1=$(bl_q_ir 1)
		i2=$(bl_q_ir 2)
		I1+=("${i1%% *}")
		I2+=("${i2%% *}")
		bl_raw "callgrind rep $rep at $BL_Q_CG_RATE pps: --queues 1:" \
			"${i1%% *} instructions/packet (packets/read, packets:" \
			"${i1#* }); --queues 2: ${i2%% *} (${i2#* })"
	done
	bl_q_place "$(bl_mask "$BL_CPU_GW")"
	bl_table_start
	bl_row "UDP peak, --queues 2 vs --queues 1 (pps)" \
		"$(bl_median "${P2[@]:-}")" "$(bl_median "${P1[@]:-}")" 150 pps \
		"${R[@]:-}"
	bl_pending_note "$BL_PENDING"
	BL_NOTES+="| pinholed user-space instructions per packet (callgrind, drain_queue inclusive, $BL_Q_CG_RATE pps) | --queues 1 | --queues 2 | 2 vs 1 |
|---|---:|---:|---:|
| median of 2 runs | $(bl_median "${I1[@]:-}") | $(bl_median "${I2[@]:-}") | $(bl_pct "$(bl_median "${I2[@]:-}")" "$(bl_median "${I1[@]:-}")")% |

Placement for this figure: RPS spreads the gateway's
receive processing over both CPUs and pinholed may run on both, for 1
and 2 queues alike; the generator (ph-udpgen) is pinned to CPU 0, so
with 2 queues CPU 0 carries the generator, half the softirq work and
queue 0's thread. With 2 CPUs this machine has no core to spare for a
second queue: the ratio says whether the second thread gets in the way,
not how pinholed scales. Instructions per packet do not depend on the
core count: callgrind counts pinholed's user-space instructions inside
drain_queue (read, lock, engine, verdicts) at a low fixed rate (about
one packet per read, the worst case for per-batch costs such as the
lock); the kernel's share (softirq, netlink) is not in it.
When a sweep ends in "max:Xk->Xk" (delivered = offered), the
generator, sharing CPU 0, was the limit and not pinholed: that is most
runs here, so the UDP ratio above is mostly noise around 100%; it shows
that the second thread does not get in the way, not that it scales.
The profile of the 2026-11-22 run (callgrind_annotate of the two
outputs, per packet at about one packet per read): --queues 2 costs
about 200 instructions more than --queues 1; about 85 of them are
glibc's cancellation bookkeeping in the recvmmsg and sendto wrappers,
paid only once a process has a second thread; most of the rest is more
reads for the same packets (1.0 instead of 1.3 packets per read with
the load split over two queues: per-read costs in ph_nfq_read,
drain_queue, the verdict send and the lock). The mutex itself (lock and
unlock, uncontended in the common case) is about 55-75 instructions
per read, 2% of the path at one packet per read, under 0.1% at 32.
"
}

# ---- shedding prototype -------------------------------------------------------------

# nft shedding in front of pinhole's queue (prerouting, priority -301,
# before the queue rule at raw = -300): packets of flows in @est pass to
# the queue first; other packets over RATE/s are dropped in the kernel.
bl_shed_on() {
	local rate=$1 est=$2
	ph_in gw nft -f - <<-EOF
		table ip phbench_shed {
			set est {
				type ipv4_addr . inet_service
				size 65536
			}
			chain pre {
				type filter hook prerouting priority -301;
				iifname "inside" ip saddr . udp sport @est return
				iifname "inside" limit rate over $rate/second burst 512 packets drop
			}
		}
	EOF
	if [ "$est" = yes ]; then
		ph_in gw nft add element ip phbench_shed est \
			"{ $BL_CLI . 30000-30015 }" 2>/dev/null ||
			for p in $(seq 30000 30015); do
				ph_in gw nft add element ip phbench_shed est \
					"{ $BL_CLI . $p }"
			done
	fi
}

bl_shed_off() {
	ph_in gw nft delete table ip phbench_shed 2>/dev/null
	return 0
}

# /proc/net/netfilter/nfnetlink_queue of gw: "ID_SEQUENCE QUEUE_DROPPED"
# (packets handed to the program so far, packets dropped at maxlen)
bl_nfq_counts() {
	ph_in gw awk '{print $8, $6}' /proc/net/netfilter/nfnetlink_queue
}

# The adaptive controller of item 1 in the livelock section, as a shell
# loop (prototype; pinholed would do it from its own counters): every
# 0.5 s, if the queue dropped packets, set the limit to 90% of what
# reached the program in that interval, else raise it by 10%.  Runs until
# killed; on CPU 0, so it does not load the gateway's CPU.
bl_shed_ctl() {
	local rate=$1 h id0 qd0 id1 qd1 got
	h=$(ph_in gw nft -a list chain ip phbench_shed pre |
		awk '/limit rate/ {print $NF}')
	read -r id0 qd0 <<<"$(bl_nfq_counts)"
	while sleep 0.5; do
		read -r id1 qd1 <<<"$(bl_nfq_counts)"
		got=$(((id1 - id0) * 2))
		if [ "$qd1" -gt "$qd0" ]; then
			rate=$((got * 9 / 10))
		else
			rate=$((rate * 11 / 10))
		fi
		[ "$rate" -lt 1000 ] && rate=1000
		[ "$rate" -gt 2000000 ] && rate=2000000
		ph_in gw nft replace rule ip phbench_shed pre handle "$h" \
			iifname inside limit rate over "$rate/second" \
			burst 512 packets drop 2>/dev/null
		id0=$id1 qd0=$qd1
	done
}

fig_shed() {
	local rep pk v rate ctl
	declare -A D P PK RT C2
	local variants=(none limit adaptive adaptive+est nice)
	local out2 v2
	for rep in $(seq 1 "$BL_REPS"); do
		for v in "${variants[@]}"; do
			if [ "$v" = nice ]; then
				BL_GW_NICE=-10 bl_mode_start null || return 1
			else
				bl_mode_start null || return 1
			fi
			if [ "$v" = none ] || [ "$v" = nice ]; then
				pk=$(bl_peak)
				PK[$v]=${pk%% *}
			fi
			pk=${PK[none]}
			rate=$((pk * 9 / 10))
			# moderate overload first: twice the peak, paced
			if [ "$v" = none ]; then
				for v2 in none2x limit2x; do
					[ "$v2" = limit2x ] && bl_shed_on "$rate" no
					out2=$(bl_udp $((pk * 2)) "$BL_SECS")
					bl_shed_off
					D[$v2]+="$(bl_kv "$out2" delivered) "
					RT[$v2]+="$(bl_pct "$(bl_kv "$out2" delivered)" "$pk") "
					C2[$v2]+="$(bl_kv "$out2" prog_cpu | tr -d %) "
					bl_raw "rep $rep $v2: $out2"
				done
			fi
			ctl=""
			case $v in
			limit) bl_shed_on "$rate" no ;;
			adaptive | adaptive+est)
				bl_shed_on "$rate" "$([ "$v" = adaptive+est ] &&
					echo yes || echo no)"
				taskset -c "$BL_CPU_GEN" bash -c "$(declare -f \
					ph_in ph_ns bl_nfq_counts bl_shed_ctl)
					PH_NS_PREFIX=$PH_NS_PREFIX
					bl_shed_ctl $rate" &
				ctl=$!
				;;
			esac
			read -r d o p c <<<"$(bl_overload_run)"
			[ -n "$ctl" ] && kill "$ctl" 2>/dev/null && wait "$ctl"
			bl_shed_off
			bl_mode_stop
			D[$v]+="$d "
			P[$v]+="$p "
			if [ "$v" = nice ]; then
				RT[$v]+="$(bl_pct "$d" "${PK[nice]}") "
			else
				RT[$v]+="$(bl_pct "$d" "${PK[none]}") "
			fi
			[ "$v" = none ] || [ "$v" = nice ] && D[peak_$v]+="${PK[$v]} "
			bl_raw "rep $rep $v: peak ${PK[$v]:-${PK[none]}} pps;" \
				"offered $o, delivered $d pps (program CPU $c)," \
				"established probe $p% (limit start $rate/s)"
		done
	done
	local peak peakn
	# shellcheck disable=SC2086
	peak=$(bl_median ${D[peak_none]})
	# shellcheck disable=SC2086
	peakn=$(bl_median ${D[peak_nice]})
	BL_TABLE="| load: in front of the queue | program | delivered (pps) | of the program's peak (median of the runs' ratios) | established probe delivered |
|---|---|---:|---:|---:|
"
	for v in none2x limit2x; do
		# shellcheck disable=SC2086
		BL_TABLE+="| $(bl_shed_label "$v") | nice 0 | $(bl_median ${D[$v]}) | $(bl_median_f ${RT[$v]})% | - (program CPU $(bl_median ${C2[$v]})%) |"$'\n'
	done
	for v in "${variants[@]}"; do
		local d nice=0
		[ "$v" = nice ] && nice=-10
		# shellcheck disable=SC2086
		d=$(bl_median ${D[$v]})
		# shellcheck disable=SC2086
		BL_TABLE+="| $(bl_shed_label "$v") | nice $nice | $d | $(bl_median_f ${RT[$v]})% | $(bl_median ${P[$v]})% |"$'\n'
	done
	BL_NOTES="The null program (batch verdicts) alone; its peak: $peak pps
at nice 0, $peakn pps at nice -10 (medians). Fixed limit: 90% of the
nice-0 peak of the same repetition; adaptive: starts there and follows
the controller (bench/fig-kernel.sh bl_shed_ctl). Load: unlimited 64 B
UDP from 1024 ports (AF_PACKET generator) plus 16 established flows at
2,000 pps (the probe), whose source ports are the set's elements in
the \`+est\` variant; \"2x the peak\": the raw-socket generator paced at
twice the nice-0 peak of the same repetition (no probe), with the
program's CPU share (median) in the last column."
}

bl_shed_label() {
	case $1 in
	none2x) echo "offered 2x the peak: nothing (queue only)" ;;
	limit2x) echo "offered 2x the peak: \`limit rate over\` 90% of peak" ;;
	none | nice) echo "unlimited: nothing (queue only)" ;;
	limit) echo "unlimited: \`limit rate over\` 90% of peak, drop" ;;
	adaptive) echo "unlimited: adaptive limit (every 0.5 s from the queue counters)" ;;
	adaptive+est) echo "unlimited: adaptive limit, established set exempt (\`@est return\`)" ;;
	esac
}

# ---- table and section --------------------------------------------------------

bl_table_start() {
	BL_TABLE="| measure | pinhole (median) | baseline (median) | ratio (median of the runs' ratios) | target | met? |
|---|---:|---:|---:|---:|---|
"
	BL_ROWS=""
}

bl_pending_note() {
	[ -n "$1" ] || return 0
	echo "pending: $1"
	BL_NOTES+="**pending**: $1.
"
}

bl_title() {
	case $1 in
	baselines) echo "Gateway baselines (kernel, null NFQUEUE program)" ;;
	udp) echo "(1) Small-packet UDP through PAT" ;;
	tcp) echo "(2) TCP bulk through PAT" ;;
	overload) echo "(3) Overload" ;;
	cps) echo "(4) New connections per second" ;;
	queues) echo "(8) Multi-core: --queues" ;;
	shed) echo "Overload shedding prototype (measured)" ;;
	esac
}

# kernel_figure NAME: topology, the figure, the table, the section.
kernel_figure() {
	local name=$1 load0 load1
	bl_require || return 1
	ph_trap_cleanup
	ph_mktemp || return 1
	bl_topo || {
		echo "topology failed"
		return 1
	}
	load0=$(bl_loadavg)
	BL_TABLE="" BL_ROWS="" BL_RAW="" BL_NOTES=""
	case $name in
	overload | shed) BL_GW_NICE=${BL_GW_NICE:-0} ;;
	*) BL_GW_NICE=${BL_GW_NICE:--10} ;;
	esac
	echo "## $(bl_title "$name")"
	"fig_$name" || return 1
	[ -z "$BL_ROWS" ] || BL_TABLE+=$BL_ROWS
	load1=$(bl_loadavg)
	printf '\n%s\n%s\n' "$BL_TABLE" "$BL_NOTES"
	bl_emit_section "$name" "$(bl_title "$name")" "Medians of $BL_REPS repetitions of $BL_SECS s; gateway program at
nice $BL_GW_NICE, traffic tools at nice $BL_NICE; load average $load0
before and $load1 after (1, 5, 15 min): the machine was shared with
other jobs (builds, fuzzers), so absolute numbers are low and noisy;
each ratio compares runs made back to back."
}
