#!/usr/bin/env bash
# Runs peft4j (TrainBench) and the PyTorch peer (shared/bench/lora_ref.py) alternately, A B A B ...,
# at the same thread count, on the configurations of docs/benchmarks.md, and prints the per-pair
# tokens/s ratios (peft4j / peer) and their median. Every run's JSON line and the load average
# before and after it are kept in the output directory.
#
#   peft-bench/run-ab.sh                 # the full comparison (3 pairs per configuration)
#   peft-bench/run-ab.sh --quick         # smoke: 1 pair, 2 warmup + 4 timed steps, first config only
#   peft-bench/run-ab.sh --pairs 5 --threads 2 --only llama-qv,llama-fwdbwd
#   peft-bench/run-ab.sh --peer-env default   # leave OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as exported
#   peft-bench/run-ab.sh --no-mkl-shim        # skip the third side, peft4j with the MKL-on-AMD shim
#
# Without Maven or Debian's torch: PEFT4J_BENCH_CLASSPATH (TrainBench's jars), PEFT4J_PEER_PYTHON (a
# python3 with torch) and PEFT4J_SHARED_DIR (holding bench/lora_ref.py) override the defaults.
#
# Sides: peft4j (stock), peer, and on AMD CPUs also peft4j-mkl (libtorch's MKL told the CPU is an Intel
# one through LD_PRELOAD of src/main/native/mkl_intel_cpu_shim.c; see docs/benchmarks.md).
#
# Versions differ by design: peft4j runs libtorch 2.7.1 (bundled BLAS) through DJL 0.36.0, the peer
# Debian's torch 1.13.1 with OpenBLAS. Say so next to every ratio.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
shared="${PEFT4J_SHARED_DIR:-$repo/../shared}"
peer="$shared/bench/lora_ref.py"
python="${PEFT4J_PEER_PYTHON:-/usr/bin/python3}"

pairs=3
threads=1
quick=0
only=""
peer_env=fast
# the large configuration is ~8x the work per step: fewer steps keep the whole run near 20 minutes
big_steps=(--warmup 2 --steps 5)
mkl_shim=auto
steps_args=(--warmup 3 --steps 10)
out="$repo/peft-bench/target/ab-$(date -u +%Y%m%dT%H%M%SZ)"

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; pairs=1; steps_args=(--warmup 2 --steps 4); big_steps=(); shift ;;
    --pairs) pairs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --steps) steps_args=(--warmup 3 --steps "$2"); big_steps=(); shift 2 ;;
    --peer-env) peer_env="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-mkl-shim) mkl_shim=no; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# name | flags (the peer's workload flags; both sides get the same)
configs=(
  "llama-qv|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --targets qv"
  "llama-all|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --targets all"
  "gpt2-qv|--arch gpt2 --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --targets qv"
  "llama512-qv|--arch llama --dim 512 --layers 8 --heads 8 --seq 256 --batch 4 --targets qv"
  "llama-full|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --full"
  "llama-fwd|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --mode fwd"
  "llama-fwdbwd|--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --mode fwdbwd"
)
if [ "$quick" = 1 ] && [ -z "$only" ]; then only="llama-qv"; fi

# --- the peer's dependencies (Debian's torch 1.13.1 + OpenBLAS), installed once ----------------------
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "# installing python3-torch and libopenblas0-openmp (Debian) ..." >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-openmp >&2
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-openmp >&2
  fi
fi

# --- peft4j, built once -------------------------------------------------------------------------------
export DJL_OFFLINE=true OPT_OUT_TRACKING=true DJL_DISABLE_PROGRESS_BAR=true
if [ -n "${PEFT4J_BENCH_CLASSPATH:-}" ]; then
  cp="$PEFT4J_BENCH_CLASSPATH"   # prebuilt jars, e.g. on a machine without Maven
elif [ ! -f "$repo/peft-bench/target/classpath.txt" ] || [ ! -d "$repo/peft-bench/target/classes" ]; then
  (cd "$repo" && mvn -q -o install -pl peft-core,peft-models,peft-lora,peft-train -DskipTests \
     && mvn -q -o package -pl peft-bench -DskipTests) >&2
