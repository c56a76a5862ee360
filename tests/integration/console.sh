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
	mkfifo "$TMP/fifo"
	sleep 30 <"$TMP/fifo" &
	local reader=$!
	"$FLINT" run "$cfg" >"$TMP/fifo" 2>"$ERR" &
	pid=$!
	sleep 1
	start=$(date +%s%N)
	kill -TERM "$pid"
	rc=0; wait "$pid" || rc=$?
	kill "$reader" 2>/dev/null || true
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
unread_stdin_does_not_spin() {
	needs kvm
	local cfg; cfg=$(ini sleep "cmdline = -- 2000" "[console]" "input = stdin")
	head -c 100000 /dev/zero >"$TMP/input"
	# A pipe full of input the guest never reads.
	cat "$TMP/input" | /usr/bin/time -f "%e %U %S" -o "$TMP/time" timeout 60 "$FLINT" run "$cfg" \
		>"$OUT" 2>"$ERR" || rc=$?
	read -r wall user sys <"$TMP/time"
	python3 -c "import sys; w,u,s=map(float,sys.argv[1:]); sys.exit(0 if u+s<0.3 else 1)" \
		"$wall" "$user" "$sys" || fail "2 s of unread stdin: user ${user}s sys ${sys}s"
}
idle_guest_has_no_tick() {
	needs kvm
	local cfg; cfg=$(ini sleep "cmdline = -- 3000")
	python3 - "$FLINT" "$cfg" <<'PY' || fail "the idle monitor kept waking up"
import subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "run", sys.argv[2]], stdout=subprocess.DEVNULL)
def switches():
    for line in open(f"/proc/{p.pid}/task/{p.pid}/status"):
        if line.startswith("voluntary_ctxt_switches"):
            return int(line.split()[1])
time.sleep(1)
a = switches()
time.sleep(1)
b = switches()
p.wait()
# A 10 ms tick is 100 wake-ups a second; tickless is none.
print("main thread wake-ups in 1 s:", b - a)
sys.exit(0 if b - a < 10 else 1)
PY
}
stats_name_the_buffer_path() {
	run "$FLINT" run "$(ini selftest)" --stats
	expect_rc 0
	expect_out "selftest: console flint-buffer"
	expect_err "mmio write uart buffer"
	expect_err "mmio read uart buffer"
	grep -Eq '^  buffers +[1-9]' "$ERR" || fail "no buffers counted: $(cat "$ERR")"
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
