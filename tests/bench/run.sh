#!/usr/bin/env bash
# make bench: one section per area, each a script that also runs alone:
#   tests/bench/boot.sh     hello boot, the sandbox's cost, RSS, virtio-blk
#   tests/bench/net.sh      ICMP, UDP, HTTP and bulk TCP vs QEMU and the tap's floor
#   tests/bench/rootfs.sh   a 64 MiB file from ext4 and the initrd vs the host
#   tests/bench/qmp.sh      the control socket (when it exists)
#   tests/bench/snapshot_file.sh  saving and opening a snapshot file, a vCPU's state
#   tests/bench/snapshot.sh restore vs cold boot vs the floor, file size, 100 restores' memory
# Without /dev/kvm each section measures only what needs no flint VM and
# names the flint figures it leaves out.  Exit status 1 if a section failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
status=0
section() {
	"$@" || { echo "bench: $* failed (status $?)"; status=1; }
	echo
}
section tests/bench/boot.sh
section tests/bench/net.sh
section tests/bench/rootfs.sh
section tests/bench/snapshot_file.sh
section tests/bench/snapshot.sh
if [ -x tests/bench/qmp.sh ]; then
	section tests/bench/qmp.sh
else
	echo "== qmp: tests/bench/qmp.sh is missing (or not executable): not measured"
fi
exit $status
