# shellcheck shell=bash disable=SC2034
# Shared by the tests/bench/ area scripts (sourced, not run): the repository
# as working directory, which accelerator QEMU gets, and how a section says
# which flint figures it could not measure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
FLINT=${FLINT:-build/flint}
OUT=build/bench
mkdir -p "$OUT"
# shellcheck source=tests/bench/parse.sh
source tests/bench/parse.sh

# QEMU on KVM is flint's peer.  Without KVM flint boots nothing, and QEMU's
# own emulator (TCG) is no peer: its figures are printed for reference only,
# under a label saying so, and never set against flint's.
. tests/lib/qemu_accel.sh
QEMU_ACCEL=$ACCEL QEMU_TSC=$TSC
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	KVM=1 QEMU_LABEL="QEMU microvm (KVM)"
else
	KVM= QEMU_LABEL="QEMU microvm (TCG, not a peer, for reference only)"
fi
QEMU_BASE="qemu-system-x86_64 -M microvm,acpi=off $QEMU_ACCEL -nodefaults -no-user-config -device isa-debug-exit,iobase=0xf4,iosize=4 -global virtio-mmio.force-legacy=false"

# no_kvm_note WHAT...: the flint figures this section leaves out.
no_kvm_note() {
	echo "   no usable /dev/kvm: flint boots nothing here, so these flint figures are missing:"
	printf '     - %s\n' "$@"
}

# summary SAMPLES ROW...: the section's table (tests/bench/summary.py).
summary() { python3 tests/bench/summary.py "$@"; }
