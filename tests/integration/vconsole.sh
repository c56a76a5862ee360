#!/usr/bin/env bash
# [console] device = virtio: the upper app (stdin to stdout in upper case)
# over flint's virtio-console, through pipes and files, several MiB of
# binary data; stderr on the UART; the --stats counters; the UART as the
# fallback; and the same guest under QEMU microvm's virtconsole.
source "$(dirname "$0")/lib.sh"

# want_upper IN OUT: the bytes upper should write for IN (ASCII a-z up, the rest as is).
want_upper() {
	python3 -c '
import sys
t = bytes(c - 32 if 97 <= c <= 122 else c for c in range(256))
sys.stdout.buffer.write(open(sys.argv[1], "rb").read().translate(t))' "$1" >"$2"
}

virtio_ini() {
	ini upper "[console]" "device = virtio" "input = stdin" "$@"
}

upper_over_pipes() {
	needs kvm
	local cfg; cfg=$(virtio_ini)
	rc=0
	printf 'hello, virtio console\n\0\377 done' | timeout 60 "$FLINT" run "$cfg" 2>"$ERR" | cat >"$OUT" ||
		rc=$?
	expect_rc 0
	printf 'HELLO, VIRTIO CONSOLE\n\0\377 DONE' | cmp - "$OUT" || fail "stdout: $(od -c "$OUT" | head -5)"
}

# Several MiB, every byte value, in and out through pipes: nothing lost, nothing added.
upper_large_binary() {
	needs kvm
	local cfg; cfg=$(virtio_ini)
	head -c $((6 << 20)) /dev/urandom >"$TMP/in.bin"
	want_upper "$TMP/in.bin" "$TMP/want.bin"
	rc=0
	cat "$TMP/in.bin" | timeout 60 "$FLINT" run --stats "$cfg" 2>"$ERR" | cat >"$OUT" || rc=$?
	expect_rc 0
	cmp "$TMP/want.bin" "$OUT" || fail "output differs ($(stat -c %s "$OUT") bytes)"
	expect_err "flint: virtio-console: in 6291456 bytes, out 6291456 bytes, out dropped 0 bytes"
}

# A regular file as stdin and as output (epoll cannot watch a file: the guest's notifies drive it).
upper_files() {
	needs kvm
	local cfg; cfg=$(virtio_ini "output = file:$TMP/upper.out")
	head -c $((3 << 20)) /dev/urandom >"$TMP/in.bin"
	want_upper "$TMP/in.bin" "$TMP/want.bin"
	run "$FLINT" run "$cfg" <"$TMP/in.bin"
	expect_rc 0
	cmp "$TMP/want.bin" "$TMP/upper.out" || fail "file output differs"
	[ ! -s "$OUT" ] || fail "stdout should be empty: $(head -c 200 "$OUT")"
}

# input = none: the guest reads end of input at once.
upper_no_input() {
	needs kvm
	run "$FLINT" run "$(ini upper "[console]" "device = virtio")" <<<"ignored"
	expect_rc 0
	[ ! -s "$OUT" ] || fail "stdout: $(head -c 200 "$OUT")"
}

# stderr stays on the UART, which then writes to flint's stderr, never into stdout.
stderr_on_uart() {
	needs kvm
	run "$FLINT" run "$(ini upper "cmdline = -- too many" "[console]" "device = virtio")" </dev/null
	expect_rc 2
	expect_err "usage: upper [BYTES]"
	[ ! -s "$OUT" ] || fail "stdout: $(head -c 200 "$OUT")"
}

stats_json_counts() {
	needs kvm
	printf 'abc' >"$TMP/in"
	run "$FLINT" run --stats=json "$(virtio_ini)" <"$TMP/in"
	expect_rc 0
	tail -1 "$ERR" | python3 -c '
import json, sys
v = json.load(sys.stdin)["virtio_console"]
assert v["in_bytes"] == 3 and v["out_bytes"] == 3 and v["out_dropped"] == 0, v' ||
		fail "stats: $(tail -1 "$ERR")"
}

# A guest that never reads while input keeps coming (sleep posts its 8
# receive buffers at start and never takes them back): flint fills them,
# leaves the rest in the pipe and idles.  The input is watched
# edge-triggered, so the RX handler runs once per arrival, not in a loop
# (level-triggered, it ran 1.7 million times in 2.5 s here); it counts
# each run that found no buffer (rx_no_buffer), which is what is checked:
# this host's CPU-time accounting reads 0 even for a spinning thread.
deaf_guest_does_not_spin() {
	needs kvm
	local ini
	ini=$(ini sleep "cmdline = -- 2500" "[console]" "device = virtio" "input = stdin")
	rc=0
	# An endless writer: it blocks once the pipe is full, and dies of SIGPIPE when flint exits.
	python3 -c 'import os
b = b"x" * 65536
while True: os.write(1, b)' 2>/dev/null | timeout 60 "$FLINT" run --stats=json "$ini" >"$OUT" 2>"$ERR" ||
		rc=$?
	expect_rc 0
	expect_out "slept 2500 ms"
	tail -1 "$ERR" | python3 -c '
import json, sys
v = json.load(sys.stdin)["virtio_console"]
assert v["in_bytes"] == 8 * 32768 and 1 <= v["rx_no_buffer"] <= 64, v' || fail "stats: $(tail -1 "$ERR")"
}

# Without the device the same guest reads and writes the UART (a UART has
# no end of input: upper stops after BYTES).
upper_uart_fallback() {
	needs kvm
	run "$FLINT" run "$(ini upper "cmdline = -- 12" "[console]" "input = stdin")" <<<"uart input!"
	expect_rc 0
	[ "$(cat "$OUT")" = "UART INPUT!" ] || fail "stdout: $(head -c 200 "$OUT")"
}

# The same ELF under QEMU microvm's virtconsole (single port: no end of
# input, so upper stops after BYTES), binary data in through a FIFO.  Out
# into a regular file: QEMU's virtconsole drops what a full pipe refuses
# (virtio-console.c, "silently dropping console data on EAGAIN").
upper_qemu() {
	needs qemu
	local n=$((256 << 10)) q st
	. tests/lib/qemu_accel.sh
	head -c $n /dev/urandom >"$TMP/in.bin"
	want_upper "$TMP/in.bin" "$TMP/want.bin"
	mkfifo "$TMP/c.in"
	: >"$TMP/c.out"
	# shellcheck disable=SC2086
	timeout 60 qemu-system-x86_64 -M microvm,acpi=off $ACCEL -m 64M -nodefaults -no-user-config \
		-nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-global virtio-mmio.force-legacy=false -device virtio-serial-device \
		-chardev pipe,id=c0,path="$TMP/c" -device virtconsole,chardev=c0 \
		-kernel build/guest/upper.elf -append "$TSC -- $n" >"$ERR" 2>&1 &
	q=$!
	cat "$TMP/in.bin" >"$TMP/c.in"
	st=0
	wait $q || st=$?
	[ "$st" -eq 1 ] || fail "QEMU exit $st (want 1: guest status 0): $(head -c 600 "$ERR")"
	cmp "$TMP/want.bin" "$TMP/c.out" || fail "output differs ($(stat -c %s "$TMP/c.out") bytes)"
}

t upper_over_pipes
t upper_large_binary
t upper_files
t upper_no_input
t stderr_on_uart
t stats_json_counts
t deaf_guest_does_not_spin
t upper_uart_fallback
t upper_qemu
exit $((failures > 0))
