package io.github.peft4j.core.targeting;

import ai.djl.nn.Block;
import ai.djl.nn.core.AbstractEmbedding;
import io.github.peft4j.core.module.DequantizableLinear;
import io.github.peft4j.core.module.EmbeddingLike;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.TunerLayer;

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
 * ModuleKind kind = ModuleKind.of(block, path.equals("lm_head"));
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
    OTHER;

    /**
     * Classifies a module of a DJL tree: linear layers (DJL {@code Linear}, {@link LinearLike} blocks,
     * quantized linears), embeddings, or other; a tuner layer counts as the layer it wraps.
     *
     * @param block a module
     * @param isOutputHead whether it is the model's output head
     * @return its kind for target matching
     */
    public static ModuleKind of(Block block, boolean isOutputHead) {
        Block inner = block instanceof TunerLayer layer ? layer.baseLayer() : block;
        if (LinearLike.of(inner).isPresent() || inner instanceof DequantizableLinear) {
            return isOutputHead ? OUTPUT_HEAD_LINEAR : LINEAR;
        }
        if (inner instanceof AbstractEmbedding<?> || EmbeddingLike.of(inner).isPresent()) {
            return EMBEDDING;
        }
        return OTHER;
    }
}
