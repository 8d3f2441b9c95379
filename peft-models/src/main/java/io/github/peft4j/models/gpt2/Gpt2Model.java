package io.github.peft4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.nn.CausalInputs;
import io.github.peft4j.models.nn.Dropout;
import io.github.peft4j.models.nn.HfLayerNorm;
import io.github.peft4j.models.nn.ModuleList;
import io.github.peft4j.models.nn.TokenEmbedding;

/**
 * The bare GPT-2 decoder ({@code transformer}): {@code wte}, {@code wpe}, {@code h.<i>},
 * {@code ln_f}. Inputs: {@code (input_ids [B,T], optional attention_mask)}; output:
 * {@code (hidden [B,T,E])}.
 *
 * <pre>{@code
 * NDArray hidden = ModuleTree.of(model).get("transformer").forward(ps, new NDList(ids), false).head();
 * }</pre>
 */
public final class Gpt2Model extends AbstractBlock {

    private final Gpt2Config config;
    private final TokenEmbedding tokenEmbedding;
    private Block wte;
    private Block wpe;
    private final ModuleList<Gpt2Block> h;
    private Block lnF;

    Gpt2Model(Gpt2Config config) {
        this.config = config;
        tokenEmbedding = new TokenEmbedding(config.vocabSize(), config.hiddenSize());
        wte = addChildBlock("wte", tokenEmbedding);
        wpe = addChildBlock("wpe", new TokenEmbedding(config.maxPositionEmbeddings(), config.hiddenSize()));
        h = addChildBlock("h", new ModuleList<>());
        for (int i = 0; i < config.numLayers(); i++) {
            h.add(new Gpt2Block(config, i));
        }
        lnF = addChildBlock("ln_f", new HfLayerNorm(config.hiddenSize(), config.layerNormEps()));
    }

    /** @return the token embedding table (also the tied output head's weight) */
    TokenEmbedding tokenEmbedding() {
        return tokenEmbedding;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        NDArray tokens = wte.forward(ps, new NDList(ids), training, params).head();
        CausalInputs in = CausalInputs.prepare(ForwardContext.current(params), tokens, mask, null);
        NDArray positions = wpe.forward(ps, new NDList(in.positions()), training, params).head();
        NDArray hidden = Dropout.apply(in.embeddings().add(positions), config.embdDropout(), training);
        for (int i = 0; i < h.size(); i++) {
            hidden = h.get(i).forward(ps, new NDList(hidden, in.bias()), training, params).head();
        }
        hidden = lnF.forward(ps, new NDList(hidden), training, params).head();
        in.finish();
        return new NDList(hidden);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        Shape hidden = ids.add(config.hiddenSize());
        wte.initialize(manager, dataType, ids);
        wpe.initialize(manager, dataType, ids);
        h.initialize(manager, dataType, hidden);
        lnF.initialize(manager, dataType, hidden);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.hiddenSize())};
    }
}
