#!/usr/bin/env bash
# The machine lifecycle on a real flint VM (needs KVM; SKIPs without it):
# --paused, snapshots (QMP x-flint-snapshot-save), --restore and
# --save-at-ready, hostile snapshot files (docs/SNAPSHOT.md).
. "$(dirname "$0")/lib.sh"
SOCK=$TMP/vm.sock
VOUT=$TMP/vout VERR=$TMP/verr
VPID=
trap '[ -n "$VPID" ] && kill "$VPID" 2>/dev/null; rm -rf "$TMP"' EXIT

# start_vm INI [flint run options...]: flint in the background with a
# control socket; its pid in $VPID, stdout in $VOUT, stderr in $VERR.
start_vm() {
	needs kvm
	local ini=$1
	shift
	rm -f "$SOCK"
	timeout 60 "$FLINT" run "$ini" --control "$SOCK" "$@" >"$VOUT" 2>"$VERR" &
	VPID=$!
	await 30 test -S "$SOCK" || fail "no control socket: $(cat "$VERR")"
}
# wait_vm: flint's exit status in $rc
wait_vm() {
	rc=0
	wait "$VPID" || rc=$?
	VPID=
}
status_is() { "$FLINT" ctl "$SOCK" query-status | grep -q "\"status\": \"$1\""; }

paused_starts_at_cont() {
	start_vm "$(ini hello)" --paused
	run "$FLINT" ctl "$SOCK" query-status
	expect_out '"status": "prelaunch"'
	expect_out '"running": false'
	# Parked before its first instruction: the guest has printed nothing.
	kill -0 "$VPID" || fail "flint exited while paused: $(cat "$VERR")"
	[ ! -s "$VOUT" ] || fail "the guest ran before cont: $(cat "$VOUT")"
	run "$FLINT" ctl "$SOCK" cont
	expect_rc 0
	wait_vm
	expect_rc 0
	grep -q "Hello from Flint" "$VOUT" || fail "no hello after cont: $(cat "$VOUT" "$VERR")"
}

save() { "$FLINT" ctl "$SOCK" x-flint-snapshot-save "{\"path\": \"$1\"}"; }
# run_save PATH: the same through `run` (status in $rc, answer in $OUT/$ERR)
run_save() { run "$FLINT" ctl "$SOCK" x-flint-snapshot-save "{\"path\": \"$1\"}"; }
last_tick() { grep '^tick ' "$VOUT" | tail -1 | cut -d' ' -f2; }

# ticker_snapshot FILE [flint run options...]: a ticker run until it has
# printed a few ticks, paused, saved to FILE and quit; $N is its last tick.
ticker_snapshot() {
	local snap=$1
	shift
	start_vm "$(ini ticker)" "$@"
	await 30 grep -q '^tick 3$' "$VOUT" || fail "no ticks: $(cat "$VOUT" "$VERR")"
	"$FLINT" ctl "$SOCK" stop >/dev/null
	save "$snap" >/dev/null || fail "save failed"
	# Output is flushed before the save: nothing the guest printed is left
	# for after it.
	N=$(last_tick)
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait_vm
	[ "$(last_tick)" = "$N" ] || fail "ticks after the save: $N then $(last_tick)"
}
# restore_ticker FILE OUT ERR [options...]: restores the ticker until its
# first line, then SIGTERM; its first line and --stats in OUT and ERR.
restore_ticker() {
	local snap=$1 out=$2 err=$3
	shift 3
	timeout 60 "$FLINT" run "$(ini ticker)" --restore "$snap" --stats "$@" >"$out" 2>"$err" &
	VPID=$!
	await 30 grep -q '^tick ' "$out" || fail "the restored ticker printed nothing: $(cat "$err")"
	kill -TERM "$VPID"
	wait_vm
	expect_rc 130
}

