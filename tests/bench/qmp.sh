#!/usr/bin/env bash
# make bench's QMP section (issue 9): tests/bench/qmp_rtt.sh's figures, or
# one line saying why there are none.  It never fails the bench for a
# missing optional tool; a failure while measuring still fails.  With or
# without KVM (without, qmp_rtt.sh says its figures are of a fake VM
# against QEMU under TCG).  Usage: tests/bench/qmp.sh [N] [C]
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== QMP control socket: flint vs QEMU microvm, one client, interleaved"
for need in python3 qemu-system-x86_64; do
	command -v "$need" >/dev/null || { echo "qmp bench: skipped, needs $need"; exit 0; }
done
need=(build/flint build/guest/sleep.elf)
# Without KVM flint's side is the fake VM, which `make unit-tests` builds
# (make bench builds only `all`).
[ -r /dev/kvm ] && [ -w /dev/kvm ] || need+=(build/tests/qmp_fake_server)
for f in "${need[@]}"; do
	[ -f "$f" ] || { echo "qmp bench: skipped, $f not built (make all unit-tests)"; exit 0; }
done
tests/qmp/fetch_qemu_qmp.sh >/dev/null 2>&1 ||
	{ echo "qmp bench: skipped, QEMU's python/qemu/qmp could not be fetched (tests/qmp/fetch_qemu_qmp.sh)"; exit 0; }
exec tests/bench/qmp_rtt.sh "$@"
