#!/usr/bin/env bash
# The console's host side: output that cannot be written, readers that go
# away or never read, stdin the guest ignores, an idle guest's monitor.
source "$(dirname "$0")/lib.sh"

# spawn STDOUT STDERR CMD...: runs CMD with stdout/stderr set up by python
# ("closed": a pipe whose reader is gone; "unread": a pipe nobody reads;
# "keep": inherited); prints the status (-N for signal N) on stdout.
spawn() {
	python3 - "$@" <<'PY'
import os, subprocess, sys
def fd(kind):
    if kind == "keep":
        return None
    r, w = os.pipe()
    if kind == "closed":
        os.close(r)
    return w
out, err = fd(sys.argv[1]), fd(sys.argv[2])
p = subprocess.run(sys.argv[3:], stdout=out, stderr=err, timeout=60)
print(p.returncode)
PY
}

# Runs everywhere: an error message to a stderr whose reader left must not
# kill flint with SIGPIPE (it used to: status -13).
stderr_reader_gone_no_sigpipe() {
	local st
	st=$(spawn keep closed "$FLINT" check "$TMP/missing.ini")
	[ "$st" = 2 ] || fail "flint check with stderr a closed pipe: status $st (want 2; -13 is SIGPIPE)"
}
stdout_reader_gone_no_sigpipe() {
	local st
	st=$(spawn closed keep "$FLINT" --help)
	[ "$st" = 0 ] || fail "flint --help with stdout a closed pipe: status $st (-13 is SIGPIPE)"
}

stdout_dev_full_reported() {
	needs kvm
	local cfg; cfg=$(ini hello)
	rc=0; timeout 60 "$FLINT" run "$cfg" >/dev/full 2>"$ERR" || rc=$?
	expect_rc 74
	expect_err "cannot write guest output to stdout: No space left on device"
	[ "$(grep -c 'flint: console:' "$ERR")" -eq 1 ] || fail "said more than once: $(cat "$ERR")"
}
file_on_full_device_reported() {
	run "$FLINT" run "$(ini hello "[console]" "output = file:/dev/full")"
	expect_rc 74
	expect_err "cannot write guest output to file:/dev/full"
}
guest_status_kept_when_output_lost() {
	needs kvm
	local cfg; cfg=$(ini hello "cmdline = -- 5")
	rc=0; timeout 60 "$FLINT" run "$cfg" >/dev/full 2>"$ERR" || rc=$?
	expect_rc 5
	expect_err "No space left on device"
}
stdout_reader_gone_reported() {
	needs kvm
	local st
	st=$(spawn closed keep "$FLINT" run "$(ini spew "cmdline = -- 100")" 2>"$ERR")
	[ "$st" = 74 ] || fail "status $st (want 74; -13 is SIGPIPE)"
	expect_err "the reader of stdout went away (EPIPE)"
}
unread_stdout_sigterm_stops() {
	needs kvm
	local cfg pid start; cfg=$(ini spew "cmdline = -- 1000000 10000")
	# A FIFO with a reader that never reads: the pipe fills and stays full.
	# The reader says when it is full (less than PIPE_BUF, 4096, free: a
	# non-blocking write of a line no longer fits), and holds it until its stdin, a FIFO this test keeps open, ends.
	mkfifo "$TMP/fifo" "$TMP/hold"
	python3 -c '
import fcntl, os, sys, termios, time
fd = os.open(sys.argv[1], os.O_RDONLY)
size = fcntl.fcntl(fd, 1032)  # F_GETPIPE_SZ
while int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, bytes(4)), "little") <= size - 4096:
    time.sleep(0.01)