fi
if [ -z "${PEFT4J_BENCH_CLASSPATH:-}" ]; then
  # peft4j's own modules from this checkout's target/classes, not from ~/.m2, which a parallel build
  # may rewrite while the comparison runs
  cp="$(tr ':' '\n' <"$repo/peft-bench/target/classpath.txt" | sed -E \
    "s#^.*/io/github/peft4j/(peft-[a-z]+)/[^/]+/[^/]+\.jar\$#$repo/\1/target/classes#" | paste -sd:):$repo/peft-bench/target/classes"
fi

# Same allocator settings for both processes: no per-step mmap/munmap churn of large buffers
# (shared/bench/README.md), and idle OpenMP workers that sleep instead of spinning.
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 OMP_WAIT_POLICY=PASSIVE

peer_cmd=("$python" "$peer")
if [ "$peer_env" = fast ]; then
  # the peer at its fastest: OpenBLAS picks its own (AVX-512) kernels
  peer_cmd=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" "$peer")
fi
java_cmd=(java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$threads"
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" io.github.peft4j.bench.TrainBench)

mkdir -p "$out"
sides=(peft4j peer)
if [ "$mkl_shim" = auto ] && grep -q AuthenticAMD /proc/cpuinfo && command -v gcc >/dev/null; then
  shim="$repo/peft-bench/target/libmkl_intel_cpu_shim.so"
  gcc -O2 -shared -fPIC -o "$shim" "$repo/peft-bench/src/main/native/mkl_intel_cpu_shim.c"
  sides=(peft4j peer peft4j-mkl)
fi
load() { cut -d' ' -f1-3 /proc/loadavg; }

run_one() { # side name pair flags...
  local side="$1" name="$2" pair="$3"; shift 3
  local file="$out/$name.$pair.$side"
  local before after
  before="$(load)"
  if [ "$side" = peft4j ] || [ "$side" = peft4j-mkl ]; then
    local pre=()
    if [ "$side" = peft4j-mkl ]; then pre=(env LD_PRELOAD="$shim"); fi
    "${pre[@]}" "${java_cmd[@]}" --threads "$threads" "${steps_args[@]}" "$@" --quiet >"$file.out" 2>"$file.err" || {
      echo "peft4j failed on $name (see $file.err)" >&2; tail -5 "$file.err" >&2; return 1; }
  else
    "${peer_cmd[@]}" --threads "$threads" "${steps_args[@]}" "$@" --quiet >"$file.out" 2>"$file.err" || {
      echo "peer failed on $name (see $file.err)" >&2; tail -5 "$file.err" >&2; return 1; }
  fi
  after="$(load)"
  # one JSON line per run: the program's own line plus side, pair and the load averages around it
  tail -1 "$file.out" | "$python" -c '
import json, sys
r = json.loads(sys.stdin.read())
r.update({"side": sys.argv[1], "config": sys.argv[2], "pair": int(sys.argv[3]),
          "load_before": sys.argv[4], "load_after": sys.argv[5]})
print(json.dumps(r))' "$side" "$name" "$pair" "$before" "$after" >>"$out/results.jsonl"
  printf '  %-13s pair %d %-6s %9.1f tok/s  median %7.1f ms/step  peak RSS %6.0f MiB  load %s -> %s\n' \
    "$name" "$pair" "$side" \
    "$(tail -1 "$out/results.jsonl" | "$python" -c 'import json,sys; print(json.loads(sys.stdin.read())["tokens_per_s"])')" \
    "$(tail -1 "$out/results.jsonl" | "$python" -c 'import json,sys; print(json.loads(sys.stdin.read())["ms_per_step_median"])')" \
    "$(tail -1 "$out/results.jsonl" | "$python" -c 'import json,sys; print(json.loads(sys.stdin.read())["peak_rss_mib"])')" \
    "$before" "$after"
}

echo "# peft4j vs peer: $pairs pair(s), threads $threads, steps '${steps_args[*]}', peer env '$peer_env'"
echo "# $(nproc) CPUs; load before: $(load); output: $out"
echo "# peft4j: DJL 0.36.0 + ${PYTORCH_LIBRARY_PATH:+the libtorch in }${PYTORCH_LIBRARY_PATH:-libtorch 2.7.1 (own BLAS)};" \
  "peer: $("$python" -c 'import torch; print("torch", torch.__version__)') ($python)"
for entry in "${configs[@]}"; do
  name="${entry%%|*}"; flags="${entry#*|}"
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
  read -r -a f <<<"$flags"
  if [ "$name" = llama512-qv ]; then f+=("${big_steps[@]}"); fi
  for ((p = 1; p <= pairs; p++)); do
    for side in "${sides[@]}"; do
      run_one "$side" "$name" "$p" "${f[@]}"
    done
  done
done
echo "# load after: $(load)"

"$python" - "$out/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
configs, sides = [], []
for r in rows:
    if r["config"] not in configs:
        configs.append(r["config"])
    if r["side"] != "peer" and r["side"] not in sides:
        sides.append(r["side"])
def get(c, side):
    return {r["pair"]: r for r in rows if r["config"] == c and r["side"] == side}
def span(v):
    return f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})"
