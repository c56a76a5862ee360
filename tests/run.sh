#!/usr/bin/env bash
# Runs every test: the unit test binaries (sanitized) and the integration
# scripts.  Each prints "PASS name" / "FAIL name"; this prints the total as
# its last line.  Usage: tests/run.sh [unit|integration|nested]
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
pass=0 fail=0 skip=0 failed=()
tally() { # name of the suite, then its output on stdin
	local suite=$1 line
	while IFS= read -r line; do
		case "$line" in
		PASS\ *) pass=$((pass + 1)) ;;
		FAIL\ *) fail=$((fail + 1)); failed+=("$suite: ${line#FAIL }") ;;
		SKIP\ *) skip=$((skip + 1)) ;;
		esac
		printf '%s\n' "$line"
	done
}
run_suite() { # name, command...
	local name=$1 out rc
	shift
	echo "== $name"
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	tally "$name" <"$out"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $name exited with status $rc"
		fail=$((fail + 1)); failed+=("$name: exited with status $rc")
	fi
	rm -f "$out"
}
if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in build/tests/test_*; do
		[ -x "$t" ] && run_suite "unit/$(basename "$t")" "$t"
	done
fi
# Tests that need KVM and find none here are listed, then run again on a
# KVM host that QEMU emulates (tests/nested/run.sh): slower (88 tests in
# about 5 min), but it boots flint for real.  FLINT_NESTED=off leaves them
# skipped.
kvm_skips=build/nested/kvm-skips
integration() { # the scripts to run, as names without .sh; all when none
	local t name
	for t in tests/integration/*.sh; do
		name=$(basename "$t" .sh)
		[ "$name" = lib ] && continue
		if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qxF "$name"; then continue; fi
		FLINT_SCRIPT=$name run_suite "integration/$name" bash "$t"
	done
}
case "$what" in
nested) # inside the nested host: just the listed tests
	# shellcheck disable=SC2046
	[ ! -s "$kvm_skips" ] ||
		FLINT_ONLY=$PWD/$kvm_skips integration $(cut -d' ' -f1 "$kvm_skips" | sort -u) ;;
unit) ;;
*)
	mkdir -p build/nested
	: >"$kvm_skips"
	FLINT_KVM_SKIPS=$PWD/$kvm_skips integration
	if [ -s "$kvm_skips" ] && [ "${FLINT_NESTED:-on}" != off ]; then
		echo "== nested: the $(wc -l <"$kvm_skips") tests above that skipped for want of /dev/kvm, on a KVM host QEMU emulates"
		out=$(mktemp) err=$(mktemp)
		tests/nested/run.sh tests/run.sh nested >"$out" 2>"$err"
		rc=$?
		cat "$err"
		if [ $rc -eq 125 ]; then
			echo "SKIP nested ($(grep -m1 '^nested:' "$err"))"
			skip=$((skip + 1))
		else
			before=$((pass + fail + skip))
			tally nested <"$out"
			# Each of them was counted as a skip above and has now run.
			skip=$((skip - (pass + fail + skip - before)))
			if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
				echo "FAIL nested exited with status $rc"
				fail=$((fail + 1)); failed+=("nested: exited with status $rc")
			fi
		fi
		rm -f "$out" "$err"
	fi ;;
esac
echo
for f in "${failed[@]+"${failed[@]}"}"; do echo "failed: $f"; done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
