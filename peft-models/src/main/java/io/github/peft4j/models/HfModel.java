package io.github.peft4j.models;

import ai.djl.nn.Block;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.models.config.ModelConfig;

/**
 * The root block of a Hugging Face architecture built by peft4j: its configuration and how its
 * parameters meet checkpoint keys. Every parameter's {@code ModuleTree} name is its Hugging Face
 * state-dict key in the class's own layout ({@code model.layers.0.self_attn.q_proj.weight}).
 *
 * <pre>{@code
 * HfModel model = (HfModel) HfModels.load(dir, manager).block();
 * String type = model.config().modelType();
 * }</pre>
 */
public interface HfModel extends BaseModelInfo {

    /** @return the configuration the block was built from */
    ModelConfig config();

    /**
     * transformers' {@code base_model_prefix}: the child holding the bare model ({@code model},
     * {@code transformer}, {@code bert}). Checkpoints saved from the bare class lack it in their keys.
     *
     * @return the prefix, without a dot
     */
    String basePrefix();

    /**
     * Parameters that a checkpoint may lack, which are then initialised as transformers does and
     * reported (a task head such as BERT's {@code classifier} and {@code pooler}).
     *
     * @param key a parameter key
     * @param bareCheckpoint whether the checkpoint was saved from the bare model class
     * @return whether it may be missing
     */
    boolean mayBeMissing(String key, boolean bareCheckpoint);

    /**
     * Checkpoint entries that are buffers rather than weights and are skipped without a warning
     * (GPT-2's {@code attn.bias} causal mask, BERT's {@code position_ids}, old Llama's
     * {@code rotary_emb.inv_freq}).
     *
     * @param key a checkpoint key, in this class's layout
     * @return whether to skip it quietly
     */
    boolean isBuffer(String key);

    /**
     * transformers' {@code _checkpoint_conversion_mapping}: the key a checkpoint tensor has in this
     * class's layout, for checkpoints written by an older layout of the class (multimodal Gemma 3's
     * {@code language_model.model.*} before transformers 4.52).
     *
     * @param checkpointKey a key as the checkpoint file holds it
     * @return the key in this class's layout; by default the same
     */
    default String modelKey(String checkpointKey) {
        return checkpointKey;
    }

    /**
     * @return the transformers class this block reproduces ({@code LlamaForCausalLM},
     *     {@code BertForMaskedLM}); by default the configuration's, which a BERT head overrides
     */
    default String architecture() {
        return config().architecture();
    }

    /** @return this model as a DJL block */
    default Block asBlock() {
        return (Block) this;
    }

    @Override
    default String modelType() {
        return config().modelType();
    }
}
