# bench/fig-engine.sh - the figures measured on the engine alone (no
# kernel, no root needed): (5) ACL, (6) scale, (7) PPTP.  Sourced by
# bench/run.sh; uses bench/lib.sh.
#
# Times are thread CPU time (engine_bench), so preemption by other jobs
# does not count; cache and memory-bandwidth sharing still does.
# Instructions per packet come from callgrind (valgrind), whose count is
# exact and independent of the load: engine_bench brackets only the
# measured ph_engine_process() loops (CALLGRIND_TOGGLE_COLLECT) and runs
# with --collect-atstart=no.  perf's hardware counters would do the same,
# but `perf stat -e instructions true` says "not supported" in this VM.

BL_EB_CONNS=${BL_EB_CONNS:-1000000}
BL_EB_PACKETS=${BL_EB_PACKETS:-500000}
BL_CG_CONNS=${BL_CG_CONNS:-100000} # callgrind's larger table
BL_CG_PACKETS=${BL_CG_PACKETS:-20000}

bl_eb() {
	"$BL_BUILD/engine_bench" "$@"
}

# value of KEY in the "result ..." line for scenario S at N connections
bl_eb_get() { # OUTPUT S N KEY
	grep "^result scenario=$2 conns=$3 " <<<"$1" | head -n1 |
		tr ' ' '\n' | awk -F= -v k="$4" '$1 == k {print $2}'
}

# instructions per measured packet: bl_cg_ir PACKETS ENGINE_BENCH_ARGS...
bl_cg_ir() {
	local packets=$1 out
	shift
	command -v valgrind >/dev/null 2>&1 || {
		echo "-"
		return
	}
	out=$(mktemp)
	if ! valgrind --tool=callgrind --collect-atstart=no \
		--callgrind-out-file="$out" "$BL_BUILD/engine_bench" \
		--reps 1 "$@" >/dev/null 2>&1; then
		rm -f "$out"
		echo "-"
		return
	fi
	awk -v p="$packets" '/^(summary|totals):/ {n = $2}
		END {if (n) printf "%.0f\n", n / p; else print "-"}' "$out"
	rm -f "$out"
}

# bl_cg_top PACKETS N ENGINE_BENCH_ARGS...: the N functions with the most
# instructions in the measured loops, as Markdown rows "| fn | Ir/pkt | %"
bl_cg_top() {
	local packets=$1 n=$2 out
	shift 2
	command -v callgrind_annotate >/dev/null 2>&1 || return 0
	out=$(mktemp)
	valgrind --tool=callgrind --collect-atstart=no \
		--callgrind-out-file="$out" "$BL_BUILD/engine_bench" --reps 1 \
		"$@" >/dev/null 2>&1 || {
		rm -f "$out"
		return 0
	}
	callgrind_annotate "$out" 2>/dev/null |
		sed -n '/file:function/,$p' | grep '%)' | head -n "$n" |
		awk -v p="$packets" '{
			gsub(",", "", $1)
			match($0, /[0-9.]+%/)
			pct = substr($0, RSTART, RLENGTH)
			match($0, /[^ :]+ \[/)
			f = substr($0, RSTART, RLENGTH - 2)
			printf "| %s | %.0f | %s |\n", f, $1 / p, pct }'
	rm -f "$out"
}

