#!/usr/bin/env python3
"""Summarises run-ab.sh's results.jsonl as Markdown: per configuration and thread count the tokens/s
ratio peft4j / peer per pair and its median, CPU time and peak RSS; the LoRA step over its frozen
fwd+bwd floor; peft4j at 2 threads over 1; and the targets of issue 23, met or not.

    python3 peft-bench/ab-summary.py peft-bench/target/ab-<time>/results.jsonl
"""
import json
import statistics
import sys

# LoRA configuration -> its frozen forward+backward floor (same model, no LoRA, no optimizer)
FLOORS = {"llama-qv": "llama-fwdbwd", "llama-all": "llama-fwdbwd", "llama512-qv": "llama512-fwdbwd"}


def main(path):
    rows = [json.loads(line) for line in open(path)]
    configs, sides, threads = [], [], []
    for r in rows:
        for seq, value in ((configs, r["config"]), (threads, r["threads_asked"])):
            if value not in seq:
                seq.append(value)
        if r["side"] != "peer" and r["side"] not in sides:
            sides.append(r["side"])
    threads.sort()

    def get(config, side, t):
        return {r["pair"]: r for r in rows if r["config"] == config and r["side"] == side and r["threads_asked"] == t}

    def med(config, side, t, key="ms_per_step_median"):
        v = [r[key] for r in get(config, side, t).values()]
        return statistics.median(v) if v else None

    def span(v):
        return f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})"

    def cpu_ms(r):
        return 1e3 * (r["timed_user_s"] + r["timed_sys_s"]) / r["steps"]

    print("| config | threads | side | tok/s median (min-max) | peer tok/s median (min-max) | ratio per pair "
          "| median ratio | CPU ms/step side / peer (ratio) | peak RSS MiB side / peer |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratio = {}
    for c in configs:
        for t in threads:
            b = get(c, "peer", t)
            for side in sides:
                a = get(c, side, t)
                pairs = sorted(set(a) & set(b))
                if not pairs:
                    continue
                ratios = [a[p]["tokens_per_s"] / b[p]["tokens_per_s"] for p in pairs]
                ratio[(c, t, side)] = statistics.median(ratios)
                rss_a = statistics.median(a[p]["peak_rss_mib"] for p in pairs)
                rss_b = statistics.median(b[p]["peak_rss_mib"] for p in pairs)
                print(f"| {c} | {t} | {side} | {span([a[p]['tokens_per_s'] for p in pairs])} "
                      f"| {span([b[p]['tokens_per_s'] for p in pairs])} | {', '.join(f'{x:.2f}' for x in ratios)} "
                      f"| **{ratio[(c, t, side)]:.2f}x** "
                      f"| {statistics.median(cpu_ms(a[p]) for p in pairs):.0f} / "
                      f"{statistics.median(cpu_ms(b[p]) for p in pairs):.0f} "
                      f"({statistics.median(cpu_ms(b[p]) / cpu_ms(a[p]) for p in pairs):.2f}x) "
                      f"| {rss_a:.0f} / {rss_b:.0f} |")

    print("\nLoRA step / frozen fwd+bwd floor (median ms/step):\n")
    print("| config | threads | " + " | ".join(sides + ["peer"]) + " |")
    print("|---|---|" + "---|" * (len(sides) + 1))
    for c, floor in FLOORS.items():
        for t in threads:
            cells = []
            for side in sides + ["peer"]:
                lora, base = med(c, side, t), med(floor, side, t)
                cells.append(f"{lora:.0f} / {base:.0f} = {lora / base:.2f}x" if lora and base else "-")
            if any(x != "-" for x in cells):
                print(f"| {c} | {t} | " + " | ".join(cells) + " |")

    if len(threads) > 1:
        print(f"\nTokens/s at {threads[-1]} threads / at {threads[0]} (median of each):\n")
        print("| config | " + " | ".join(sides + ["peer"]) + " |")
        print("|---|" + "---|" * (len(sides) + 1))
        for c in configs:
            cells = []
            for side in sides + ["peer"]:
                hi, lo = med(c, side, threads[-1], "tokens_per_s"), med(c, side, threads[0], "tokens_per_s")
                cells.append(f"{hi / lo:.2f}x" if hi and lo else "-")
            print(f"| {c} | " + " | ".join(cells) + " |")

    side = sides[0]
    print(f"\nTargets of issue 23 for `{side}` (default settings):\n")
    print("| config | threads | tok/s ratio (>= 1.0; >= 1.3 stretch) | peak RSS side / peer (<= 1.0) | LoRA / floor (<= 1.2) |")
    print("|---|---|---|---|---|")
    for c in configs:
        for t in threads:
            if (c, t, side) not in ratio:
                continue
            r = ratio[(c, t, side)]
            rss = med(c, side, t, "peak_rss_mib") / med(c, "peer", t, "peak_rss_mib")
            floor = FLOORS.get(c)
            lora_floor = "-"
            if floor and med(c, side, t) and med(floor, side, t):
                lf = med(c, side, t) / med(floor, side, t)
                lora_floor = f"{lf:.2f}x {'met' if lf <= 1.2 else 'not met'}"
            print(f"| {c} | {t} | {r:.2f}x {'met' if r >= 1.0 else 'not met'}{' (>= 1.3)' if r >= 1.3 else ''} "
                  f"| {rss:.2f} {'met' if rss <= 1.0 else 'not met'} | {lora_floor} |")

    fixes = sorted({(r.get("mkl_amd_fix"), r.get("mkl_code_branch")) for r in rows if r["side"] == side})
    print(f"\n`{side}` MKL-on-AMD fix (status, MKL code branch): {fixes}")


if __name__ == "__main__":
    main(sys.argv[1])
