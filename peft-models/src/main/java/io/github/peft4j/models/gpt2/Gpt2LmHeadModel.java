package io.github.peft4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.CausalLM;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.TiedLmHead;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * transformers' {@code GPT2LMHeadModel} as a DJL block, with the same module paths:
 * {@code transformer.wte}, {@code transformer.wpe}, {@code transformer.h.<i>.ln_1},
 * {@code .attn.c_attn}, {@code .attn.c_proj}, {@code .ln_2}, {@code .mlp.c_fc}, {@code .mlp.c_proj},
 * {@code transformer.ln_f}, {@code lm_head} (tied to {@code wte} unless
 * {@code tie_word_embeddings: false}). The projections are {@link Conv1D} layers, weight [in, out]:
 * LoRA on them needs {@code fan_in_fan_out}.
 *
 * <p>Input: {@code NDList(input_ids [B,T] INT64, optional attention_mask [B,T])}; output:
 * {@code NDList(logits [B,T,vocab])}.
 *
 * <pre>{@code
 * PretrainedModel gpt2 = HfModels.load(Path.of("gpt2"), manager);
 * Block conv = ModuleTree.of(gpt2.block()).get("transformer.h.0.attn.c_attn");
 * }</pre>
 */
public final class Gpt2LmHeadModel extends AbstractBlock implements CausalLM {

    private static final Pattern BUFFERS = Pattern.compile("transformer\\.h\\.\\d+\\.attn\\.(bias|masked_bias)");

    private final Gpt2Config config;
    private final String nameOrPath;
    private final Gpt2Model body;
    private Block transformer;
    private Block lmHead;

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from (recorded in saved adapters), or {@code null}
     */
    public Gpt2LmHeadModel(Gpt2Config config, String nameOrPath) {
        this.config = config;
        this.nameOrPath = nameOrPath;
        body = new Gpt2Model(config);
        transformer = addChildBlock("transformer", body);
        lmHead = addChildBlock("lm_head", config.tieWordEmbeddings()
                ? new TiedLmHead(body.tokenEmbedding().weight(), config.vocabSize())
                : Linears.of(config.vocabSize(), false));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = transformer.forward(ps, inputs, training, params).head();
        return lmHead.forward(ps, new NDList(hidden), training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        transformer.initialize(manager, dataType, inputShapes);
        lmHead.initialize(manager, dataType, inputShapes[0].add(config.hiddenSize()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.vocabSize())};
    }

    @Override
    public Gpt2Config config() {
        return config;
    }

    @Override
    public Parameter wordEmbeddings() {
        return body.tokenEmbedding().weight();
    }

    @Override
    public String basePrefix() {
        return "transformer";
    }

    @Override
    public boolean mayBeMissing(String key, boolean bareCheckpoint) {
        return bareCheckpoint && key.startsWith("lm_head.");
    }

    @Override
    public boolean isBuffer(String key) {
        return BUFFERS.matcher(key).matches();
    }

    @Override
    public Optional<String> outputEmbeddingsPath() {
        return Optional.of("lm_head");
    }

    @Override
    public Optional<String> nameOrPath() {
        return Optional.ofNullable(nameOrPath).or(config::nameOrPath);
    }
}
