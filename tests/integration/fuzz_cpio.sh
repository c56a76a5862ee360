#!/usr/bin/env bash
# A short bounded libFuzzer run over the guest's cpio reader and VFS
# (FUZZ_TIME seconds, default 10 here; `make fuzz` runs 30).
cd "$(dirname "$0")/../.."
if ! command -v clang >/dev/null; then
	echo "SKIP fuzz_cpio (clang not installed)"
	exit 0
fi
if FUZZ_TIME=${FUZZ_TIME:-10} tests/fuzz/run_cpio.sh >build/fuzz_cpio.log 2>&1; then
	echo "PASS fuzz_cpio ($(grep -o 'stat::number_of_executed_units: [0-9]*' build/fuzz_cpio.log | awk '{print $2}') inputs)"
else
	tail -30 build/fuzz_cpio.log
	echo "FAIL fuzz_cpio (see build/fuzz_cpio.log and build/fuzz/cpio-crash-*)"
fi