print()
def cpu_ms(r):
    return 1e3 * (r["timed_user_s"] + r["timed_sys_s"]) / r["steps"]
print("| config | side | tok/s median (min-max) | peer tok/s median (min-max) | ratio per pair | median ratio "
      "| ms/step median side / peer | CPU ms/step side / peer (ratio) | peak RSS MiB side / peer |")
print("|---|---|---|---|---|---|---|---|---|")
for c in configs:
    b = get(c, "peer")
    for side in sides:
        a = get(c, side)
        pairs = sorted(set(a) & set(b))
        if not pairs:
            continue
        ratios = [a[p]["tokens_per_s"] / b[p]["tokens_per_s"] for p in pairs]
        print(f"| {c} | {side} | {span([a[p]['tokens_per_s'] for p in pairs])} "
              f"| {span([b[p]['tokens_per_s'] for p in pairs])} | {', '.join(f'{x:.2f}' for x in ratios)} "
              f"| **{statistics.median(ratios):.2f}x** "
              f"| {statistics.median(a[p]['ms_per_step_median'] for p in pairs):.0f} / "
              f"{statistics.median(b[p]['ms_per_step_median'] for p in pairs):.0f} "
              f"| {statistics.median(cpu_ms(a[p]) for p in pairs):.0f} / {statistics.median(cpu_ms(b[p]) for p in pairs):.0f} "
              f"({statistics.median(cpu_ms(b[p]) / cpu_ms(a[p]) for p in pairs):.2f}x) "
              f"| {statistics.median(a[p]['peak_rss_mib'] for p in pairs):.0f} / "
              f"{statistics.median(b[p]['peak_rss_mib'] for p in pairs):.0f} |")
def med(config, side, key="ms_per_step_median"):
    v = [r[key] for r in rows if r["config"] == config and r["side"] == side]
    return statistics.median(v) if v else None
print()
for side in sides + ["peer"]:
    lora, floor, fwd = med("llama-qv", side), med("llama-fwdbwd", side), med("llama-fwd", side)
    if lora and floor:
        print(f"{side}: llama-qv LoRA step {lora:.1f} ms / fwd+bwd floor {floor:.1f} ms = {lora / floor:.2f}x"
              + (f" (forward-only floor {fwd:.1f} ms)" if fwd else ""))
for side in sides + ["peer"]:
    for c in configs:
        st = [r.get("optimizer_state_bytes") for r in rows if r["config"] == c and r["side"] == side]
        if side != "peer" and st and st[0]:
            print(f"{side} {c}: optimizer state {st[0]:,} bytes, gradients {[r.get('gradient_bytes') for r in rows if r['config'] == c and r['side'] == side][0]:,} bytes")
PY
