package io.github.peft4j.bench.scale;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import io.github.peft4j.bench.BenchOptions;
import io.github.peft4j.bench.BenchStepper;
import io.github.peft4j.bench.JsonLineMain;
import io.github.peft4j.bench.ProcessStats;
import io.github.peft4j.core.AdapterTensor;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.loss.ChunkedCausalLmLoss;
import io.github.peft4j.train.optim.AdamW;
import io.github.peft4j.train.optim.NamedParameter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The real-scale benchmark (issue 20): a random-weight checkpoint shaped exactly like a Hub model
 * ({@link HubShapedCheckpoints}, BF16, written once and cached) is loaded through
 * {@link HfModels#load}, wrapped with LoRA, trained a few steps, its adapter saved and merged. One
 * JSON line on stdout: load, step, save and merge times, tokens/s, and the peak RSS (VmHWM) against
 * the target of 1.25 × the F32 weight bytes + 1 GiB, with the RSS after each phase to show where a
 * miss comes from.
 *
 * <pre>{@code
 * java -cp ... io.github.peft4j.bench.scale.ScaleBench --model llama-3.2-1b --cache runs/ckpt --prepare-only
 * java -cp ... io.github.peft4j.bench.scale.ScaleBench --model llama-3.2-1b --cache runs/ckpt --targets qv
 * }</pre>
 *
 * <p>The loss is {@code ChunkedCausalLmLoss} whenever the head is frozen ({@code --head-loss auto}), so
 * the [seq, vocab] logits never exist whole; {@code --head-loss full} measures {@code CausalLmLoss}.
 */
public final class ScaleBench {

    private static final double MIB = 1024.0 * 1024.0;

    private ScaleBench() {}

    /**
     * @param args see {@link ScaleOptions#parse}
     * @throws Exception on an engine failure
     */
    public static void main(String[] args) throws Exception {
        JsonLineMain.run(args, ScaleOptions::parse, ScaleOptions::threads, ScaleBench::run);
    }

    /**
     * Writes the checkpoint if it is not cached, then (unless {@code prepareOnly}) runs the benchmark.
     *
     * @param o the options
     * @param log progress lines
     * @return the figures
     */
    public static Map<String, Object> run(ScaleOptions o, PrintStream log) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("impl", "peft4j");
        r.put("model", o.model().hubName() + (o.tiny() ? " (tiny)" : ""));
        r.put("load_avg_start", loadAverage());
        Path dir = o.checkpointDir();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            long t0 = System.nanoTime();
            long bytes = HubShapedCheckpoints.write(o.tiny() ? o.model().tinyConfig() : o.model().config(), dir,
                    o.maxShardBytes(), o.seed());
            r.put("checkpoint_written_s", seconds(t0));
            log.printf(Locale.ROOT, "# wrote %s: %,d BF16 bytes in %.1f s%n", dir, bytes, seconds(t0));
        }
        r.put("checkpoint", dir.toString());
        r.put("checkpoint_files", checkpointFiles(dir));
        if (o.prepareOnly()) {
            return r;
        }
        Engine engine = Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(o.threads());
        engine.setRandomSeed((int) o.seed());
        r.put("threads", JniUtils.getNumThreads());
        r.put("libtorch_version", engine.getVersion());
        r.put("rss_engine_mib", ProcessStats.rssMib());
        try (NDManager root = NDManager.newBaseManager(Device.cpu(), engine.getEngineName())) {
            long t0 = System.nanoTime();
            try (PretrainedModel base = HfModels.load(dir, root)) {
                r.put("load_s", seconds(t0));
                r.put("rss_after_load_mib", ProcessStats.rssMib());
                ModelConfig config = base.config();
                long params = parameters(base.block());
                r.put("params", params);
                r.put("missing_keys", base.loadReport().newlyInitialized().size());
                r.put("unexpected_keys", base.loadReport().unexpected().size());
                trainSaveMerge(o, engine, root, base, config, r, log);
                long f32 = 4 * params;
                double target = (1.25 * f32 + 1024 * MIB) / MIB;
                double peak = ProcessStats.peakRssMib();
                r.put("f32_weight_mib", f32 / MIB);
                r.put("peak_rss_mib", peak);
                r.put("peak_rss_target_mib", target);
                r.put("peak_rss_within_target", peak <= target);
            }
        } catch (IOException e) {
            throw new PeftFormatException(o.out(), null, "cannot save: " + e.getMessage(), e);
        }
        r.put("load_avg_end", loadAverage());
        return r;
    }

    private static void trainSaveMerge(ScaleOptions o, Engine engine, NDManager root, PretrainedModel base,
            ModelConfig config, Map<String, Object> r, PrintStream log) throws IOException {
        LoraConfig lora = LoraConfig.builder().r(o.rank()).loraAlpha(o.alpha()).loraDropout(0.05)
                .targetModules(o.targetModules().toArray(String[]::new)).build();
        BenchOptions step = o.stepOptions(config.vocabSize(), config.hiddenSize(), config.numAttentionHeads());
        PeftModel peft = PeftModel.create(base.block(), lora);
        try (NDManager state = root.newSubManager()) {
            List<NamedParameter> named = new ArrayList<>();
            List<Parameter> trainable = new ArrayList<>();
            for (AdapterTensor t : peft.tensors(PeftModel.DEFAULT_ADAPTER)) {
                if (t.parameter().requiresGradient()) {
                    named.add(new NamedParameter(t.key(), t.parameter(), true));
                    trainable.add(t.parameter());
                }
            }
            r.put("lora", Map.of("rank", o.rank(), "alpha", o.alpha(), "targets", o.targetModules()));
            r.put("params_trainable", trainable.stream().mapToLong(p -> p.getArray().size()).sum());
            AdamW optimizer = AdamW.builder().build(named, state);
            ChunkedCausalLmLoss chunked = headLoss(o, peft);
            r.put("head_loss", chunked == null ? "full" : chunked.toString());
            r.put("gradient_checkpointing", o.gradientCheckpointing());
            BenchStepper stepper = new BenchStepper(step, peft, engine, root, optimizer, trainable, chunked);
            Random random = new Random(o.seed() + 1);
            double[] ms = new double[o.steps()];
            double[] losses = new double[o.steps()];
            ProcessStats.Cpu cpu0 = ProcessStats.cpu();
            long start = System.nanoTime();
            for (int i = 0; i < o.steps(); i++) {
                long[] tokens = new long[o.batch() * o.seq()];
                for (int j = 0; j < tokens.length; j++) {
                    tokens[j] = random.nextInt(config.vocabSize());
                }
                if (i == 0) {
                    // the first ids, so that a peer's data can be checked against these
                    r.put("tokens_first", Arrays.stream(tokens).limit(8).boxed().toList());
                }
                long t = System.nanoTime();
                losses[i] = stepper.step(tokens);
                ms[i] = (System.nanoTime() - t) / 1e6;
                log.printf(Locale.ROOT, "step %d loss %.4f %.0f ms  RSS %.0f MiB%n", i, losses[i], ms[i],
                        ProcessStats.rssMib());
            }
            double total = seconds(start);
            ProcessStats.Cpu cpu1 = ProcessStats.cpu();
            // CPU seconds of the steps: on a shared machine far steadier than wall time
            double cpu = cpu1.userSeconds() + cpu1.systemSeconds() - cpu0.userSeconds() - cpu0.systemSeconds();
            r.put("seq", o.seq());
            r.put("batch", o.batch());
            r.put("steps", o.steps());
            r.put("tokens_per_s", (double) o.steps() * o.seq() * o.batch() / total);
            r.put("ms_per_step", Arrays.stream(ms).boxed().toList());
            r.put("cpu_s_per_step", cpu / o.steps());
            r.put("cpu_share_of_wall", cpu / total);
            r.put("losses", Arrays.stream(losses).boxed().toList());
            r.put("rss_after_train_mib", ProcessStats.rssMib());
            // the peak of loading and training alone, comparable with a peer that neither saves nor merges
            r.put("peak_rss_after_train_mib", ProcessStats.peakRssMib());

            long t0 = System.nanoTime();
            Path adapter = o.out().resolve("adapter");
            peft.save(adapter);
            r.put("save_adapter_s", seconds(t0));
            r.put("adapter_bytes", directoryBytes(adapter));
        }
        long t0 = System.nanoTime();
        Block merged = peft.mergeAndUnload();
        r.put("merge_s", seconds(t0));
        r.put("rss_after_merge_mib", ProcessStats.rssMib());
        if (o.saveMerged()) {
            t0 = System.nanoTime();
            HfModels.save(merged, o.out().resolve("merged"));
            r.put("save_merged_s", seconds(t0));
        }
        peft.close();
    }

    /** The chunked loss unless asked for the full logits; {@code auto} takes it whenever the head is frozen. */
    private static ChunkedCausalLmLoss headLoss(ScaleOptions o, PeftModel peft) {
        if (o.headLoss().equals("full")) {
            return null;
        }
        Optional<String> why = ChunkedCausalLmLoss.unsupportedReason(peft);
        if (why.isPresent()) {
            if (o.headLoss().equals("chunked")) {
                throw new PeftCompatibilityException(why.get());
            }
            return null;
        }
        return CausalLmLoss.chunked(ChunkedCausalLmLoss.DEFAULT_ROWS);
    }

    private static long parameters(Block block) {
        return ModuleTree.of(block).parameters().values().stream().distinct()
                .mapToLong(p -> p.getArray().size()).sum();
    }

    private static List<String> checkpointFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors")
                    || n.endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long directoryBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            long bytes = 0;
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                bytes += Files.size(p);
            }
            return bytes;
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
