package io.github.peft4j.prefix.ptuning;

import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.prefix.PromptLearningMethod;

/**
 * The {@code P_TUNING} method: the prompt encoder's output is sent to the model as
 * {@link VirtualTokens}. Found through {@link java.util.ServiceLoader}; use it through
 * {@code PeftModel}.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(gpt2, PromptEncoderConfig.builder().numVirtualTokens(20).build());
 * model.save(dir); // adapter_model.safetensors holds only prompt_embeddings [20, hidden]
 * }</pre>
 */
public final class PTuningMethod extends PromptLearningMethod<PromptEncoderConfig> {

    /** For {@link java.util.ServiceLoader}, which finds this method through META-INF/services. */
    public PTuningMethod() {
        super(PromptEncoderConfig.PEFT_TYPE, PromptEncoderConfig.class,
                (config, model, manager) -> new PromptEncoder(config, manager));
    }
}
