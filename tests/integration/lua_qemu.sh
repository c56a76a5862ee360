#!/usr/bin/env bash
# lua.elf under QEMU microvm (KVM when usable, else TCG, so it runs on
# machines without /dev/kvm too): the same image boots on a standard
# monitor, reads a script from the initrd and exits with os.exit's status
# through isa-debug-exit (QEMU's status is 2 * status + 1).  No Flint pv
# page there: os.time() is an error, os.clock() still counts.
source "$(dirname "$0")/lib.sh"
ELF=build/guest/lua.elf
. tests/lib/qemu_accel.sh

# boot CMDLINE: the console in $OUT, QEMU's status in $rc
boot() {
	[ -f "$TMP/lua.cpio" ] || rootfs/mkimage --format cpio tests/integration/lua "$TMP/lua.cpio" >/dev/null
	rc=0
	timeout 120 qemu-system-x86_64 -M microvm,acpi=off $ACCEL -m 64M -nodefaults \
		-no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-initrd "$TMP/lua.cpio" -kernel "$ELF" -append "$TSC $1" >"$OUT" 2>"$ERR" || rc=$?
}

inline_under_qemu() {
	needs qemu
	boot '-- -e print("qemu", 2^0.5, pcall(os.time)) os.exit(5)'
	expect_rc 11
	expect_out "qemu	1.4142135623731	false"
}
error_and_memory_limit_under_qemu() {
	needs qemu
	boot "-- /error.lua"
	expect_rc 3
	expect_out "lua: /error.lua:2: boom in inner"
	expect_out "stack traceback:"
	boot "lua.mem=8M -- /membomb.lua"
	expect_rc 3
	expect_out "caught:	false	not enough memory"
}

for f in inline_under_qemu error_and_memory_limit_under_qemu; do
	t "$f"
done
exit $((failures > 0))
