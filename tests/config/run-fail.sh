#!/usr/bin/env bash
# Config error goldens: every tests/config/fail/NAME.conf must be rejected
# by `pinholed -t` (exit 1) with exactly the diagnostics in NAME.err
# (message, line, column and caret).
#
# Usage: run-fail.sh BUILDDIR
#        PH_UPDATE_GOLDENS=1 run-fail.sh BUILDDIR   (rewrite the .err files)
set -u
build=${1:?usage: run-fail.sh BUILDDIR}
build=$(cd "$build" && pwd)
src=${PH_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=$build/pinholed
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
cd "$src/tests/config/fail" || exit 1
for conf in *.conf; do
	name=${conf%.conf}
	"$bin" -t -f "$conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "${PH_UPDATE_GOLDENS:-0}" = 1 ]; then
		cp "$tmp/err" "$name.err"
	fi
	if [ $rc -ne 1 ]; then
		echo "FAIL $conf: exit status $rc, expected 1"
		fail=$((fail + 1))
		continue
	fi
	if [ -s "$tmp/out" ]; then
		echo "FAIL $conf: printed a configuration"
		fail=$((fail + 1))
		continue
	fi
	if ! diff -u "$name.err" "$tmp/err"; then
		echo "FAIL $conf: diagnostics differ from $name.err"
		fail=$((fail + 1))
		continue
	fi
	pass=$((pass + 1))
done
echo "config fail goldens: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
