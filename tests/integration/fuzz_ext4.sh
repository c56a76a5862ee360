#!/usr/bin/env bash
# A short bounded libFuzzer run over the guest's ext4 reader (FUZZ_TIME
# seconds, default 10 here; `make fuzz` runs 30).
cd "$(dirname "$0")/../.."
mkdir -p build
if FUZZ_TIME=${FUZZ_TIME:-10} tests/fuzz/run_ext4.sh >build/fuzz_ext4.log 2>&1; then
	echo "PASS fuzz_ext4 ($(grep -o 'stat::number_of_executed_units: [0-9]*' build/fuzz_ext4.log | awk '{print $2}') inputs)"
else
	tail -30 build/fuzz_ext4.log
	echo "FAIL fuzz_ext4 (see build/fuzz_ext4.log and build/fuzz/ext4-crash-*)"
fi
