#!/usr/bin/env bash
# Runs the JMH microbenchmarks of peft-bench (io.github.peft4j.bench.jmh) with org.openjdk.jmh.Main on
# the module's runtime classpath, one intra-op thread, and keeps the JSON results and the load
# average before and after the run in peft-bench/target/jmh-<time>/.
#
#   peft-bench/run-jmh.sh                          # all three, short settings (see defaults below)
#   peft-bench/run-jmh.sh MergeBench               # a regex of benchmarks, as JMH takes it
#   peft-bench/run-jmh.sh -- -wi 5 -i 10 -f 2      # anything after -- replaces the default JMH options
#   PEFT4J_JMH_THREADS=2 peft-bench/run-jmh.sh     # libtorch intra-op threads (default 1)
#
# Builds the module first when target/classpath.txt or the JMH benchmark list is missing
# (needs peft-core, peft-models, peft-lora, peft-train installed: mvn -o install -DskipTests).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
threads="${PEFT4J_JMH_THREADS:-1}"

filter=()
# 5 warmup iterations: the LoRA path needs that many to reach steady state (docs/benchmarks.md)
jmh_opts=(-wi 5 -i 5 -f 1 -w 1s -r 1s -t 1)
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; jmh_opts=("$@"); break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) filter+=("$1"); shift ;;
  esac
done
[ ${#filter[@]} -gt 0 ] || filter=('io.github.peft4j.bench.jmh.')

# Every JVM (this one and JMH's forks, which inherit the environment) runs offline.
export DJL_OFFLINE=true OPT_OUT_TRACKING=true DJL_DISABLE_PROGRESS_BAR=true

if [ ! -f "$here/target/classpath.txt" ] || [ ! -f "$here/target/classes/META-INF/BenchmarkList" ]; then
  (cd "$repo" && mvn -q -o package -pl peft-bench -DskipTests)
fi

out="$here/target/jmh-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
{ echo "start $(date -u +%FT%TZ) $(uptime)"; } | tee "$out/load.txt"
java -Dai.djl.offline=true -cp "$(cat "$here/target/classpath.txt"):$here/target/classes" \
  org.openjdk.jmh.Main "${filter[@]}" "${jmh_opts[@]}" \
  -jvmArgsAppend "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$threads -Dai.djl.pytorch.num_interop_threads=1" \
  -rf json -rff "$out/results.json" 2>&1 | tee "$out/jmh.log"
{ echo "end   $(date -u +%FT%TZ) $(uptime)"; } | tee -a "$out/load.txt"
echo "results: $out"
