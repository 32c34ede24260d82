#!/usr/bin/env bash
# tools/fuzz/run.sh - build the libFuzzer targets and run each one for a
# bounded time, after replaying its regression corpus.
#
# usage: tools/fuzz/run.sh [TARGET...]     (default: packet pptp config ctl acl)
# env:   PH_FUZZ_SECONDS   seconds of fuzzing per target (default 60;
#                          0 = only replay the seeds and regressions)
#        PH_FUZZ_BUILD     build directory (default build/fuzz)
#        PH_FUZZ_JOBS      make -j (default 2)
#        PH_FUZZ_ARGS      extra libFuzzer flags
#        PH_FUZZ_NOBUILD=1 use the binaries already in the build directory
#
# Build: clang, -DPH_FUZZ=ON -DPH_SANITIZE=ON, so the whole library is
# compiled with -fsanitize=fuzzer-no-link,address,undefined and the targets
# link -fsanitize=fuzzer.  PH_WERROR is off in this tree only: clang warns
# about a few things gcc does not, and the gcc builds enforce -Werror.
#
# Per target (tools/fuzz/fuzz_TARGET.c):
#   1. every file in tools/fuzz/regress/TARGET/ (inputs that crashed once)
#      is run once; any failure fails the script;
#   2. the fuzzer runs for PH_FUZZ_SECONDS with the dictionary
#      tools/fuzz/pinhole.dict, the seeds tools/fuzz/corpus/TARGET/ and a
#      working corpus BUILD/work/TARGET/ (kept between local runs); a
#      crash, leak, sanitizer report, timeout (10 s per input) or
#      out-of-memory (2 GiB) fails the script and leaves the input in
#      BUILD/artifacts/TARGET/, which is also printed as hex.
# Printed per target: executions (libFuzzer's final
# stat::number_of_executed_units), edge coverage (cov:), features (ft:),
# corpus size and wall time; then a summary table.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${PH_FUZZ_BUILD:-build/fuzz}
secs=${PH_FUZZ_SECONDS:-60}
jobs=${PH_FUZZ_JOBS:-2}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(packet pptp config ctl acl)

export CC=clang
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if ! command -v clang >/dev/null; then
	echo "fuzz: clang not found (tools/setup-deps installs it)" >&2
	exit 1
fi
if [ "${PH_FUZZ_NOBUILD:-0}" = 1 ]; then
	:
elif ! cmake -S . -B "$build" -DPH_FUZZ=ON -DPH_SANITIZE=ON -DPH_WERROR=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.cmake.log" 2>&1; then
	cat "$build.cmake.log"
	exit 1
elif ! cmake --build "$build" -j "$jobs" --target \
	"${targets[@]/#/fuzz_}" >"$build/make.log" 2>&1; then
	tail -n 60 "$build/make.log"
	echo "fuzz: build failed" >&2
	exit 1
fi

# max_len per target: packets carry several records, config files are text
maxlen() {
	case $1 in
	packet) echo 16384 ;;
	config) echo 16384 ;;
	*) echo 8192 ;;
	esac
}

# show_crash LOG DIR: name and hex of the inputs libFuzzer saved
show_crash() {
	grep -E "ERROR|SUMMARY|abort|Test unit written" "$1" | head -n 20
	for f in "$2"/*; do
		[ -f "$f" ] || continue
		echo "input $f ($(stat -c %s "$f") bytes):"
		od -A x -t x1z -v "$f" | head -n 64
	done
}

fail=0
npass=0
nfail=0
summary=()
for t in "${targets[@]}"; do
	bin=$build/fuzz_$t
	seeds=tools/fuzz/corpus/$t
	regress=tools/fuzz/regress/$t
	work=$build/work/$t
	art=$build/artifacts/$t
	log=$build/fuzz-$t.log
	mkdir -p "$work" "$art" "$seeds"
	echo "== fuzz_$t"

	# 1. regressions: each input once
	nreg=0
	if [ -d "$regress" ] && [ -n "$(ls -A "$regress" 2>/dev/null)" ]; then
		nreg=$(find "$regress" -type f | wc -l)
		if ! "$bin" -runs=1 "$regress"/* >"$build/regress-$t.log" 2>&1; then
			echo "FAIL: fuzz_$t crashes on a regression input:"
			grep -E "Running:|ERROR|SUMMARY|abort" \
				"$build/regress-$t.log" | tail -n 20
			fail=1
			nfail=$((nfail + 1))
			summary+=("$t: REGRESSION FAILED")
			continue
		fi
		echo "   $nreg regression inputs pass"
	fi

	# 2. fuzz (PH_FUZZ_SECONDS=0: one pass over the seeds)
	start=$(date +%s)
	if [ "$secs" -gt 0 ]; then
		limit=(-max_total_time="$secs")
	else
		limit=(-runs=0)
	fi
	# shellcheck disable=SC2086
	nice -n 5 "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(maxlen "$t")" -dict=tools/fuzz/pinhole.dict \
		-print_final_stats=1 -artifact_prefix="$art/" \
		${PH_FUZZ_ARGS:-} "$work" "$seeds" >"$log" 2>&1
	rc=$?
	wall=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
	line=$(printf '%-7s execs %-10s cov %-6s ft %-6s corpus %-6s %4ss regress %s' \
		"$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$wall" "$nreg")
	if [ $rc -ne 0 ]; then
		echo "FAIL: fuzz_$t exited $rc (log $log)"
		show_crash "$log" "$art"
		fail=1
		nfail=$((nfail + 1))
		summary+=("$line  FAILED")
	else
		echo "   $line"
		npass=$((npass + 1))
		summary+=("$line  ok")
	fi
done

echo "== fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
echo "fuzz: $npass passed, $nfail failed"
exit $fail
