#!/bin/sh
# bench/make.sh [BUILDDIR] - build every benchmark program into BUILDDIR
# (default build/bench, configured as CMake Release if it does not exist):
#
#   ph-udpgen, ph-udpsink, ph-tcpcps   traffic tools (no libpinhole)
#   engine_bench                       the engine alone (libpinhole.a)
#   acl_bench                          via bench/build.sh (its own script)
#
# and the programs the kernel figures need from the project build
# (pinholed, pinholectl, pinhole-nfq-null).  The benchmarks are not CMake targets on
# purpose: they time things and CI need not build or run them; they are
# compiled with the project's warning flags (-Werror) at -O2.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/bench}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j2 --target pinhole >/dev/null
# the daemon and the null program are other modules' work in progress at
# times: a failure there leaves the figures that need them "pending"
for t in pinholed pinholectl pinhole-nfq-null; do
	cmake --build "$build" -j2 --target $t >/dev/null 2>&1 ||
		echo "warning: $t does not build now; its figures will fail" >&2
done

CC=${CC:-cc}
WARN="-Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla -Werror"
CFLAGS="-std=c11 -D_GNU_SOURCE -O2 -g $WARN"
for t in udpgen udpsink tcpcps; do
	$CC $CFLAGS -o "$build/ph-$t" "$here/bench/$t.c"
done
# engine_bench uses the engine's public API, the policy model and the
# test packet builders (tests/unit/pktbuild.h, pptpbuild.h).
$CC $CFLAGS -I"$here/include" -I"$here/src" -I"$here/tests/unit" \
	-o "$build/engine_bench" "$here/bench/engine_bench.c" \
	"$build/libpinhole.a" -lbsd
sh "$here/bench/build.sh" "$build" >/dev/null
echo "built in $build: ph-udpgen ph-udpsink ph-tcpcps engine_bench acl_bench"
