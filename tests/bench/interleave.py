#!/usr/bin/env python3
"""Times whole commands, interleaved (A B A B ...), so that drift in a
noisy machine hits every command alike: hyperfine runs one command's
batch after another's.  Prints each command's median and min in ms.

    interleave.py RUNS [--base NAME] NAME=COMMAND NAME=COMMAND ...

With --base, also prints how much each other command adds to NAME's
median and minimum, and the ratio of the medians.
"""
import os, shlex, statistics, sys, time

runs = int(sys.argv[1])
args = sys.argv[2:]
base = None
if args[:1] == ["--base"]:
    base, args = args[1], args[2:]
cmds = [(a.split("=", 1)[0], shlex.split(a.split("=", 1)[1])) for a in args]
times = {name: [] for name, _ in cmds}
devnull = os.open(os.devnull, os.O_WRONLY)
fa = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
for i in range(runs + 5):
    for name, argv in cmds:
        t = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
        os.waitpid(pid, 0)
        if i >= 5:  # warm-up
            times[name].append((time.perf_counter() - t) * 1e3)
med = {n: statistics.median(v) for n, v in times.items()}
low = {n: min(v) for n, v in times.items()}
for name, _ in cmds:
    print(f"{name:24} median {med[name]:7.3f} ms  min {low[name]:7.3f} ms")
if base:
    for name, _ in cmds:
        if name != base:
            print(f"{name} adds {med[name] - med[base]:+.3f} ms median, "
                  f"{low[name] - low[base]:+.3f} ms min over {base}; "
              f"median ratio {name}/{base} {med[name] / med[base]:.3f}")
