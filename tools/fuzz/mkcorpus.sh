#!/usr/bin/env bash
# tools/fuzz/mkcorpus.sh - (re)generate the seed corpora in
# tools/fuzz/corpus/<target>/ from the project's tests:
#   config  rules/*.conf, tests/config/fail/*.conf, the canonical prints
#           tests/config/golden/*.out and tests/pcap/common/*.conf
#   packet, pptp, ctl, acl   tools/fuzz/mkseeds.c (conversations built with
#           tests/unit/pktbuild.h and pptpbuild.h, run through the
#           fuzzer's own engine set-up; control request frames; ACL
#           rule sets)
#
# usage: tools/fuzz/mkcorpus.sh [BUILDDIR]   (default build/fuzz; needs its
#        libpinhole.a, i.e. run tools/fuzz/run.sh or build it first)
# Review `git status tools/fuzz/corpus` before committing the result.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build/fuzz}
corpus=$top/tools/fuzz/corpus
cc=${CC:-clang}

[ -f "$build/libpinhole.a" ] || {
	echo "mkcorpus: no $build/libpinhole.a (build the fuzz tree first)" >&2
	exit 1
}
# The library is instrumented for fuzzing: link the same runtimes.
"$cc" -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=address,undefined -I"$top/include" -I"$top/src" \
	"$top/tools/fuzz/mkseeds.c" "$build/libpinhole.a" -lbsd \
	-o "$build/mkseeds"

for t in packet pptp ctl acl config; do
	rm -rf "${corpus:?}/$t"
	mkdir -p "$corpus/$t"
done
"$build/mkseeds" "$corpus"

for f in "$top"/rules/*.conf; do
	cp "$f" "$corpus/config/rules-$(basename "$f")"
done
for f in "$top"/tests/config/fail/*.conf; do
	cp "$f" "$corpus/config/fail-$(basename "$f")"
done
for f in "$top"/tests/config/golden/*.out; do
	cp "$f" "$corpus/config/golden-$(basename "$f")"
done
for f in "$top"/tests/pcap/common/*.conf; do
	cp "$f" "$corpus/config/pcap-$(basename "$f")"
done
for t in packet pptp ctl acl config; do
	echo "$t: $(find "$corpus/$t" -type f | wc -l) seeds"
done
