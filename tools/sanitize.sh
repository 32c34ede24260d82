#!/usr/bin/env bash
# tools/sanitize.sh - the test suite under AddressSanitizer (with
# LeakSanitizer) and UndefinedBehaviorSanitizer.
#
# usage: tools/sanitize.sh [CTEST ARGS...]
# env:   PH_ASAN_BUILD   build directory (default build/asan)
#        PH_JOBS         parallel build and test jobs (default nproc)
#        PH_ASAN_ALL=1   also run the end-to-end tests (tests/e2e)
#
# Builds the whole project with -DPH_SANITIZE=ON (-fsanitize=address,
# undefined -fno-sanitize-recover=undefined: any UB report is fatal) and
# runs ctest there: every Check unit suite, the config goldens and
# failures, the pcap goldens and the replay command line, the control
# channel test.  A sanitizer report makes the process exit non-zero, so
# the test fails.
#
# The end-to-end tests (tests/e2e: real kernel data plane and PPTP peers
# in network namespaces) are left out by default: they test the kernel
# path and the peers more than our memory handling, take minutes, and
# already run unsanitized in tools/test.  PH_ASAN_ALL=1 includes them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${PH_ASAN_BUILD:-build/asan}
jobs=${PH_JOBS:-$(nproc)}

# abort_on_error=0: exit with an error code (ctest sees a failure, not a
# core dump); detect_leaks: LeakSanitizer at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

cmake -S . -B "$build" -DPH_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	>/dev/null
cmake --build "$build" -j "$jobs"

exclude=()
if [ "${PH_ASAN_ALL:-0}" != 1 ]; then
	exclude=(-E '^e2e/')
fi
cd "$build"
ctest --output-on-failure -j "$jobs" "${exclude[@]}" "$@"
