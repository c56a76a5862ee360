#!/usr/bin/env python3
"""Drives a QMP server with QEMU's own Python library (qemu.qmp).

  qmp_check.py transcript SOCK      the common commands; prints a transcript
                                    (JSON) that is the same for flint and QEMU
  qmp_check.py hostile SOCK PID     hostile clients; the server must keep
                                    serving a well-behaved one
  qmp_check.py rtt SOCK N           median query-status round trip, in us
  qmp_check.py slots SOCK           8 idle clients hold every slot: the 9th
                                    is refused; one leaving frees one
  qmp_check.py bench FLINT QEMU N C both servers with one client, interleaved:
                                    N query-status and C stop/cont each;
                                    prints medians (JSON, us)
  qmp_check.py shutdown SOCK        negotiates, waits for SHUTDOWN, prints
                                    its data (JSON)

QEMU_PY must name QEMU's python/ folder (tests/qmp/fetch_qemu_qmp.sh puts
one under build/).  Standard library only, like qemu.qmp itself.
"""
import asyncio
from collections.abc import Mapping
import json
import os
import socket
import statistics
import sys
import time

sys.path.insert(0, os.environ["QEMU_PY"])
from qemu.qmp import QMPClient  # noqa: E402


def raw_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s, s.makefile("rb")


def raw_line(f):
    line = f.readline()
    if not line:
        raise EOFError("server closed the connection")
    return json.loads(line)


async def wait_event(client, name):
    # No deadline of its own: the caller bounds the whole wait (an event
    # comes when the guest makes it, which may be long after the last one).
    while True:
        ev = await client.events.get()
        if ev["event"] == name:
            return ev


def shape(obj):
    """The keys of nested objects, not their values: what must match."""
    if isinstance(obj, Mapping):
        return {k: shape(v) for k, v in sorted(obj.items())}
    return type(obj).__name__


async def transcript(path):
    t = {}
    # Before negotiation, with a raw socket: the library always negotiates.
    s, f = raw_connect(path)
    greeting = raw_line(f)
    t["greeting"] = shape(greeting)
    s.sendall(b'{"execute": "query-status", "id": 1}')
    a = raw_line(f)
    t["before_negotiation"] = [a["error"]["class"], a.get("id")]
    s.sendall(b'{"execute": "qmp_capabilities"}')
    t["negotiation"] = raw_line(f)
    s.sendall(b'{"execute": "no-such-command"}')
    t["unknown_command"] = raw_line(f)["error"]["class"]
    s.sendall(b"{]\n")
    t["garbage"] = raw_line(f)["error"]["class"]
    f.close()  # the file holds the socket open too, and QEMU serves one
    s.close()  # client at a time

    c = QMPClient("check")
    await c.connect(path)
    statuses = []
    statuses.append(await c.execute("query-status"))
    t["stop"] = await c.execute("stop")
    stop = await asyncio.wait_for(wait_event(c, "STOP"), 30)
    statuses.append(await c.execute("query-status"))
    t["cont"] = await c.execute("cont")
    await asyncio.wait_for(wait_event(c, "RESUME"), 30)
    statuses.append(await c.execute("query-status"))
    t["status"] = statuses
    t["event"] = shape(stop)
    await c.disconnect()

    # quit with a raw socket: the library hides which came first, the
    # answer or SHUTDOWN (QEMU 7.2: the event), and what follows.
    s, f = raw_connect(path)
    raw_line(f)
    s.sendall(b'{"execute": "qmp_capabilities"}')
    raw_line(f)
    s.sendall(b'{"execute": "quit", "id": "q"}')
    t["quit"] = []
    for line in f:  # until the server hangs up
        m = json.loads(line)
        if "event" in m:
            t["quit"].append(m["event"])
            if m["event"] == "SHUTDOWN":
                t["shutdown"] = m.get("data")
        else:
            t["quit"].append(m)
    f.close()
    s.close()
    print(json.dumps(t, indent=1, sort_keys=True))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Good:
    """A well-behaved client: must be answered after every attack."""

    def __init__(self, path):
        self.s, self.f = raw_connect(path)
        raw_line(self.f)
        self.s.sendall(b'{"execute": "qmp_capabilities"}')
        raw_line(self.f)

    def check(self, what):
        t0 = time.monotonic()
        self.s.sendall(b'{"execute": "query-status", "id": "good"}\n')
        while True:
            a = raw_line(self.f)
            if a.get("id") == "good":
                break
        dt = time.monotonic() - t0
        if a["return"]["status"] not in ("running", "paused") or dt > 1:
            raise AssertionError(f"after {what}: {a} in {dt:.3f} s")
        print(f"ok {what}: good client answered in {dt * 1e3:.2f} ms")


