#!/usr/bin/env bash
# Resident memory at the same points of a training run on both sides: peft4j's TrainBench with
# -Dpeft4j.bench.phases=true (MemoryPhases) and the peer's phases copy (lora_ref_phases.py), with
# run-ab.sh's allocator settings, one thread. Prints one table per configuration; the JSON lines go
# to the output directory.
#
#   peft-bench/peer-probe/rss-phases.sh                        # gpt2-qv, llama-qv, llama-fwdbwd
#   peft-bench/peer-probe/rss-phases.sh --only gpt2-qv --out /tmp/phases
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PEFT4J_PEER_PYTHON:-/usr/bin/python3}"
only="gpt2-qv,llama-qv,llama-fwdbwd"
out="$repo/peft-bench/target/phases-$(date -u +%Y%m%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
declare -A configs=(
  [llama-qv]="--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --targets qv"
  [llama-all]="--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --targets all"
  [llama-fwdbwd]="--arch llama --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --mode fwdbwd"
  [gpt2-qv]="--arch gpt2 --dim 256 --layers 4 --heads 8 --seq 128 --batch 8 --targets qv"
)
export DJL_OFFLINE=true OPT_OUT_TRACKING=true DJL_DISABLE_PROGRESS_BAR=true
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 OMP_WAIT_POLICY=PASSIVE
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"
unset LD_PRELOAD PEFT4J_MKL_AMD_FIX
if [ ! -f "$repo/peft-bench/target/classpath.txt" ]; then
  (cd "$repo" && mvn -q -o -B package -pl peft-bench -am -DskipTests) >&2
fi
cp="$(tr ':' '\n' <"$repo/peft-bench/target/classpath.txt" | sed -E \
  -e "s#^.*/io/github/peft4j/(peft-[a-z-]+)/[^/]+/[^/]+\.jar\$#$repo/\1/target/classes#" | paste -sd:):$repo/peft-bench/target/classes"
jni="$out/libmallinfo_jni.so"
mkdir -p "$out"
jh="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
gcc -O2 -shared -fPIC -I"$jh/include" -I"$jh/include/linux" -o "$jni" "$here/mallinfo_jni.c" -ldl
# PHASES_LIVE=1: also count live malloc bytes and their peak between readings (an LD_PRELOAD probe)
preload=()
if [ "${PHASES_LIVE:-0}" = 1 ]; then
  gcc -O2 -shared -fPIC -o "$out/libmalloc_peak.so" "$here/malloc_peak.c"
  preload=(env LD_PRELOAD="$out/libmalloc_peak.so")
fi
IFS=, read -r -a names <<<"$only"
for name in "${names[@]}"; do
  read -r -a f <<<"${configs[$name]}"
  f+=(--threads 1 --warmup 3 --steps 10 --quiet)
  echo "# $name  load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "${preload[@]}" java -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dpeft4j.bench.phases=true \
    -Dpeft4j.bench.mallinfo="$jni" ${PEFT4J_JAVA_OPTS:-} -cp "$cp" io.github.peft4j.bench.TrainBench "${f[@]}" \
    2>"$out/$name.peft4j.err" | tail -1 >"$out/$name.peft4j.json"
  "${preload[@]}" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" "$here/lora_ref_phases.py" "${f[@]}" \
    2>"$out/$name.peer.err" | tail -1 >"$out/$name.peer.json"
  "$python" "$here/phases-table.py" "$out/$name.peft4j.json" "$out/$name.peer.json" "${PHASES_FILTER:-after|step(1|2|13)_}" | tee "$out/$name.md"
done
