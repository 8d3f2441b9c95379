package io.github.peft4j.models;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.models.bert.BertForMaskedLM;
import io.github.peft4j.models.bert.BertForSequenceClassification;
import io.github.peft4j.models.bert.BertLMHeadModel;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.gpt2.Gpt2LmHeadModel;
import io.github.peft4j.models.io.HfInitializer;
import io.github.peft4j.models.io.ParameterInit;
import io.github.peft4j.models.llama.Gemma3ForConditionalGeneration;
import io.github.peft4j.models.llama.LlamaForCausalLM;

/**
 * Builds the DJL block of a configuration, empty or randomly initialised as transformers
 * initialises a fresh model. The same config and seed always give the same weights.
 *
 * <pre>{@code
 * try (PretrainedModel tiny = ModelFactory.create(LlamaConfig.tiny().build(), manager, 42)) {
 *     Block model = tiny.block();          // LlamaForCausalLM, initialised
 *     PeftModel peft = PeftModel.create(model, loraConfig);
 * }
 * }</pre>
 */
public final class ModelFactory {

    private ModelFactory() {}

    /**
     * The block of a configuration, without weights.
     *
     * @param config the configuration
     * @param nameOrPath the model's name or directory (recorded in saved adapters), or {@code null}
     * @return the root block ({@link LlamaForCausalLM}, {@link Gpt2LmHeadModel} or
     *     {@link BertForSequenceClassification})
     */
    public static HfModel newModel(ModelConfig config, String nameOrPath) {
        return newModel(config, nameOrPath, null);
    }

    /**
     * The block of a configuration as a chosen transformers class, as transformers'
     * {@code BertForMaskedLM.from_pretrained} picks the head whatever the checkpoint was saved from.
     *
     * <pre>{@code
     * HfModel mlm = ModelFactory.newModel(bertConfig, null, "BertForMaskedLM");
     * }</pre>
     *
     * @param config the configuration
     * @param nameOrPath the model's name or directory, or {@code null}
     * @param architecture the class name, or {@code null} for the configuration's own
     *     ({@link ModelConfig#architecture()}); BERT also offers {@code BertForMaskedLM} and
     *     {@code BertLMHeadModel}
     * @return the root block
     * @throws PeftConfigException when the configuration has no such class
     */
    public static HfModel newModel(ModelConfig config, String nameOrPath, String architecture) {
        if (architecture != null && !architecture.equals(config.architecture())) {
            if (config instanceof BertConfig bert && architecture.equals(BertForMaskedLM.ARCHITECTURE)) {
                return new BertForMaskedLM(bert, nameOrPath);
            }
            if (config instanceof BertConfig bert && architecture.equals(BertLMHeadModel.ARCHITECTURE)) {
                return new BertLMHeadModel(bert, nameOrPath);
            }
            throw new PeftConfigException("a '" + config.modelType() + "' configuration builds " + config.architecture()
                    + (config instanceof BertConfig ? ", BertForMaskedLM or BertLMHeadModel" : "") + ", not '"
                    + architecture + "'");
        }
        if (config instanceof LlamaConfig llama) {
            return llama.isGemma3Multimodal() ? new Gemma3ForConditionalGeneration(llama, nameOrPath)
                    : new LlamaForCausalLM(llama, nameOrPath);
        }
        if (config instanceof Gpt2Config gpt2) {
            return new Gpt2LmHeadModel(gpt2, nameOrPath);
        }
        if (config instanceof BertConfig bert) {
            return new BertForSequenceClassification(bert, nameOrPath);
        }
        throw new PeftConfigException("no architecture for " + config.getClass().getName());
    }

    /**
     * A randomly initialised model, weights in a sub-manager of {@code manager} that the returned
     * model owns.
     *
     * @param config the configuration
     * @param manager the parent manager (its device is the model's device)
     * @param seed the seed of every weight
     * @return the initialised model (no tokenizer, no directory)
     */
    public static PretrainedModel create(ModelConfig config, NDManager manager, long seed) {
        return create(config, null, manager, seed);
    }

    /**
     * @param config the configuration
     * @param architecture the transformers class, or {@code null} for the configuration's own
     * @param manager the parent manager
     * @param seed the seed of every weight
     * @return the initialised model
     */
    public static PretrainedModel create(ModelConfig config, String architecture, NDManager manager, long seed) {
        HfModel model = newModel(config, null, architecture);
        NDManager owned = manager.newSubManager();
        try {
            ParameterInit.initialize(model, owned, (key, owner) -> HfInitializer.of(model, key, owner, seed));
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
        return new PretrainedModel(model, null, null, owned, LoadReport.none());
    }
}
