package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.models.config.GemmaFields;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.RopeScaling;
import io.github.peft4j.models.nn.CausalInputs;
import io.github.peft4j.models.nn.CheckpointedLayers;
import io.github.peft4j.models.nn.Dropout;
import io.github.peft4j.models.nn.HiddenStateRecorder;
import io.github.peft4j.models.nn.ModuleList;
import io.github.peft4j.models.nn.TokenEmbedding;
import io.github.peft4j.models.nn.TokenInputBlock;

/**
 * The bare Llama decoder ({@code model}): {@code embed_tokens}, {@code layers.<i>}, {@code norm}.
 * Layers given a sliding window ({@link LlamaConfig#slidingWindow(int)}) get a causal mask that also
 * hides keys that many positions back; Gemma 3's sliding layers rotate with their own base
 * ({@code rope_local_base_freq}); Gemma scales the embeddings by {@code sqrt(hidden_size)}.
 * Inputs: {@code (input_ids [B,T], optional attention_mask)}; output: {@code (hidden [B,T,H])}, then
 * the hidden states when requested.
 *
 * <pre>{@code
 * NDArray hidden = ModuleTree.of(model).get("model").forward(ps, new NDList(ids), false).head();
 * }</pre>
 */
public final class LlamaModel extends TokenInputBlock {

    private final Integer[] windows;
    private final RotaryEmbedding rotary;
    private final RotaryEmbedding localRotary;
    private final float embeddingScale;
    private final double embdDropout;
    private Block embedTokens;
    private final ModuleList<LlamaDecoderLayer> layers;
    private Block norm;

    LlamaModel(LlamaConfig config) {
        super(config.hiddenSize());
        windows = new Integer[config.numLayers()];
        for (int i = 0; i < windows.length; i++) {
            windows[i] = config.slidingWindow(i);
        }
        embdDropout = config.embdDropout();
        embeddingScale = config.gemma().isPresent() ? (float) Math.sqrt(config.hiddenSize()) : 1f;
        embedTokens = addTokenEmbedding("embed_tokens", new TokenEmbedding(config.vocabSize(), config.hiddenSize()));
        layers = addChildBlock("layers", new ModuleList<>());
        for (int i = 0; i < config.numLayers(); i++) {
            layers.add(new LlamaDecoderLayer(config, i));
        }
        norm = addChildBlock("norm", LlamaNorm.of(config, config.hiddenSize()));
        rotary = new RotaryEmbedding(config.ropeTheta(), config.ropeScaling(), config.rotaryDim());
        Double localBase = config.gemma().map(GemmaFields::ropeLocalBaseFreq).orElse(null);
        localRotary = localBase == null ? null : new RotaryEmbedding(localBase, RopeScaling.NONE, config.rotaryDim());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        CausalInputs in = CausalInputs.embed(embedTokens, ps, inputs, training, params, null);
        NDArray[] cosSin = rotary.cosSin(in.positions());
        NDArray[] localCosSin = localRotary == null ? cosSin : localRotary.cosSin(in.positions());
        NDArray slidingBias = null;
        NDArray hidden = in.embeddings();
        if (embeddingScale != 1f) {
            // an engine-owned scalar: DJL's mul(Number) frees it before backward reads it
            hidden = hidden.mul(Tensors.scalar(hidden, embeddingScale));
        }
        hidden = Dropout.apply(hidden, embdDropout, training);
        HiddenStateRecorder states = HiddenStateRecorder.of(params);
        CheckpointedLayers stack = CheckpointedLayers.of(params, training);
        for (int i = 0; i < layers.size(); i++) {
            states.record(hidden);
            NDArray bias = in.bias();
            NDArray[] angles = cosSin;
            if (windows[i] != null) {
                slidingBias = slidingBias == null ? in.slidingBias(windows[i]) : slidingBias;
                bias = slidingBias;
                angles = localCosSin;
            }
            NDList layerIn = new NDList(hidden, bias, angles[0], angles[1]);
            hidden = stack.forward(layers.get(i), ps, layerIn, training, params);
        }
        hidden = stack.output(hidden);
        hidden = norm.forward(ps, new NDList(hidden), training, params).head();
        states.record(hidden);
        in.finish();
        return states.appendTo(new NDList(hidden));
    }
}
