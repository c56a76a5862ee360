#!/usr/bin/env bash
# Start-up, sandbox, memory and virtio-blk (make bench's first section, or
# run alone: tests/bench/boot.sh): the hello guest's whole process under
# flint (alone, with a drive, with a NIC, without the sandbox), a static
# do-nothing binary and QEMU microvm (same ELF), one hyperfine run with
# each target judged; the seccomp modes interleaved; flint's peak RSS;
# blkbench in the same guest under both.  RUNS=N sets the runs (200).
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"
runs=${RUNS:-200}
echo "== boot: hello, sandbox, RSS, virtio-blk"
# Every figure here is flint booting on KVM against a peer on KVM: without
# /dev/kvm there is nothing honest to measure (QEMU's TCG is no peer).
if [ -z "$KVM" ]; then
	no_kvm_note "hello whole process (targets <= 2.0 ms, <= 3.2x the do-nothing binary, <= 0.1x QEMU microvm)" \
		"hello with one drive, with one NIC (target <= +0.15 ms over hello each)" \
		"the sandbox's cost, seccomp trap vs off (target <= +0.15 ms)" \
		"flint's peak RSS for hello (target <= 2 MiB)" \
		"virtio-blk blkbench, flint vs QEMU microvm and the host page cache (targets >= 1.0x QEMU each, seq read 64k >= 0.75 of host)"
	exit 0
fi
out=$OUT
qemu="qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu max,-arch-capabilities -m 64M -nodefaults -no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel build/guest/hello.elf -append '-- 0'"
hello="$FLINT run config.ini.example"
truncate -s 16M "$out/start.img"
# The NIC's tap lives in a namespace of this script's own: the whole
# hyperfine runs in it, so every command pays the same for it.
ns=fstart-$$ inns=() nic=()
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ip netns add "$ns" 2>/dev/null; then
	# shellcheck disable=SC2064
	trap "ip netns del $ns 2>/dev/null" EXIT
	ip -n "$ns" tuntap add fstart0 mode tap && ip -n "$ns" link set fstart0 up
	inns=(ip netns exec "$ns") nic=(-n nic "$hello --set net.eth0.tap=fstart0")
fi

rounds=10
echo "== start-up, whole process: flint, a static do-nothing binary, QEMU microvm (hyperfine -N, $rounds rounds of $((runs / rounds)) runs each)"
# hyperfine runs one command's batch after another's, and a noisy host
# drifts between batches: short rounds, the commands' order turning each
# round, every sample pooled per command, so drift hits them all alike.
# Each run starts once the last one's teardown (in its helper, after the
# exit) is over; back to back is the launch rate's business (launch.sh).
echo "   (each round: hyperfine --prepare 'sleep 0.005', so each run starts once the last one's teardown is over)"
cmds=(-n noop build/bench/noop -n hello "$hello" -n drive "$hello --set drive.d.path=$out/start.img"
	"${nic[@]}" -n seccomp-off "$hello --set sandbox.seccomp=off" -n qemu-microvm "$qemu")
rm -f "$out"/start-*.json
for r in $(seq "$rounds"); do
	"${inns[@]}" hyperfine -N --style basic --warmup 3 --runs $((runs / rounds)) -i --prepare "sleep 0.005" \
		--export-json "$out/start-$r.json" "${cmds[@]}" >"$out/start.txt" 2>"$out/start.err"
	cmds=("${cmds[@]:3}" "${cmds[@]:0:3}") # -n NAME CMD: the first goes last next round
done
python3 - "$out"/start-*.json <<'PY'
import json, statistics, sys
times = {}
for path in sys.argv[1:]:
    for x in json.load(open(path))["results"]:
        times.setdefault(x["command"], []).extend(x["times"])
r = {n: {"median": statistics.median(t), "min": min(t), "n": len(t)} for n, t in times.items()}
ms = lambda n: r[n]["median"] * 1e3 if n in r else None
def verdict(ok):
    return "met" if ok else "NOT met"
