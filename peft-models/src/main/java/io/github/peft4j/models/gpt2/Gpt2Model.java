package io.github.peft4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.nn.CausalInputs;
import io.github.peft4j.models.nn.CheckpointedLayers;
import io.github.peft4j.models.nn.Dropout;
import io.github.peft4j.models.nn.HfLayerNorm;
import io.github.peft4j.models.nn.HiddenStateRecorder;
import io.github.peft4j.models.nn.ModuleList;
import io.github.peft4j.models.nn.TokenEmbedding;
import io.github.peft4j.models.nn.TokenInputBlock;

/**
 * The bare GPT-2 decoder ({@code transformer}): {@code wte}, {@code wpe}, {@code h.<i>},
 * {@code ln_f}. Inputs: {@code (input_ids [B,T], optional attention_mask)}; output:
 * {@code (hidden [B,T,E])}, then the hidden states when requested.
 *
 * <pre>{@code
 * NDArray hidden = ModuleTree.of(model).get("transformer").forward(ps, new NDList(ids), false).head();
 * }</pre>
 */
public final class Gpt2Model extends TokenInputBlock {

    private final double embdDropout;
    private Block wte;
    private Block wpe;
    private final ModuleList<Gpt2Block> h;
    private Block lnF;

    Gpt2Model(Gpt2Config config) {
        super(config.hiddenSize());
        this.embdDropout = config.embdDropout();
        wte = addTokenEmbedding("wte", new TokenEmbedding(config.vocabSize(), config.hiddenSize()));
        wpe = addIdReader("wpe", new TokenEmbedding(config.maxPositionEmbeddings(), config.hiddenSize()));
        h = addChildBlock("h", new ModuleList<>());
        for (int i = 0; i < config.numLayers(); i++) {
            h.add(new Gpt2Block(config, i));
        }
        lnF = addChildBlock("ln_f", new HfLayerNorm(config.hiddenSize(), config.layerNormEps()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        CausalInputs in = CausalInputs.embed(wte, ps, inputs, training, params, null);
        NDArray positions = wpe.forward(ps, new NDList(in.positions()), training, params).head();
        NDArray hidden = Dropout.apply(in.embeddings().add(positions), embdDropout, training);
        HiddenStateRecorder states = HiddenStateRecorder.of(params);
        CheckpointedLayers stack = CheckpointedLayers.of(params, training);
        for (int i = 0; i < h.size(); i++) {
            states.record(hidden);
            hidden = stack.forward(h.get(i), ps, new NDList(hidden, in.bias()), training, params);
        }
        hidden = stack.output(hidden);
        hidden = lnF.forward(ps, new NDList(hidden), training, params).head();
        states.record(hidden);
        in.finish();
        return states.appendTo(new NDList(hidden));
    }
}
