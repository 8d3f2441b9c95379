#!/usr/bin/env bash
# The real-scale benchmark of issue 20 (docs/benchmarks.md, "Real-scale checkpoints"): for each model,
# writes a random-weight BF16 checkpoint shaped like the Hub's (once, cached), then in a fresh JVM loads
# it, trains LoRA for 5 steps at seq 256 batch 1, saves the adapter and merges (ScaleBench: one JSON line
# per model and pair).
#
# PEER=1 also runs the like-for-like PyTorch peer (peft-bench/peer/hub_lora_ref.py: the same checkpoint,
# GQA, tied head, q/k/v biases, RoPE scaling, the same tokens, LoRA, AdamW and steps), alternately with
# ScaleBench (pair 1 peft4j first, pair 2 the peer first, ...), at its fastest (OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset, the malloc thresholds of shared/bench/README.md; PEER_DEFAULT_ENV=1 keeps the
# caller's environment), then prints the pairs (peer/pair_summary.py). PEER=nearest runs the older
# comparison instead: shared/bench/lora_ref.py and TrainBench on the nearest shape lora_ref.py can express
# (MHA, untied head, no biases).
#
#   peft-bench/scale-bench.sh [out-dir] [model...]        models: smollm2-135m qwen2.5-0.5b llama-3.2-1b
#   PEER=1 PAIRS=3 THREADS=2 peft-bench/scale-bench.sh runs/peer smollm2-135m qwen2.5-0.5b llama-3.2-1b
#   TARGETS=all PEER=nearest PAIRS=2 SCALE_FLAGS="--rank 8" peft-bench/scale-bench.sh runs/scale smollm2-135m
#
# SCALE_FLAGS go to ScaleBench and (PEER=1) to the peer, which takes the same --rank --alpha --steps --seq
# --batch --lr --seed and ignores ScaleBench's own --head-loss --save-merged.
# Needs peft-bench packaged (mvn -o -B package -DskipTests -pl peft-bench -am). Writes <out-dir>/scale.jsonl
# (ScaleBench), <out-dir>/peer.jsonl (the peer's lines; with PEER=nearest lora_ref.py's and TrainBench's),
# and the checkpoints under <out-dir>/checkpoints.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
out="${1:-runs/scale-bench}"
shift || true
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(smollm2-135m qwen2.5-0.5b llama-3.2-1b)
targets="${TARGETS:-qv}"
pairs="${PAIRS:-1}"
threads="${THREADS:-2}"
peer_mode="${PEER:-0}"
cp="$(cat peft-bench/target/classpath.txt):peft-bench/target/classes"
nearest_peer="${PEER_SCRIPT:-../shared/bench/lora_ref.py}"
mkdir -p "$out"
peer_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE MALLOC_MMAP_THRESHOLD_=33554432
  MALLOC_TRIM_THRESHOLD_=4294967296)
[[ "${PEER_DEFAULT_ENV:-0}" != 1 ]] || peer_env=(env)

# the old peer's nearest shape: same vocabulary, width, depth, heads and FFN; MHA, untied, no q/k/v bias
nearest() {
  case "$1" in
    smollm2-135m) echo "--vocab 49152 --dim 576 --layers 30 --heads 9 --ffn 1536" ;;
    qwen2.5-0.5b) echo "--vocab 151936 --dim 896 --layers 24 --heads 14 --ffn 4864" ;;
    llama-3.2-1b) echo "--vocab 128256 --dim 2048 --layers 16 --heads 32 --ffn 8192" ;;
  esac
}

# one JSON line per run, tagged with its pair number
scale_bench() { # model pair
  # shellcheck disable=SC2086
  java -cp "$cp" io.github.peft4j.bench.scale.ScaleBench --model "$1" --cache "$out/checkpoints" \
      --out "$out/$1" --targets "$targets" --threads "$threads" ${SCALE_FLAGS:-} | tail -1 \
      | sed "s/^{/{\"pair\":$2,/" | tee -a "$out/scale.jsonl"
}
hub_peer() { # model pair
  # shellcheck disable=SC2086
  "${peer_env[@]}" /usr/bin/python3 peft-bench/peer/hub_lora_ref.py --checkpoint "$out/checkpoints/$1" \
      --targets "$targets" --threads "$threads" ${SCALE_FLAGS:-} | tail -1 \
      | sed "s/^{/{\"pair\": $2, /" | tee -a "$out/peer.jsonl"
}
nearest_pair() { # model
  local flags
  flags="$(nearest "$1") --seq 256 --batch 1 --warmup 0 --steps 5 --rank 16 --alpha 32 --lora-dropout 0.05"
  flags="$flags --lr 1e-4 --targets $targets --threads $threads --quiet"
  # shellcheck disable=SC2086
  /usr/bin/python3 "$nearest_peer" $flags | tail -1 | sed "s/^{/{\"model\": \"$1\", /" | tee -a "$out/peer.jsonl"
  # shellcheck disable=SC2086
  java -cp "$cp" io.github.peft4j.bench.TrainBench $flags | tail -1 | sed "s/^{/{\"model\":\"$1\",/" \
      | tee -a "$out/peer.jsonl"
}

for m in "${models[@]}"; do
  java -cp "$cp" io.github.peft4j.bench.scale.ScaleBench --model "$m" --cache "$out/checkpoints" \
      --prepare-only >/dev/null
  for ((p = 1; p <= pairs; p++)); do
    echo "== $m pair $p: load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    case "$peer_mode" in
      1) if ((p % 2)); then scale_bench "$m" "$p"; hub_peer "$m" "$p"; else hub_peer "$m" "$p"; scale_bench "$m" "$p"; fi ;;
      nearest) scale_bench "$m" "$p"; nearest_pair "$m" ;;
      *) scale_bench "$m" "$p" ;;
    esac
  done
done
if [[ "$peer_mode" == 1 ]]; then
  /usr/bin/python3 peft-bench/peer/pair_summary.py "$out/scale.jsonl" "$out/peer.jsonl" >&2
fi
