#!/usr/bin/env python3
"""The table at the end of a tests/bench/ area script: medians of the
samples each run wrote, flint against its peer, the ratio and the target.

    summary.py SAMPLES ROW...

SAMPLES holds one sample a line, `METRIC WHO VALUE` (WHO: flint, or the
peer's and the floor's names the rows use); lines starting with # and
anything after the third field are ignored.  A ROW is
`METRIC|LABEL|PEER|FLOOR|TARGET`: PEER and FLOOR name a WHO or are `-`.
TARGET is `<=X` or `>=X` (flint's median itself), `ratio<=X` or
`ratio>=X` (flint's median over the peer's), several of those joined by
`&` (met when all are), or `-`.  A row without flint
samples (no KVM) shows the others and judges nothing.
"""
import statistics, sys


def load(path):
    s = {}
    for line in open(path, errors="replace"):
        f = line.split()
        if len(f) < 3 or f[0].startswith("#"):
            continue
        try:
            s.setdefault((f[0], f[1]), []).append(float(f[2]))
        except ValueError:
            pass
    return s


def fmt(v):
    if v is None:
        return "—"
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def judge(target, flint, peer):
    if target == "-":
        return "", None
    if "&" in target:
        parts = [judge(t, flint, peer) for t in target.split("&")]
        descs = [d.rsplit(": ", 1)[0] for d, _ in parts]
        oks = [ok for _, ok in parts]
        if None in oks:
            return " and ".join(descs) + ": not judged", None
        return " and ".join(descs) + (": met" if all(oks) else ": NOT met"), all(oks)
    kind, _, num = target.partition("=")
    op, x = kind[-1], float(num)
    ratio = kind.startswith("ratio")
    desc = ("flint/peer " if ratio else "") + op + "= " + num
    if flint is None:
        return desc + ": not judged (no flint figure)", None
    v = flint / peer if ratio and peer else (None if ratio else flint)
    if v is None:
        return desc + ": not judged (no peer figure)", None
    met = v <= x if op == "<" else v >= x
    return desc + (": met" if met else ": NOT met"), met


def main():
    s = load(sys.argv[1])
    med = lambda m, who: statistics.median(s[(m, who)]) if (m, who) in s else None
    rows = []
    for spec in sys.argv[2:]:
        metric, label, peer, floor, target = spec.split("|")
        f = med(metric, "flint")
        p = med(metric, peer) if peer != "-" else None
        fl = med(metric, floor) if floor != "-" else None
        n = len(s.get((metric, "flint"), s.get((metric, peer), [])))
        ratio = f / p if f is not None and p else None
        verdict, _ = judge(target, f, p)
        rows.append((label, fmt(f) if f is not None else "missing", fmt(p), fmt(fl),
                     fmt(ratio), str(n), verdict))
    head = ("what (medians)", "flint", "peer", "floor", "flint/peer", "n", "target")
    w = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  " + "  ".join(c.ljust(w[i]) if i in (0, 6) else c.rjust(w[i]) for i, c in enumerate(r)).rstrip())


if __name__ == "__main__":
    main()
