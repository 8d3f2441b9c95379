#!/usr/bin/env bash
# The CLI end to end on CUDA, run from the repository root of a machine with a GPU and PyTorch after
# bundle.sh: generate, LoRA training, eval of the GPU-trained adapter on CPU and on GPU, merge on GPU
# and eval of the merged checkpoint (all three must print the same numbers), QLoRA (NF4), every other
# method, and the same LoRA run on the CPU for comparison. Output: $OUT/log.txt (default /tmp/out).
#
# DJL's published JNI is compiled against libtorch 2.7.1; build-jni.sh first rebuilds it against the
# machine's own libtorch. For a dry run on this CPU-only machine:
#   TL=~/.djl.ai/pytorch/2.7.1-*-cpu-linux-x86_64 DEV=cpu STEPS=3 bash .gpu/check.sh
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
G=/tmp/g; rm -rf $G; mkdir -p $G && tar -xJf .gpu/bundle.tar.xz -C $G
if [[ -z "${TL:-}" ]]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import torch;print('torch', torch.__version__, 'cuda', torch.version.cuda)"
  TL=$(python3 -c "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))")
  FLAVOR=cu128   # any cuXXX: tells DJL to load libtorch_cuda; the JNI itself is found in $TL
  bash .gpu/build-jni.sh || { echo CHECK-ABORTED; exit 1; }
fi
export PYTORCH_LIBRARY_PATH=$TL PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=${FLAVOR:-cpu}
export DJL_OFFLINE=true OPT_OUT_TRACKING=true DJL_DISABLE_PROGRESS_BAR=true
DEV=${DEV:-gpu}; STEPS=${STEPS:-100}
p4j() { echo "+ peft4j $*"; timeout ${T:-240} $G/jre/bin/java -Xss4m -Dai.djl.offline=true -cp "$G/lib/*" io.github.peft4j.cli.Peft4j "$@"; local rc=$?; echo "exit $rc"; return $rc; }
R=/tmp/runs; rm -rf $R; mkdir -p $R
p4j generate --device $DEV --max-new-tokens 12 "How long do returns take?" || { echo CHECK-ABORTED; exit 1; }
p4j train --device $DEV --steps $STEPS --samples 1 --no-progress --output $R/lora
p4j eval --device cpu --adapter $R/lora
p4j eval --device $DEV --adapter $R/lora
p4j merge --device $DEV --adapter $R/lora --output $R/merged
p4j eval --device $DEV --model $R/merged
cp $R/lora/report.md $OUT/report-lora.md 2>/dev/null
p4j train --device $DEV --quantize nf4 --steps 20 --samples 0 --no-progress --output $R/qlora
for m in dora ia3 bottleneck bitfit prefix prompt ptuning; do
  T=120 p4j train --device $DEV --method $m --steps 10 --samples 0 --no-progress --general-eval none --output $R/$m
done
[[ "$DEV" == gpu ]] && p4j train --device cpu --threads 16 --steps $STEPS --samples 0 --no-progress --output $R/lora-cpu
echo CHECK-DONE
