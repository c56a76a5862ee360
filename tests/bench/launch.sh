#!/usr/bin/env bash
# Launch rate and idle density (make bench's section, or run alone:
# tests/bench/launch.sh): hello VMs started back to back by two launchers
# (build/bench/launch) against the static do-nothing binary, rounds
# alternating; then DENSITY_VMS (default 2000) idle sleep guests at once
# (tests/bench/density.py): their host CPU together and host memory each.
# LAUNCH_S=N sets each launch round's seconds (default 5).
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"
secs=${LAUNCH_S:-5} rounds=2 vms=${DENSITY_VMS:-2000}
S=$OUT/launch-samples.txt
: >"$S"
echo "== launch rate and density"
launch() { # WHO CMD...: one round, its rate as a sample
	local who=$1 line
	shift
	line=$(build/bench/launch "$secs" 2 "$@") || echo "   $who: $line" >&2
	echo "   $who: $line"
	echo "launch_rate $who $(sed -n 's/.*: \([0-9]*\) per s.*/\1/p' <<<"$line")" >>"$S"
}
for r in $(seq "$rounds"); do
	[ -z "$KVM" ] || [ $((r % 2)) -eq 1 ] || launch flint "$FLINT" run config.ini.example
	launch noop build/bench/noop
	[ -z "$KVM" ] || [ $((r % 2)) -eq 0 ] || launch flint "$FLINT" run config.ini.example
done
if [ -n "$KVM" ]; then
	printf '[machine]\nmemory = 64M\n[kernel]\npath = %s\ncmdline = -- 3600000\n' \
		"$PWD/build/guest/sleep.elf" >"$OUT/idle.ini"
	python3 tests/bench/density.py "$vms" "$OUT/idle.ini" "$FLINT" | tee -a "$S" | grep -v ' flint ' | sed 's/^/   /'
fi
echo "   peer: build/bench/noop, a static binary that does nothing (the floor of a process)"
summary "$S" \
	"launch_rate|hello VMs started per s, 2 launchers|noop|-|>=800" \
	"failed|idle VMs that failed to start or died ($vms asked)|-|-|<=0" \
	"idle_cpu_pct|the idle VMs together: host CPU (% of one core)|-|-|<=5" \
	"pss_kib_per_vm|host memory per idle VM: Pss of its processes (KiB)|-|-|<=1126" \
	"mem_avail_kib_per_vm|host memory per idle VM: MemAvailable drop (KiB)|-|-|<=1126"
if [ -z "$KVM" ]; then
	no_kvm_note "hello VMs started per s by 2 launchers (target >= 800)" \
		"$vms idle VMs: host CPU together (target <= 5 % of one core) and memory each (target <= 1.1 MiB)"
fi
echo "   samples: $S"
