#!/usr/bin/env bash
# Config goldens: every rules/NAME.conf must check clean (exit 0), print
# exactly tests/config/golden/NAME.out (`pinholed -t -p`) with exactly the
# diagnostics in NAME.diag, and its canonical output must parse back to
# itself (print(parse(print(x))) == print(x)).
#
# Usage: run-goldens.sh BUILDDIR
#        PH_UPDATE_GOLDENS=1 run-goldens.sh BUILDDIR   (rewrite the goldens;
#        review the diff before committing it)
set -u
build=${1:?usage: run-goldens.sh BUILDDIR}
build=$(cd "$build" && pwd)
src=${PH_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
golden=$src/tests/config/golden
bin=$build/pinholed
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
bad() {
	echo "FAIL $1: $2"
	fail=$((fail + 1))
}

cd "$src/rules" || exit 1
for conf in *.conf; do
	name=${conf%.conf}
	"$bin" -t -p -f "$conf" >"$tmp/out" 2>"$tmp/diag"
	rc=$?
	if [ "${PH_UPDATE_GOLDENS:-0}" = 1 ]; then
		cp "$tmp/out" "$golden/$name.out"
		cp "$tmp/diag" "$golden/$name.diag"
	fi
	if [ $rc -ne 0 ]; then
		bad "$conf" "exit status $rc, expected 0"
		sed 's/^/    /' "$tmp/diag" | head -20
		continue
	fi
	if ! diff -u "$golden/$name.out" "$tmp/out" >"$tmp/d"; then
		bad "$conf" "canonical output differs from golden/$name.out"
		head -40 "$tmp/d"
		continue
	fi
	if ! diff -u "$golden/$name.diag" "$tmp/diag" >"$tmp/d"; then
		bad "$conf" "diagnostics differ from golden/$name.diag"
		head -40 "$tmp/d"
		continue
	fi
	cp "$tmp/out" "$tmp/$name.canon"
	if ! "$bin" -t -p -f "$tmp/$name.canon" >"$tmp/again" 2>"$tmp/again.err"; then
		bad "$conf" "canonical output does not load"
		head -20 "$tmp/again.err"
		continue
	fi
	if ! diff -u "$tmp/out" "$tmp/again" >"$tmp/d"; then
		bad "$conf" "canonical output does not re-parse to itself"
		head -40 "$tmp/d"
		continue
	fi
	pass=$((pass + 1))
done
echo "config goldens: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