ticker_restored_twice() {
	ticker_snapshot "$TMP/t.snap"
	local g1 g2 g0
	restore_ticker "$TMP/t.snap" "$TMP/r1" "$TMP/e1"
	restore_ticker "$TMP/t.snap" "$TMP/r2" "$TMP/e2"
	for r in r1 r2; do
		[ "$(head -1 "$TMP/$r")" = "tick $((N + 1))" ] ||
			fail "$r: first line '$(head -1 "$TMP/$r")', expected 'tick $((N + 1))'"
	done
	g0=$(sed -n 's/^generation: //p' "$VERR")
	g1=$(sed -n 's/^flint: generation: //p; s/^generation: //p' "$TMP/e1")
	g2=$(sed -n 's/^flint: generation: //p; s/^generation: //p' "$TMP/e2")
	[ -n "$g1" ] && [ -n "$g2" ] || fail "no generation line: $(cat "$TMP/e1")"
	[ "$g1" != "$g2" ] || fail "two restores share generation $g1"
	[ "$g1" != "$g0" ] || [ -z "$g0" ] || fail "a restore kept the saved generation $g0"
	# Sparse: a ticker touches a few hundred KiB of its 64 MiB.
	[ "$(du -k "$TMP/t.snap" | cut -f1)" -lt 8192 ] || fail "snapshot not sparse: $(du -k "$TMP/t.snap")"
}

restored_paused_waits_for_cont() {
	ticker_snapshot "$TMP/p.snap"
	start_vm "$(ini ticker)" --restore "$TMP/p.snap" --paused
	run "$FLINT" ctl "$SOCK" query-status
	expect_out '"status": "prelaunch"'
	[ ! -s "$VOUT" ] || fail "ran before cont: $(cat "$VOUT")"
	"$FLINT" ctl "$SOCK" cont >/dev/null
	await 30 grep -q '^tick ' "$VOUT" || fail "nothing after cont: $(cat "$VERR")"
	[ "$(head -1 "$VOUT")" = "tick $((N + 1))" ] || fail "first line $(head -1 "$VOUT")"
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait_vm
}

restored_vm_under_seccomp_kill() {
	ticker_snapshot "$TMP/k.snap"
	start_vm "$(ini ticker)" --restore "$TMP/k.snap" --set sandbox.seccomp=kill
	await 30 grep -q '^tick ' "$VOUT" || fail "nothing: $(cat "$VERR")"
	# and saves again under the same filters
	"$FLINT" ctl "$SOCK" stop >/dev/null
	save "$TMP/k2.snap" >/dev/null || fail "second save failed under seccomp=kill: $(cat "$VERR")"
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait_vm
	expect_rc 130
	restore_ticker "$TMP/k2.snap" "$TMP/r3" "$TMP/e3" --set sandbox.seccomp=kill
}

save_on_a_running_vm_is_refused() {
	start_vm "$(ini ticker)"
	run_save "$TMP/run.snap"
	expect_rc 1
	expect_err "GenericError"
	expect_err "'stop'"
	[ ! -e "$TMP/run.snap" ] || fail "a file was made"
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait_vm
}

save_helper_refuses_existing_files_and_symlinks() {
	start_vm "$(ini ticker)"
	"$FLINT" ctl "$SOCK" stop >/dev/null
	echo keep >"$TMP/exists"
	run_save "$TMP/exists"
	expect_rc 1
	expect_err "File exists"
	[ "$(cat "$TMP/exists")" = keep ] || fail "an existing file was changed"
	ln -s "$TMP/target" "$TMP/link"
	run_save "$TMP/link"
	expect_rc 1
	[ ! -e "$TMP/target" ] || fail "the save followed a symlink"
	run_save "relative.snap"
	expect_rc 1
	expect_err "absolute"
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait_vm
}

# QEMU's getfd: the client passes a descriptor (SCM_RIGHTS) and names it,
# then saves into it; the file then restores like any other.
save_into_a_passed_descriptor() {
	needs python3
	start_vm "$(ini ticker)"
	await 30 grep -q '^tick 2$' "$VOUT" || fail "no ticks: $(cat "$VERR")"
	"$FLINT" ctl "$SOCK" stop >/dev/null
	python3 - "$SOCK" "$TMP/fd.snap" <<'PY' || fail "getfd and save failed"
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("r")
def ask(cmd, fds=None):
    data = json.dumps(cmd).encode()
    if fds:
        socket.send_fds(s, [data], fds)
    else:
        s.sendall(data)
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
f.readline()  # greeting
ask({"execute": "qmp_capabilities"})
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
r = ask({"execute": "getfd", "arguments": {"fdname": "snap"}}, [fd])
assert "return" in r, r
os.close(fd)
r = ask({"execute": "x-flint-snapshot-save", "arguments": {"fdname": "snap"}})
assert "return" in r, r
r = ask({"execute": "x-flint-snapshot-save", "arguments": {"fdname": "snap"}})
assert "not found" in r["error"]["desc"], r
PY
	N=$(last_tick)
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait_vm
	restore_ticker "$TMP/fd.snap" "$TMP/r4" "$TMP/e4"
	[ "$(head -1 "$TMP/r4")" = "tick $((N + 1))" ] || fail "first line '$(head -1 "$TMP/r4")', expected 'tick $((N + 1))'"
}

