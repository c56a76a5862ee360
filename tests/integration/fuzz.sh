#!/usr/bin/env bash
# A short bounded libFuzzer run over the virtqueue parser and the blk
# request path (FUZZ_TIME seconds, default 15 here; `make fuzz` runs 30).
cd "$(dirname "$0")/../.."
if FUZZ_TIME=${FUZZ_TIME:-15} tests/fuzz/run.sh >build/fuzz.log 2>&1; then
	echo "PASS fuzz_virtq ($(grep -o 'stat::number_of_executed_units: [0-9]*' build/fuzz.log | awk '{print $2}') inputs)"
else
	tail -30 build/fuzz.log
	echo "FAIL fuzz_virtq (see build/fuzz.log and build/fuzz/crash-*)"
fi
