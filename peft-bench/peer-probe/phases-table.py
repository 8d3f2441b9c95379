#!/usr/bin/env python3
"""Side-by-side table of two rss_phases lists (peft4j's TrainBench, the peer's lora_ref_phases.py):
per phase both sides' VmRSS, VmHWM, anonymous pages and glibc bytes in use / arena, in MiB."""
import json
import sys


def load(path):
    with open(path) as f:
        r = json.loads(f.read().strip().splitlines()[-1])
    return r, {p["phase"]: p for p in r["rss_phases"]}


def fmt(p, key):
    v = p.get(key) if p else None
    return "" if v is None else f"{v:.0f}"


a, pa = load(sys.argv[1])
b, pb = load(sys.argv[2])
order = [k for k in pa] + [k for k in pb if k not in pa]
if len(sys.argv) > 3:  # a phase-name filter, e.g. "step(1|2|13)_|after"
    import re
    order = [k for k in order if re.search(sys.argv[3], k)]
keys = ["rss", "hwm", "anon", "malloc_arena", "live", "live_peak", "djl_arrays", "djl_array_mib"]
print(f"peak RSS peft4j {a['peak_rss_mib']:.0f} / peer {b['peak_rss_mib']:.0f} MiB "
      f"({a['peak_rss_mib'] / b['peak_rss_mib']:.2f}x)")
print("| phase | " + " | ".join(f"{k} p4j / peer" for k in keys) + " |")
print("|---|" + "---|" * len(keys))
for ph in order:
    x, y = pa.get(ph), pb.get(ph)
    print(f"| {ph} | " + " | ".join(f"{fmt(x, k)} / {fmt(y, k)}" for k in keys) + " |")
