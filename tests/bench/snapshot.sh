#!/usr/bin/env bash
# Snapshots (make bench's snapshot section, or run alone:
# tests/bench/snapshot.sh): a restore against a cold boot of the same
# guest to the same point and against the floor, the snapshot file's size
# against the memory the guest touched, and the host memory each of 100
# concurrent restores of one 64 MiB snapshot costs.  Each row says met or
# NOT met.  RUNS=N (default 200) runs per timed command, VMS=N (default
# 100) concurrent restores.
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"
runs=${RUNS:-200}
vms=${VMS:-100}
init_mib=${INIT_MIB:-8}
echo "== snapshot: restore vs cold boot vs the floor, file size, 100 restores' memory"
if [ -z "$KVM" ]; then
	no_kvm_note "restore -> the guest's first instruction after resuming, vs a cold boot and the floor (targets <= floor + 0.3 ms, <= 0.5x cold boot)" \
		"snapshot file size vs touched guest memory" \
		"host memory per VM for $vms concurrent restores of one 64 MiB snapshot (target <= 1.5 MiB beyond what each guest writes)"
	exit 0
fi
dir=$(mktemp -d)
pids=()
cleanup() {
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
# conf NAME ARGS...: readyfill with these arguments, 128 MiB of RAM
conf() {
	printf '[machine]\nmemory = 128M\n[kernel]\npath = %s\ncmdline = -- %s\n' \
		"$PWD/build/guest/readyfill.elf" "${*:2}" >"$dir/$1.ini"
	echo "$dir/$1.ini"
}
met() { python3 -c "import sys; print('met' if $1 else 'NOT met')"; }

# 1. Time to the guest's first instruction after resuming, whole process.
# readyfill fills $init_mib MiB (its own initialisation), calls flint_ready()
# and exits at once: a cold boot runs the whole of it, a restore of the
# snapshot taken at flint_ready() only the exit, and the floor is an
# empty VM's first instruction in a fresh process (build/bench/vm_floor).
boot=$(conf boot "$init_mib")
zero=$(conf zero 0)
"$FLINT" run "$boot" --save-at-ready "$dir/boot.snap" >/dev/null
echo "-- $runs runs each, interleaved (tests/bench/interleave.py); readyfill $init_mib MiB"
python3 tests/bench/interleave.py "$runs" --base floor \
	"floor=build/bench/vm_floor 128" \
	"restore=$FLINT run $boot --restore $dir/boot.snap" \
	"cold-boot=$FLINT run $boot" \
	"boot-no-init=$FLINT run $zero" | tee "$dir/times"
python3 - "$dir/times" <<'PY'
import re, sys
med = {m.group(1): float(m.group(2)) for m in
       re.finditer(r"^(\S+)\s+median\s+([\d.]+) ms", open(sys.argv[1]).read(), re.M)}
f, r, b, z = med["floor"], med["restore"], med["cold-boot"], med["boot-no-init"]
init = b - z
ok = lambda c: "met" if c else "NOT met"
print(f"guest init (cold boot - boot without init): {init:.3f} ms "
      f"({'>=' if init >= 1 else '<'} 1 ms: the 0.5x target {'applies' if init >= 1 else 'does not apply'})")
print(f"restore - floor   {r - f:+.3f} ms  (target <= +0.3 ms)  {ok(r - f <= 0.3)}")
print(f"restore/cold boot {r / b:.3f}      (target <= 0.5)      {ok(r / b <= 0.5) if init >= 1 else 'n/a'}")
PY

# 2. The file's allocated size against what the guest touched: readyfill
# writes 64 MiB; everything else it touches is its kernel and stacks.
sleepy=$(conf sleepy 64 sleep)
"$FLINT" run "$sleepy" --save-at-ready "$dir/64.snap" >/dev/null
alloc=$(du -k "$dir/64.snap" | cut -f1)
size=$(stat -c %s "$dir/64.snap")
echo "-- snapshot file: $((size >> 20)) MiB long, $((alloc / 1024)) MiB allocated, for 64 MiB the guest wrote"
echo "allocated/written $(python3 -c "print(round($alloc / 65536, 3))")  (target <= 1.05: holes for the rest)  $(met "$alloc <= 65536 * 1.05")"

# 3. $vms concurrent restores of the 64 MiB snapshot: each maps the same
# file MAP_PRIVATE, so the 64 MiB is in the page cache once; per VM the
# drop in MemAvailable / $vms.  Read the file first so its pages are
# cached before the "before" figure (they belong to no VM).
cat "$dir/64.snap" >/dev/null
avail() { awk '/^MemAvailable/ {print $2}' /proc/meminfo; }
before=$(avail)
for i in $(seq "$vms"); do
	"$FLINT" run "$sleepy" --restore "$dir/64.snap" >"$dir/vm$i.out" 2>&1 &
	pids+=($!)
done
for i in $(seq "$vms"); do
	for _ in $(seq 3000); do
		grep -q sleeping "$dir/vm$i.out" 2>/dev/null && break
		kill -0 "${pids[$((i - 1))]}" 2>/dev/null || break
		sleep 0.01
	done
done
up=$(grep -l sleeping "$dir"/vm*.out | wc -l)
after=$(avail)
# The same from the other side: the VMs' summed PSS (shared pages split
# between their users: the snapshot's page cache counts once in all).
pss=0
for p in "${pids[@]}"; do
	k=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
	pss=$((pss + ${k:-0}))
done
kill -TERM "${pids[@]}" 2>/dev/null
wait 2>/dev/null
pids=()
per=$(python3 -c "print(round(max($before - $after, 0) / 1024 / max($up, 1), 3))")
per_pss=$(python3 -c "print(round($pss / 1024 / max($up, 1), 3))")
echo "-- $up of $vms restored VMs idle at once: MemAvailable $((before / 1024)) -> $((after / 1024)) MiB; summed PSS $((pss / 1024)) MiB"
# The larger of the two judges: MemAvailable moves with the rest of a
# shared host, PSS leaves out what the kernel holds for each VM.
echo "host memory per VM: $per MiB by MemAvailable, $per_pss MiB by PSS (the guest writes ~0 after resuming; target <= 1.5 MiB)  $(met "$up == $vms and max($per, $per_pss) <= 1.5")"
