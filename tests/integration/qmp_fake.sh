#!/usr/bin/env bash
# The control socket without KVM: build/tests/qmp_fake_server is flint's
# control path (vmm/control.c, qmp.c, control_vm.c, the pause protocol,
# the main thread's seccomp filter) over fake vCPU threads.  Driven with
# `flint ctl`, QEMU's own Python QMP library and qmp-shell, and compared
# with QEMU itself.  tests/integration/control.sh does the same against a
# real flint VM where KVM is usable.
. "$(dirname "$0")/lib.sh"
FAKE=build/tests/qmp_fake_server
SOCK=$TMP/ctl.sock
CHECK=tests/qmp/qmp_check.py
# Each test runs in a subshell (lib.sh `t`), so the servers it starts are
# listed in a file, not a variable: one left by a failing test is killed
# too, rather than holding the runner's output pipe open for ever.
track() { echo "$1" >>"$TMP/pids"; }
trap 'for p in $(cat "$TMP/pids" 2>/dev/null); do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# start_fake [ARGS...]: the server on $SOCK, its pid in $FPID
start_fake() {
	rm -f "$SOCK"
	"$FAKE" "$SOCK" "$@" 2>"$TMP/fake.err" &
	FPID=$!
	track "$FPID"
	for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.02; done
	fail "fake server did not start: $(cat "$TMP/fake.err")"
}
# stop_fake: quits it; its exit status in $frc (130: stopped from outside)
stop_fake() {
	"$FLINT" ctl "$SOCK" quit >/dev/null || true
	frc=0
	wait "$FPID" || frc=$?
}
# QEMU's Python library, fetched from Debian's qemu source into build/
qemu_py() {
	QEMU_PY=$(tests/qmp/fetch_qemu_qmp.sh 2>"$TMP/fetch.err") || {
		echo "needs QEMU's python/qemu/qmp: $(cat "$TMP/fetch.err")" >"$SKIP_FILE"
		exit 77
	}
	export QEMU_PY
}

ctl_answers_and_exit_codes() {
	start_fake
	run "$FLINT" ctl "$SOCK" query-status
	expect_rc 0
	expect_out '"status": "running"'
	run "$FLINT" ctl "$SOCK" stop
	expect_rc 0
	run "$FLINT" ctl "$SOCK" query-status
	expect_out '"status": "paused"'
	run "$FLINT" ctl "$SOCK" cont
	run "$FLINT" ctl "$SOCK" query-status
	expect_out '"running": true'
	run "$FLINT" ctl "$SOCK" query-version
	expect_out '"package": "flint '
	run "$FLINT" ctl "$SOCK" no-such-command
	expect_rc 1
	expect_err 'CommandNotFound: The command no-such-command has not been found'
	run "$FLINT" ctl "$SOCK" query-status '{"verbose": true}'
	expect_rc 1
	expect_err "Parameter 'verbose' is unexpected"
	run "$FLINT" ctl "$SOCK" query-status 'not json'
	expect_rc 2
	run "$FLINT" ctl "$SOCK"
	expect_rc 2
	run "$FLINT" ctl "$TMP/nothing-here.sock" query-status
	expect_rc 1
	expect_err 'No such file or directory'
	stop_fake
	[ "$frc" -eq 130 ] || fail "fake server exited $frc after quit (want 130)"
}

socket_is_private_and_removed_at_exit() {
	start_fake
	[ "$(stat -c %a "$SOCK")" = 600 ] || fail "socket mode $(stat -c %a "$SOCK"), want 600"
	stop_fake
	for _ in $(seq 50); do [ -e "$SOCK" ] || break; sleep 0.02; done
	[ ! -e "$SOCK" ] || fail "socket still there after exit"
}

socket_removed_even_after_sigkill() {
	start_fake
	kill -KILL "$FPID"
	wait "$FPID" 2>/dev/null || true
	for _ in $(seq 50); do [ -e "$SOCK" ] || break; sleep 0.02; done
	[ ! -e "$SOCK" ] || fail "socket left behind by a killed server"
}

