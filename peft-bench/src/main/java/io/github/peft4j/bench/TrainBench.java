package io.github.peft4j.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import io.github.peft4j.mkl.MklAmdFix;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.optim.AdamW;
import io.github.peft4j.train.optim.NamedParameter;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The end-to-end training benchmark: the PyTorch peer's workload ({@code shared/bench/lora_ref.py},
 * same flags) run through peft-models, peft-lora and peft-train's step pieces (the trainer's
 * per-micro-batch manager + {@link NDScope} + gradient collector, {@link CausalLmLoss}, torch's
 * {@link AdamW} over the trainable tensors), timed step by step. The last line on stdout is one JSON
 * object with the peer's field names (tokens/s, median ms/step, peak RSS, parameter counts, versions)
 * plus the optimizer-state and gradient bytes.
 *
 * <p>Modes: {@code train} (LoRA, or {@code --full}), and the floors {@code fwd} (frozen forward +
 * loss, no graph), {@code fwdbwd} (frozen base, forward + loss + backward through every layer; only
 * the token-embedding table requires a gradient, standing in for the peer's detached embedding
 * output) and {@code fwdbwd_full} (every weight gradient, no optimizer).
 *
 * <pre>{@code
 * java -cp $(cat peft-bench/target/classpath.txt):peft-bench/target/classes \
 *      io.github.peft4j.bench.TrainBench --arch llama --targets qv --threads 2 --quiet
 * }</pre>
 */
public final class TrainBench {

    private TrainBench() {}

    /**
     * Runs the benchmark and prints its JSON line; exit code 2 on a bad flag.
     *
     * @param args the peer's flags
     * @throws Exception on a failure of the engine
     */
    public static void main(String[] args) throws Exception {
        JsonLineMain.run(args, BenchOptions::parse, BenchOptions::threads, TrainBench::run);
    }

    /**
     * @param o the workload
     * @param log where per-step lines go (unless {@code quiet})
     * @return the figures, in the peer's field names
     */
    public static Map<String, Object> run(BenchOptions o, PrintStream log) {
        double rssBeforeEngine = ProcessStats.rssMib();
        MemoryPhases.mark("before_engine");
        Engine engine = Engine.getEngine("PyTorch");
        int defaultThreads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(o.threads());
        engine.setRandomSeed((int) o.seed());
        double rssAfterEngine = ProcessStats.rssMib();
        MemoryPhases.mark("after_engine");

        Map<String, Object> r = new LinkedHashMap<>();
        // the peer runs on the CPU: so does this side, also where the engine sees a GPU
        try (NDManager root = NDManager.newBaseManager(Device.cpu(), engine.getEngineName());
                BenchModel model = BenchModel.create(o, root)) {
            MemoryPhases.watch(root);
            MemoryPhases.mark("after_model");
            Map<String, Parameter> trainable = model.trainable();
            long trainableCount = trainable.values().stream().mapToLong(p -> p.getArray().size()).sum();
            describe(r, o, model, trainableCount, defaultThreads, engine);
            log.printf(Locale.ROOT, "# peft4j: DJL %s, libtorch %s, threads %d; %s %s %s, params %,d trainable %,d%n",
                    Engine.getDjlVersion(), engine.getVersion(), JniUtils.getNumThreads(), o.arch(), o.mode(),
                    o.variant(), model.totalParameters(), trainableCount);

            List<NamedParameter> named = new ArrayList<>();
            trainable.forEach((k, p) -> named.add(new NamedParameter(k, p, true)));
            try (NDManager stateManager = root.newSubManager()) {
                AdamW optimizer = o.mode().equals("train")
                        ? AdamW.builder().build(named, stateManager) // torch defaults, weight decay 0.01
                        : null;
                long stateBytes = optimizer == null ? 0
                        : optimizer.stateTensors().values().stream().mapToLong(a -> a.size() * 4).sum();
                r.put("optimizer_state_bytes", stateBytes);
                r.put("optimizer_state_tensors", optimizer == null ? 0 : optimizer.stateTensors().size());
                MemoryPhases.mark("after_optimizer");
                BenchStepper stepper = new BenchStepper(o, model.block(), engine, root, optimizer,
                        new ArrayList<>(trainable.values()));
                timedRun(o, stepper, r, log);
                r.put("gradient_bytes", gradientBytes(trainable.values()));
            }
        }
        r.put("peak_rss_mib", ProcessStats.peakRssMib());
        r.put("rss_after_import_mib", rssAfterEngine);
        r.put("rss_before_engine_mib", rssBeforeEngine);
        r.put("blas_libs", ProcessStats.nativeLibraries());
        if (MemoryPhases.enabled()) {
            r.put("rss_phases", MemoryPhases.readings());
        }
        return r;
    }

