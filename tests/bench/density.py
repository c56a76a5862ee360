#!/usr/bin/env python3
"""Idle density: K sleeping flint VMs at once, started back to back.

    density.py K INI [FLINT]

Starts K `flint run INI` (a guest that prints "sleeping" and then sleeps
longer than this takes), waits until every one has said "sleeping", then
measures over a 5 s window the host CPU all of them use together, and the
host memory they hold: the drop in MemAvailable since before the first
start (the kernel's share too: KVM's structures, page tables, stacks),
and the sum of their processes' Pss (each VM's teardown helper shares
its memory, so it is counted once).
Stops early, and says so, if MemAvailable would fall under 4 GiB.  Ends
every VM it started (SIGTERM, then SIGKILL), and no other process.
Prints `METRIC flint VALUE` sample lines for summary.py, then a
line of plain words.
"""
import os, signal, subprocess, sys, tempfile, time

K, ini = int(sys.argv[1]), sys.argv[2]
flint = sys.argv[3] if len(sys.argv) > 3 else "build/flint"
FLOOR_KIB = 4 << 20
HZ = os.sysconf("SC_CLK_TCK")


def meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            v = f.read().rsplit(")", 1)[1].split()
        return int(v[11]) + int(v[12])
    except OSError:
        return 0


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def helpers(pids):
    """The teardown helpers: children of our VMs (see vmm/machine/teardown.h)."""
    want, found = set(pids), []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) in want:
                        found.append(int(d))
            except OSError:
                pass
    return found


avail0 = meminfo("MemAvailable")
tmp = tempfile.mkdtemp(prefix="flint-density-")
vms, outs, note = [], [], ""
try:
    t0 = time.monotonic()
    for i in range(K):
        if meminfo("MemAvailable") < FLOOR_KIB:
            note = f"stopped at {i} VMs: MemAvailable under 4 GiB"
            break
        out = os.path.join(tmp, f"{i}.out")
        with open(out, "w") as f:
            vms.append(subprocess.Popen([flint, "run", ini], stdout=f, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL))
        outs.append(out)
    started = time.monotonic() - t0
    waiting = set(range(len(vms)))
    end = time.monotonic() + 120
    while waiting and time.monotonic() < end:
        for i in list(waiting):
            if vms[i].poll() is not None:
                waiting.discard(i)
                continue
            with open(outs[i]) as f:
                if "sleeping" in f.read():
                    waiting.discard(i)
        time.sleep(0.1)
    up = [v for v in vms if v.poll() is None]
    failed = len(vms) - len(up)
    time.sleep(1)  # let the last ones settle into their sleep
    pids = [v.pid for v in up]
    hel = helpers(pids)
    avail1 = meminfo("MemAvailable")
    # The helpers share their VM's memory (CLONE_VM): the same Pss again.
    pss = sum(pss_kib(p) for p in pids)
    c0 = sum(ticks(p) for p in pids + hel)
    w0 = time.monotonic()
    time.sleep(5)
    cpu = sum(ticks(p) for p in pids + hel) - c0
    window = time.monotonic() - w0
    n = max(len(up), 1)
    print(f"vms flint {len(up)}")
    print(f"failed flint {failed}")
    print(f"mem_avail_kib_per_vm flint {(avail0 - avail1) / n:.1f}")
    print(f"pss_kib_per_vm flint {pss / n:.1f}")
    print(f"idle_cpu_pct flint {cpu * 100 / (HZ * window):.2f}")
    print(f"start_s flint {started:.2f}")
    print(f"{len(up)} idle VMs up ({failed} failed{', ' + note if note else ''}), "
          f"started in {started:.1f} s; over {window:.1f} s they used {cpu} ticks")
finally:
    for v in vms:
        if v.poll() is None:
            v.send_signal(signal.SIGTERM)
    end = time.monotonic() + 30
    for v in vms:
        try:
            v.wait(max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            v.kill()
            v.wait()
    for name in os.listdir(tmp):
        os.unlink(os.path.join(tmp, name))
    os.rmdir(tmp)
