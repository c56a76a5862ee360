#!/usr/bin/env bash
# Interop: the same guest ELFs boot under QEMU microvm (the peer that shares
# Flint's PVH boot ABI) and print the same text.  Skipped without QEMU.
cd "$(dirname "$0")/../.."
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "SKIP qemu_interop (qemu-system-x86_64 not installed)"
	exit 0
fi
# guest-kernel/tests/qemu.sh prints "ok: APP 'ARGS'" or "FAIL: ..." per check.
sh guest-kernel/tests/qemu.sh 2>&1 | sed -n -e "s/^ok: \(.*\)/PASS qemu \1/p" -e "s/^FAIL: \(.*\)/FAIL qemu \1/p" -e 's/^    /  /p'