    private static void describe(Map<String, Object> r, BenchOptions o, BenchModel model, long trainable,
            int defaultThreads, Engine engine) {
        r.put("impl", "peft4j");
        r.put("arch", o.arch());
        r.put("mode", o.mode());
        r.put("variant", o.variant());
        r.put("gradient_checkpointing", o.gradientCheckpointing());
        r.put("vocab", o.vocab());
        r.put("dim", o.dim());
        r.put("layers", o.layers());
        r.put("heads", o.heads());
        r.put("ffn", o.ffn());
        r.put("seq", o.seq());
        r.put("batch", o.batch());
        r.put("threads", JniUtils.getNumThreads());
        r.put("interop_threads", JniUtils.getNumInteropThreads());
        r.put("default_threads", defaultThreads);
        r.put("torch_version", engine.getVersion());
        r.put("libtorch_version", engine.getVersion());
        r.put("djl_version", Engine.getDjlVersion());
        r.put("mkl_amd_fix", MklAmdFix.status().name());
        r.put("mkl_code_branch", MklAmdFix.codeBranch());
        r.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        r.put("params_base", model.baseParameters());
        r.put("params_total", model.totalParameters());
        r.put("params_trainable", trainable);
        r.put("lora_wrapped", model.loraWrapped());
        if (o.lora()) {
            Map<String, Object> lora = new LinkedHashMap<>();
            lora.put("rank", o.rank());
            lora.put("alpha", o.alpha());
            lora.put("dropout", o.loraDropout());
            lora.put("targets", o.targets());
            r.put("lora", lora);
        } else {
            r.put("lora", null);
        }
        if (o.mode().equals("train")) {
            Map<String, Object> opt = new LinkedHashMap<>();
            opt.put("name", "AdamW");
            opt.put("lr", o.lr());
            opt.put("betas", List.of(0.9, 0.999));
            opt.put("eps", 1e-8);
            opt.put("weight_decay", 0.01);
            r.put("optimizer", opt);
        } else {
            r.put("optimizer", null);
        }
        r.put("seed", o.seed());
        Map<String, String> env = new TreeMap<>();
        System.getenv().forEach((k, v) -> {
            if (k.startsWith("MALLOC_") || k.startsWith("GLIBC_TUNABLES") || k.startsWith("OMP_")
                    || k.startsWith("OPENBLAS_") || k.startsWith("MKL_") || k.startsWith("LD_PRELOAD")
                    || k.startsWith("DJL_") || k.startsWith("PYTORCH_")) {
                env.put(k, v);
            }
        });
        r.put("env", env);
    }

    private static void timedRun(BenchOptions o, BenchStepper stepper, Map<String, Object> r, PrintStream log) {
        Random random = new Random(o.seed() + 1);
        long[][] batches = new long[o.warmup() + o.steps()][];
        for (int i = 0; i < batches.length; i++) {
            long[] tokens = new long[o.batch() * o.seq()];
            for (int j = 0; j < tokens.length; j++) {
                tokens[j] = random.nextInt(o.vocab());
            }
            batches[i] = tokens;
        }
        List<Double> warmLosses = new ArrayList<>();
        for (int i = 0; i < o.warmup(); i++) {
            warmLosses.add(stepper.step(batches[i]));
        }
        double[] stepMs = new double[o.steps()];
        double[] losses = new double[o.steps()];
        ProcessStats.Cpu cpu0 = ProcessStats.cpu();
        long start = System.nanoTime();
        for (int i = 0; i < o.steps(); i++) {
            long t0 = System.nanoTime();
            losses[i] = stepper.step(batches[o.warmup() + i]);
            stepMs[i] = (System.nanoTime() - t0) / 1e6;
            if (!o.quiet()) {
                log.printf(Locale.ROOT, "step %3d loss %.4f %8.1f ms%n", i, losses[i], stepMs[i]);
            }
        }
        double totalS = (System.nanoTime() - start) / 1e9;
        ProcessStats.Cpu cpu1 = ProcessStats.cpu();
        long tokens = (long) o.batch() * o.seq() * o.steps();
        double[] sorted = stepMs.clone();
        Arrays.sort(sorted);
        r.put("warmup", o.warmup());
        r.put("steps", o.steps());
        r.put("total_s", totalS);
        r.put("tokens_per_s", tokens / totalS);
        r.put("ms_per_step", 1e3 * totalS / o.steps());
        r.put("ms_per_step_median", median(sorted));
        r.put("ms_per_step_min", sorted[0]);
        r.put("ms_per_step_max", sorted[sorted.length - 1]);
        r.put("loss_first", warmLosses.isEmpty() ? losses[0] : warmLosses.get(0));
        r.put("loss_final", losses[losses.length - 1]);
        r.put("timed_user_s", cpu1.userSeconds() - cpu0.userSeconds());
        r.put("timed_sys_s", cpu1.systemSeconds() - cpu0.systemSeconds());
        r.put("timed_minflt_per_step", (double) (cpu1.minorFaults() - cpu0.minorFaults()) / o.steps());
        log.printf(Locale.ROOT, "tokens/s %.1f  ms/step %.1f (median %.1f, min %.1f, max %.1f)  peak RSS %.0f MiB%n",
                tokens / totalS, 1e3 * totalS / o.steps(), median(sorted), sorted[0], sorted[sorted.length - 1],
                ProcessStats.peakRssMib());
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static long gradientBytes(Iterable<Parameter> params) {
        long bytes = 0;
        for (Parameter p : params) {
            if (p.getArray().hasGradient()) {
                bytes += p.getArray().size() * p.getArray().getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }
}
