# Helpers for the integration scripts: each test is a function; `t NAME`
# runs it and prints PASS/FAIL.  Sourced, not run.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
FLINT=${FLINT:-build/flint}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/out ERR=$TMP/err
failures=0

# needs WHAT...: ends the calling test with SKIP unless this host has it:
# kvm (a usable /dev/kvm), root, netns (root and `ip netns`), qemu.
# A test's subshell exits 77, which `t` reports as "SKIP name (reason)".
SKIP_FILE=$TMP/skip
have() {
	case "$1" in
	kvm) [ -r /dev/kvm ] && [ -w /dev/kvm ] ;;
	root) [ "$(id -u)" -eq 0 ] ;;
	netns) [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && [ -c /dev/net/tun ] ;;
	qemu) command -v qemu-system-x86_64 >/dev/null ;;
	*) command -v "$1" >/dev/null ;;
	esac
}
needs() {
	local w
	for w in "$@"; do
		if ! have "$w"; then
			case "$w" in
			kvm) echo "no usable /dev/kvm" ;;
			root) echo "needs root" ;;
			netns) echo "needs root, iproute2 and /dev/net/tun" ;;
			*) echo "needs $w" ;;
			esac >"$SKIP_FILE"
			exit 77
		fi
	done
}

# run CMD...: runs with a timeout, leaves stdout in $OUT, stderr in $ERR, status in $rc.
# With SANDBOX=MODE in the environment, every `flint run` gets that seccomp mode.
run() {
	if [ -n "${SANDBOX:-}" ] && [ "$1" = "$FLINT" ] && [ "${2:-}" = run ]; then
		set -- "$@" --set "sandbox.seccomp=$SANDBOX"
	fi
	# Booting needs KVM; `flint check` and the other verbs do not.
	if [ "$1" = "$FLINT" ] && [ "${2:-}" = run ]; then needs kvm; fi
	rc=0
	timeout 60 "$@" >"$OUT" 2>"$ERR" || rc=$?
}
fail() { echo "  $*" >&2; return 1; }
expect_rc() { [ "$rc" -eq "$1" ] || fail "expected exit status $1, got $rc; stderr: $(head -c 600 "$ERR")"; }
expect_out() { grep -qF -- "$1" "$OUT" || fail "stdout lacks '$1'; stdout: $(head -c 600 "$OUT")"; }
expect_err() { grep -qF -- "$1" "$ERR" || fail "stderr lacks '$1'; stderr: $(head -c 600 "$ERR")"; }
# A test fails at its first failing command: set -e would be ignored if the
# subshell stood in an `if`, so its status is read afterwards.
# tests/run.sh names the script in FLINT_SCRIPT.  It collects the tests
# that skip for want of KVM in FLINT_KVM_SKIPS, and runs just those again on
# a nested KVM host with FLINT_ONLY naming the same list.
t() {
	local st id="${FLINT_SCRIPT:-$(basename "$0" .sh)} $1"
	if [ -n "${FLINT_ONLY:-}" ] && ! grep -qxF -- "$id" "$FLINT_ONLY"; then return 0; fi
	rm -f "$SKIP_FILE"
	( set -e; "$1" )
	st=$?
	if [ $st -eq 0 ]; then echo "PASS $1"
	elif [ $st -eq 77 ] && [ -s "$SKIP_FILE" ]; then
		echo "SKIP $1 ($(cat "$SKIP_FILE"))"
		if [ -n "${FLINT_KVM_SKIPS:-}" ] && [ "$(cat "$SKIP_FILE")" = "no usable /dev/kvm" ]; then
			echo "$id" >>"$FLINT_KVM_SKIPS"
		fi
	else echo "FAIL $1"; failures=$((failures + 1)); fi
}
# ini NAME [extra lines...]: writes a config booting a guest app to $TMP/NAME.ini
ini() {
	local app=$1
	shift
	{
		echo "[machine]"; echo "memory = 64M"
		echo "[kernel]"; echo "path = $PWD/build/guest/$app.elf"
		printf '%s\n' "$@"
	} >"$TMP/$app.ini"
	echo "$TMP/$app.ini"
}
