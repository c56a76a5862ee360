#!/usr/bin/env bash
# flint-oci under Podman: `podman run --rm` of the hello guest with
# flint-oci against the same with runc running a static `true` (Podman
# itself is most of either), interleaved (RUNS, default 20), medians.
# Target: flint-oci adds at most 10 % to runc's median.  Needs root,
# podman, conmon, runc and KVM; says what it skips.
set -u
cd "$(dirname "$0")/../.." || exit 1
echo "== oci: podman run --rm, flint-oci vs runc"
for w in podman conmon runc; do
	command -v $w >/dev/null || { echo "needs $w: not measured"; exit 0; }
done
[ "$(id -u)" -eq 0 ] && [ -w /dev/kvm ] || { echo "needs root and /dev/kvm: not measured"; exit 0; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/flint" "$TMP/linux"
cp build/guest/hello.elf "$TMP/flint/"
printf 'int main(void) { return 0; }\n' >"$TMP/true.c"
gcc -static -O2 -o "$TMP/linux/true" "$TMP/true.c" || exit 1
# Podman's default nofile and nproc limits fail runc here (no CAP_SYS_RESOURCE)
opts="run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rootfs"
# interleave.py does not look at exit statuses: each must work first
podman --runtime runc $opts "$TMP/linux" /true || { echo "runc fails here: not measured"; exit 1; }
podman --runtime "$PWD/build/flint-oci" $opts "$TMP/flint" /hello.elf >/dev/null || exit 1
python3 tests/bench/interleave.py "${RUNS:-20}" --base runc \
	"runc=podman --runtime runc $opts $TMP/linux /true" \
	"flint-oci=podman --runtime $PWD/build/flint-oci $opts $TMP/flint /hello.elf"
