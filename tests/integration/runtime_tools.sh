#!/usr/bin/env bash
# The OCI runtime-tools validation suite (build/runtime-tools, from
# tests/oci/fetch_runtime_tools.sh; SKIP where it is absent, as in CI,
# which reaches only Debian's archive) against flint-oci, with a Flint
# guest standing in for each test's Linux program (tests/oci/standin.sh).
# The lifecycle tests that apply to a VM runtime must pass every case;
# the others are reported with why they cannot apply.
. "$(dirname "$0")/lib.sh"
SUITE=$PWD/build/runtime-tools
RUNTIME=$PWD/tests/oci/standin.sh
export RUNTIME

# suite NAME: runs validation/NAME/NAME.t (from the suite's folder: it reads its rootfs tarball there)
suite() {
	needs kvm root
	[ -x "$SUITE/validation/$1/$1.t" ] ||
		{ echo "no build/runtime-tools (tests/oci/fetch_runtime_tools.sh builds it)" >"$SKIP_FILE"; exit 77; }
	(cd "$SUITE" && timeout 300 "validation/$1/$1.t") >"$TMP/$1.tap" 2>&1 || true
	ok=$(grep -c '^ok' "$TMP/$1.tap" || true)
	bad=$(grep -c '^not ok' "$TMP/$1.tap" || true)
}
applies() {
	suite "$1"
	[ "$ok" -gt 0 ] && [ "$bad" -eq 0 ] || fail "$1: $ok ok, $bad not ok: $(grep -A6 '^not ok' "$TMP/$1.tap" | head -20)"
}
# cannot NAME WHY: runs it anyway and SKIPs with the reason and the count
cannot() {
	suite "$1"
	echo "$ok of $((ok + bad)) cases pass; cannot apply: $2" >"$SKIP_FILE"
	exit 77
}

for n in create state kill kill_no_effect delete delete_only_create_resources hooks_stdin misc_props; do
	eval "test_$n() { applies $n; }"
	t "test_$n"
done
test_start() { cannot start "the process writes /output into the bundle; a guest's root is a copy"; }
test_killsig() { cannot killsig "a shell trap in the container; a guest has no signals"; }
test_pidfile() { cannot pidfile "kills \`true\` after start; the stand-in has exited (runc's zombie still counts as running)"; }
test_delete_resources() { cannot delete_resources "reads the container's pids cgroup; a VM process has none of its own"; }
test_hooks() {
	for h in prestart poststart poststop prestart_fail poststart_fail poststop_fail; do suite $h; done
	echo "the hook tests compare with /output the process writes into the bundle" >"$SKIP_FILE"
	exit 77
}
t test_start
t test_killsig
t test_pidfile
t test_delete_resources
t test_hooks
exit $((failures > 0))
