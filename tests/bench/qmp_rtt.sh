#!/usr/bin/env bash
# query-status round trip through QEMU's own async QMP client (qemu.qmp),
# the same client against flint and against QEMU microvm.  Median of N
# (default 2000) round trips after connecting and negotiating.
#
# With a usable /dev/kvm both serve a real VM (flint: the sleep guest).
# Without it, flint's side is build/tests/qmp_fake_server (flint's own
# control socket, QMP layer and pause code over fake vCPU threads) and
# QEMU runs under TCG: the output says which, since neither is a real
# flint VM.  Usage: tests/bench/qmp_rtt.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2000}
QEMU_PY=$(tests/qmp/fetch_qemu_qmp.sh)
export QEMU_PY
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
wait_sock() { for _ in $(seq 300); do [ -S "$1" ] && return 0; sleep 0.02; done; echo "no socket $1" >&2; exit 1; }

if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	printf '[kernel]\npath = %s/build/guest/sleep.elf\ncmdline = -- 60000\n' "$PWD" >"$tmp/vm.ini"
	build/flint run "$tmp/vm.ini" --control "$tmp/flint.sock" >/dev/null &
	flint_label="flint (KVM, sleep guest)"
	accel="-accel kvm -cpu max,-arch-capabilities" append="-- 60000" qemu_label="QEMU microvm (KVM)"
else
	build/tests/qmp_fake_server "$tmp/flint.sock" 2>/dev/null &
	flint_label="flint control path over a FAKE VM (no KVM here: build/tests/qmp_fake_server)"
	khz=$(awk -F': *' '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	accel="-accel tcg -cpu max" append="tsc_khz=$khz -- 60000" qemu_label="QEMU microvm (TCG, no KVM here)"
fi
wait_sock "$tmp/flint.sock"
# shellcheck disable=SC2086
qemu-system-x86_64 -M microvm,acpi=off $accel -m 64M -nodefaults -no-user-config -display none \
	-serial none -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel build/guest/sleep.elf \
	-append "$append" -qmp "unix:$tmp/qemu.sock,server,nowait" &
wait_sock "$tmp/qemu.sock"
f=$(python3 tests/qmp/qmp_check.py rtt "$tmp/flint.sock" "$n")
q=$(python3 tests/qmp/qmp_check.py rtt "$tmp/qemu.sock" "$n")
echo "query-status round trip, median of $n, qemu.qmp async client:"
echo "  $f us  $flint_label"
echo "  $q us  $qemu_label"
