#!/bin/sh
# Build the ACL benchmark against a build directory's libpinhole.a.
#
#   cmake -S . -B build/rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build/rel -j2 --target pinhole
#   sh bench/build.sh build/rel && build/rel/acl_bench
#
# The benchmark is not part of the CMake build (it times things; CI need
# not run it).  It is compiled with -O2 like a Release library.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/rel}
lib=$build/libpinhole.a
if [ ! -f "$lib" ]; then
	echo "no $lib: build the pinhole target in $build first" >&2
	exit 1
fi
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Wno-unused-parameter \
	-I"$here/include" -I"$here/src" \
	-o "$build/acl_bench" "$here/bench/acl_bench.c" "$lib" -lbsd
echo "built $build/acl_bench"
