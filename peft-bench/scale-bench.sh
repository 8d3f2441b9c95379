#!/usr/bin/env bash
# The real-scale benchmark of issue 20 (docs/benchmarks.md, "Real-scale checkpoints"): for each model,
# writes a random-weight BF16 checkpoint shaped like the Hub's (once, cached), then in a fresh JVM loads
# it, trains LoRA for 5 steps at seq 256 batch 1, saves the adapter and merges (ScaleBench: one JSON line
# per model). With PEER=1, also runs the PyTorch peer (shared/bench/lora_ref.py) and TrainBench on the
# nearest shape the peer's flags can express (no GQA, untied head, no biases: see the docs), alternately.
#
#   peft-bench/scale-bench.sh [out-dir] [model...]        models: smollm2-135m qwen2.5-0.5b llama-3.2-1b
#   TARGETS=all PEER=1 PAIRS=2 SCALE_FLAGS="--rank 8" peft-bench/scale-bench.sh runs/scale smollm2-135m
#
# Needs peft-bench packaged (mvn -o -B package -DskipTests -pl peft-bench -am). Writes <out-dir>/scale.jsonl
# (ScaleBench), <out-dir>/peer.jsonl (peer and TrainBench lines), and the checkpoints under <out-dir>/checkpoints.
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
cp="$(cat peft-bench/target/classpath.txt):peft-bench/target/classes"
peer="${PEER_SCRIPT:-../shared/bench/lora_ref.py}"
mkdir -p "$out"

# the peer's nearest shape: same vocabulary, width, depth, heads and FFN; MHA, untied, no q/k/v bias
nearest() {
  case "$1" in
    smollm2-135m) echo "--vocab 49152 --dim 576 --layers 30 --heads 9 --ffn 1536" ;;
    qwen2.5-0.5b) echo "--vocab 151936 --dim 896 --layers 24 --heads 14 --ffn 4864" ;;
    llama-3.2-1b) echo "--vocab 128256 --dim 2048 --layers 16 --heads 32 --ffn 8192" ;;
  esac
}

for m in "${models[@]}"; do
  java -cp "$cp" io.github.peft4j.bench.scale.ScaleBench --model "$m" --cache "$out/checkpoints" \
      --prepare-only >/dev/null
  for ((p = 1; p <= pairs; p++)); do
    echo "== $m pair $p: load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    # shellcheck disable=SC2086
    java -cp "$cp" io.github.peft4j.bench.scale.ScaleBench --model "$m" --cache "$out/checkpoints" \
        --out "$out/$m" --targets "$targets" --threads "$threads" ${SCALE_FLAGS:-} | tail -1 | tee -a "$out/scale.jsonl"
    if [[ "${PEER:-0}" == 1 ]]; then
      flags="$(nearest "$m") --seq 256 --batch 1 --warmup 0 --steps 5 --rank 16 --alpha 32 --lora-dropout 0.05"
      flags="$flags --lr 1e-4 --targets $targets --threads $threads --quiet"
      # shellcheck disable=SC2086
      /usr/bin/python3 "$peer" $flags | tail -1 | sed "s/^{/{\"model\": \"$m\", /" | tee -a "$out/peer.jsonl"
      # shellcheck disable=SC2086
      java -cp "$cp" io.github.peft4j.bench.TrainBench $flags | tail -1 | sed "s/^{/{\"model\":\"$m\",/" \
          | tee -a "$out/peer.jsonl"
    fi
  done
done
