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
	# podman keeps its storage there; the nested KVM host mounts / read-only.
	varlib) [ -d /var/lib ] && [ -w /var/lib ] && ! grep -qs '^[^ ]* / [^ ]* ro[ ,]' /proc/mounts ;;
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
			varlib) echo "needs a writable /var/lib (podman's storage; the nested KVM host mounts / read-only)" ;;
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
# await SECONDS CMD...: polls CMD until it succeeds (0) or SECONDS pass (1).
# A wait for an event, never a guess at how long it takes: on a fast host
# it costs nothing, and a slow one (tests/nested) still gets there.
await() {
	local end=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.02
	done
}
# sleeping PID FILE: waits until the sleep guest of flint PID has said so
# in FILE (its stdout), i.e. set-up is over and the guest is idle.
sleeping() {
	await 60 grep -q '^sleeping' "$2" || fail "the sleep guest never started: $(head -c 300 "$2")"
	kill -0 "$1" 2>/dev/null || fail "flint exited before its guest slept"
}
# bg_flint ARGS...: starts flint in the background (stdout $OUT, stderr
# $ERR), its pid in $FPID, killed if it is still running after 60 s;
# wait_flint then leaves its exit status in $rc.  bg_run CMD... does the
# same for a command that execs flint (`ip netns exec NS build/flint ...`),
# so $FPID is flint's own pid.  Never background a shell function to kill
# it later: its pid is a subshell's, and the process it started lives on.
bg_flint() { bg_run "$FLINT" "$@"; }
bg_run() {
	"$@" >"$OUT" 2>"$ERR" &
	FPID=$!
	(sleep 60; kill -9 $FPID) 2>/dev/null &
	WATCHDOG=$!
}
wait_flint() {
	rc=0
	wait $FPID || rc=$?
	kill $WATCHDOG 2>/dev/null; wait $WATCHDOG 2>/dev/null || true
}
# cpu_ms PID: the CPU time process PID has used, all its threads, in ms.
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$1/stat"
}
expect_rc() { [ "$rc" -eq "$1" ] || fail "expected exit status $1, got $rc; stderr: $(head -c 600 "$ERR")"; }
expect_out() { grep -qF -- "$1" "$OUT" || fail "stdout lacks '$1'; stdout: $(head -c 600 "$OUT")"; }
expect_err() { grep -qF -- "$1" "$ERR" || fail "stderr lacks '$1'; stderr: $(head -c 600 "$ERR")"; }
# A test fails at its first failing command: set -e would be ignored if the
# subshell stood in an `if`, so its status is read afterwards.
# tests/run.sh names the script in FLINT_SCRIPT.  It collects the tests
# that skip for want of KVM in FLINT_KVM_SKIPS, and runs just those again on
# a nested KVM host with FLINT_ONLY naming the same list.
# (Read once into an array: on the nested host every process costs 0.3 s.)
declare -A ONLY=()
if [ -n "${FLINT_ONLY:-}" ]; then
	while IFS= read -r line; do ONLY[$line]=1; done <"$FLINT_ONLY"
fi
t() {
	local st id="${FLINT_SCRIPT:-$(basename "$0" .sh)} $1"
	if [ -n "${FLINT_ONLY:-}" ] && [ -z "${ONLY[$id]:-}" ]; then return 0; fi
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