refuses_a_path_that_is_not_a_stale_socket() {
	echo keep >"$TMP/file"
	run "$FAKE" "$TMP/file"
	expect_rc 2
	expect_err 'exists and is not a socket'
	[ "$(cat "$TMP/file")" = keep ] || fail "the file was touched"
	start_fake
	run "$FAKE" "$SOCK"
	expect_rc 2
	expect_err 'another process is serving it'
	run "$FLINT" ctl "$SOCK" query-status
	expect_rc 0
	stop_fake
	# A socket nobody listens on (a flint that was killed) is replaced.
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
	[ -S "$SOCK" ]
	start_fake
	run "$FLINT" ctl "$SOCK" query-status
	expect_rc 0
	stop_fake
}

flint_run_refuses_bad_control_path() {
	local ini
	ini=$(ini hello "[control]" "socket = $TMP/$(printf 'x%.0s' $(seq 120))")
	run "$FLINT" check "$ini"
	expect_rc 2
	expect_err 'path longer than 107 bytes'
	ini=$(ini hello)
	run "$FLINT" check "$ini" --control "$TMP/ok.sock"
	expect_rc 0
}

live_stats_and_pause_stop_the_vcpus() {
	local a b c
	start_fake --stats --vcpus 2
	sleep 0.05
	"$FLINT" ctl "$SOCK" stop >/dev/null
	a=$("$FLINT" ctl "$SOCK" x-flint-query-stats | sed -n 's/.*"all_exits": \([0-9]*\).*/\1/p')
	sleep 0.1
	b=$("$FLINT" ctl "$SOCK" x-flint-query-stats | sed -n 's/.*"all_exits": \([0-9]*\).*/\1/p')
	[ -n "$a" ] && [ "$a" -gt 0 ] || fail "no exits counted before the pause ($a)"
	[ "$a" = "$b" ] || fail "exits went on while paused: $a then $b"
	"$FLINT" ctl "$SOCK" cont >/dev/null
	sleep 0.1
	c=$("$FLINT" ctl "$SOCK" x-flint-query-stats | sed -n 's/.*"all_exits": \([0-9]*\).*/\1/p')
	[ "$c" -gt "$b" ] || fail "exits did not resume: $b then $c"
	# flint timed that pause itself: one, request to last vCPU parked
	"$FLINT" ctl "$SOCK" x-flint-query-stats | python3 -c '
import json, sys
p = json.load(sys.stdin)["pause"]
assert p["count"] == 1 and p["failed"] == 0, p
assert 0 < p["last_ns"] == p["min_ns"] == p["max_ns"] == p["median_ns"] < 2e9, p' ||
		fail "x-flint-query-stats: no sane pause record"
	run "$FLINT" ctl "$SOCK" query-cpus-fast
	expect_out '"cpu-index": 1'
	expect_out '"thread-id": '
	run "$FLINT" ctl "$SOCK" x-flint-query-devices
	expect_out '"name": "poweroff"'
	stop_fake
	start_fake
	run "$FLINT" ctl "$SOCK" x-flint-query-stats
	expect_rc 1
	expect_err 'statistics are off in this monitor'
	stop_fake
}

shutdown_events_name_the_cause() {
	needs python3
	qemu_py
	start_fake --poweroff-after 3000
	timeout 20 python3 "$CHECK" shutdown "$SOCK" >"$OUT"
	expect_out '{"guest": true, "reason": "guest-shutdown"}'
	wait "$FPID" || fail "server exited $? after the guest's power-off (want 0)"
	start_fake
	timeout 20 python3 "$CHECK" shutdown "$SOCK" >"$OUT" &
	local w=$!
	for _ in $(seq 100); do grep -q negotiated "$OUT" && break; sleep 0.02; done
	kill -TERM "$FPID"
	wait "$w"
	expect_out '{"guest": false, "reason": "host-signal"}'
	frc=0; wait "$FPID" || frc=$?
	[ "$frc" -eq 130 ] || fail "server exited $frc after SIGTERM (want 130)"
}

