#!/usr/bin/env bash
# flint-oci under containerd's stock runc shim (io.containerd.runc.v2 with
# --runc-binary, what a Kubernetes RuntimeClass's BinaryName reaches):
# ctr run with the guest's status, and a detached task killed.  Starts its
# own containerd on a socket under $TMP; SKIPs without containerd.
. "$(dirname "$0")/lib.sh"
OCI=$PWD/build/flint-oci
CTRD_PID=
trap '[ -n "$CTRD_PID" ] && kill "$CTRD_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT

# One containerd for the script, started here (not in a test's subshell,
# so the trap can stop it).
if have containerd && have ctr && have root && have kvm; then
	containerd --address "$TMP/c.sock" --root "$TMP/root" --state "$TMP/state" >"$TMP/containerd.log" 2>&1 &
	CTRD_PID=$!
	mkdir -p "$TMP/rootfs" && cp build/guest/hello.elf build/guest/sleep.elf "$TMP/rootfs/"
fi
start_containerd() {
	needs kvm root containerd ctr
	await 30 ctr --address "$TMP/c.sock" version >/dev/null || fail "containerd: $(tail -5 "$TMP/containerd.log")"
}
C() { ctr --address "$TMP/c.sock" "$@"; }
RUNC=(--runtime io.containerd.runc.v2 --runc-binary "$OCI" --rootfs "$TMP/rootfs")

test_ctr_run() {
	start_containerd
	run ctr --address "$TMP/c.sock" run --rm "${RUNC[@]}" hello1 /hello.elf 6 "two words"
	expect_rc 6
	expect_out "Hello from Flint"
	expect_out "argv[2] = two words"
}

test_ctr_kill() {
	start_containerd
	C run -d "${RUNC[@]}" sleep1 /sleep.elf 600000 >/dev/null
	await 30 sh -c "ctr --address $TMP/c.sock task ls | grep -q 'sleep1 .*RUNNING'" || fail "not running: $(C task ls)"
	C task kill -s SIGKILL sleep1 2>/dev/null
	await 30 sh -c "ctr --address $TMP/c.sock task ls | grep -q 'sleep1 .*STOPPED'" || fail "not stopped: $(C task ls)"
	C task rm sleep1 >/dev/null 2>&1
	C container rm sleep1
}

t test_ctr_run
t test_ctr_kill
exit $((failures > 0))
