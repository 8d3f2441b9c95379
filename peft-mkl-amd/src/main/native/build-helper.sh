#!/bin/sh
# Compiles the MKL vendor helper with the machine's C compiler (the Maven build runs this in
# process-classes). Never fails the build: without a compiler, or on a platform other than
# linux-x86_64 (the only one whose libtorch links MKL statically), the helper is simply left out
# and peft4j runs as before.
#   build-helper.sh <source.c> <output.so>
src="$1"
out="$2"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "[peft4j] MKL vendor helper: not linux-x86_64, left out"; exit 0 ;;
esac
cc=""
for candidate in ${CC:-} gcc cc clang; do
  if command -v "$candidate" >/dev/null 2>&1; then cc="$candidate"; break; fi
done
if [ -z "$cc" ]; then
  echo "[peft4j] MKL vendor helper: no C compiler (gcc, cc, clang), left out"
  exit 0
fi
mkdir -p "$(dirname "$out")"
if "$cc" -O2 -Wall -shared -fPIC -o "$out" "$src" -ldl; then
  echo "[peft4j] MKL vendor helper: built $out with $cc"
else
  echo "[peft4j] MKL vendor helper: $cc failed, left out"
  rm -f "$out"
fi
exit 0
