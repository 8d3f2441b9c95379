/**
 * MKL on AMD: makes the oneMKL inside DJL's libtorch CPU build take its vector kernels on AMD CPUs,
 * in process and automatically ({@link io.github.peft4j.mkl.MklAmdFix}, run by
 * {@link io.github.peft4j.mkl.MklEarlyHook} before DJL loads libtorch).
 */
package io.github.peft4j.mkl;