def expect_error(path, payload, want):
    s, f = raw_connect(path)
    raw_line(f)
    s.sendall(b'{"execute": "qmp_capabilities"}')
    raw_line(f)
    s.sendall(payload)
    a = raw_line(f)
    if "error" not in a or want not in a["error"]["desc"]:
        raise AssertionError(f"{payload[:40]!r}: {a}")
    s.close()


def hostile(path, pid):
    good = Good(path)
    good.check("start")

    expect_error(path, b"garbage\n", "JSON parse error")
    expect_error(path, b'{"execute": "\xff\xfe"}', "JSON parse error")
    expect_error(path, b'{"execute": "a\x00b"}', "JSON parse error")
    expect_error(path, b"[" * 20000 + b"]" * 20000, "maximum parsing depth")
    expect_error(path, b'{"execute": "stop", "arguments": {"now": 1}}', "unexpected")
    good.check("garbage, invalid UTF-8, NUL, deep nesting, bad arguments")

    # A 100 MiB line: the server must hang up long before it is sent.
    rss0 = rss_kib(pid)
    s, f = raw_connect(path)
    raw_line(f)
    chunk = b"a" * (1 << 16)
    sent = 0
    s.sendall(b'{"execute": "')
    try:
        while sent < 100 << 20:
            s.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    s.close()
    rss1 = rss_kib(pid)
    if sent >= 100 << 20:
        raise AssertionError("a 100 MiB line was accepted")
    if rss1 - rss0 > 4096:
        raise AssertionError(f"RSS grew {rss1 - rss0} KiB for a long line")
    print(f"ok 100 MiB line: dropped after {sent >> 10} KiB sent, RSS {rss0} -> {rss1} KiB")
    good.check("100 MiB line")

    deep = b"[" * 100000
    s, f = raw_connect(path)
    raw_line(f)
    try:
        s.sendall(deep)
        a = raw_line(f)
        if "longer than" not in a["error"]["desc"]:
            raise AssertionError(a)
        raw_line(f)  # then EOF
        raise AssertionError("still connected after an over-long message")
    except (EOFError, ConnectionResetError, BrokenPipeError):
        pass
    s.close()
    good.check("100000-deep nesting past the size limit")

    # Disconnect in the middle of a command.
    for cut in (b'{"execute": "qu', b'{"execute": "stop", "id": ', b"{"):
        s, f = raw_connect(path)
        raw_line(f)
        s.sendall(b'{"execute": "qmp_capabilities"}')
        raw_line(f)
        s.sendall(cut)
        s.close()
    good.check("disconnect mid-command")

    # A client that sends and never reads: dropped at its output bound.
    s, f = raw_connect(path)
    s.setblocking(False)
    req = b'{"execute": "qmp_capabilities"}' + b'{"execute": "query-commands"}' * 4000
    dropped = False
    try:
        for _ in range(200):
            try:
                s.send(req)
            except BlockingIOError:
                time.sleep(0.01)
    except (BrokenPipeError, ConnectionResetError):
        dropped = True
    good.check("a client that does not read")
    s.setblocking(True)
    s.settimeout(5)
    try:
        while s.recv(1 << 20):
            pass
        dropped = True
    except (ConnectionResetError, BrokenPipeError):
        dropped = True
    s.close()
    if not dropped:
        raise AssertionError("a client that does not read was never dropped")
    print("ok non-reader dropped")

    # More clients than the limit: the extra one is told and closed.
    extra = []
    refused = 0
    for _ in range(12):
        s, f = raw_connect(path)
        m = raw_line(f)
        if "error" in m:
            refused += 1
            s.close()
        else:
            extra.append(s)
    for s in extra:
        s.close()
    if refused == 0:
        raise AssertionError("no client was refused past the limit")
    print(f"ok {len(extra)} more clients served, {refused} refused")
    good.check("too many clients")
    time.sleep(0.1)
    Good(path).check("a new client after all that")


