package io.github.peft4j.bench;

import io.github.peft4j.core.PeftConfigException;
import java.util.Locale;

/**
 * The workload of one benchmark run, with the same flags and defaults as the PyTorch peer
 * ({@code shared/bench/lora_ref.py}), so that one command line describes the same work on both sides.
 *
 * <pre>{@code
 * BenchOptions o = BenchOptions.parse("--arch", "llama", "--dim", "256", "--targets", "all", "--threads", "1");
 * }</pre>
 *
 * @param arch {@code llama} or {@code gpt2}
 * @param vocab vocabulary size
 * @param dim hidden size
 * @param layers decoder layers
 * @param heads attention heads
 * @param ffn MLP hidden size (peer's default: llama 8/3·dim rounded up to 16, gpt2 4·dim)
 * @param seq tokens per row
 * @param batch rows per step
 * @param warmup untimed steps
 * @param steps timed steps
 * @param threads libtorch intra-op threads
 * @param seed weights and data seed
 * @param mode {@code train}, {@code fwd}, {@code fwdbwd} or {@code fwdbwd_full}
 * @param full full fine-tuning instead of LoRA
 * @param targets {@code qv} or {@code all}
 * @param rank LoRA rank
 * @param alpha LoRA alpha
 * @param loraDropout dropout on the LoRA path
 * @param lr AdamW learning rate
 * @param quiet no per-step lines on stderr
 * @param gradientCheckpointing recompute the decoder layers in backward (peft4j's
 *     {@code --gradient-checkpointing}; a peer flag only where the peer has it)
 */
public record BenchOptions(String arch, int vocab, int dim, int layers, int heads, int ffn, int seq, int batch,
        int warmup, int steps, int threads, long seed, String mode, boolean full, String targets, int rank,
        double alpha, double loraDropout, double lr, boolean quiet, boolean gradientCheckpointing) {

    /** @return whether LoRA is trained in this run */
    public boolean lora() {
        return mode.equals("train") && !full;
    }

    /** @return the peer's {@code variant}: {@code full}, {@code lora-qv}, {@code lora-all} or {@code frozen} */
    public String variant() {
        return full ? "full" : lora() ? "lora-" + targets : "frozen";
    }

    /**
     * @param args the peer's flags ({@code --arch llama --dim 256 ...}); unknown flags are errors
     * @return the options, defaults as the peer's
     * @throws PeftConfigException naming a bad flag or value
     */
    public static BenchOptions parse(String... args) {
        String arch = "llama";
        int vocab = 2048;
        int dim = 256;
        int layers = 4;
        int heads = 8;
        Integer ffn = null;
        int seq = 128;
        int batch = 8;
        int warmup = 5;
        int steps = 30;
        int threads = 2;
        long seed = 1234;
        String mode = "train";
        boolean full = false;
        String targets = "qv";
        int rank = 8;
        double alpha = 16;
        double dropout = 0.05;
        double lr = 1e-3;
        boolean quiet = false;
        boolean gradientCheckpointing = false;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--full")) {
                full = true;
                continue;
            }
            if (flag.equals("--quiet")) {
                quiet = true;
                continue;
            }
            if (flag.equals("--gradient-checkpointing")) {
                gradientCheckpointing = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new PeftConfigException("flag " + flag + " needs a value");
            }
            String v = args[++i];
            switch (flag) {
                case "--arch" -> arch = oneOf(flag, v, "llama", "gpt2");
                case "--vocab" -> vocab = positive(flag, v);
                case "--dim" -> dim = positive(flag, v);
                case "--layers" -> layers = positive(flag, v);
                case "--heads" -> heads = positive(flag, v);
                case "--ffn" -> ffn = positive(flag, v);
                case "--seq" -> seq = positive(flag, v);
                case "--batch" -> batch = positive(flag, v);
                case "--warmup" -> warmup = nonNegative(flag, v);
                case "--steps" -> steps = positive(flag, v);
                case "--threads" -> threads = positive(flag, v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--mode" -> mode = oneOf(flag, v, "train", "fwd", "fwdbwd", "fwdbwd_full");
                case "--targets" -> targets = oneOf(flag, v, "qv", "all");
                case "--rank" -> rank = positive(flag, v);
                case "--alpha" -> alpha = number(flag, v);
                case "--lora-dropout" -> dropout = number(flag, v);
                case "--lr" -> lr = number(flag, v);
                default -> throw new PeftConfigException("unknown flag " + flag + "; expected the flags of lora_ref.py"
                        + " (--arch --vocab --dim --layers --heads --ffn --seq --batch --warmup --steps --threads"
                        + " --seed --mode --full --targets --rank --alpha --lora-dropout --lr --quiet), or peft4j's"
                        + " --gradient-checkpointing");
            }
        }
        if (dim % heads != 0) {
            throw new PeftConfigException("--dim " + dim + " must be a multiple of --heads " + heads);
        }
        if (!mode.equals("train") && full) {
            throw new PeftConfigException("--full only applies to --mode train (got --mode " + mode + ")");
        }
        if (ffn == null) {
            ffn = arch.equals("llama") ? ceilDiv(8 * dim / 3, 16) * 16 : 4 * dim;
        }
        return new BenchOptions(arch, vocab, dim, layers, heads, ffn, seq, batch, warmup, steps, threads, seed, mode,
                full, targets, rank, alpha, dropout, lr, quiet, gradientCheckpointing);
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    private static String oneOf(String flag, String v, String... allowed) {
        for (String a : allowed) {
            if (a.equals(v.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new PeftConfigException(flag + " must be one of " + String.join("|", allowed) + ", got '" + v + "'");
    }

    private static int positive(String flag, String v) {
        int n = integer(flag, v);
        if (n <= 0) {
            throw new PeftConfigException(flag + " must be > 0, got " + v);
        }
        return n;
    }

    private static int nonNegative(String flag, String v) {
        int n = integer(flag, v);
        if (n < 0) {
            throw new PeftConfigException(flag + " must be >= 0, got " + v);
        }
        return n;
    }

    private static int integer(String flag, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new PeftConfigException(flag + " expects an integer, got '" + v + "'");
        }
    }

    private static double number(String flag, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new PeftConfigException(flag + " expects a number, got '" + v + "'");
        }
    }
}
