#!/usr/bin/env bash
# The forgetting sweep of docs/training.md: trains the README's main job with one mitigation
# against forgetting at a time (and some combinations), then writes a table of the domain gain,
# the general-text forgetting and the time of each. One command, sequential runs:
#
#   peft-bench/forgetting-sweep.sh [out-dir] [extra train options...]
#
# Needs peft-cli built (mvn -o -B package -DskipTests -pl peft-cli -am); about 2 minutes a run on
# 2 cores. Writes <out-dir>/<config>/ (each run's outputs) and <out-dir>/sweep.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-runs/forgetting-sweep}"
shift || true
mkdir -p "$out"

# name | options on top of the defaults (every row names its --replay: the default is 0.25 since this sweep)
configs=(
  "no mitigation (the former defaults)|--replay 0"
  "replay 0.1|--replay 0.1"
  "replay 0.3|--replay 0.3"
  "lr 2e-3|--replay 0 --lr 2e-3"
  "attention only|--replay 0 --targets q_proj,k_proj,v_proj,o_proj"
  "rank 4|--replay 0 --rank 4 --alpha 8"
  "weight decay 0.5|--replay 0 --weight-decay 0.5"
  "budget 1.5|--replay 0 --eval-steps 25 --max-forgetting 1.5"
  "replay 0.3 + budget 1.5|--replay 0.3 --eval-steps 25 --max-forgetting 1.5"
  "replay 0.2|--replay 0.2"
  "replay 0.2 + lr 1e-2|--replay 0.2 --lr 1e-2"
  "replay 0.3 + lr 1e-2|--replay 0.3 --lr 1e-2"
  "replay 0.25 + lr 2e-2|--replay 0.25 --lr 2e-2"
  "replay 0.15|--replay 0.15"
  "replay 0.25 (the new default)|--replay 0.25"
  "replay 0.2 + batch 10|--replay 0.2 --batch 10"
  "kl 1|--replay 0 --kl-to-base 1"
  "kl 0.75|--replay 0 --kl-to-base 0.75"
  "kl 0.5|--replay 0 --kl-to-base 0.5"
  "kl 0.5, 1 row|--replay 0 --kl-to-base 0.5 --kl-rows 1"
  "replay 0.1 + kl 0.5|--replay 0.1 --kl-to-base 0.5"
)
if [[ -n "${SWEEP_ONLY:-}" ]]; then  # e.g. SWEEP_ONLY='defaults|replay 0.3' for a subset
  IFS='|' read -r -a only <<<"$SWEEP_ONLY"
fi

table="$out/sweep.md"
{
  echo "| configuration | options | steps (chosen) | domain perplexity | general perplexity | general ratio | train s | command s |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
} >"$table"
for c in "${configs[@]}"; do
  name="${c%%|*}"
  opts="${c#*|}"
  if [[ -n "${only:-}" ]] && ! printf '%s\n' "${only[@]}" | grep -qxF "$name"; then
    continue
  fi
  dir="$out/${name// /-}"
  echo "== $name: peft4j train $opts $*" >&2
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  peft-cli/peft4j train $opts --samples 0 --no-progress --output "$dir" "$@" >"$dir.log" 2>&1 \
    || { echo "$name failed, see $dir.log" >&2; continue; }
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  jq -r --arg name "$name" --arg opts "${opts:-(none)}" --arg wall "$wall" \
    --slurpfile res "$dir/train_result.json" '
    (.general.after.perplexity / .general.before.perplexity) as $ratio
    | "| \($name) | `\($opts)` | \(.training.steps)\(if ($opts | contains("forgetting")) | not then ""
          elif $res[0].best_step > 0 then " (\($res[0].best_step))" else " (none within)" end)"
      + " | \(.domain.after.perplexity * 10 | round / 10) | \(.general.after.perplexity * 10 | round / 10)"
      + " | \($ratio * 100 | round / 100) | \(.training.seconds | round) | \($wall | tonumber | round) |"' \
    "$dir/report.json" | tee -a "$table" >&2
done
echo "base: domain perplexity $(jq '.domain.before.perplexity * 10 | round / 10' "$dir/report.json")," \
  "general $(jq '.general.before.perplexity * 10 | round / 10' "$dir/report.json")" >>"$table"
cat "$table"
