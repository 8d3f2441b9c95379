package io.github.peft4j.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.core.hooks.VirtualTokens;

/**
 * The {@code PROMPT_TUNING} method: the adapter's {@code num_virtual_tokens} embeddings are sent to
 * the model as {@link VirtualTokens}, which it prepends to the input embeddings (extending the
 * attention mask). Found through {@link java.util.ServiceLoader}; use it through {@code PeftModel}.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(llama, PromptTuningConfig.builder().numVirtualTokens(20).build());
 * NDArray logits = model.forward(ps, new NDList(inputIds), true).head(); // [batch, 20 + seq, vocab]
 * }</pre>
 */
public final class PromptTuningMethod extends PromptLearningMethod {

    @Override
    public String peftType() {
        return PromptTuningConfig.PEFT_TYPE;
    }

    @Override
    public Class<PromptTuningConfig> configClass() {
        return PromptTuningConfig.class;
    }

    @Override
    BasePromptEncoder createEncoder(PromptLearningConfig config, PromptLearningModel model, NDManager manager) {
        return new PromptEmbedding((PromptTuningConfig) config, model, manager);
    }

    @Override
    ForwardContext contribute(PromptLearningConfig config, NDArray output, long batchSize, ForwardContext context) {
        return context.with(VirtualTokens.KEY, new VirtualTokens(virtualTokens(output, batchSize)));
    }

    @Override
    int prependedPositions(PromptLearningConfig config) {
        return config.totalVirtualTokens();
    }

    /** The same rows for every sequence of the batch: [batch, rows, width] (a broadcast view). */
    static NDArray virtualTokens(NDArray output, long batchSize) {
        Shape s = output.getShape();
        return output.expandDims(0).broadcast(new Shape(batchSize, s.get(0), s.get(1)));
    }
}
