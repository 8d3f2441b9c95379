package io.github.peft4j.models;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.module.DequantizableLinear;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsCheckpoint;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.config.ModelConfigs;
import io.github.peft4j.models.io.CheckpointLoader;
import io.github.peft4j.models.io.CheckpointWriter;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads and saves Hugging Face checkpoint directories ({@code config.json},
 * {@code model.safetensors} or shards, {@code tokenizer.json}) as DJL blocks whose module paths are
 * the Hugging Face ones. Supported {@code model_type}s: {@code llama} (Llama 2/3, SmolLM,
 * TinyLlama), {@code mistral}, {@code qwen2}, {@code qwen3}, {@code phi3}, {@code gemma2},
 * {@code gemma3_text}, {@code gemma3} (the text model of {@code Gemma3ForConditionalGeneration}),
 * {@code gpt2}, {@code bert} (sequence classification, or masked/causal LM heads through
 * {@link LoadOptions#architecture()}).
 *
 * <pre>{@code
 * try (NDManager manager = NDManager.newBaseManager();
 *      PretrainedModel model = HfModels.load(Path.of("TinyLlama-1.1B"), manager)) {
 *     Block block = model.block();                       // model.layers.0.self_attn.q_proj, ...
 *     // ... fine-tune with PeftModel, merge and unload ...
 *     HfModels.save(model, Path.of("merged"));          // config.json + model.safetensors (+ tokenizer files)
 * }
 * }</pre>
 */
public final class HfModels {

    /** Tokenizer and generation files copied along when a loaded model is saved elsewhere. */
    public static final List<String> COMPANION_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt", "vocab.txt",
            "tokenizer.model", "chat_template.jinja", "generation_config.json");

    private HfModels() {}

    /**
     * Loads a checkpoint directory. The weights live in a sub-manager of {@code manager} owned by the
     * returned model; F32 tensors are mapped from the file without copying where possible.
     *
     * @param dir the checkpoint directory
     * @param manager the parent manager (its device is the model's device)
     * @return the model, with its tokenizer if the directory has {@code tokenizer.json},
     *     {@code vocab.json} + {@code merges.txt} or a SentencePiece {@code tokenizer.model}
     * @throws PeftFormatException when {@code config.json} or the weights are missing or malformed, the
     *     {@code model_type} is not supported, or a tensor is missing or has the wrong shape (the message
     *     names the file and the tensor)
     */
    public static PretrainedModel load(Path dir, NDManager manager) {
        return load(dir, manager, 0L);
    }

    /**
     * @param dir the checkpoint directory
     * @param manager the parent manager
     * @param headSeed the seed of weights the checkpoint lacks and the model initialises fresh
     *     (BERT's {@code classifier})
     * @return the model
     */
    public static PretrainedModel load(Path dir, NDManager manager, long headSeed) {
        return load(dir, manager, LoadOptions.builder().headSeed(headSeed).build());
    }

    /**
     * Loads a checkpoint directory, handing each linear layer to the options' {@link LinearTransform}
     * right after its weight is read. Linear weights are read one layer at a time after the rest of
     * the model, and a replaced layer's F32 weight is closed before the next one is read, so a
     * quantizing transform holds at most one linear layer in F32 beyond the converted model.
     *
     * <pre>{@code
     * PretrainedModel model = HfModels.load(dir, manager,
     *         LoadOptions.builder().linearTransform(Quantizer.atLoad(QuantizationConfig.of(QuantizationType.NF4))).build());
     * }</pre>
     *
     * @param dir the checkpoint directory
     * @param manager the parent manager
     * @param options the head seed and the linear transform
     * @return the model
     */
    public static PretrainedModel load(Path dir, NDManager manager, LoadOptions options) {
        if (!Files.isDirectory(dir)) {
            throw new PeftFormatException(dir, null, "expected a Hugging Face checkpoint directory");
        }
        ModelConfig config = ModelConfigs.read(dir.resolve(ModelConfigs.FILE_NAME));
        HfModel model = ModelFactory.newModel(config, dir.toString(), options.architecture());
        NDManager owned = manager.newSubManager();
        HfTokenizer tokenizer = null;
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            LoadReport report = CheckpointLoader.load(model, checkpoint, owned, options.headSeed(),
                    options.linearTransform());
            if (HfTokenizer.presentIn(dir)) {
                tokenizer = HfTokenizer.load(dir, config);
            }
            return new PretrainedModel(model, tokenizer, dir, owned, report);
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            owned.close();
            throw e;
        }
    }

    /**
     * Saves a model as a checkpoint directory, as transformers' {@code save_pretrained}: F32 weights,
     * a tied head once, shards over {@link SafetensorsCheckpoint#DEFAULT_MAX_SHARD_BYTES}; the
     * tokenizer and generation files of the directory it was loaded from are copied along.
     *
     * @param model the model (its block holding no adapter layers: merge and unload them first)
     * @param dir the target directory, created if missing
     * @throws PeftCompatibilityException when the block still holds adapter layers
     * @throws PeftFormatException when writing fails
     */
    public static void save(PretrainedModel model, Path dir) {
        save(model.block(), dir);
        if (model.dir().isPresent()) {
            copyCompanions(model.dir().get(), dir);
        }
    }

    /**
     * Saves a root block built by peft4j (for example the result of {@code PeftModel.mergeAndUnload()}).
     *
     * @param block a root block of a supported architecture
     * @param dir the target directory, created if missing
     */
    public static void save(Block block, Path dir) {
        save(block, dir, SafetensorsCheckpoint.DEFAULT_MAX_SHARD_BYTES);
    }

    /**
     * @param block a root block of a supported architecture
     * @param dir the target directory
     * @param maxShardBytes the largest shard in bytes; a bigger model is written as shards plus an index
     */
    public static void save(Block block, Path dir, long maxShardBytes) {
        if (block instanceof PeftModel) {
            throw new PeftCompatibilityException("a PeftModel is not a base checkpoint: call mergeAndUnload()"
                    + " and save the block it returns, or save the adapter with PeftModel.save");
        }
        if (!(block instanceof HfModel model)) {
            throw new PeftCompatibilityException(block.getClass().getName()
                    + " is not a peft4j model block; only blocks built by HfModels/ModelFactory can be saved");
        }
        if (model.config() instanceof LlamaConfig llama && llama.isGemma3Multimodal()) {
            throw new PeftCompatibilityException("a Gemma3ForConditionalGeneration checkpoint loads as its text model"
                    + " only; saving it would write a multimodal config.json without the vision tower. Save the"
                    + " adapter instead (PeftModel.save): its keys are those PEFT uses for the full model");
        }
        for (ModuleTree.Module m : ModuleTree.of(block).modules().values()) {
            if (m.block() instanceof DequantizableLinear) {
                throw new PeftCompatibilityException("module '" + m.path() + "' is quantized and has no full-precision"
                        + " weight to save; quantized checkpoints are not supported (merge with an F32 export, or save"
                        + " the F32 model before quantizing)");
            }
        }
        CheckpointWriter.save(model, dir, maxShardBytes);
    }

    private static void copyCompanions(Path from, Path to) {
        try {
            if (Files.isSameFile(from, to)) {
                return;
            }
            for (String name : COMPANION_FILES) {
                Path source = from.resolve(name);
                if (Files.isRegularFile(source)) {
                    AtomicFiles.write(to.resolve(name), Files.readAllBytes(source));
                }
            }
        } catch (IOException e) {
            throw new PeftFormatException(from, null, "cannot copy tokenizer files: " + e.getMessage(), e);
        }
    }
}
