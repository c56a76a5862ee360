#!/usr/bin/env bash
# A short bounded libFuzzer run of every target (FUZZ_TIME seconds each,
# default 5 here; `make fuzz` runs 30): the virtqueue parser and blk
# request path, the configuration parser, the PVH loader, the virtio-net
# queues, the virtio-console queues, the device-state loaders, the
# snapshot reader, the vCPU record loader.
cd "$(dirname "$0")/../.."
for t in fuzz_virtq fuzz_config fuzz_pvh fuzz_net fuzz_vconsole fuzz_devstate fuzz_snapshot fuzz_vcpu_state; do
	if FUZZ_TARGETS=$t FUZZ_TIME=${FUZZ_TIME:-5} tests/fuzz/run.sh >"build/$t.log" 2>&1; then
		echo "PASS $t ($(grep -ao 'stat::number_of_executed_units: [0-9]*' "build/$t.log" | awk '{print $2}') inputs)"
	else
		tail -30 "build/$t.log"
		echo "FAIL $t (see build/$t.log and build/fuzz/$t-crash-*)"
	fi
done
