#!/usr/bin/env python3
"""Runs one command and prints its CPU seconds (user + system, from
wait4's rusage: microseconds, where /usr/bin/time prints hundredths) and
its wall seconds.  The command's stdout and stderr go to OUTFILE; the
exit status is the command's (1 when a signal ended it).

    cputime.py OUTFILE CMD [ARG...]   ->   "CPU WALL" on stdout
"""
import os, sys, time

out, argv = sys.argv[1], sys.argv[2:]
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
fa = [(os.POSIX_SPAWN_DUP2, fd, 1), (os.POSIX_SPAWN_DUP2, fd, 2)]
t = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t
print(f"{ru.ru_utime + ru.ru_stime:.6f} {wall:.6f}")
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)
