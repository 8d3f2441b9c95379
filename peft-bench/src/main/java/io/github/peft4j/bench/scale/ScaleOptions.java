package io.github.peft4j.bench.scale;

import io.github.peft4j.bench.BenchOptions;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The flags of {@link ScaleBench}.
 *
 * <pre>{@code
 * ScaleOptions o = ScaleOptions.parse("--model", "qwen2.5-0.5b", "--cache", "runs/ckpt", "--targets", "all");
 * }</pre>
 *
 * @param model the published configuration
 * @param tiny its toy-sized variant instead (tests)
 * @param cache the directory of the cached checkpoints ({@code <cache>/<model id>})
 * @param out where the adapter (and the merged model, when asked) are saved
 * @param maxShardBytes shard limit of a checkpoint written now
 * @param targets {@code qv} (q_proj, v_proj) or {@code all} (every linear layer but the head)
 * @param rank LoRA rank
 * @param alpha LoRA alpha
 * @param steps training steps, all timed
 * @param seq tokens per row
 * @param batch rows per step
 * @param threads libtorch intra-op threads
 * @param lr AdamW learning rate
 * @param seed weights, data and adapter seed
 * @param prepareOnly write the checkpoint if missing, then stop (so that the run itself is a fresh JVM)
 * @param saveMerged also save the merged model (F32, 4 bytes a parameter on disk)
 * @param headLoss {@code auto} (the chunked loss when the head is frozen, which LoRA on these targets
 *     leaves it), {@code chunked} ({@code ChunkedCausalLmLoss}, refused for a head that trains) or
 *     {@code full} ({@code CausalLmLoss} on the [B, T, vocab] logits)
 * @param gradientCheckpointing recompute the decoder layers in backward instead of keeping their activations
 */
public record ScaleOptions(PublishedModel model, boolean tiny, Path cache, Path out, long maxShardBytes,
        String targets, int rank, double alpha, int steps, int seq, int batch, int threads, double lr, long seed,
        boolean prepareOnly, boolean saveMerged, String headLoss, boolean gradientCheckpointing) {

    /** @return the checkpoint directory of this model */
    public Path checkpointDir() {
        return cache.resolve(model.id() + (tiny ? "-tiny" : ""));
    }

    /** @return the LoRA target module names */
    public List<String> targetModules() {
        return targets.equals("all")
                ? List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
                : List.of("q_proj", "v_proj");
    }

    /**
     * @param vocab the model's vocabulary (random tokens are drawn from it)
     * @param hidden its hidden size
     * @param heads its attention heads
     * @return the training benchmark's options for the same step
     */
    public BenchOptions stepOptions(int vocab, int hidden, int heads) {
        List<String> flags = new ArrayList<>(List.of("--vocab", "" + vocab, "--dim", "" + hidden, "--heads",
                "" + heads, "--seq", "" + seq, "--batch", "" + batch, "--warmup", "0", "--steps", "" + steps,
                "--threads", "" + threads, "--seed", "" + seed, "--rank", "" + rank, "--alpha", "" + alpha, "--lr",
                "" + lr, "--targets", targets, "--quiet"));
        if (gradientCheckpointing) {
            flags.add("--gradient-checkpointing");
        }
        return BenchOptions.parse(flags.toArray(String[]::new));
    }

    /**
     * @param args the flags: {@code --model ID [--tiny] [--cache DIR] [--out DIR] [--max-shard-size 5GB]
     *     [--targets qv|all] [--rank 16] [--alpha 32] [--steps 5] [--seq 256] [--batch 1] [--threads 2]
     *     [--lr 1e-4] [--seed 0] [--prepare-only] [--save-merged] [--head-loss auto|chunked|full]
     *     [--gradient-checkpointing]}
     * @return the options
     * @throws PeftConfigException naming a bad flag
     */
    public static ScaleOptions parse(String... args) {
        PublishedModel model = null;
        boolean tiny = false;
        Path cache = Path.of("runs/scale-checkpoints");
        Path out = null;
        long maxShard = SafetensorsCheckpoint.DEFAULT_MAX_SHARD_BYTES;
        String targets = "qv";
        int rank = 16;
        double alpha = 32;
        int steps = 5;
        int seq = 256;
        int batch = 1;
        int threads = 2;
        double lr = 1e-4;
        long seed = 0;
        boolean prepareOnly = false;
        boolean saveMerged = false;
        String headLoss = "auto";
        boolean gradientCheckpointing = false;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            switch (flag) {
                case "--tiny" -> tiny = true;
                case "--prepare-only" -> prepareOnly = true;
                case "--save-merged" -> saveMerged = true;
                case "--gradient-checkpointing" -> gradientCheckpointing = true;
                default -> {
                    if (i + 1 >= args.length) {
                        throw new PeftConfigException("flag " + flag + " needs a value");
                    }
                    String v = args[++i];
                    switch (flag) {
                        case "--model" -> model = PublishedModel.of(v);
                        case "--cache" -> cache = Path.of(v);
                        case "--out" -> out = Path.of(v);
                        case "--max-shard-size" -> maxShard = HubShapedCheckpoints.parseShardSize(v);
                        case "--targets" -> targets = v.equals("all") || v.equals("qv") ? v : bad(flag, v, "qv or all");
                        case "--rank" -> rank = Integer.parseInt(v);
                        case "--alpha" -> alpha = Double.parseDouble(v);
                        case "--steps" -> steps = Integer.parseInt(v);
                        case "--seq" -> seq = Integer.parseInt(v);
                        case "--batch" -> batch = Integer.parseInt(v);
                        case "--threads" -> threads = Integer.parseInt(v);
                        case "--lr" -> lr = Double.parseDouble(v);
                        case "--seed" -> seed = Long.parseLong(v);
                        case "--head-loss" -> headLoss = v.equals("auto") || v.equals("chunked") || v.equals("full")
                                ? v
                                : bad(flag, v, "auto, chunked or full");
                        default -> throw new PeftConfigException("unknown flag " + flag + "; expected --model"
                                + " --tiny --cache --out --max-shard-size --targets --rank --alpha --steps --seq"
                                + " --batch --threads --lr --seed --prepare-only --save-merged --head-loss"
                                + " --gradient-checkpointing");
                    }
                }
            }
        }
        if (model == null) {
            throw new PeftConfigException("--model is required (smollm2-135m, qwen2.5-0.5b or llama-3.2-1b)");
        }
        if (out == null) {
            out = Path.of("runs/scale-bench").resolve(model.id() + (tiny ? "-tiny" : ""));
        }
        return new ScaleOptions(model, tiny, cache, out, maxShard, targets, rank, alpha, steps, seq, batch, threads,
                lr, seed, prepareOnly, saveMerged, headLoss, gradientCheckpointing);
    }

    private static String bad(String flag, String v, String allowed) {
        throw new PeftConfigException(flag + " must be " + allowed + ", got '" + v + "'");
    }
}
