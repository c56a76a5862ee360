#!/usr/bin/env bash
# Builds the ext4 reader's fuzzer (clang libFuzzer + ASan/UBSan) into
# build/fuzz/ and runs it for FUZZ_TIME seconds (default 30), seeded with
# small images that mke2fs makes here (ext4 with a depth-1 extent tree,
# ext2 block maps, a directory of 20 entries, fast and slow symlinks).
# New inputs accumulate in build/fuzz/ext4_corpus; a crash leaves
# build/fuzz/ext4-crash-* and makes this script fail.  Replay one with
#     build/fuzz/fuzz_ext4 build/fuzz/ext4-crash-...
set -eu
cd "$(dirname "$0")/../.."
export PATH=$PATH:/sbin:/usr/sbin

out=build/fuzz
cc=${CLANG:-clang}
seeds=$out/ext4_seeds
mkdir -p "$out/ext4_corpus"

$cc -std=c11 -D_GNU_SOURCE -Itests/unit -Iguest-kernel -g -O1 -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-o "$out/fuzz_ext4" tests/fuzz/fuzz_ext4.c guest-kernel/fs/ext4*.c

rm -rf "$seeds" "$out/ext4_src"
mkdir -p "$seeds" "$out/ext4_src/d"
src=$out/ext4_src
for i in $(seq 1 20); do echo "$i" >"$src/d/f$i"; done
head -c 5000 /dev/zero | tr '\0' 'z' >"$src/file"
python3 -c "
f = open('$src/islands', 'wb')
for i in range(8):
    f.seek(i * 8192); f.write(b'x' * 1024)
"
ln -s file "$src/fast"
ln -s "$(printf 'y%.0s' $(seq 1 100))" "$src/slow"
seed() { # name size mke2fs-options...
	local name=$1 size=$2
	shift 2
	truncate -s "$size" "$seeds/$name"
	mke2fs -q -F -b 1024 -N 48 "$@" -d "$src" "$seeds/$name"
}
seed ext4 128K -t ext4 -O ^has_journal,^resize_inode
seed ext4_64bit 128K -t ext4 -O ^has_journal,^resize_inode,64bit
seed ext2 128K -t ext2 -O ^resize_inode

"$out/fuzz_ext4" -max_total_time="${FUZZ_TIME:-30}" -max_len=262144 -timeout=10 -rss_limit_mb=4096 \
	-print_final_stats=1 -artifact_prefix="$out/ext4-" "$out/ext4_corpus" "$seeds"