def slots(path):
    held = []
    for i in range(8):
        s, f = raw_connect(path)
        m = raw_line(f)
        if "QMP" not in m:
            raise AssertionError(f"client {i + 1} of 8 not greeted: {m}")
        held.append((s, f))
    # Idle for a while: nothing times them out (QEMU has no idle timeout
    # either), and the ninth is told at once, not left waiting.
    time.sleep(0.5)
    for _ in range(2):
        s, f = raw_connect(path)
        m = raw_line(f)
        if m.get("error", {}).get("desc") != "too many control clients":
            raise AssertionError(f"a 9th client was not refused: {m}")
        if f.readline():
            raise AssertionError("the refused client was not closed")
        s.close()
    print("ok 8 idle clients served, the 9th refused and closed")
    # The idle ones are still served.
    s, f = held[3]
    s.sendall(b'{"execute": "qmp_capabilities"}{"execute": "query-status"}')
    raw_line(f)
    if raw_line(f)["return"]["status"] != "running":
        raise AssertionError("an idle client was not answered")
    f.close()
    s.close()
    for _ in range(100):  # the server notices the hang-up from its loop
        s, f = raw_connect(path)
        m = raw_line(f)
        if "QMP" in m:
            break
        s.close()
        time.sleep(0.01)
    else:
        raise AssertionError("a slot freed by a leaving client was not reused")
    print("ok one left: a new client takes its slot")
    for s, f in held:
        s.close()


async def wait_shutdown(path):
    c = QMPClient("shutdown")
    await c.connect(path)
    print("negotiated", flush=True)
    ev = await asyncio.wait_for(wait_event(c, "SHUTDOWN"), 60)
    print(json.dumps(ev["data"], sort_keys=True), flush=True)
    try:
        await c.disconnect()
    except EOFError:
        pass


async def rtt(path, n):
    c = QMPClient("rtt")
    await c.connect(path)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await c.execute("query-status")
        times.append(time.perf_counter() - t0)
    await c.disconnect()
    print(f"{statistics.median(times) * 1e6:.1f}")


async def timed(c, cmd):
    t0 = time.perf_counter()
    r = await c.execute(cmd)
    return time.perf_counter() - t0, r


async def bench(fpath, qpath, n, cycles):
    """Same client, same process, both servers: batches alternate between
    them (and which goes first), so drift on the host hits both alike."""
    f, q = QMPClient("bench"), QMPClient("bench")
    await f.connect(fpath)
    await q.connect(qpath)
    rtt = {f: [], q: []}
    stop = {f: [], q: []}
    own = []
    order = [f, q]
    for c in order:  # warm-up: first-use costs on either side
        for _ in range(50):
            await c.execute("query-status")
    batch = 100
    for done in range(0, n, batch):
        for c in order:
            for _ in range(min(batch, n - done)):
                rtt[c].append((await timed(c, "query-status"))[0])
        order.reverse()
    for _ in range(cycles):
        for c in order:
            dt, _ = await timed(c, "stop")
            stop[c].append(dt)
            if c is f:
                # flint's own figure for this very pause
                st = await c.execute("x-flint-query-stats")
                own.append(st["pause"]["last_ns"] / 1e3)
            await c.execute("cont")
            # let the vCPUs get back into the guest before the next stop
            await asyncio.sleep(0.002)
        order.reverse()
    for c in (f, q):
        await c.disconnect()
    med = lambda v: round(statistics.median(v) * 1e6, 1)
    print(json.dumps({
        "n": n, "cycles": cycles,
        "rtt_flint_us": med(rtt[f]), "rtt_qemu_us": med(rtt[q]),
        "stop_flint_us": med(stop[f]), "stop_qemu_us": med(stop[q]),
        "pause_flint_us": round(statistics.median(own), 1),
        "pause_flint_max_us": round(max(own), 1),
    }))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "transcript":
        asyncio.run(transcript(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "hostile":
        hostile(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "shutdown":
        asyncio.run(wait_shutdown(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "slots":
        slots(sys.argv[2])
    elif len(sys.argv) == 6 and sys.argv[1] == "bench":
        asyncio.run(bench(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    elif len(sys.argv) == 4 and sys.argv[1] == "rtt":
        asyncio.run(rtt(sys.argv[2], int(sys.argv[3])))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
