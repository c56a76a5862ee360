#!/usr/bin/env bash
# make bench: whole-process boot of the hello guest under flint and under
# QEMU microvm (same ELF, same run), medians and ratio, and flint's peak RSS.
# RUNS=N overrides the number of runs (default 200).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-200}
out=build/bench
mkdir -p "$out"
qemu="qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu max,-arch-capabilities -m 64M -nodefaults -no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel build/guest/hello.elf -append '-- 0'"

echo "== hello, whole process: flint vs QEMU microvm (hyperfine -N, $runs runs each)"
hyperfine -N --style basic --warmup 10 --runs "$runs" -i \
	--export-json "$out/hello.json" \
	-n flint "build/flint run config.ini.example" \
	-n flint-seccomp-off "build/flint run config.ini.example --set sandbox.seccomp=off" \
	-n qemu-microvm "$qemu" >"$out/hello.txt" 2>"$out/hello.err"
python3 - "$out/hello.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
f, q = r["flint"], r["qemu-microvm"]
ms = lambda x: x["median"] * 1e3
print(f"flint        median {ms(f):7.2f} ms  (mean {f['mean']*1e3:.2f}, min {f['min']*1e3:.2f}, max {f['max']*1e3:.2f})")
print(f"qemu microvm median {ms(q):7.2f} ms  (mean {q['mean']*1e3:.2f}, min {q['min']*1e3:.2f}, max {q['max']*1e3:.2f})")
print(f"ratio flint/qemu    {f['median']/q['median']:.3f}  (target <= 0.1)")
o = r["flint-seccomp-off"]
print(f"flint, seccomp off  median {ms(o):7.2f} ms: the sandbox (default trap mode) adds {ms(f)-ms(o):+.2f} ms (target <= 0.2)")
PY

echo "== flint peak RSS for hello (/usr/bin/time -v, 5 runs, largest)"
max=0
for _ in 1 2 3 4 5; do
	kb=$( { /usr/bin/time -v build/flint run config.ini.example >/dev/null; } 2>&1 | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}')
	[ "$kb" -gt "$max" ] && max=$kb
done
echo "flint peak RSS $max KiB ($(python3 -c "print(round($max/1024,2))") MiB; target <= 2 MiB + guest memory touched)"

echo "== --stats of one run"
build/flint run config.ini.example --stats >/dev/null
