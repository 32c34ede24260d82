#!/usr/bin/env bash
# tools/valgrind-replay.sh - pinhole-replay under valgrind memcheck on
# every pcap golden scenario (tests/pcap/NAME/scenario.py): no memory
# error and no leak of any kind, and the same output as the goldens.
#
# usage: tools/valgrind-replay.sh [SCENARIO...]
# env:   PH_BUILD_DIR   an ordinary (not sanitized) build tree
#                       (default build/test, the one tools/test builds);
#                       pinhole-replay is (re)built there first
#        PH_JOBS        make -j (default nproc)
#
# Per scenario, as tests/pcap/run-goldens.sh does: tools/gen/phgen.py
# writes the input captures and the replay arguments (running the plain
# pinhole-replay between its passes), then pinhole-replay runs once under
#
#   valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all
#            --errors-for-leak-kinds=all --error-exitcode=99
#
# from the scenario directory, and its syslog lines and summary must
# equal expected.log and expected-summary.txt.  Scenarios with a PENDING
# file are skipped, as in the goldens.  Exit status 0 only when every
# scenario is clean.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${PH_BUILD_DIR:-build/test}
jobs=${PH_JOBS:-$(nproc)}

if ! command -v valgrind >/dev/null; then
	echo "valgrind-replay: valgrind not found (tools/setup-deps)" >&2
	exit 1
fi
# configure when new; always bring pinhole-replay up to date (a no-op
# right after tools/test)
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null ||
		exit 1
fi
cmake --build "$build" -j "$jobs" --target pinhole-replay >/dev/null || {
	echo "valgrind-replay: cannot build pinhole-replay in $build" >&2
	exit 1
}
build=$(cd "$build" && pwd)
replay=$build/pinhole-replay
work=$build/valgrind-replay
rm -rf "$work"
mkdir -p "$work"

pass=0
fail=0
skip=0
failed=()
for dir in tests/pcap/*/; do
	dir=$top/${dir%/}
	name=$(basename "$dir")
	[ -f "$dir/scenario.py" ] || continue
	if [ $# -gt 0 ]; then
		want=0
		for s in "$@"; do [ "$s" = "$name" ] && want=1; done
		[ $want = 1 ] || continue
	fi
	if [ -f "$dir/PENDING" ]; then
		echo "skip: $name (pending)"
		skip=$((skip + 1))
		continue
	fi
	w=$work/$name
	mkdir -p "$w"
	if ! python3 tools/gen/phgen.py scenario "$dir" --workdir "$w" \
		--replay "$replay" 2>"$w/gen.err"; then
		echo "FAIL: $name (generator failed)"
		sed 's/^/    /' "$w/gen.err" | tail -n 10
		fail=$((fail + 1))
		failed+=("$name")
		continue
	fi
	mapfile -t args <"$w/args"
	start=$(date +%s)
	(cd "$dir" && valgrind --tool=memcheck --leak-check=full \
		--show-leak-kinds=all --errors-for-leak-kinds=all \
		--error-exitcode=99 --log-file="$w/valgrind.log" \
		"$replay" "${args[@]}" --summary) >"$w/log" 2>"$w/summary"
	rc=$?
	secs=$(($(date +%s) - start))
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' \
		"$w/valgrind.log" | tail -n 1)
	ok=1
	if [ $rc -ne 0 ]; then
		echo "FAIL: $name (exit $rc, valgrind errors ${errs:-?})"
		grep -E "Invalid|uninitialised|definitely|indirectly|possibly|still reachable|ERROR SUMMARY" \
			"$w/valgrind.log" | head -n 20 | sed 's/^/    /'
		ok=0
	fi
	if [ -f "$dir/expected.log" ] && ! diff -q "$dir/expected.log" \
		"$w/log" >/dev/null; then
		echo "FAIL: $name (syslog lines differ from expected.log)"
		ok=0
	fi
	if [ -f "$dir/expected-summary.txt" ] &&
		! diff -q "$dir/expected-summary.txt" "$w/summary" >/dev/null; then
		echo "FAIL: $name (summary differs from expected-summary.txt)"
		ok=0
	fi
	if [ $ok = 1 ]; then
		echo "ok: $name (${secs}s, valgrind errors ${errs:-0})"
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$name")
	fi
done

echo "valgrind-replay: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || {
	echo "failed: ${failed[*]} (logs in $work)"
	exit 1
}
exit 0
