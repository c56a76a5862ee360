#!/usr/bin/env bash
# The control socket on a real flint VM (needs KVM; SKIPs without it).
# qmp_fake.sh covers the same path without KVM.
. "$(dirname "$0")/lib.sh"
SOCK=$TMP/vm.sock
CHECK=tests/qmp/qmp_check.py
VPID=
trap '[ -n "$VPID" ] && kill "$VPID" 2>/dev/null; rm -rf "$TMP"' EXIT

# boot_sleeper [flint run options...]: a guest that sleeps (until the test
# quits it, or timeout's 60 s), with a control socket; its pid in $VPID.
boot_sleeper() {
	needs kvm
	local ini
	ini=$(ini sleep "cmdline = -- 600000")
	rm -f "$SOCK"
	timeout 60 "$FLINT" run "$ini" --control "$SOCK" "$@" >"$OUT" 2>"$ERR" &
	VPID=$!
	await 30 test -S "$SOCK" || fail "no control socket: $(cat "$ERR")"
}
# finish: quit, then flint's exit status in $rc
finish() {
	"$FLINT" ctl "$SOCK" quit >/dev/null
	rc=0
	wait "$VPID" || rc=$?
	VPID=
}
exits() {
	"$FLINT" ctl "$SOCK" x-flint-query-stats | sed -n 's/.*"all_exits": \([0-9]*\).*/\1/p'
}

pause_resume_quit() {
	local a b
	boot_sleeper --stats
	run "$FLINT" ctl "$SOCK" query-status
	expect_out '"status": "running"'
	run "$FLINT" ctl "$SOCK" stop
	expect_rc 0
	run "$FLINT" ctl "$SOCK" query-status
	expect_out '"status": "paused"'
	a=$(exits)
	sleep 0.2
	b=$(exits)
	[ "$a" = "$b" ] || fail "exits went on while paused: $a then $b"
	# flint timed that pause itself: one, request to last vCPU parked
	"$FLINT" ctl "$SOCK" x-flint-query-stats | python3 -c '
import json, sys
p = json.load(sys.stdin)["pause"]
assert p["count"] == 1 and p["failed"] == 0, p
assert 0 < p["last_ns"] == p["median_ns"] < 2e9, p' ||
		fail "x-flint-query-stats: no sane pause record"
	run "$FLINT" ctl "$SOCK" cont
	expect_rc 0
	run "$FLINT" ctl "$SOCK" query-cpus-fast
	expect_out '"cpu-index": 0'
	run "$FLINT" ctl "$SOCK" x-flint-query-devices
	expect_out '"name": "uart buffer"'
	finish
	expect_rc 130
	await 10 test ! -e "$SOCK" || fail "socket left after exit"
}

control_under_seccomp_kill() {
	boot_sleeper --set sandbox.seccomp=kill --stats
	"$FLINT" ctl "$SOCK" stop >/dev/null
	"$FLINT" ctl "$SOCK" x-flint-query-stats >/dev/null
	"$FLINT" ctl "$SOCK" cont >/dev/null
	"$FLINT" ctl "$SOCK" query-commands >/dev/null
	finish
	expect_rc 130
}

guest_poweroff_sends_shutdown() {
	needs kvm python3
	QEMU_PY=$(tests/qmp/fetch_qemu_qmp.sh 2>/dev/null) || { echo "needs QEMU's qemu.qmp" >"$SKIP_FILE"; exit 77; }
	export QEMU_PY
	local ini py
	# The guest powers off when a byte comes on its console, sent once the
	# client has negotiated: however long python takes to start.
	ini=$(ini sleep "cmdline = -- input" "[console]" "input = stdin")
	mkfifo "$TMP/in"
	rm -f "$SOCK"
	timeout 60 "$FLINT" run "$ini" --control "$SOCK" <"$TMP/in" >/dev/null 2>"$ERR" &
	VPID=$!
	exec 3>"$TMP/in"
	await 30 test -S "$SOCK" || fail "no control socket: $(cat "$ERR")"
	timeout 60 python3 "$CHECK" shutdown "$SOCK" >"$OUT" &
	py=$!
	await 60 grep -q negotiated "$OUT" || fail "the client did not negotiate: $(cat "$OUT")"
	echo x >&3
	exec 3>&-
	wait "$py" || fail "the client: status $?; stdout: $(cat "$OUT")"
	expect_out '{"guest": true, "reason": "guest-shutdown"}'
	rc=0
	wait "$VPID" || rc=$?
	VPID=
	expect_rc 0
}

same_answers_as_qemu() {
	needs kvm python3 qemu
	QEMU_PY=$(tests/qmp/fetch_qemu_qmp.sh 2>/dev/null) || { echo "needs QEMU's qemu.qmp" >"$SKIP_FILE"; exit 77; }
	export QEMU_PY
	local qsock=$TMP/qemu.sock
	timeout 60 qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu max,-arch-capabilities -m 64M \
		-nodefaults -no-user-config -display none -serial none \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel build/guest/sleep.elf \
		-append "-- 600000" -qmp "unix:$qsock,server,nowait" &
	await 30 test -S "$qsock" || fail "QEMU made no QMP socket"
	timeout 30 python3 "$CHECK" transcript "$qsock" >"$TMP/qemu.json"
	wait
	boot_sleeper
	timeout 30 python3 "$CHECK" transcript "$SOCK" >"$TMP/flint.json"
	wait "$VPID" || true
	VPID=
	diff -u "$TMP/qemu.json" "$TMP/flint.json" >&2
}

t pause_resume_quit
t control_under_seccomp_kill
t guest_poweroff_sends_shutdown
t same_answers_as_qemu
exit $((failures > 0))
