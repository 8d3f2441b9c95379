package io.github.peft4j.models.llama;

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
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.TiedLmHead;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * transformers' {@code LlamaForCausalLM} (also Mistral and Qwen2) as a DJL block, with the same
 * module paths: {@code model.embed_tokens}, {@code model.layers.<i>.self_attn.{q,k,v,o}_proj},
 * {@code model.layers.<i>.mlp.{gate,up,down}_proj}, {@code model.layers.<i>.input_layernorm},
 * {@code model.layers.<i>.post_attention_layernorm}, {@code model.norm}, {@code lm_head} (tied to
 * the embedding when {@code tie_word_embeddings}).
 *
 * <p>Input: {@code NDList(input_ids [B,T] INT64, optional attention_mask [B,T])}; output:
 * {@code NDList(logits [B,T,vocab])}. Build one with {@link io.github.peft4j.models.ModelFactory}
 * or load it with {@link io.github.peft4j.models.HfModels}.
 *
 * <pre>{@code
 * PretrainedModel tiny = ModelFactory.create(LlamaConfig.tiny().build(), manager, 42);
 * NDArray logits = tiny.block().forward(new ParameterStore(manager, false), new NDList(ids), false).head();
 * }</pre>
 */
public final class LlamaForCausalLM extends AbstractBlock implements CausalLM {

    private static final Pattern BUFFERS = Pattern.compile("(model\\.)?layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

    private final LlamaConfig config;
    private final String nameOrPath;
    private final LlamaModel body;
    private Block model;
    private Block lmHead;

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from (recorded in saved adapters), or {@code null}
     */
    public LlamaForCausalLM(LlamaConfig config, String nameOrPath) {
        this.config = config;
        this.nameOrPath = nameOrPath;
        body = new LlamaModel(config);
        model = addChildBlock("model", body);
        lmHead = addChildBlock("lm_head", config.tieWordEmbeddings()
                ? new TiedLmHead(body.embedding().weight(), config.vocabSize())
                : Linears.of(config.vocabSize(), false));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = model.forward(ps, inputs, training, params).head();
        return lmHead.forward(ps, new NDList(hidden), training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        model.initialize(manager, dataType, inputShapes);
        lmHead.initialize(manager, dataType, inputShapes[0].add(config.hiddenSize()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.vocabSize())};
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public Parameter wordEmbeddings() {
        return body.embedding().weight();
    }

    @Override
    public String basePrefix() {
        return "model";
    }

    @Override
    public boolean mayBeMissing(String key, boolean bareCheckpoint) {
        // a checkpoint of the bare LlamaModel has no head: transformers initialises it fresh
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