print(f"  {'command':14} {'median ms':>10} {'min ms':>8} {'runs':>5}")
for n in r:
    print(f"  {n:14} {ms(n):10.3f} {r[n]['min'] * 1e3:8.3f} {r[n]['n']:5d}")
h, noop = ms("hello"), ms("noop")
rows = [("hello, median", f"{h:.3f} ms", "<= 2.0 ms", h <= 2.0),
        ("hello / do-nothing binary", f"{h / noop:.2f}x", "<= 3.2x", h / noop <= 3.2)]
for dev in ("drive", "nic"):
    if dev in r:
        d = ms(dev) - h
        rows.append((f"one {dev}: over hello", f"{d:+.3f} ms", "<= +0.15 ms", d <= 0.15))
    else:
        rows.append((f"one {dev}: over hello", "not measured (needs root and ip netns)", "<= +0.15 ms", None))
d = h - ms("seccomp-off")
rows.append(("seccomp trap: over off", f"{d:+.3f} ms", "<= +0.15 ms", d <= 0.15))
q = h / ms("qemu-microvm")
rows.append(("hello / QEMU microvm", f"{q:.3f}x", "<= 0.1x", q <= 0.1))
print(f"  {'what (medians, same runs)':28} {'flint':>12}  target")
for what, fig, target, ok in rows:
    print(f"  {what:28} {fig:>12}  {target}: {'not judged' if ok is None else verdict(ok)}")
PY
# hyperfine runs one command's batch after the other's: the same pair
# interleaved, so that drift hits both (python's spawn sits ~1 ms above hyperfine).
echo "-- the same, interleaved (tests/bench/interleave.py, $runs runs each; for reference)"
python3 tests/bench/interleave.py "$runs" --base noop "noop=build/bench/noop" "hello=$hello" \
	"qemu-microvm=$qemu"

echo "== the sandbox's cost: seccomp modes, runs interleaved so drift hits all alike ($runs runs each; for reference)"
# (python's posix_spawn timing sits ~1 ms above hyperfine's; compare within this block)
python3 tests/bench/interleave.py "$runs" --base off "off=$hello --set sandbox.seccomp=off" \
	"trap=$hello" "kill=$hello --set sandbox.seccomp=kill"

echo "== flint peak RSS for hello (/usr/bin/time -v, 5 runs, largest)"
max=0
for _ in 1 2 3 4 5; do
	kb=$( { /usr/bin/time -v build/flint run config.ini.example >/dev/null; } 2>&1 | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}')
	[ "$kb" -gt "$max" ] && max=$kb
done
echo "flint peak RSS $max KiB ($(python3 -c "print(round($max/1024,2))") MiB); target <= 2 MiB: $([ "$max" -le 2048 ] && echo met || echo NOT met)"

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
print(f"{'case':16} {'flint MB/s':>11} {'IOPS':>8} {'qemu MB/s':>10} {'IOPS':>8} {'flint/qemu':>10}  target")
for case in f:
    fm, fi = f[case]; qm, qi = q.get(case, (0, 0))
    v = "not judged (no QEMU figure)" if not qi else "met" if fi / qi >= 1.0 else "NOT met"
    print(f"{case:16} {fm:11.1f} {fi:8d} {qm:10.1f} {qi:8d} {fi/qi if qi else float('nan'):10.2f}  >= 1.0: {v}")
print(f"host page-cache read, 64 KiB preads (median of the rounds): {host:.1f} MB/s")
s = f.get("seq-read 64k", f.get("seq-read 64k:"))
if s:
    print(f"seq-read 64k in the guest / host: {s[0]/host:.2f}  target >= 0.75: {'met' if s[0] / host >= 0.75 else 'NOT met'}")
PY
echo "== notifies: --stats of blkcheck on a 64 MiB image"
truncate -s 64M "$out/check.img"
printf '[machine]\nmemory = 128M\n[kernel]\npath = %s\ncmdline = --\n[drive.data]\npath = %s\n' \
	"$PWD/build/guest/blkcheck.elf" "$PWD/$out/check.img" >"$out/check.ini"
build/flint run "$out/check.ini" --stats 2>&1 >/dev/null | tail -8
