/*
 * peft4j's MKL vendor helper (see MklAmdFix.java and docs/benchmarks.md, "MKL on AMD").
 *
 * The libtorch CPU build that DJL ships links Intel oneMKL statically and exports MKL's vendor
 * check. On AMD CPUs the check answers "not Intel" and MKL runs its generic SGEMM kernels instead of
 * the AVX2/AVX-512 ones the CPU executes correctly. Defining the check here, in a library that sits
 * in the process's global symbol scope before libtorch_cpu.so is loaded, makes libtorch's calls to it
 * resolve to this definition, exactly as an LD_PRELOAD of the same function would.
 *
 * The JNI functions take plain C types so that the helper builds without the JDK's headers; on
 * linux-x86_64 JNICALL adds nothing and jint is a 32-bit int.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

__attribute__((visibility("default"))) int mkl_serv_intel_cpu_true(void) { return 1; }

/*
 * System.load opens a library with a local dlopen, whose symbols interpose on nothing. Re-opening the
 * already-loaded file with RTLD_NOLOAD | RTLD_GLOBAL moves it into the global scope. Returns 1 on
 * success, 0 otherwise. An explicit call rather than a constructor, so that the helper can also be
 * loaded only to read codeBranch (with the fix opted out) without changing anything.
 */
__attribute__((visibility("default")))
int Java_io_github_peft4j_mkl_MklHelperLibrary_promote(void *env, void *cls) {
    (void) env;
    (void) cls;
    Dl_info info;
    if (dladdr((void *) &mkl_serv_intel_cpu_true, &info) == 0 || info.dli_fname == NULL) {
        return 0;
    }
    return dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) != NULL;
}

/*
 * MKL's code branch in the loaded libtorch (mkl_serv_cpu_detect: 0 = the generic path, larger = a
 * wider instruction set), or -1 when libtorch_cpu.so is not loaded or exports no such function.
 */
__attribute__((visibility("default")))
int Java_io_github_peft4j_mkl_MklHelperLibrary_codeBranch(void *env, void *cls) {
    (void) env;
    (void) cls;
    void *torch = dlopen("libtorch_cpu.so", RTLD_NOW | RTLD_NOLOAD);
    if (torch == NULL) {
        return -1;
    }
    int (*detect)(void) = (int (*)(void)) dlsym(torch, "mkl_serv_cpu_detect");
    int branch = detect == NULL ? -1 : detect();
    dlclose(torch);
    return branch;
}