# refused FILE MESSAGE [options...]: restoring FILE stops with status 2
# and MESSAGE, before the guest runs, and nothing crashed.
refused() {
	local snap=$1 msg=$2
	shift 2
	run "$FLINT" run "$(ini ticker)" --restore "$snap" "$@"
	expect_rc 2
	expect_err "$msg"
	! grep -q "flint: vCPU\|Segmentation\|Assertion\|runtime error" "$ERR" || fail "crash: $(cat "$ERR")"
}
# patched NAME OFFSET BYTES: a copy of $TMP/h.snap with BYTES (printf) at OFFSET
patched() {
	cp "$TMP/h.snap" "$TMP/$1"
	printf "$3" | dd of="$TMP/$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
hostile_snapshot_files() {
	needs kvm
	ticker_snapshot "$TMP/h.snap"
	head -c 3000 "$TMP/h.snap" >"$TMP/trunc.snap"
	refused "$TMP/trunc.snap" "trunc.snap: truncated"
	patched corrupt.snap 300 XXXXXXXX
	refused "$TMP/corrupt.snap" "corrupt.snap: metadata checksum mismatch"
	patched version.snap 8 '\x09'
	refused "$TMP/version.snap" "version.snap: snapshot format version 9, this flint reads version 1"
	refused "$TMP/h.snap" "h.snap: memory is 64 MiB, the configuration asks for 128 MiB" --set machine.memory=128M
	refused "$TMP/h.snap" "h.snap: 1 vCPU saved, the configuration asks for 2" --set machine.vcpus=2
	truncate -s 1M "$TMP/extra.img"
	refused "$TMP/h.snap" "h.snap: device drive: drive.extra missing from the snapshot" \
		--set "drive.extra.path=$TMP/extra.img"
	: >"$TMP/empty.snap"
	refused "$TMP/empty.snap" "empty.snap: truncated"
	refused "$TMP/none.snap" "none.snap: cannot open the snapshot"
}

# save_at_ready MIB: readyfill fills MIB MiB, says it is ready, is saved,
# and its restores find the memory it filled.
save_at_ready() {
	local ini
	ini=$(ini readyfill "cmdline = -- $1 check")
	sed -i 's/^memory = .*/memory = 128M/' "$ini"
	run "$FLINT" run "$ini" --save-at-ready "$TMP/ready$1.snap"
	expect_rc 0
	[ ! -s "$OUT" ] || fail "the guest ran past flint_ready(): $(cat "$OUT")"
	run "$FLINT" run "$ini" --restore "$TMP/ready$1.snap"
	expect_rc 0
	expect_out "readyfill: ok $1 MiB seq 2"
	# hugepages: the file's data is copied into 2 MiB pages, holes left zero
	run "$FLINT" run "$ini" --restore "$TMP/ready$1.snap" --set machine.hugepages=on
	expect_rc 0
	expect_out "readyfill: ok $1 MiB seq 2"
	run "$FLINT" run "$ini" --save-at-ready "$TMP/ready$1.snap"
	expect_rc 2
	expect_err "File exists"
}
save_at_ready_small() { needs kvm; save_at_ready 0; }
save_at_ready_64m() { needs kvm; save_at_ready 64; }
ready_without_the_option_returns() {
	run "$FLINT" run "$(ini pvinfo)"
	expect_rc 0
	expect_out "pvinfo: ready returned"
}

# blk: saved while blkcheck writes and reads its pattern, restored on a
# copy of the image as it was at the save: blkcheck must still verify.
blk_saved_mid_io() {
	truncate -s 256M "$TMP/d.img"
	printf '[machine]\nmemory = 64M\n[kernel]\npath = %s\n[drive.data]\npath = %s\n' \
		"$PWD/build/guest/blkcheck.elf" "$TMP/d.img" >"$TMP/blk.ini"
	start_vm "$TMP/blk.ini"
	# Its first line comes just before it starts writing (~2 s of it).
	await 30 grep -q "^blkcheck: .* sectors" "$VOUT" || fail "blkcheck did not start: $(cat "$VERR")"
	"$FLINT" ctl "$SOCK" stop >/dev/null
	save "$TMP/blk.snap" >/dev/null || fail "save failed: $(cat "$VERR")"
	cp --sparse=always "$TMP/d.img" "$TMP/copy.img"
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait_vm
	grep -q "blkcheck OK" "$VOUT" && fail "blkcheck finished before the save: make the disk larger"
	run "$FLINT" run "$TMP/blk.ini" --restore "$TMP/blk.snap" --set "drive.data.path=$TMP/copy.img"
	expect_rc 0
	expect_out "blkcheck OK sectors=524288"
}

# net: udpecho answers on one tap, is saved, and answers on another.
udp_echo() { # NS ADDR: one datagram there and back
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for _ in range(40):
    s.sendto(b"snapshot", (sys.argv[1], 7))
    try:
        if s.recv(64) == b"snapshot":
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)' "$2"
}
net_restored_on_another_tap() {
	needs kvm netns python3
	NS=snap-net-$$
	ip netns add "$NS" || fail "no netns"
	# This test's subshell only: the script's own trap removes $TMP.
	trap '[ -n "$VPID" ] && kill "$VPID" 2>/dev/null; ip netns del "$NS" 2>/dev/null' EXIT
	ip -n "$NS" link set lo up
	ip -n "$NS" tuntap add snapa mode tap && ip -n "$NS" addr add 10.9.7.1/24 dev snapa && ip -n "$NS" link set snapa up
	printf '[machine]\nmemory = 64M\n[kernel]\npath = %s\n[net.eth0]\ntap = snapa\nip = 10.9.7.2/24\n' \
		"$PWD/build/guest/udpecho.elf" >"$TMP/net.ini"
	rm -f "$SOCK"
	timeout 60 ip netns exec "$NS" "$FLINT" run "$TMP/net.ini" --control "$SOCK" >"$VOUT" 2>"$VERR" &
	VPID=$!
	await 30 test -S "$SOCK" || fail "no control socket: $(cat "$VERR")"
	udp_echo "$NS" 10.9.7.2 || fail "no echo before the save"
	"$FLINT" ctl "$SOCK" stop >/dev/null
	save "$TMP/net.snap" >/dev/null || fail "save failed: $(cat "$VERR")"
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait_vm
	ip -n "$NS" link del snapa
	ip -n "$NS" tuntap add snapb mode tap && ip -n "$NS" addr add 10.9.7.1/24 dev snapb && ip -n "$NS" link set snapb up
	rm -f "$SOCK"
	timeout 60 ip netns exec "$NS" "$FLINT" run "$TMP/net.ini" --restore "$TMP/net.snap" \
		--set net.eth0.tap=snapb --control "$SOCK" >"$VOUT" 2>"$VERR" &
	VPID=$!
	await 30 test -S "$SOCK" || fail "no control socket: $(cat "$VERR")"
	udp_echo "$NS" 10.9.7.2 || fail "no echo after the restore on another tap: $(cat "$VERR")"
	"$FLINT" ctl "$SOCK" quit >/dev/null
	wait_vm
	expect_rc 130
}

paused_needs_a_control_socket() {
	run "$FLINT" run "$(ini hello)" --paused
	expect_rc 2
	expect_err "--paused needs a control socket"
	run "$FLINT" check "$(ini hello)" --paused
	expect_rc 2
	expect_err "only go with run"
}

t paused_starts_at_cont
t paused_needs_a_control_socket
t ticker_restored_twice
t restored_paused_waits_for_cont
t restored_vm_under_seccomp_kill
t save_on_a_running_vm_is_refused
t save_helper_refuses_existing_files_and_symlinks
t save_into_a_passed_descriptor
t hostile_snapshot_files
t save_at_ready_small
t save_at_ready_64m
t ready_without_the_option_returns
t blk_saved_mid_io
t net_restored_on_another_tap
exit $((failures > 0))
