#!/bin/sh
# Builds the cpio/VFS fuzzer (clang libFuzzer + ASan/UBSan) into build/fuzz/
# and runs it for FUZZ_TIME seconds (default 30), seeded with the example
# initrd and a few small archives mkimage makes.  A crash leaves
# build/fuzz/cpio-crash-* and makes this script fail; replay one with
#     build/fuzz/fuzz_cpio build/fuzz/cpio-crash-...
set -eu
cd "$(dirname "$0")/../.."

out=build/fuzz
cc=${CLANG:-clang}
mkdir -p "$out/cpio-corpus" "$out/cpio-seeds"
$cc -std=c11 -D_GNU_SOURCE -Iguest-kernel -Iinclude -g -O1 -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-o "$out/fuzz_cpio" tests/fuzz/fuzz_cpio.c guest-kernel/fs/cpio.c guest-kernel/fs/vfs.c \
	guest-kernel/fs/blockdev.c $(ls guest-kernel/fs/ext4*.c 2>/dev/null)

# Seeds: small trees (a big file would only slow each run down).
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$seeds/t/d/e"
printf 'x' > "$seeds/t/f"
printf 'deep' > "$seeds/t/d/e/g"
ln -s ../f "$seeds/t/d/l"
ln -s d/e "$seeds/t/m"
rootfs/mkimage --format cpio "$seeds/t" "$out/cpio-seeds/small.cpio"
rootfs/mkimage --format cpio rootfs/examples "$out/cpio-seeds/examples.cpio"

"$out/fuzz_cpio" -max_total_time="${FUZZ_TIME:-30}" -max_len=16384 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$out/cpio-" "$out/cpio-corpus" "$out/cpio-seeds"
