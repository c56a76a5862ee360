#!/usr/bin/env bash
# virtio-blk end to end: the guest writes, flushes and reads back through
# Flint's virtio-mmio transport; the host checks the image file.
source "$(dirname "$0")/lib.sh"
PATTERN=guest-kernel/tests/blkpattern.py

# blkini APP IMG [readonly] [cmdline words]: a config with one drive
blkini() {
	local app=$1 img=$2 ro=$3
	shift 3
	printf '[machine]\nmemory = 128M\n[kernel]\npath = %s\ncmdline = -- %s\n[drive.data]\npath = %s\nreadonly = %s\n' \
		"$PWD/build/guest/$app.elf" "$*" "$img" "$ro" >"$TMP/$app.ini"
	echo "$TMP/$app.ini"
}

blkcheck_whole_disk() {
	truncate -s 64M "$TMP/d.img"
	run "$FLINT" run "$(blkini blkcheck "$TMP/d.img" false)" --stats=json
	expect_rc 0
	expect_out "blkcheck OK sectors=131072"
	python3 "$PATTERN" "$TMP/d.img" >"$TMP/host" || fail "host check: $(cat "$TMP/host")"
	grep -q "blkpattern OK sectors=131072" "$TMP/host" || fail "$(cat "$TMP/host")"
}
notifies_do_not_exit() {
	truncate -s 16M "$TMP/n.img"
	run "$FLINT" run "$(blkini blkcheck "$TMP/n.img" false)" --stats=json
	expect_rc 0
	python3 - "$ERR" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
notifies = d["ioeventfd_notifies"]
writes = sum(e["count"] for e in d["exits"] if e["reason"] == "mmio write drive.data")
# No request exits: the only register writes that reach user space are the
# driver's set-up (status, features, queue addresses: 25), against the
# thousands of requests blkcheck makes; every kick goes to the ioeventfd.
# How many kicks there are is timing's business (a host that polls fast
# needs few), but the first request has nobody polling and needs one.
assert notifies >= 1, d
assert writes <= 40, (writes, d)
PY
}
readonly_refuses_writes() {
	truncate -s 8M "$TMP/ro.img"
	python3 "$PATTERN" "$TMP/ro.img" --write --seed 7 >/dev/null
	local before; before=$(sha256sum <"$TMP/ro.img")
	run "$FLINT" run "$(blkini blkcheck "$TMP/ro.img" true ro)"
	expect_rc 0
	expect_out "blkcheck RO OK"
	[ "$(sha256sum <"$TMP/ro.img")" = "$before" ] || fail "read-only image changed"
}
flushed_data_reaches_file() {
	truncate -s 4M "$TMP/w.img"
	run "$FLINT" run "$(blkini blkwrite "$TMP/w.img" false 100 11)"
	expect_rc 0
	python3 "$PATTERN" "$TMP/w.img" --seed 11 --sectors 100 >"$TMP/host" || fail "$(cat "$TMP/host")"
	# and nothing beyond: sector 100 onwards is still zeros
	python3 -c "import sys; d=open(sys.argv[1],'rb').read(); sys.exit(any(d[100*512:]))" "$TMP/w.img" ||
		fail "blkwrite wrote past sector 100"
}
second_vm_cannot_share_image() {
	needs kvm
	truncate -s 4M "$TMP/s.img"
	local first
	printf '[kernel]\npath = %s\ncmdline = -- 60000\n[drive.data]\npath = %s\n' \
		"$PWD/build/guest/sleep.elf" "$TMP/s.img" >"$TMP/first.ini"
	"$FLINT" run "$TMP/first.ini" >/dev/null 2>&1 &
	first=$!
	# Until the first VM holds its lock (a POSIX lock conflicts with flint's
	# OFD lock), however slow this machine starts it.
	for _ in $(seq 300); do
		python3 -c 'import fcntl, sys; fcntl.lockf(open(sys.argv[1], "rb"), fcntl.LOCK_SH | fcntl.LOCK_NB)' \
			"$TMP/s.img" 2>/dev/null || break
		kill -0 $first 2>/dev/null || fail "the first VM exited before taking its lock"
		sleep 0.1
	done
	run "$FLINT" run "$(blkini blkcheck "$TMP/s.img" false)"
	kill $first; wait $first 2>/dev/null || true
	expect_rc 2
	expect_err "in use by another VM"
}
missing_image() {
	run "$FLINT" run "$(blkini blkcheck "$TMP/nope.img" false)"
	expect_rc 2
	expect_err "nope.img"
}
empty_image() {
	: >"$TMP/empty.img"
	run "$FLINT" run "$(blkini blkcheck "$TMP/empty.img" false)"
	expect_rc 2
	expect_err "empty.img"
}
two_drives() {
	truncate -s 2M "$TMP/a.img" "$TMP/b.img"
	printf '[machine]\nmemory = 64M\n[kernel]\npath = %s\ncmdline = -- dev=1\n[drive.a]\npath = %s\n[drive.b]\npath = %s\n' \
		"$PWD/build/guest/blkcheck.elf" "$TMP/a.img" "$TMP/b.img" >"$TMP/two.ini"
	run "$FLINT" run "$TMP/two.ini"
	expect_rc 0
	expect_out "blkcheck OK sectors=4096"
	python3 "$PATTERN" "$TMP/b.img" >/dev/null || fail "second drive lacks the pattern"
	python3 -c "import sys; sys.exit(any(open(sys.argv[1],'rb').read()))" "$TMP/a.img" ||
		fail "dev=1 wrote to the first drive"
}

