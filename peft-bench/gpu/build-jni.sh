#!/usr/bin/env bash
# Builds DJL 0.36.0's PyTorch JNI (libdjl_torch.so) against the machine's own libtorch (PyTorch's wheel):
# the published JNI is compiled for libtorch 2.7.1 and inlines its TensorImpl layout.
set -u
TORCH=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))")
ABI=$(python3 -c "import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))")
g++ --version | head -1; echo "torch at $TORCH, cxx11 abi $ABI"
D=.gpu/djl; O=/tmp/obj; rm -rf $O; mkdir -p $O
export TORCH ABI D O
compile() {
  f=$1; b=$(basename $f .cc)
  for std in c++17 c++20; do
    if g++ -c -O2 -fPIC -std=$std -w -D_GLIBCXX_USE_CXX11_ABI=$ABI -I$D/include -I$D/jdk-include -I$D/jdk-include/linux \
        -I$D/api -I$TORCH/include -I$TORCH/include/torch/csrc/api/include $f -o $O/$b.o 2> $O/$b.$std.err; then
      echo "compiled $b ($std)"; return 0
    fi
  done
  echo "FAILED $b"; head -c 3000 $O/$b.c++20.err; return 1
}
export -f compile
ls $D/native/*.cc | xargs -P 16 -I{} bash -c 'compile {}' || { echo JNI-BUILD-FAILED; exit 1; }
g++ -shared -o $O/libdjl_torch.so $O/*.o -L$TORCH/lib -Wl,--no-as-needed -ltorch -ltorch_cpu -ltorch_cuda -lc10 -lc10_cuda \
  -Wl,-rpath,'$ORIGIN' || { echo JNI-LINK-FAILED; exit 1; }
cp $O/libdjl_torch.so $TORCH/lib/libdjl_torch.so && echo "JNI-BUILT $TORCH/lib/libdjl_torch.so"
