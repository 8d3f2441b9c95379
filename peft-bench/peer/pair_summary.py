#!/usr/bin/env python3
"""Pairs scale-bench.sh's ScaleBench lines (scale.jsonl) with the hub peer's (peer.jsonl) by checkpoint
and pair number, and prints per model and pair: tokens/s of each side and peft4j / peer, CPU s / step,
load time, peak RSS after training, and the relative difference of the first-step losses (the
like-for-like check: same checkpoint, same tokens, the loss before any update); then the median ratio.

    python3 peft-bench/peer/pair_summary.py runs/peer/scale.jsonl runs/peer/peer.jsonl
"""
import json
import statistics
import sys


def rows(path):
    with open(path) as f:
        return {(r["checkpoint"], r.get("pair", 1)): r for r in map(json.loads, filter(str.strip, f))}


def main(scale_path, peer_path):
    scale, peer = rows(scale_path), rows(peer_path)
    print("| model | pair | tokens/s peft4j | tokens/s peer | ratio | CPU s/step peft4j / peer | load s | "
          "peak RSS after train MiB | first loss peft4j / peer | rel. diff | load avg |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
    ratios = {}
    for key in sorted(scale.keys() & peer.keys()):
        a, b = scale[key], peer[key]
        model = key[0].rstrip("/").rsplit("/", 1)[-1]
        ratio = a["tokens_per_s"] / b["tokens_per_s"]
        ratios.setdefault(model, []).append(ratio)
        diff = (a["losses"][0] - b["losses"][0]) / b["losses"][0]
        load = a["load_avg_start"].split()[0] + "–" + b["load_avg_end"].split()[0]
        print(f"| {model} | {key[1]} | {a['tokens_per_s']:.1f} | {b['tokens_per_s']:.1f} | {ratio:.2f}× | "
              f"{a['cpu_s_per_step']:.2f} / {b['cpu_s_per_step']:.2f} | {a['load_s']:.1f} / {b['load_s']:.1f} | "
              f"{a['peak_rss_after_train_mib']:.0f} / {b['peak_rss_after_train_mib']:.0f} | "
              f"{a['losses'][0]:.6f} / {b['losses'][0]:.6f} | {diff:.1e} | {load} |")
    for model, r in ratios.items():
        print(f"{model}: median peft4j / peer tokens/s {statistics.median(r):.2f}× over {len(r)} pair(s)")


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
