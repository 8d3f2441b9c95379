package io.github.peft4j.bench.scale;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.files.AtomicDirectory;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.core.safetensors.SafetensorsCheckpoint;
import io.github.peft4j.core.safetensors.SafetensorsDType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes random-weight checkpoints shaped exactly like the Hub's: {@code config.json} as published,
 * BF16 tensors under transformers' names, one {@code model.safetensors} or
 * {@code model-0000k-of-0000n.safetensors} shards with {@code model.safetensors.index.json}, split as
 * {@code save_pretrained(max_shard_size=...)} splits. Weights are normal(0, 0.02), norm weights ones;
 * each tensor's values come from its own seed (the run seed and its name), so any tensor can be
 * regenerated alone. Tensors are generated and written one at a time (never the whole model in
 * memory), and the directory appears all at once ({@link AtomicDirectory}).
 *
 * <pre>{@code
 * HubShapedCheckpoints.write(PublishedModel.LLAMA_3_2_1B.config(), Path.of("ckpt/llama-3.2-1b"),
 *         HubShapedCheckpoints.parseShardSize("5GB"), 0);       // one 2.47 GB file, as on the Hub
 * }</pre>
 *
 * <p>From the command line: {@code HubShapedCheckpoints --model llama-3.2-1b --out DIR
 * [--max-shard-size 5GB] [--seed 0] [--tiny]}.
 */
public final class HubShapedCheckpoints {

    /** Standard deviation of the random weights (transformers' usual {@code initializer_range}). */
    public static final double STD = 0.02;

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(I?B)?",
            Pattern.CASE_INSENSITIVE);

    private HubShapedCheckpoints() {}

    /**
     * Writes the checkpoint directory, replacing {@code dir} atomically if it exists.
     *
     * @param config the {@code config.json} to write and to shape the tensors by
     * @param dir the checkpoint directory
     * @param maxShardBytes the most tensor bytes in one file
     * @param seed the run seed
     * @return the tensor bytes written (the index's {@code total_size})
     */
    public static long write(ObjectNode config, Path dir, long maxShardBytes, long seed) {
        List<DecoderTensors.Tensor> tensors = DecoderTensors.of(config);
        long largest = tensors.stream().mapToLong(DecoderTensors.Tensor::elements).max().orElse(0);
        checkFits(largest);
        // one buffer refilled for every tensor: the writer is done with a tensor's bytes before it
        // asks for the next, and a fresh direct buffer each time would stay resident until a GC
        ByteBuffer scratch = ByteBuffer.allocateDirect((int) (2 * largest)).order(ByteOrder.LITTLE_ENDIAN);
        List<SafetensorsCheckpoint.StreamedTensor> streamed = new ArrayList<>(tensors.size());
        long total = 0;
        for (DecoderTensors.Tensor t : tensors) {
            streamed.add(new SafetensorsCheckpoint.StreamedTensor(t.name(), SafetensorsDType.BF16, t.shape(),
                    () -> fill(t, seed, scratch.clear())));
            total += 2 * t.elements();
        }
        AtomicDirectory.write(dir, "random-weight checkpoint", tmp -> {
            AtomicFiles.write(tmp.resolve("config.json"),
                    (PythonJson.write(config) + "\n").getBytes(StandardCharsets.UTF_8));
            SafetensorsCheckpoint.writeShardedStreamed(tmp, streamed, maxShardBytes);
        });
        return total;
    }

    /**
     * The bytes the writer stores for one tensor: BF16 little-endian, rounded to nearest even from a
     * normal(0, {@link #STD}) float, or ones for a norm weight.
     *
     * @param tensor the tensor
     * @param seed the run seed
     * @return the bytes, positioned at 0
     */
    public static ByteBuffer bf16Values(DecoderTensors.Tensor tensor, long seed) {
        checkFits(tensor.elements());
        return fill(tensor, seed, ByteBuffer.allocate((int) (2 * tensor.elements())).order(ByteOrder.LITTLE_ENDIAN));
    }

    private static ByteBuffer fill(DecoderTensors.Tensor tensor, long seed, ByteBuffer out) {
        long n = tensor.elements();
        if (tensor.norm()) {
            short one = toBf16(1f);
            for (long i = 0; i < n; i++) {
                out.putShort(one);
            }
        } else {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + tensor.name().hashCode());
            for (long i = 0; i < n; i++) {
                out.putShort(toBf16((float) (random.nextGaussian() * STD)));
            }
        }
        return out.flip();
    }

    private static void checkFits(long elements) {
        if (2 * elements > Integer.MAX_VALUE) {
            throw new PeftConfigException("a tensor of " + elements + " elements is over 2 GB in BF16");
        }
    }

    /**
     * @param value a finite float
     * @return its BF16 bits, rounded to nearest even as torch's {@code .to(torch.bfloat16)}
     */
    static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /**
     * Parses a size as transformers' {@code convert_file_size_to_int}: {@code 5GB} = 5·10⁹,
     * {@code 2GiB} = 2·2³⁰, {@code 500MB}; a bare number is bytes.
     *
     * @param text the size
     * @return bytes
     * @throws PeftConfigException when it is not a size
     */
    public static long parseShardSize(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new PeftConfigException("not a size: '" + text + "' (expected e.g. 5GB, 500MB, 2GiB)");
        }
        double number = Double.parseDouble(m.group(1));
        String prefix = m.group(2).toUpperCase(Locale.ROOT);
        boolean binary = m.group(3) != null && m.group(3).length() == 2;
        int power = "KMGT".indexOf(prefix) + 1;
        double unit = Math.pow(binary ? 1024 : 1000, prefix.isEmpty() ? 0 : power);
        long bytes = (long) (number * unit);
        if (bytes <= 0) {
            throw new PeftConfigException("shard size must be positive: '" + text + "'");
        }
        return bytes;
    }

    /**
     * Writes one model's checkpoint.
     *
     * @param args {@code --model ID --out DIR [--max-shard-size 5GB] [--seed 0] [--tiny]}
     */
    public static void main(String[] args) {
        PublishedModel model = null;
        Path out = null;
        long maxShard = SafetensorsCheckpoint.DEFAULT_MAX_SHARD_BYTES;
        long seed = 0;
        boolean tiny = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = PublishedModel.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--max-shard-size" -> maxShard = parseShardSize(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--tiny" -> tiny = true;
                default -> throw new PeftConfigException("unknown flag " + args[i]
                        + "; expected --model --out --max-shard-size --seed --tiny");
            }
        }
        if (model == null || out == null) {
            throw new PeftConfigException("--model and --out are required");
        }
        long start = System.nanoTime();
        long bytes = write(tiny ? model.tinyConfig() : model.config(), out, maxShard, seed);
        System.err.printf(Locale.ROOT, "%s: %,d tensor bytes (BF16) in %.1f s -> %s%n", model.hubName(), bytes,
                (System.nanoTime() - start) / 1e9, out);
    }
}
