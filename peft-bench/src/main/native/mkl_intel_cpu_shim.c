/*
 * The libtorch 2.7.1 CPU build that DJL ships links Intel oneMKL statically and exports MKL's
 * vendor check. On AMD CPUs the check answers "not Intel" and MKL falls back to slow generic
 * SGEMM kernels (measured here: 30-60 GFLOP/s instead of 80-130 on an AVX-512 AMD EPYC).
 * Preloading this one function makes MKL take its AVX2/AVX-512 code paths, which AMD Zen CPUs
 * execute correctly. Deployment-side workaround, not part of any peft4j artifact:
 *
 *   gcc -O2 -shared -fPIC -o libmkl_intel_cpu_shim.so mkl_intel_cpu_shim.c
 *   LD_PRELOAD=$PWD/libmkl_intel_cpu_shim.so java ...
 */
int mkl_serv_intel_cpu_true(void) { return 1; }
