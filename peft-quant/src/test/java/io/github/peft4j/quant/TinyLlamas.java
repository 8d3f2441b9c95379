package io.github.peft4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.LlamaConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Small random Llamas from peft-models, and logits / error / code helpers for the quantization tests
 * here and for tuner tests over a quantized base (peft-quant's test-jar).
 *
 * <pre>{@code
 * try (PretrainedModel base = TinyLlamas.create(TinyLlamas.trainable(), manager, 7)) {
 *     Quantizer.quantize(base.block(), QuantizationConfig.of(QuantizationType.NF4));
 *     Map<String, byte[]> codes = TinyLlamas.quantizedCodes(base.block());
 * }
 * }</pre>
 */
public final class TinyLlamas {

    private TinyLlamas() {}

    /** Linear layers dominate: 2 layers, hidden 128, intermediate 512, vocab 32 (linears ≈ 94% of the weights). */
    public static LlamaConfig linearHeavy() {
        return LlamaConfig.tiny().vocabSize(32).hiddenSize(128).intermediateSize(512).numLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).build();
    }

    /** A small one to train: 2 layers, hidden 32, intermediate 64, vocab 16. */
    public static LlamaConfig trainable() {
        return LlamaConfig.tiny().vocabSize(16).hiddenSize(32).intermediateSize(64).numLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).build();
    }

    public static PretrainedModel create(LlamaConfig config, NDManager manager, long seed) {
        return ModelFactory.create(config, manager, seed);
    }

    public static NDArray randomIds(NDManager manager, int vocab, int batch, int length, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[batch * length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(vocab);
        }
        return manager.create(ids, new Shape(batch, length));
    }

    public static float[] logits(Block block, NDManager manager, NDArray ids) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = ids.duplicate();
            x.attach(scope);
            return block.forward(new ParameterStore(scope, false), new NDList(x), false).head().toFloatArray();
        }
    }

    /** @return the codes of every {@link QuantizedLinear} under {@code root}, by module path in tree order */
    public static Map<String, byte[]> quantizedCodes(Block root) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (ModuleTree.Module m : ModuleTree.of(root).modules().values()) {
            if (m.block() instanceof QuantizedLinear q) {
                out.put(m.path(), q.codes().toByteArray());
            }
        }
        return out;
    }

    /** ‖a − b‖ / ‖b‖ in double precision. */
    public static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }
}
