#!/bin/sh
# Boots each guest app under QEMU microvm (the peer that shares Flint's
# boot ABI) and checks its output and exit status.  Run from the repository
# root after `make guest`.  QEMU exits with (status << 1) | 1, modulo 256.
set -u
G=build/guest
QEMU="timeout 20 qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu max,-arch-capabilities
	-m 64M -nodefaults -no-user-config -nographic -serial stdio
	-device isa-debug-exit,iobase=0xf4,iosize=4"
fails=0

# run APP "ARGS" STATUS PATTERN: the guest's status and a line matching PATTERN
run() {
	out=$($QEMU -kernel "$G/$1.elf" -append "$2" 2>&1)
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

[ "$fails" -eq 0 ] && echo "guest under QEMU: all passed" || echo "guest under QEMU: $fails failed"
[ "$fails" -eq 0 ]
