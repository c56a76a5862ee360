#!/bin/sh
# Boots each guest app under QEMU microvm (the peer that shares Flint's
# boot ABI) and checks its output and exit status.  Run from the repository
# root after `make guest`.  QEMU exits with (status << 1) | 1, modulo 256.
set -u
G=build/guest
. tests/lib/qemu_accel.sh
QEMU="timeout 20 qemu-system-x86_64 -M microvm,acpi=off $ACCEL
	-m 64M -nodefaults -no-user-config -nographic -serial stdio
	-device isa-debug-exit,iobase=0xf4,iosize=4"
PATTERN=guest-kernel/tests/blkpattern.py
EXTRA=""     # more QEMU arguments for the next run (disks)
fails=0

# run APP "ARGS" STATUS PATTERN: the guest's status and a line matching PATTERN
run() {
	out=$($QEMU $EXTRA -kernel "$G/$1.elf" -append "$TSC $2" 2>&1)
	got=$?
	want=$(( (($3 << 1) | 1) & 255 ))
	if [ "$got" -ne "$want" ] || ! printf '%s\n' "$out" | grep -q -- "$4"; then
		echo "FAIL: $1 '$2': exit $got (want $want), output:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "ok: $1 '$2'"
	fi
}

run hello "-- 42" 42 '^Hello from Flint$'
run hello "-- 42" 42 '^argv\[1\] = 42$'
run hello "" 0 '^Hello from Flint$'
run hello "foo=1 -- 7 -- x" 7 '^argv\[2\] = --$'
run hello "earlycon=bogus -- 3" 3 'not understood'
run sleep "-- 200" 0 '^slept 200 ms'
run sleep "" 0 '^slept 0 ms'
run fault "-- div0" 128 '^guest: exception #DE (divide error, vector 0) at rip=0x'
run fault "-- pf" 142 'exception #PF (page fault, vector 14) .* cr2=0x100000000000$'
run fault "-- ud" 134 'exception #UD'
run fault "-- panic" 127 '^guest panic: fault: panic requested$'
run selftest "" 0 ', 0 failed$'
run spew "-- 300" 0 '^spew 0000000299 abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ$'
# Under QEMU the extension's ID register reads 0: the probe falls back.
run selftest "" 0 '^selftest: console 16550A$'
run selftest "earlycon=uart8250,io,0x3f8" 0 '^selftest: console 16550A$'
# logged APP GOOD BAD DESCRIPTION: APP's output and QEMU's guest-error log
# together hold a line matching GOOD and none matching BAD (any case).
logged() {
	out=$($QEMU -d guest_errors -kernel "$G/$1.elf" -append "$TSC" 2>&1)
	if printf '%s\n' "$out" | grep -q "$2" && ! printf '%s\n' "$out" | grep -qi "$3"; then
		echo "ok: $4"
	else
		echo "FAIL: $4; output and QEMU's log:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
}
# ... and the probe is one read there (QEMU logs it), never a write.
logged hello '^Invalid read at addr 0xD0000010, size 8' 'invalid write at addr 0xd00000' \
	"the console extension's probe only reads"

# No pv page under QEMU: no seq, generation or wall clock, and flint_ready()
# returns without touching the register window (QEMU would log the write).
run pvinfo "" 0 '^pvinfo: seq 0$'
run pvinfo "" 0 '^pvinfo: time -1$'
logged pvinfo '^pvinfo: ready returned$' 'invalid write at addr 0xd002' "flint_ready is a no-op"

# host DESCRIPTION COMMAND...: a check run on the host (the disk image's contents)
host() {
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		echo "ok: $desc"
	else
		echo "FAIL: $desc: $out"
		fails=$((fails + 1))
	fi
}

# disk IMAGE DRIVE_OPTS DEVICE_OPTS: the next runs get IMAGE as a virtio-blk
# disk.  QEMU's virtio-mmio is legacy (version 1) unless told otherwise;
# the guest drives only version 2, like Flint's devices.
disk() {
	EXTRA="-global virtio-mmio.force-legacy=false -drive id=d0,file=$1,format=raw,if=none$2
		-device virtio-blk-device,drive=d0$3"
}

IMG=$(mktemp /tmp/flint-guest-disk.XXXXXX)
trap 'rm -f "$IMG"' EXIT
truncate -s 16M "$IMG"
disk "$IMG" "" ""
run blkcheck "-- 7" 0 '^blkcheck OK sectors=32768$'
host "the image holds blkcheck's pattern" python3 $PATTERN "$IMG" --seed 7
run blkcheck "virtio.poll_us=0 -- verify 7" 0 '^blkcheck verify OK sectors=32768$'
run blkcheck "-- verify 8" 1 '^blkcheck FAIL: sector 0 differs from the pattern (seed 8)'
run blkcheck "-- ro" 1 'ro mode expects a read-only drive'
sum=$(md5sum < "$IMG")
disk "$IMG" ",readonly=on" ""
run blkcheck "-- ro 7" 0 '^blkcheck RO OK sectors=32768$'
host "a read-only disk is unchanged" test "$sum" = "$(md5sum < "$IMG")"
disk "$IMG" "" ",event_idx=off,queue-size=4"
run blkcheck "virtio.poll_us=0 -- 9" 0 '^blkcheck OK sectors=32768$'
disk "$IMG" "" ",logical_block_size=4096,physical_block_size=4096"
run blkcheck "-- 10" 0 'block 4096'
: > "$IMG"
truncate -s 1M "$IMG"
disk "$IMG" "" ""
run blkwrite "-- 100 11" 0 '^blkwrite: wrote 100 sectors with seed 11, flushed$'
host "blkwrite's sectors are in the image" python3 $PATTERN "$IMG" --seed 11 --sectors 100
run blkcheck "-- verify 11" 1 '^blkcheck FAIL: sector 100 differs'
run blkbench "-- size=1M time=1" 0 '^blkbench rand-write 64k: [0-9.]* MB/s [0-9]* IOPS$'
EXTRA="-drive id=d0,file=$IMG,format=raw,if=none -device virtio-blk-device,drive=d0"
run blkcheck "" 2 'virtio-mmio version 1; this guest drives only version 2'
EXTRA=""
run blkcheck "" 2 '^blkcheck: no virtio-blk disk #0'

[ "$fails" -eq 0 ] && echo "guest under QEMU: all passed" || echo "guest under QEMU: $fails failed"
[ "$fails" -eq 0 ]
