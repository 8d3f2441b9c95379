#!/usr/bin/env bash
# peft-bench/run-ab.sh on the CPU of a machine with PyTorch but no Maven (after bundle.sh): peft4j and
# the peer run over the SAME libtorch (the machine's PyTorch wheel, DJL's JNI rebuilt against it by
# build-jni.sh), so the ratio measures peft4j + DJL + the JVM, not two builds of libtorch.
#   THREADS=4 PAIRS=3 ONLY=llama-qv,llama-fwdbwd bash .gpu/ab.sh     # -> $OUT/ab-log.txt, $OUT/ab.tar.gz
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
exec > >(tee "$OUT/ab-log.txt") 2>&1
G=/tmp/g; [ -x $G/jre/bin/java ] || { rm -rf $G; mkdir -p $G; tar -xJf .gpu/bundle.tar.xz -C $G; }
TORCH=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))")
[ -f $TORCH/lib/libdjl_torch.so ] || bash .gpu/build-jni.sh || exit 1
lscpu | grep -E "Model name|^CPU\(s\)|Thread|Socket|L3"
python3 -c "import torch; print(torch.__version__); print(torch.__config__.parallel_info())" | head -12
export PATH=$G/jre/bin:$PATH PYTORCH_LIBRARY_PATH=$TORCH/lib PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128
export PEFT4J_BENCH_CLASSPATH="$G/lib/*" PEFT4J_PEER_PYTHON=$(command -v python3) PEFT4J_SHARED_DIR=$PWD/.gpu/shared
bash peft-bench/run-ab.sh --threads ${THREADS:-4} --pairs ${PAIRS:-3} \
  --only ${ONLY:-llama-qv,llama-all,gpt2-qv,llama512-qv,llama-full,llama-fwdbwd} --out /tmp/ab
tar -czf $OUT/ab.tar.gz -C /tmp ab
