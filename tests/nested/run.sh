#!/usr/bin/env bash
# Runs CMD... on a KVM host that QEMU emulates (TCG with AMD SVM, so Debian's
# kvm-amd binds inside it): a machine with no /dev/kvm can still boot flint
# and so run the tests that need one.  The nested host sees this machine's
# root read-only and the repository read-write at the same path; CMD runs
# as root in the repository.  Everything is emulated, 10-100x slower than
# KVM: this is for checking behaviour, never for timing it.
#
# Usage: tests/nested/run.sh CMD...   (NESTED_TIMEOUT=seconds, default 1200)
# Exit status: CMD's; 124 on timeout; 125 if this machine cannot run the
# nested host (no QEMU, the packages cannot be fetched); 126 if the nested
# host started but did not run CMD (a fault here, shown with its console).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
[ $# -gt 0 ] || { echo "usage: tests/nested/run.sh CMD..." >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "nested: needs qemu-system-x86_64" >&2; exit 125; }
root=$(tests/nested/fetch.sh) || exit 125
kdir=$(ls -d "$root"/lib/modules/*/ | head -1)
kernel=$(ls "$root"/boot/vmlinuz-* | head -1)
out=build/nested
ir=$out/initrd
rm -rf "$ir" "$out/rc" "$out/out"
mkdir -p "$ir/bin" "$ir/mod" "$ir/proc" "$ir/sys" "$ir/dev"
cp "$root/bin/busybox" "$ir/bin/"
cp tests/nested/init "$ir/init"
# In load order: insmod resolves nothing itself.
mods="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
netfs fscache 9pnet 9pnet_virtio 9p irqbypass ccp kvm kvm-amd tun veth
sch_ingress cls_u32 act_mirred"
for m in $mods; do
	f=$(find "$kdir" -name "$m.ko" | head -1)
	[ -n "$f" ] || { echo "nested: the kernel package has no $m.ko" >&2; exit 125; }
	cp "$f" "$ir/mod/"
done
echo $mods >"$ir/mod/order"
mkdir -p "$ir/etc"; echo "$repo" >"$ir/etc/repo-path"
python3 rootfs/mkimage --format cpio "$ir" "$out/initrd.cpio" >/dev/null
{
	printf 'exec >%q 2>&1\n' "$repo/$out/out"
	printf '%q ' "$@"; echo
} >"$out/cmd.sh"
rc=0
# -cpu max under TCG is AMD-flavoured and has SVM with nested paging.  One
# vCPU: with two, the L1 kernel finds its TSCs unsynchronized, a vCPU
# thread moving between them makes the guest's TSC jump, and flint rightly
# marks the guest's milestones invalid; the tests are serial anyway.
timeout "${NESTED_TIMEOUT:-1200}" qemu-system-x86_64 -accel tcg -cpu max -smp "${NESTED_SMP:-1}" -m 2G \
	-nodefaults -no-user-config -display none -no-reboot -serial "file:$out/console.log" \
	-monitor "unix:$out/monitor.sock,server,nowait" \
	-kernel "$kernel" -initrd "$out/initrd.cpio" -append "console=ttyS0 quiet panic=-1" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$repo,mount_tag=repo,security_model=none,multidevs=remap" || rc=$?
[ -f "$out/out" ] && cat "$out/out"
if [ $rc -eq 124 ]; then echo "nested: timed out after ${NESTED_TIMEOUT:-1200} s" >&2; exit 124; fi
[ -f "$out/rc" ] || { echo "nested: the nested host did not run the command; its console:" >&2; tail -20 "$out/console.log" >&2; exit 126; }
exit "$(cat "$out/rc")"