fig_scale() {
	local out thp s n1 nN r ir1 irN irt load0 load1 mem
	load0=$(bl_loadavg)
	BL_RAW="" BL_NOTES=""
	echo "## (6) Scale: the engine at $BL_EB_CONNS connections"
	out=$(bl_eb --conns "$BL_EB_CONNS" --packets "$BL_EB_PACKETS" --reps \
		"$BL_REPS" --only est && bl_eb --conns "$BL_EB_CONNS" \
		--packets "$BL_EB_PACKETS" --reps "$BL_REPS" --only pat &&
		bl_eb --conns "$BL_EB_CONNS" --packets "$BL_EB_PACKETS" \
			--reps "$BL_REPS" --only udp &&
		bl_eb --conns "$BL_EB_CONNS" --packets 100000 --reps \
			"$BL_REPS" --only new &&
		for s in est pat udp; do bl_eb --conns 1000 --packets \
			"$BL_EB_PACKETS" --reps "$BL_REPS" --only $s; done &&
		bl_eb --conns 1000 --packets 100000 --reps "$BL_REPS" \
			--only new) || {
		echo "engine_bench failed"
		return 1
	}
	BL_RAW+=$(grep '^result' <<<"$out")$'\n'
	# transparent huge pages for the pools (glibc's malloc tunable)
	thp=$(for s in est pat; do GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
		bl_eb --conns "$BL_EB_CONNS" --packets "$BL_EB_PACKETS" \
		--reps "$BL_REPS" --only $s; done | grep '^result')
	BL_RAW+="with glibc.malloc.hugetlb=1 (THP):"$'\n'"$thp"$'\n'
	mem=$(bl_eb --only mem --conns "$BL_EB_CONNS" | grep '^result memory')
	BL_RAW+="$mem"$'\n'
	BL_TABLE="| scenario | ns/packet, 1,000 conns | ns/packet, $BL_EB_CONNS | ratio | target | met? | instructions/packet, 1,000 | instructions/packet, $BL_CG_CONNS | ns/packet, $BL_EB_CONNS, THP |
|---|---:|---:|---:|---:|---|---:|---:|---:|
"
	for s in est pat udp new; do
		n1=$(bl_eb_get "$out" $s 1000 ns_med)
		nN=$(bl_eb_get "$out" $s "$BL_EB_CONNS" ns_med)
		r=$(awk -v a="$nN" -v b="$n1" 'BEGIN {printf "%.2f", a / b}')
		local pk=$BL_CG_PACKETS
		ir1=$(bl_cg_ir "$pk" --only $s --conns 1000 --packets "$pk")
		irN=$(bl_cg_ir "$pk" --only $s --conns "$BL_CG_CONNS" \
			--packets "$pk")
		irt=$(bl_eb_get "$thp" $s "$BL_EB_CONNS" ns_med)
		local met=-
		[ "$s" != new ] && met=$(awk -v r="$r" \
			'BEGIN {print (r <= 1.5 ? "yes" : "no")}')
		BL_TABLE+="| $(bl_eb_label $s) | $n1 | $nN | ${r}x | $([ "$s" != new ] && echo '<= 1.5x' || echo -) | $met | $ir1 | $irN | ${irt:--} |"$'\n'
		printf '%s: %s / %s ns (%sx), %s / %s instructions\n' "$s" \
			"$n1" "$nN" "$r" "$ir1" "$irN"
	done
	local per cm
	per=$(bl_kv "$mem" rss_per_conn)
	cm=$(bl_kv "$mem" conn_mem)
	BL_TABLE+="
| memory | measured | target | met? |
|---|---:|---:|---|
| resident bytes per connection with its own PAT xlate, $(bl_kv "$mem" conns) connections, $(bl_kv "$mem" xlates) xlates | $per | <= 256 | $(awk -v p="$per" 'BEGIN {print (p <= 256 ? "yes" : "no")}') |
| ph_engine_conn_mem() (connection entry + buckets, without the xlate) | $cm | | |
"
	BL_TABLE+="
Where the instructions of an established PAT packet go (callgrind,
1,000 connections, self cost: callees not included):

| function | instructions/packet | share |
|---|---:|---:|
$(bl_cg_top "$BL_CG_PACKETS" 10 --only pat --conns 1000 --packets "$BL_CG_PACKETS")
"
	load1=$(bl_loadavg)
	BL_NOTES="Engine alone (bench/engine_bench.c): synthetic packets into
ph_engine_process() with a PIX rule set (access-groups on both
interfaces, 32 PAT addresses, nat 0 for one network, fixup pptp). The
table is filled first (handshakes, untimed), then connections are
visited in random order, both directions alternating; ns are thread
CPU time, medians of $BL_REPS runs of $BL_EB_PACKETS packets (new: 100,000
SYNs, each a new connection and PAT xlate). Instructions from callgrind
on $BL_CG_PACKETS measured packets (a 1,000,000-connection fill is too
slow under valgrind; the count does not depend on the table size but
for hash chains). THP: the same binary with
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (malloc asks for transparent huge
pages), to show how much of the growth is TLB misses."
	printf '\n%s\n' "$BL_TABLE"
	bl_emit_section scale "(6) Scale: the engine at 1,000,000 connections" \
		"Thread CPU time, so preemption by other jobs does not count (cache
sharing does); load average $load0 before, $load1 after."
}