print("full", flush=True)
sys.stdin.read()' "$TMP/fifo" <"$TMP/hold" >"$TMP/reader" &
	local reader=$!
	exec 4>"$TMP/hold"
	"$FLINT" run "$cfg" >"$TMP/fifo" 2>"$ERR" &
	pid=$!
	await 60 grep -q full "$TMP/reader" || fail "the pipe never filled"
	start=$(date +%s%N)
	kill -TERM "$pid"
	rc=0; wait "$pid" || rc=$?
	exec 4>&-
	wait "$reader" || true
	expect_rc 130
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ] || fail "SIGTERM took more than 2 s"
	expect_err "bytes of guest output dropped"
}
output_fifo_without_reader_fails() {
	mkfifo "$TMP/nofifo"
	run "$FLINT" run "$(ini hello "[console]" "output = file:$TMP/nofifo")"
	expect_rc 2
	expect_err "is a FIFO with no reader"
}
# The two below measure over one second of an idle guest's sleep; the guest
# sleeps far longer and is stopped with SIGTERM once measured, so no guess
# at how long set-up or this script take can cut the second short.
unread_stdin_does_not_spin() {
	needs kvm
	local a b
	head -c 100000 /dev/zero >"$TMP/input"
	# A pipe full of input the guest never reads; CPU over 1 s of the sleep.
	mkfifo "$TMP/stdin"
	cat "$TMP/input" >"$TMP/stdin" &
	bg_flint run "$(ini sleep "cmdline = -- 600000" "[console]" "input = stdin")" <"$TMP/stdin"
	sleeping $FPID "$OUT"
	a=$(cpu_ms $FPID); sleep 1; b=$(cpu_ms $FPID)
	kill -TERM $FPID
	wait_flint
	kill %1 2>/dev/null || true
	expect_rc 130
	[ $((b - a)) -lt 100 ] || fail "1 s of unread stdin: $((b - a)) ms of CPU"
}
idle_guest_has_no_tick() {
	needs kvm
	local a b
	bg_flint run "$(ini sleep "cmdline = -- 600000")"
	sleeping $FPID "$OUT"
	a=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$FPID/task/$FPID/status")
	sleep 1
	b=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$FPID/task/$FPID/status")
	kill -TERM $FPID
	wait_flint
	expect_rc 130
	# A 10 ms tick is 100 wake-ups a second; tickless is none.
	[ $((b - a)) -lt 10 ] || fail "the idle monitor's main thread woke $((b - a)) times in 1 s"
}
stats_name_the_buffer_path() {
	run "$FLINT" run "$(ini selftest)" --stats
	expect_rc 0
	expect_out "selftest: console flint-buffer"
	expect_err "mmio write uart buffer"
	grep -Eq '^  buffers +[1-9]' "$ERR" || fail "no buffers counted: $(cat "$ERR")"
	# flint.conbuf on the command line said so: no probe, no read exit
	! grep -q "mmio read uart" "$ERR" || fail "the guest still probed: $(cat "$ERR")"
	# (the probe itself, what QEMU sees, is guest-kernel/tests/qemu.sh's)
}
spew_costs_one_exit_per_line() {
	run "$FLINT" run "$(ini spew "cmdline = -- 1000")" --stats=json
	expect_rc 0
	python3 - "$ERR" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
ex = {e["reason"]: e["count"] for e in d["exits"]}
assert ex.get("mmio write uart buffer", 0) >= 1000, ex
assert ex.get("mmio write uart", 0) == 0 and ex.get("mmio read uart", 0) == 0, ex
assert d["console"]["buffers"] >= 1000 and d["console"]["bad_buffers"] == 0, d["console"]
PY
	[ "$(grep -c '^spew ' "$OUT")" -eq 1000 ] || fail "lines missing"
}

for f in stderr_reader_gone_no_sigpipe stdout_reader_gone_no_sigpipe stdout_dev_full_reported \
	file_on_full_device_reported guest_status_kept_when_output_lost stdout_reader_gone_reported \
	unread_stdout_sigterm_stops output_fifo_without_reader_fails unread_stdin_does_not_spin \
	idle_guest_has_no_tick stats_name_the_buffer_path spew_costs_one_exit_per_line; do
	t "$f"
done
exit $((failures > 0))
