package io.github.peft4j.core.module;

import ai.djl.nn.Block;

/**
 * Turns one linear layer into the block that takes its place, called by a model loader right after
 * the layer's weight (and bias) are read, so a model can be converted (for example quantized) layer
 * by layer while it loads instead of after the whole full-precision model is in memory. Lives in core
 * so that model loaders and tuners can share it without depending on each other.
 *
 * <pre>{@code
 * LinearTransform keepHeads = (root, path, module, linear) ->
 *         path.endsWith("lm_head") ? module : new MyCompactLinear(linear);
 * }</pre>
 */
@FunctionalInterface
public interface LinearTransform {

    /** Leaves every layer as loaded. */
    LinearTransform IDENTITY = (root, path, module, linear) -> module;

    /**
     * @param root the model's root block (for example to ask {@code BaseModelInfo} for its head)
     * @param path the module's dotted path
     * @param module the loaded linear module
     * @param linear the module as a linear layer, its weight and bias loaded
     * @return the block to put at {@code path}, or {@code module} itself to keep it; a new block must
     *     not read the F32 weight after returning (the loader closes it)
     */
    Block apply(Block root, String path, Block module, LinearLike linear);
}
