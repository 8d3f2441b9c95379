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
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.nn.HiddenStateRecorder;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.SoftCapping;
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

    /**
     * The {@code ForwardContext} entry asking for the final hidden states [B, T, H] (after the final
     * norm) in place of the logits: a loss that applies a frozen head itself, in chunks of positions,
     * never holds the [B, T, vocab] logits (peft-train's chunked causal-LM loss).
     */
    public static final ForwardContext.Key<Boolean> SKIP_HEAD = new ForwardContext.Key<>("skip_lm_head", Boolean.class);

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
        if (ForwardContext.current(params).get(SKIP_HEAD).orElse(Boolean.FALSE)) {
            return decoded;
        }
        NDArray logits = lmHead.forward(ps, new NDList(decoded.head()), training, params).head();
        float cap = finalLogitSoftcap();
        return HiddenStateRecorder.passOn(new NDList(cap > 0 ? SoftCapping.apply(logits, cap) : logits), decoded, 1);
    }

    /**
     * Gemma 2's {@code final_logit_softcapping}: the logits become {@code cap * tanh(logits / cap)}.
     *
     * @return the cap, or 0 for none (the default)
     */
    public float finalLogitSoftcap() {
        return 0f;
    }

    /**
     * @return the head block as it is now: a {@link TiedLmHead}, a plain linear layer, or whatever
     *     a PEFT method put in its place (LoRA on {@code lm_head}, {@code modules_to_save})
     */
    public Block lmHead() {
        return lmHead;
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