hostile_clients_leave_the_others_served() {
	needs python3
	qemu_py
	local a b
	start_fake --stats
	timeout 60 python3 "$CHECK" hostile "$SOCK" "$FPID" >"$OUT" 2>"$ERR" ||
		fail "$(tail -5 "$OUT") $(tail -5 "$ERR")"
	expect_out 'ok a new client after all that'
	kill -0 "$FPID" || fail "server died: $(cat "$TMP/fake.err")"
	# and the "VM" ran on throughout: its vCPUs still count exits
	a=$("$FLINT" ctl "$SOCK" x-flint-query-stats | sed -n 's/.*"all_exits": \([0-9]*\).*/\1/p')
	sleep 0.1
	b=$("$FLINT" ctl "$SOCK" x-flint-query-stats | sed -n 's/.*"all_exits": \([0-9]*\).*/\1/p')
	[ "$b" -gt "$a" ] || fail "the vCPUs stopped counting: $a then $b"
	stop_fake
	[ "$frc" -eq 130 ] || fail "server exited $frc: $(cat "$TMP/fake.err")"
}

# Eight idle clients hold every slot, for as long as they like (QEMU has
# no idle timeout either); a ninth is told so and closed, not queued.
idle_clients_hold_the_slots_until_they_leave() {
	needs python3
	qemu_py
	start_fake
	timeout 30 python3 "$CHECK" slots "$SOCK" >"$OUT" 2>"$ERR" || fail "$(cat "$OUT" "$ERR")"
	expect_out 'ok one left: a new client takes its slot'
	stop_fake
	[ "$frc" -eq 130 ] || fail "server exited $frc: $(cat "$TMP/fake.err")"
}

qmp_shell_works() {
	needs python3
	qemu_py
	start_fake
	printf 'query-status\nstop\nquery-status\n' |
		timeout 20 python3 "$QEMU_PY/../scripts/qmp/qmp-shell" "$SOCK" >"$OUT" 2>"$ERR" || true
	expect_out '"status": "running"'
	expect_out '"status": "paused"'
	stop_fake
}

same_answers_as_qemu() {
	needs python3 qemu
	qemu_py
	local khz qsock=$TMP/qemu.sock qpid
	khz=$(awk -F': *' '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	timeout 60 qemu-system-x86_64 -M microvm,acpi=off -accel tcg -cpu max -m 64M -nodefaults \
		-no-user-config -display none -serial none -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel build/guest/sleep.elf -append "tsc_khz=$khz -- 50000" \
		-qmp "unix:$qsock,server,nowait" 2>"$TMP/qemu.err" &
	qpid=$!
	track "$qpid"
	for _ in $(seq 100); do [ -S "$qsock" ] && break; sleep 0.05; done
	# flint ctl is a QMP client like any other: QEMU answers it too.
	run "$FLINT" ctl "$qsock" query-status
	expect_rc 0
	expect_out '"status": "running"'
	timeout 30 python3 "$CHECK" transcript "$qsock" >"$TMP/qemu.json" ||
		fail "QEMU transcript failed: $(cat "$TMP/qemu.err")"
	wait "$qpid" || true
	start_fake
	timeout 30 python3 "$CHECK" transcript "$SOCK" >"$TMP/flint.json"
	wait "$FPID" || true
	diff -u "$TMP/qemu.json" "$TMP/flint.json" >&2 || fail "flint's answers differ from QEMU's"
	grep -q '"reason": "host-qmp-quit"' "$TMP/flint.json"
}

t ctl_answers_and_exit_codes
t socket_is_private_and_removed_at_exit
t socket_removed_even_after_sigkill
t refuses_a_path_that_is_not_a_stale_socket
t flint_run_refuses_bad_control_path
t live_stats_and_pause_stop_the_vcpus
t shutdown_events_name_the_cause
t hostile_clients_leave_the_others_served
t idle_clients_hold_the_slots_until_they_leave
t qmp_shell_works
t same_answers_as_qemu
exit $((failures > 0))
