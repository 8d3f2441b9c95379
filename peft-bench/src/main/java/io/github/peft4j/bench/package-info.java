/**
 * Benchmarks: {@link io.github.peft4j.bench.TrainBench}, the end-to-end LoRA training benchmark with
 * the flags of the PyTorch peer ({@code shared/bench/lora_ref.py}), and {@code run-ab.sh}, which runs
 * both alternately and prints the per-pair ratios (see {@code docs/benchmarks.md}).
 *
 * <pre>{@code
 * peft-bench/run-ab.sh --quick
 * }</pre>
 */
package io.github.peft4j.bench;
