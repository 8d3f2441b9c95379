package io.github.peft4j.prefix.prompttuning;

import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.prefix.PromptLearningMethod;

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
public final class PromptTuningMethod extends PromptLearningMethod<PromptTuningConfig> {

    /** For {@link java.util.ServiceLoader}, which finds this method through META-INF/services. */
    public PromptTuningMethod() {
        super(PromptTuningConfig.PEFT_TYPE, PromptTuningConfig.class, PromptEmbedding::new);
    }
}
