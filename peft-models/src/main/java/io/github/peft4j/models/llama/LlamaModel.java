package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.CausalInputs;
import io.github.peft4j.models.nn.HiddenStateRecorder;
import io.github.peft4j.models.nn.ModuleList;
import io.github.peft4j.models.nn.RmsNorm;
import io.github.peft4j.models.nn.TokenEmbedding;
import io.github.peft4j.models.nn.TokenInputBlock;
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
public final class LlamaModel extends TokenInputBlock {

    private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);

    private final Integer slidingWindow;
    private final RotaryEmbedding rotary;
    private Block embedTokens;
    private final ModuleList<LlamaDecoderLayer> layers;
    private Block norm;

    LlamaModel(LlamaConfig config) {
        super(config.hiddenSize());
        this.slidingWindow = config.slidingWindow();
        if (config.requestsUnsupportedSlidingWindow()) {
            LOG.warn("use_sliding_window is set in this Qwen2 config; peft4j attends to the full sequence");
        }
        embedTokens = addTokenEmbedding("embed_tokens", new TokenEmbedding(config.vocabSize(), config.hiddenSize()));
        layers = addChildBlock("layers", new ModuleList<>());
        for (int i = 0; i < config.numLayers(); i++) {
            layers.add(new LlamaDecoderLayer(config, i));
        }
        norm = addChildBlock("norm", new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
        rotary = new RotaryEmbedding(config);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        CausalInputs in = CausalInputs.embed(embedTokens, ps, inputs, training, params, slidingWindow);
        NDArray[] cosSin = rotary.cosSin(in.positions());
        NDArray hidden = in.embeddings();
        HiddenStateRecorder states = HiddenStateRecorder.of(params);
        for (int i = 0; i < layers.size(); i++) {
            states.record(hidden);
            NDList layerIn = new NDList(hidden, in.bias(), cosSin[0], cosSin[1]);
            hidden = layers.get(i).forward(ps, layerIn, training, params).head();
        }
        hidden = norm.forward(ps, new NDList(hidden), training, params).head();
        states.record(hidden);
        in.finish();
        return states.appendTo(new NDList(hidden));
    }
}
