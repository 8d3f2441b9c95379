package io.github.peft4j.models.llama;

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
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.CausalInputs;
import io.github.peft4j.models.nn.ModuleList;
import io.github.peft4j.models.nn.RmsNorm;
import io.github.peft4j.models.nn.TokenEmbedding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bare Llama decoder ({@code model}): {@code embed_tokens}, {@code layers.<i>}, {@code norm}.
 * Inputs: {@code (input_ids [B,T], optional attention_mask)}; output: {@code (hidden [B,T,H])}.
 *
 * <pre>{@code
 * NDArray hidden = ModuleTree.of(model).get("model").forward(ps, new NDList(ids), false).head();
 * }</pre>
 */
public final class LlamaModel extends AbstractBlock {

    private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);

    private final LlamaConfig config;
    private final TokenEmbedding embedding;
    private final RotaryEmbedding rotary;
    private Block embedTokens;
    private final ModuleList<LlamaDecoderLayer> layers;
    private Block norm;

    LlamaModel(LlamaConfig config) {
        this.config = config;
        if (config.requestsUnsupportedSlidingWindow()) {
            LOG.warn("use_sliding_window is set in this Qwen2 config; peft4j attends to the full sequence");
        }
        embedding = new TokenEmbedding(config.vocabSize(), config.hiddenSize());
        embedTokens = addChildBlock("embed_tokens", embedding);
        layers = addChildBlock("layers", new ModuleList<>());
        for (int i = 0; i < config.numLayers(); i++) {
            layers.add(new LlamaDecoderLayer(config, i));
        }
        norm = addChildBlock("norm", new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
        rotary = new RotaryEmbedding(config);
    }

    /** @return the input embedding table (also the tied output head's weight) */
    TokenEmbedding embedding() {
        return embedding;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        NDArray tokens = embedTokens.forward(ps, new NDList(ids), training, params).head();
        CausalInputs in = CausalInputs.prepare(ForwardContext.current(params), tokens, mask, config.slidingWindow());
        NDArray[] cosSin = rotary.cosSin(in.positions());
        NDArray hidden = in.embeddings();
        for (int i = 0; i < layers.size(); i++) {
            NDList layerIn = new NDList(hidden, in.bias(), cosSin[0], cosSin[1]);
            hidden = layers.get(i).forward(ps, layerIn, training, params).head();
        }
        hidden = norm.forward(ps, new NDList(hidden), training, params).head();
        in.finish();
        return new NDList(hidden);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        Shape hidden = ids.add(config.hiddenSize());
        embedTokens.initialize(manager, dataType, ids);
        layers.initialize(manager, dataType, hidden);
        norm.initialize(manager, dataType, hidden);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.hiddenSize())};
    }
}
