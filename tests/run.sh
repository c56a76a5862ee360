#!/usr/bin/env bash
# Runs every test: the unit test binaries (sanitized) and the integration
# scripts.  Each prints "PASS name" / "FAIL name"; this prints the total as
# its last line.  Usage: tests/run.sh [unit|integration]
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
if [ "$what" != integration ]; then
	for t in build/tests/test_*; do
		[ -x "$t" ] && run_suite "unit/$(basename "$t")" "$t"
	done
fi
if [ "$what" != unit ]; then
	for t in tests/integration/*.sh; do
		[ "$(basename "$t")" = lib.sh ] && continue
		run_suite "integration/$(basename "$t" .sh)" bash "$t"
	done
fi
echo
for f in "${failed[@]+"${failed[@]}"}"; do echo "failed: $f"; done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
