#!/bin/sh
# Builds the virtqueue fuzzer (clang libFuzzer + ASan/UBSan) into build/fuzz/
# and runs it for a bounded time: FUZZ_TIME seconds (default 30).
# New inputs accumulate in build/fuzz/corpus; a crash leaves
# build/fuzz/crash-* and makes this script fail.  Replay one with
#     build/fuzz/fuzz_virtq build/fuzz/crash-...
set -eu
cd "$(dirname "$0")/../.."

out=build/fuzz
cc=${CLANG:-clang}
flags="-std=c11 -D_GNU_SOURCE -Iinclude -Ivmm -Ivirtio -g -O1 -Wall -Wextra -Werror"
mkdir -p "$out/corpus" "$out/seeds"

$cc $flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-o "$out/fuzz_virtq" tests/fuzz/fuzz_virtq.c virtio/queue.c virtio/blk.c
$cc $flags -o "$out/make_seeds" tests/fuzz/make_seeds.c
"$out/make_seeds" "$out/seeds"

"$out/fuzz_virtq" -max_total_time="${FUZZ_TIME:-30}" -max_len=8192 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "$out/seeds"