# `flint check` opens every drive as `run` would, without KVM.
check_ok_with_drives() {
	truncate -s 1M "$TMP/c1.img" "$TMP/c2.img"
	run "$FLINT" check "$(blkini blkcheck "$TMP/c1.img" true)" --set "drive.two.path=$TMP/c2.img"
	expect_rc 0
	expect_out "OK"
	# the check took and released the lock: a writer can lock it now
	python3 -c 'import fcntl,sys; fcntl.lockf(open(sys.argv[1],"r+"), fcntl.LOCK_EX|fcntl.LOCK_NB)' "$TMP/c2.img" ||
		fail "flint check left the image locked"
}
check_missing_image() {
	run "$FLINT" check "$(blkini blkcheck "$TMP/nope.img" false)"
	expect_rc 2
	expect_err "[drive.data] path = $TMP/nope.img"
	expect_err "no such file"
}
check_fifo_image() {
	mkfifo "$TMP/fifo.img"
	run "$FLINT" check "$(blkini blkcheck "$TMP/fifo.img" true)"
	expect_rc 2
	expect_err "not a regular file or block device"
}
check_locked_image() {
	local holder
	truncate -s 1M "$TMP/l.img"
	python3 -c 'import fcntl,sys,time; f=open(sys.argv[1],"r+"); fcntl.lockf(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(30)' \
		"$TMP/l.img" >"$TMP/holder" &
	holder=$!
	for _ in $(seq 50); do grep -q locked "$TMP/holder" && break; sleep 0.1; done
	run "$FLINT" check "$(blkini blkcheck "$TMP/l.img" false)"
	kill $holder; wait $holder 2>/dev/null || true
	expect_rc 2
	expect_err "in use by another VM"
}
check_names_every_bad_drive() {
	printf '[kernel]\npath = %s\n[drive.a]\npath = %s\n[drive.b]\npath = %s\n' \
		"$PWD/build/guest/blkcheck.elf" "$TMP/none-a.img" "$TMP/none-b.img" >"$TMP/bad2.ini"
	run "$FLINT" check "$TMP/bad2.ini"
	expect_rc 2
	expect_err "[drive.a]"
	expect_err "[drive.b]"
}

for f in check_ok_with_drives check_missing_image check_fifo_image check_locked_image \
	check_names_every_bad_drive blkcheck_whole_disk notifies_do_not_exit readonly_refuses_writes flushed_data_reaches_file \
	second_vm_cannot_share_image missing_image empty_image two_drives; do
	t "$f"
done
exit $((failures > 0))
