#!/usr/bin/env bash
# Boot, sandbox, memory and virtio-blk (make bench's first section, or run
# alone: tests/bench/boot.sh): whole-process boot of the hello guest under
# flint and under QEMU microvm (same ELF, same run), medians and ratio,
# the seccomp modes' cost, flint's peak RSS, blkbench in the same guest
# under both.  RUNS=N overrides the number of runs (default 200).
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"
runs=${RUNS:-200}
echo "== boot: hello, sandbox, RSS, virtio-blk"
# Every figure here is flint booting on KVM against a peer on KVM: without
# /dev/kvm there is nothing honest to measure (QEMU's TCG is no peer).
if [ -z "$KVM" ]; then
	no_kvm_note "hello whole-process boot, flint vs QEMU microvm (target <= 3 ms, <= 0.1x QEMU)" \
		"the sandbox's cost, seccomp trap/kill vs off (target <= 0.2 ms)" \
		"flint's peak RSS for hello (target <= 2 MiB + guest memory touched)" \
		"virtio-blk blkbench, flint vs QEMU microvm and the host page cache (targets >= 1.5x QEMU IOPS, >= 0.70 of host)"
	exit 0
fi
out=$OUT
qemu="qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu max,-arch-capabilities -m 64M -nodefaults -no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel build/guest/hello.elf -append '-- 0'"

echo "== hello, whole process: flint vs QEMU microvm (hyperfine -N, $runs runs each)"
hyperfine -N --style basic --warmup 10 --runs "$runs" -i \
	--export-json "$out/hello.json" \
	-n flint "build/flint run config.ini.example" \
	-n qemu-microvm "$qemu" >"$out/hello.txt" 2>"$out/hello.err"
python3 - "$out/hello.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
f, q = r["flint"], r["qemu-microvm"]
ms = lambda x: x["median"] * 1e3
print(f"flint        median {ms(f):7.2f} ms  (mean {f['mean']*1e3:.2f}, min {f['min']*1e3:.2f}, max {f['max']*1e3:.2f})")
print(f"qemu microvm median {ms(q):7.2f} ms  (mean {q['mean']*1e3:.2f}, min {q['min']*1e3:.2f}, max {q['max']*1e3:.2f})")
print(f"ratio flint/qemu    {f['median']/q['median']:.3f}  (target <= 0.1)")
PY
# hyperfine runs one command's batch after the other's: the same pair
# interleaved, so that drift hits both (python's spawn sits ~1 ms above hyperfine).
echo "-- the same, interleaved (tests/bench/interleave.py, $runs runs each)"
python3 tests/bench/interleave.py "$runs" --base qemu-microvm "flint=build/flint run config.ini.example" \
	"qemu-microvm=$qemu"

echo "== the sandbox's cost: seccomp modes, runs interleaved so drift hits all alike ($runs runs each)"
# (python's posix_spawn timing sits ~1 ms above hyperfine's; compare within this block)
python3 tests/bench/interleave.py "$runs" --base off "off=build/flint run config.ini.example --set sandbox.seccomp=off" \
	"trap=build/flint run config.ini.example" \
	"kill=build/flint run config.ini.example --set sandbox.seccomp=kill"
echo "(target: the sandbox adds <= 0.2 ms)"

echo "== flint peak RSS for hello (/usr/bin/time -v, 5 runs, largest)"
max=0
for _ in 1 2 3 4 5; do
	kb=$( { /usr/bin/time -v build/flint run config.ini.example >/dev/null; } 2>&1 | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}')
	[ "$kb" -gt "$max" ] && max=$kb
done
echo "flint peak RSS $max KiB ($(python3 -c "print(round($max/1024,2))") MiB; target <= 2 MiB + guest memory touched)"

echo "== --stats of one run"
build/flint run config.ini.example --stats >/dev/null

