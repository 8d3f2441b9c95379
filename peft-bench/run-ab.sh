#!/usr/bin/env bash
# Runs peft4j (TrainBench) and the PyTorch peer (shared/bench/lora_ref.py) alternately, A B A B ...,
# at the same thread count, on the configurations of docs/benchmarks.md, and prints per configuration
# and thread count the per-pair tokens/s ratios (peft4j / peer), their median, CPU time and peak RSS,
# the LoRA step over its frozen floor, and each target of issue 23 as met / not met. Every run's JSON
# line and the load average before and after it are kept in the output directory.
#
#   peft-bench/run-ab.sh                      # the issue's table at 1 and 2 threads, 3 pairs each
#   peft-bench/run-ab.sh --quick              # smoke: 1 pair of llama-qv, 1 thread, 2 + 4 steps
#   peft-bench/run-ab.sh --threads 2 --pairs 5 --only llama-qv,llama-fwdbwd
#   peft-bench/run-ab.sh --with-nofix         # a third side: peft4j with the MKL-on-AMD fix opted out
#   peft-bench/run-ab.sh --only all           # also llama-full and llama-fwd
#   peft-bench/run-ab.sh --peer-env default   # leave OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as exported
#
# peft4j runs with its defaults: no LD_PRELOAD, no MKL setting (peft-mkl-amd applies itself), the
# launcher's malloc setting (MALLOC_ARENA_MAX=1, for both sides), only the thread count is set, as on
# the peer. Without Maven or Debian's torch: PEFT4J_BENCH_CLASSPATH
# (TrainBench's jars), PEFT4J_PEER_PYTHON (a python3 with torch) and PEFT4J_SHARED_DIR (holding
# bench/lora_ref.py) override the defaults.
#
# Versions differ by design: peft4j runs libtorch 2.7.1 (bundled oneMKL) through DJL 0.36.0, the peer
# Debian's torch 1.13.1 with OpenBLAS. Say so next to every ratio.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
shared="${PEFT4J_SHARED_DIR:-$repo/../shared}"
peer="$shared/bench/lora_ref.py"
python="${PEFT4J_PEER_PYTHON:-/usr/bin/python3}"

pairs=3
thread_list="1,2"
only="llama-qv,llama-all,llama-fwdbwd,smollm-qv,gpt2-qv,llama512-qv"
peer_env=fast
nofix=0
steps_args=(--warmup 3 --steps 10)
# the large configurations are 8-30x the work per step: fewer steps keep the whole run near 30 minutes
big_steps=(--warmup 2 --steps 5)
out="$repo/peft-bench/target/ab-$(date -u +%Y%m%dT%H%M%SZ)"

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) pairs=1; thread_list=1; only=llama-qv; steps_args=(--warmup 2 --steps 4); shift ;;
    --pairs) pairs="$2"; shift 2 ;;
    --threads) thread_list="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --steps) steps_args=(--warmup 3 --steps "$2"); big_steps=("${steps_args[@]}"); shift 2 ;;
    --peer-env) peer_env="$2"; shift 2 ;;
    --with-nofix) nofix=1; shift ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# name | flags (the peer's workload flags; both sides get the same)
configs=(
  "llama-qv|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --targets qv"
  "llama-all|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --targets all"
  "llama-fwdbwd|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --mode fwdbwd"
  "smollm-qv|--arch llama --vocab 49152 --dim 576 --layers 30 --heads 9 --ffn 1536 --seq 256 --batch 2 --targets qv"
  "gpt2-qv|--arch gpt2 --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --targets qv"
  "llama512-qv|--arch llama --dim 512 --layers 8 --heads 8 --seq 256 --batch 4 --targets qv"
  "llama512-fwdbwd|--arch llama --dim 512 --layers 8 --heads 8 --seq 256 --batch 4 --mode fwdbwd"
  "llama-full|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --full"
  "llama-fwd|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --mode fwd"
)
big_configs=",smollm-qv,llama512-qv,llama512-fwdbwd,"

# --- the peer's dependencies (Debian's torch 1.13.1 + OpenBLAS), installed once ----------------------
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "# installing python3-torch and libopenblas0-openmp (Debian) ..." >&2
  sudo=(); if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-openmp >&2
fi

# --- peft4j, built once in the reactor (never installed into ~/.m2) -------------------------------------
export DJL_OFFLINE=true OPT_OUT_TRACKING=true DJL_DISABLE_PROGRESS_BAR=true
if [ -n "${PEFT4J_BENCH_CLASSPATH:-}" ]; then
  cp="$PEFT4J_BENCH_CLASSPATH"   # prebuilt jars, e.g. on a machine without Maven
