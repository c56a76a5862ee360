#!/usr/bin/env python3
"""Per-request latency of a Lua handler under `flint serve`, sequential
requests on fresh connections: p50 and p99 in ms, and requests/s.
    lua_serve.py URL N [BODY]"""
import statistics, sys, time, urllib.request

url, n = sys.argv[1], int(sys.argv[2])
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
lat = []
start = time.perf_counter()
for _ in range(n):
    t = time.perf_counter()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"} if body else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
        if r.status != 200:
            sys.exit(f"status {r.status}")
    lat.append((time.perf_counter() - t) * 1e3)
wall = time.perf_counter() - start
lat.sort()
p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
print(f"p50 {statistics.median(lat):.2f} ms  p99 {p99:.2f} ms  {n / wall:.1f} req/s  (n={n})")