echo "== virtio-blk: blkbench in the same guest under flint and QEMU microvm, ${BLK_ROUNDS:=3} rounds interleaved"
# One image, fully written and synced before the first run: every block
# is allocated and in the page cache for every run alike.  (The guest's
# offsets come from a fixed seed, so on a sparse image a VMM that runs
# second rewrites the blocks the first run allocated, while the first
# pays the host filesystem's block allocation: QEMU's random 64 KiB
# writes looked 2.3x flint's that way.)
img=$out/disk.img
rm -f "$img"
head -c 256M /dev/urandom >"$img" && sync "$img"
printf '[machine]\nmemory = 128M\n[kernel]\npath = %s\ncmdline = --\n[drive.data]\npath = %s\n' \
	"$PWD/build/guest/blkbench.elf" "$PWD/$img" >"$out/blk.ini"
# The host's own read of the same file from the page cache, 64 KiB
# preads (best of 3), once per round like the guests' runs: the median.
host_read() {
	python3 - "$img" <<'PY'
import os, sys, time
f = sys.argv[1]; n = os.path.getsize(f); fd = os.open(f, os.O_RDONLY)
best = 0
for _ in range(3):
    t = time.perf_counter(); off = 0
    while off < n:
        off += len(os.pread(fd, 65536, off))
    best = max(best, n / (time.perf_counter() - t) / 1e6)
print(f"{best:.1f}")
PY
}
: >"$out/blk-flint.txt"
: >"$out/blk-qemu.txt"
: >"$out/blk-host.txt"
for r in $(seq "$BLK_ROUNDS"); do
	host_read >>"$out/blk-host.txt"
	sides="flint qemu"
	[ $((r % 2)) -eq 0 ] && sides="qemu flint"
	for who in $sides; do
		if [ "$who" = flint ]; then
			build/flint run "$out/blk.ini" >>"$out/blk-flint.txt"
		else
			timeout 300 qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu max,-arch-capabilities -m 128M \
				-nodefaults -no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
				-global virtio-mmio.force-legacy=false \
				-drive id=d0,file="$img",format=raw,if=none -device virtio-blk-device,drive=d0 \
				-kernel build/guest/blkbench.elf -append "-- " >>"$out/blk-qemu.txt" || true
		fi
	done
done
hostmb=$(python3 -c 'import statistics, sys; print(statistics.median(float(l) for l in open(sys.argv[1]) if l.strip()))' "$out/blk-host.txt")
python3 - "$out/blk-flint.txt" "$out/blk-qemu.txt" "$hostmb" <<'PY'
import re, sys
import statistics
def load(p):  # each case's median over the rounds
    r = {}
    for line in open(p, errors="replace"):
        m = re.match(r"blkbench (\S+ \S+): ([\d.]+) MB/s (\d+) IOPS", line)
        if m:
            r.setdefault(m.group(1), []).append((float(m.group(2)), int(m.group(3))))
    return {c: (statistics.median(x[0] for x in v), int(statistics.median(x[1] for x in v)))
            for c, v in r.items()}
f, q, host = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
print(f"{'case':16} {'flint MB/s':>11} {'IOPS':>8} {'qemu MB/s':>10} {'IOPS':>8} {'flint/qemu':>10}")
for case in f:
    fm, fi = f[case]; qm, qi = q.get(case, (0, 0))
    print(f"{case:16} {fm:11.1f} {fi:8d} {qm:10.1f} {qi:8d} {fi/qi if qi else float('nan'):10.2f}")
print(f"host page-cache read, 64 KiB preads (median of the rounds): {host:.1f} MB/s")
if "seq-read 64k:" in f or "seq-read 64k" in f:
    s = f.get("seq-read 64k", f.get("seq-read 64k:"))[0]
    print(f"seq-read 64k in the guest / host: {s/host:.2f} (target >= 0.70)")
if "rand-read 4k" in f and "rand-read 4k" in q:
    print(f"rand-read 4k IOPS flint / qemu: {f['rand-read 4k'][1]/q['rand-read 4k'][1]:.2f} (target >= 1.5)")
PY
echo "== notifies: --stats of blkcheck on a 64 MiB image"
truncate -s 64M "$out/check.img"
printf '[machine]\nmemory = 128M\n[kernel]\npath = %s\ncmdline = --\n[drive.data]\npath = %s\n' \
	"$PWD/build/guest/blkcheck.elf" "$PWD/$out/check.img" >"$out/check.ini"
build/flint run "$out/check.ini" --stats 2>&1 >/dev/null | tail -8