else
  if [ ! -f "$repo/peft-bench/target/classpath.txt" ] || [ ! -d "$repo/peft-bench/target/classes" ]; then
    (cd "$repo" && mvn -q -o -B package -pl peft-bench -am -DskipTests -Dmaven.javadoc.skip=true \
       -Dmaven.source.skip=true) >&2
  fi
  # peft4j's own modules from this checkout's target/classes, never from ~/.m2 or a jar a parallel
  # build may rewrite while the comparison runs
  cp="$(tr ':' '\n' <"$repo/peft-bench/target/classpath.txt" | sed -E \
    -e "s#^.*/io/github/peft4j/(peft-[a-z-]+)/[^/]+/[^/]+\.jar\$#$repo/\1/target/classes#" \
    -e "s#^$repo/(peft-[a-z-]+)/target/[^/]+\.jar\$#$repo/\1/target/classes#" | paste -sd:):$repo/peft-bench/target/classes"
fi

# Same allocator settings for both processes: no per-step mmap/munmap churn of large buffers
# (shared/bench/README.md), idle OpenMP workers that sleep instead of spinning, and one malloc arena,
# which the peer's single-threaded Python uses anyway and the peft4j launcher sets by default
# (MALLOC_ARENA_MAX=1: the JVM's main thread would otherwise get a secondary arena whose 64 MiB heaps
# glibc unmaps when they empty; docs/benchmarks.md, "LoRA step cost").
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 OMP_WAIT_POLICY=PASSIVE
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"
unset LD_PRELOAD PEFT4J_MKL_AMD_FIX

peer_cmd=("$python" "$peer")
if [ "$peer_env" = fast ]; then
  # the peer at its fastest: OpenBLAS picks its own (AVX-512) kernels
  peer_cmd=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" "$peer")
fi

mkdir -p "$out"
sides=(peft4j peer)
if [ "$nofix" = 1 ]; then sides+=(peft4j-nofix); fi
load() { cut -d' ' -f1-3 /proc/loadavg; }
field() { "$python" -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }

run_one() { # side name pair threads flags...
  local side="$1" name="$2" pair="$3" threads="$4"; shift 4
  local file="$out/$name.t$threads.$pair.$side"
  local before after cmd
  before="$(load)"
  case "$side" in
    peft4j) cmd=(java -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn
                 -cp "$cp" io.github.peft4j.bench.TrainBench) ;;
    peft4j-nofix) cmd=(env PEFT4J_MKL_AMD_FIX=false java -Dai.djl.offline=true
                 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" io.github.peft4j.bench.TrainBench) ;;
    peer) cmd=("${peer_cmd[@]}") ;;
  esac
  "${cmd[@]}" --threads "$threads" "$@" --quiet >"$file.out" 2>"$file.err" || {
    echo "$side failed on $name (see $file.err)" >&2; tail -5 "$file.err" >&2; return 1; }
  after="$(load)"
  # one JSON line per run: the program's own line plus side, pair and the load averages around it
  tail -1 "$file.out" | "$python" -c '
import json, sys
r = json.loads(sys.stdin.read())
r.update({"side": sys.argv[1], "config": sys.argv[2], "pair": int(sys.argv[3]), "threads_asked": int(sys.argv[4]),
          "load_before": sys.argv[5], "load_after": sys.argv[6]})
print(json.dumps(r))' "$side" "$name" "$pair" "$threads" "$before" "$after" >>"$out/results.jsonl"
  local last; last="$(tail -1 "$out/results.jsonl")"
  printf '  %-15s t%s pair %d %-12s %9.1f tok/s  median %8.1f ms/step  peak RSS %6.0f MiB  load %s -> %s\n' \
    "$name" "$threads" "$pair" "$side" "$(field tokens_per_s <<<"$last")" "$(field ms_per_step_median <<<"$last")" \
    "$(field peak_rss_mib <<<"$last")" "$before" "$after"
}

IFS=, read -r -a threads_all <<<"$thread_list"
echo "# peft4j vs peer: $pairs pair(s), threads $thread_list, steps '${steps_args[*]}' (large: '${big_steps[*]}'), peer env '$peer_env'"
echo "# $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); load before: $(load); output: $out"
echo "# peft4j: DJL 0.36.0 + ${PYTORCH_LIBRARY_PATH:+the libtorch in }${PYTORCH_LIBRARY_PATH:-libtorch 2.7.1 (own oneMKL)}, $(java -version 2>&1 | head -1);" \
  "peer: $("$python" -c 'import torch; print("torch", torch.__version__)') ($python)"
for entry in "${configs[@]}"; do
  name="${entry%%|*}"; flags="${entry#*|}"
  if [ "$only" != all ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
  read -r -a f <<<"$flags"
  if [[ "$big_configs" == *",$name,"* ]]; then f+=("${big_steps[@]}"); else f+=("${steps_args[@]}"); fi
  for ((p = 1; p <= pairs; p++)); do
    for t in "${threads_all[@]}"; do
      for side in "${sides[@]}"; do
        run_one "$side" "$name" "$p" "$t" "${f[@]}"
      done
    done
  done
done
echo "# load after: $(load)"

"$python" "$here/ab-summary.py" "$out/results.jsonl" | tee "$out/summary.md"
