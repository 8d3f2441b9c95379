package io.github.peft4j.models.gpt2;

import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.nn.HfLayerNorm;
import io.github.peft4j.models.nn.PreNormDecoderLayer;

/**
 * One GPT-2 layer ({@code h.<i>}): {@code h + attn(ln_1(h))}, then {@code h + mlp(ln_2(h))}.
 * Inputs: {@code (hidden, bias)}.
 *
 * <pre>{@code
 * Block block = ModuleTree.of(model).get("transformer.h.0");
 * }</pre>
 */
public final class Gpt2Block extends PreNormDecoderLayer {

    Gpt2Block(Gpt2Config config, int layerIndex) {
        subLayers(addChildBlock("ln_1", new HfLayerNorm(config.hiddenSize(), config.layerNormEps())),
                addChildBlock("attn", new Gpt2Attention(config, layerIndex)),
                addChildBlock("ln_2", new HfLayerNorm(config.hiddenSize(), config.layerNormEps())),
                addChildBlock("mlp", new Gpt2Mlp(config)));
    }
}
