package io.github.peft4j.models;

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
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.nn.HiddenStateRecorder;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.TiedLmHead;
import io.github.peft4j.models.nn.TokenInputBlock;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What transformers' {@code *ForCausalLM} classes share: a decoder body under the architecture's
 * base prefix ({@code model}, {@code transformer}) and an {@code lm_head}, tied to the token
 * embeddings or not. Architectures differ only in their body, prefix and buffers.
 *
 * <pre>{@code
 * public final class MyForCausalLM extends CausalLmWithHead<MyConfig> {
 *     public MyForCausalLM(MyConfig c, String nameOrPath) {
 *         super(c, nameOrPath, "model", new MyModel(c), Pattern.compile("model\\.rotary_emb\\.inv_freq"));
 *     }
 * }
 * }</pre>
 *
 * @param <C> the configuration type
 */
public abstract class CausalLmWithHead<C extends ModelConfig> extends AbstractBlock implements CausalLM {

    private final C config;
    private final String nameOrPath;
    private final String basePrefix;
    private final Parameter wordEmbeddings;
    private final Pattern buffers;
    // not final: block surgery may replace children held in fields
    private Block body;
    private Block lmHead;

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from (recorded in saved adapters), or {@code null}
     * @param basePrefix the body's child name, transformers' {@code base_model_prefix}
     * @param body the decoder body; its token embedding is what a tied head reads
     * @param buffers checkpoint keys that are buffers, not weights
     */
    protected CausalLmWithHead(C config, String nameOrPath, String basePrefix, TokenInputBlock body, Pattern buffers) {
        this.config = config;
        this.nameOrPath = nameOrPath;
        this.basePrefix = basePrefix;
        this.wordEmbeddings = body.tokenEmbedding().weight();
        this.buffers = buffers;
        this.body = addChildBlock(basePrefix, body);
        this.lmHead = addChildBlock("lm_head", config.tieWordEmbeddings()
                ? new TiedLmHead(wordEmbeddings, config.vocabSize())
                : Linears.of(config.vocabSize(), false));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList decoded = body.forward(ps, inputs, training, params);
        NDArray logits = lmHead.forward(ps, new NDList(decoded.head()), training, params).head();
        return HiddenStateRecorder.passOn(new NDList(finishLogits(logits)), decoded, 1);
    }

    /**
     * What the architecture does to the head's output (Gemma 2's final soft-capping).
     *
     * @param logits [B, T, vocab]
     * @return the logits the model returns; by default {@code logits} itself
     */
    protected NDArray finishLogits(NDArray logits) {
        return logits;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        body.initialize(manager, dataType, inputShapes);
        lmHead.initialize(manager, dataType, inputShapes[0].add(config.hiddenSize()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.vocabSize())};
    }

    @Override
    public C config() {
        return config;
    }

    @Override
    public Parameter wordEmbeddings() {
        return wordEmbeddings;
    }

    @Override
    public String basePrefix() {
        return basePrefix;
    }

    @Override
    public boolean mayBeMissing(String key, boolean bareCheckpoint) {
        // a checkpoint of the bare body has no head: transformers initialises it fresh
        return bareCheckpoint && key.startsWith("lm_head.");
    }

    @Override
    public boolean isBuffer(String key) {
        return buffers.matcher(key).matches();
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
