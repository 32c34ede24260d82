#!/usr/bin/env bash
# tests/pcap/run-goldens.sh - pcap goldens: generated captures through
# pinhole-replay, compared with the expected syslog lines and decoded output.
#
# usage: run-goldens.sh BUILDDIR [SCENARIO...]
#
# For every directory tests/pcap/NAME/ with a scenario.py:
#   1. tools/gen/phgen.py builds the input captures from scenario.py (running
#      pinhole-replay between passes to learn what the engine chose, see
#      docs/replay.md) into BUILDDIR/pcap-goldens/NAME/;
#   2. pinhole-replay runs once more over them with --summary;
#   3. the syslog lines are compared with expected.log, the counters with
#      expected-summary.txt, and each output capture, decoded one line per
#      packet by tools/gen/phdump.py, with expected-IFACE.txt.
# A scenario with a PENDING file is reported as pending and skipped (its
# first line says why).
#
# PH_UPDATE_GOLDENS=1 writes the results as the new expected files instead
# of comparing (then review them with `git diff` before committing).
# Pending scenarios are never overwritten (their expected files may hold
# the right behaviour, written by hand); in that mode they are compared
# and reported as passing now or still differing.
#
# Exit status: 0 when every scenario that is not pending passes.
set -u

build=${1:?usage: run-goldens.sh BUILDDIR [SCENARIO...]}
shift
src=${PH_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=$(cd "$build" && pwd)
replay=$build/pinhole-replay
gen=$src/tools/gen/phgen.py
dump=$src/tools/gen/phdump.py
work=$build/pcap-goldens
update=${PH_UPDATE_GOLDENS:-0}

pass=0
fail=0
pending=0
failed=()

# compare EXPECTED ACTUAL LABEL: diff, or copy when updating
check() {
	local exp=$1 act=$2 label=$3
	if [ "$update" = 1 ]; then
		cp "$act" "$exp"
		return 0
	fi
	if [ ! -f "$exp" ]; then
		echo "  $label: no $(basename "$exp") (run with PH_UPDATE_GOLDENS=1)"
		return 1
	fi
	if ! diff -u "$exp" "$act" >"$act.diff"; then
		echo "  $label differs:"
		sed 's/^/    /' "$act.diff" | head -40
		return 1
	fi
	return 0
}

# run_scenario DIR NAME: 0 pass, 1 fail
run_scenario() {
	local dir=$1 name=$2 w=$work/$2 ok=0 rc
	rm -rf "$w"
	mkdir -p "$w"
	if ! python3 "$gen" scenario "$dir" --workdir "$w" --replay "$replay" \
		2>"$w/gen.err"; then
		echo "  generator failed:"
		sed 's/^/    /' "$w/gen.err"
		return 1
	fi
	local args=()
	mapfile -t args <"$w/args"
	# from the scenario directory: the rule file path in args is relative
	(cd "$dir" && "$replay" "${args[@]}" --summary) >"$w/log" 2>"$w/summary"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "  pinhole-replay exited $rc:"
		sed 's/^/    /' "$w/summary"
		return 1
	fi
	check "$dir/expected.log" "$w/log" "syslog lines" || ok=1
	check "$dir/expected-summary.txt" "$w/summary" "summary" || ok=1
	local mode=lines
	[ -f "$w/dump-mode" ] && mode=$(cat "$w/dump-mode")
	for out in "$w"/out-*.pcap; do
		[ -e "$out" ] || continue
		local ifn
		ifn=$(basename "$out" .pcap)
		ifn=${ifn#out-}
		local opt=()
		[ "$mode" = summary ] && opt=(--summary)
		if ! python3 "$dump" "${opt[@]}" "$out" >"$w/out-$ifn.txt"; then
			echo "  cannot decode $out"
			ok=1
			continue
		fi
		check "$dir/expected-$ifn.txt" "$w/out-$ifn.txt" \
			"output on $ifn" || ok=1
	done
	return $ok
}

for dir in "$src"/tests/pcap/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	[ -f "$dir/scenario.py" ] || continue
	if [ $# -gt 0 ]; then
		want=0
		for s in "$@"; do [ "$s" = "$name" ] && want=1; done
		[ $want = 1 ] || continue
	fi
	if [ -f "$dir/PENDING" ]; then
		echo "pending: $name ($(head -n 1 "$dir/PENDING"))"
		pending=$((pending + 1))
		# when updating, compare (never overwrite: a pending scenario's
		# expected files may be hand-corrected) to say if it passes now
		if [ "$update" = 1 ] && [ -x "$replay" ]; then
			if update=0 run_scenario "$dir" "$name" >/dev/null; then
				echo "  $name passes now: remove its PENDING"
			else
				echo "  $name still differs (see $work/$name)"
			fi
		fi
		continue
	fi
	if [ ! -x "$replay" ]; then
		echo "FAIL: $name (no $replay)"
		fail=$((fail + 1))
		failed+=("$name")
		continue
	fi
	if run_scenario "$dir" "$name"; then
		echo "ok: $name"
		pass=$((pass + 1))
	else
		echo "FAIL: $name (work files in $work/$name)"
		fail=$((fail + 1))
		failed+=("$name")
	fi
done

echo "pcap goldens: $pass passed, $fail failed, $pending pending"
[ $fail -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
exit 0
