#!/usr/bin/env bash
# Packs what peft4j needs on a machine that has a GPU and PyTorch but no Java, Maven or network (such
# as a lent CUDA box) into .gpu/ (git-ignored): a jlinked Java 17 runtime and the CLI's and TrainBench's
# jars (.gpu/bundle.tar.xz, ~35 MB, without the CPU natives), DJL 0.36.0's JNI sources with their
# generated header (build-jni.sh compiles them there against PyTorch's own libtorch), the peer
# lora_ref.py and the check scripts.
#
#   mvn -q -B install -DskipTests && mvn -q -B -pl peft-bench package -DskipTests
#   peft-bench/gpu/bundle.sh /path/to/djl-checkout      # git checkout of deepjavalibrary/djl at v0.36.0
#   # then, on the GPU machine, from the repository root:
#   bash .gpu/check.sh      # the CLI end to end on CUDA (every method, QLoRA, merge, CPU/GPU agreement)
#   bash .gpu/ab.sh         # run-ab.sh on that machine's CPU, peft4j and peer over the same libtorch
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
djl="${1:?usage: bundle.sh DJL_CHECKOUT (deepjavalibrary/djl at tag v0.36.0)}"
shared="${PEFT4J_SHARED_DIR:-$repo/../shared}"
out="$repo/.gpu"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

grep -qx '/.gpu/' "$repo/.git/info/exclude" 2>/dev/null || echo '/.gpu/' >>"$repo/.git/info/exclude"
rm -rf "$out" && mkdir -p "$out/djl" "$out/shared/bench" "$work/lib"

jlink --add-modules java.base,java.logging,java.management,java.naming,java.sql,java.xml,jdk.unsupported,jdk.zipfs,jdk.crypto.ec,jdk.management \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$work/jre"
for jar in "$repo"/peft-cli/target/lib/*.jar "$repo"/peft-cli/target/peft-cli-*.jar "$repo"/peft-bench/target/peft-bench-*.jar \
    $(tr ':' '\n' <"$repo/peft-bench/target/classpath.txt" | grep -E 'jmh-core|jopt-simple|commons-math3'); do
  case "$(basename "$jar")" in pytorch-native-*) ;; *) cp "$jar" "$work/lib/" ;; esac
done
# only the linux-x86_64 natives travel
zip -q -d "$work"/lib/tokenizers-*.jar 'native/lib/linux-aarch64/*' 'native/lib/osx-aarch64/*' 'native/lib/win-x86_64/*'
zip -q -d "$work"/lib/pytorch-jni-*.jar 'jnilib/linux-aarch64/*' 'jnilib/osx-aarch64/*' 'jnilib/win-x86_64/*'
tar -cJf "$out/bundle.tar.xz" -C "$work" jre lib

native="$djl/engines/pytorch/pytorch-native/src/main/native"
[ -f "$native/ai_djl_pytorch_jni_PyTorchLibrary_tensor.cc" ] || { echo "no DJL JNI sources under $native" >&2; exit 1; }
mkdir -p "$out/djl/native" "$out/djl/api" "$out/djl/include" "$work/classes"
cp "$native"/* "$out/djl/native/"
cp -r "$djl/api/src/main/native/djl" "$out/djl/api/"
javac -cp "$(ls "$work"/lib/api-*.jar)" -sourcepath "$djl/engines/pytorch/pytorch-engine/src/main/java" \
  "$djl/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java" \
  -h "$out/djl/include" -d "$work/classes"
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
cp -r "$java_home/include" "$out/djl/jdk-include"

cp "$shared/bench/lora_ref.py" "$out/shared/bench/"
cp "$repo"/peft-bench/gpu/{build-jni.sh,check.sh,ab.sh} "$out/"
du -sh "$out"