bl_eb_label() {
	case $1 in
	est) echo "established TCP, untranslated" ;;
	pat) echo "established TCP through PAT" ;;
	udp) echo "established UDP through PAT" ;;
	new) echo "new TCP connection through PAT (SYN)" ;;
	gre) echo "PPTP GRE through PAT" ;;
	esac
}

fig_pptp() {
	local out calls ns1 nsN r ir1 irN load0 load1 setup
	calls=${BL_PPTP_CALLS:-10000}
	load0=$(bl_loadavg)
	BL_RAW="" BL_NOTES=""
	echo "## (7) PPTP: $calls calls through one PAT address (engine alone)"
	out=$(bl_eb --only gre --calls "$calls" --packets "$BL_EB_PACKETS" \
		--reps "$BL_REPS") || {
		echo "engine_bench failed"
		return 1
	}
	BL_RAW+=$(grep '^result' <<<"$out")$'\n'
	if grep -q 'pending=' <<<"$out"; then
		BL_TABLE="pending: $(sed -n 's/.*pending="\(.*\)"/\1/p' <<<"$out")"
		echo "$BL_TABLE"
	else
		ns1=$(bl_kv "$out" gre_ns_1)
		nsN=$(bl_kv "$out" gre_ns_all)
		setup=$(bl_kv "$out" setup_s)
		r=$(awk -v a="$nsN" -v b="$ns1" 'BEGIN {printf "%.2f", a / b}')
		ir1=$(bl_cg_ir "$BL_CG_PACKETS" --only gre --calls "$calls" \
			--gre one --packets "$BL_CG_PACKETS")
		irN=$(bl_cg_ir "$BL_CG_PACKETS" --only gre --calls "$calls" \
			--gre all --packets "$BL_CG_PACKETS")
		BL_TABLE="| measure | $calls calls | 1 call | ratio | target | met? |
|---|---:|---:|---:|---:|---|
| GRE ns/packet (both directions) | $nsN | $ns1 | ${r}x | <= 1.5x | $(awk -v r="$r" 'BEGIN {print (r <= 1.5 ? "yes" : "no")}') |
| GRE packets/s of engine time | $(awk -v n="$nsN" 'BEGIN {printf "%.0f", 1e9 / n}') | $(awk -v n="$ns1" 'BEGIN {printf "%.0f", 1e9 / n}') | | | |
| GRE instructions/packet (callgrind) | $irN | $ir1 | | | |

| set-up | measured |
|---|---:|
| $calls calls (TCP handshake, SCCRQ/SCCRP, OCRQ/OCRP, first GRE: 9 packets each), engine CPU time | $setup s ($(bl_kv "$out" setup_calls_per_s) calls/s) |
"
		BL_NOTES="One PPTP server (PAC), $calls clients behind one PAT
address, one control connection and one call each; the clients' call
IDs repeat (1..256), so the inspector must allocate distinct translated
IDs. GRE both ways (64-byte PPP payload, key and sequence number), to
random calls. Thread CPU time, medians of $BL_REPS runs of
$BL_EB_PACKETS packets; instructions from callgrind on
$BL_CG_PACKETS packets per run. Engine time only: the kernel path is
the same as for any packet (figure 1)."
		printf '\n%s\n' "$BL_TABLE"
	fi
	load1=$(bl_loadavg)
	bl_emit_section pptp \
		"(7) PPTP: 10,000 calls through one PAT address (engine alone)" \
		"Thread CPU time; load average $load0 before, $load1 after."
}

fig_acl() {
	echo "## (5) ACL lookup (bench/acl_bench.c; its section is kept as its"
	echo "## author wrote it, this run only prints)"
	sh "$BL_SRC/bench/build.sh" "$BL_BUILD" >/dev/null &&
		"$BL_BUILD/acl_bench"
}
