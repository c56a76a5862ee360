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

t paused_starts_at_cont
exit $((failures > 0))
