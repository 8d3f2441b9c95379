package io.github.peft4j.prefix.prefixtuning;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.prefix.PromptLearningConfig;
import io.github.peft4j.prefix.PromptLearningMethod;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code PREFIX_TUNING} method: the adapter's prefix is split into per-layer keys and values and
 * sent to the model as {@link PrefixKeyValues}, which every attention layer treats as a KV cache of
 * {@code num_virtual_tokens} positions. Found through {@link java.util.ServiceLoader}; use it through
 * {@code PeftModel}.
 *
 * <p>The layout is PEFT's {@code get_prompt}: a row of the prefix, of width
 * {@code num_layers·2·token_dim}, is read as [num_layers·2, heads, head_dim]; entry {@code 2i} is the
 * key and {@code 2i+1} the value of layer {@code i}, so files move between PEFT and peft4j unchanged.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(llama, PrefixTuningConfig.builder().numVirtualTokens(30).build());
 * NDArray logits = model.forward(ps, new NDList(inputIds), false).head(); // [batch, seq, vocab]
 * }</pre>
 */
public final class PrefixTuningMethod extends PromptLearningMethod<PrefixTuningConfig> {

    /** For {@link java.util.ServiceLoader}, which finds this method through META-INF/services. */
    public PrefixTuningMethod() {
        super(PrefixTuningConfig.PEFT_TYPE, PrefixTuningConfig.class,
                (config, model, manager) -> new PrefixEncoder(config, manager));
    }

    /** The prefix goes to the attention layers instead of the input embeddings. */
    @Override
    protected ForwardContext contribute(PromptLearningConfig config, NDArray output, long batchSize,
            ForwardContext context) {
        return context.with(PrefixKeyValues.KEY, keyValues(config, output, batchSize));
    }

    /**
     * @param config the completed config
     * @param prefix [num_virtual_tokens, num_layers·2·token_dim]
     * @param batchSize the batch size
     * @return per layer, keys and values of [batch, heads, num_virtual_tokens, head_dim] (broadcast views)
     */
    static PrefixKeyValues keyValues(PromptLearningConfig config, NDArray prefix, long batchSize) {
        int layers = config.numLayers();
        int heads = config.numAttentionHeads();
        int headDim = config.tokenDim() / heads;
        int nvt = config.numVirtualTokens();
        NDArray perLayer = prefix.reshape(nvt, 2L * layers, heads, headDim).transpose(1, 2, 0, 3);
        Shape shape = new Shape(batchSize, heads, nvt, headDim);
        List<NDArray> keys = new ArrayList<>(layers);
        List<NDArray> values = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) {
            keys.add(perLayer.get(2L * i).expandDims(0).broadcast(shape));
            values.add(perLayer.get(2L * i + 1).expandDims(0).broadcast(shape));
        }
        return new PrefixKeyValues(keys, values);
    }
}
