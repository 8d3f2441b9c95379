package io.github.peft4j.core.targeting;

/**
 * What a module is, as far as {@code target_modules="all-linear"} cares. The caller classifies its
 * modules because only it knows the block types and which linear layer is the model's output head.
 *
 * <p>PEFT's all-linear takes every {@code torch.nn.Linear} and transformers {@code Conv1D} (and
 * linear layers already wrapped by a tuner), then drops the output embedding
 * ({@code get_output_embeddings()}, e.g. {@code lm_head}) or, for sequence classification models
 * without one, the {@code score}/{@code classifier} head. Report the former as {@link #LINEAR}, the
 * dropped head as {@link #OUTPUT_HEAD_LINEAR}. Sub-modules inside an injected adapter layer
 * ({@code base_layer}, {@code lora_A}, ...) must not be reported as {@code LINEAR}: PEFT never nests
 * adapters.
 *
 * <pre>{@code
 * ModuleKind kind = path.equals("lm_head") ? ModuleKind.OUTPUT_HEAD_LINEAR
 *         : block instanceof Linear ? ModuleKind.LINEAR
 *         : ModuleKind.OTHER;
 * }</pre>
 */
public enum ModuleKind {
    /** A linear (or GPT-2 Conv1D-style) projection that all-linear adapts. */
    LINEAR,
    /** The linear output head (lm_head, or a classification head) that all-linear leaves alone. */
    OUTPUT_HEAD_LINEAR,
    /** A token or position embedding; never part of all-linear. */
    EMBEDDING,
    /** Anything else: containers, norms, activations, dropout. */
    OTHER
}
