package io.github.peft4j.bench.scale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.io.PythonJson;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The published configurations the real-scale benchmark reproduces: the {@code config.json} of three
 * Hub checkpoints users fine-tune first, with the Hub's field names and values, and a tiny variant of
 * each (same fields and structure: GQA ratio, biases, tied head, RoPE scaling; small sizes) for tests.
 *
 * <p>Sources (the values were checked against these, not written from memory):
 * <ul>
 * <li>SmolLM2-135M: huggingface.co/HuggingFaceTB/SmolLM2-135M config.json as quoted in
 *     github.com/satyasundar/erav3-s13 README.md (LlamaConfig dump) and in the SmolLM2-135M
 *     reproductions indexed with it (max_position_embeddings 8192, rope_theta 100000, 9 heads / 3 KV,
 *     tied); the 30 × (576 → 192 k/v) layer shapes from the same printout.</li>
 * <li>Qwen2.5-0.5B: huggingface.co/Qwen/Qwen2.5-0.5B config.json as quoted in a "Qwen/Qwen2.5-0.5B
 *     model config" note and in rwth-i6/i6_experiments qwen2_configs.py (896 hidden, 4864 FFN, 14 heads
 *     / 2 KV, rope_theta 1e6, rms 1e-6, tied, 151936 vocabulary); q/k/v biases are Qwen2's fixed
 *     architecture (transformers' Qwen2Attention), not a config field.</li>
 * <li>Llama-3.2-1B: huggingface.co/meta-llama/Llama-3.2-1B config.json as quoted in
 *     kevinstephano/thunder_model_blocks hf_llama/llama_config.py and in peft-models'
 *     ModelConfigTest.LLAMA_32 (2048 hidden, 8192 FFN, 16 layers, 32 heads / 8 KV of 64, llama3
 *     rope_scaling factor 32 / 1 / 4 / 8192, rope_theta 5e5, tied, 128256 vocabulary).</li>
 * </ul>
 * {@code transformers_version} is left out: it names the writer, not the model.
 *
 * <pre>{@code
 * ObjectNode config = PublishedModel.LLAMA_3_2_1B.config();   // as on the Hub
 * long params = PublishedModel.LLAMA_3_2_1B.publishedParameters();   // 1,235,814,400
 * }</pre>
 */
public enum PublishedModel {

    /** HuggingFaceTB/SmolLM2-135M. */
    SMOLLM2_135M("smollm2-135m", "HuggingFaceTB/SmolLM2-135M", 134_515_008L, """
            {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "silu", "hidden_size": 576,
             "initializer_range": 0.041666666666666664, "intermediate_size": 1536, "is_llama_config": true,
             "max_position_embeddings": 8192, "model_type": "llama", "num_attention_heads": 9,
             "num_hidden_layers": 30, "num_key_value_heads": 3, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
             "rope_interleaved": false, "rope_scaling": null, "rope_theta": 100000, "tie_word_embeddings": true,
             "torch_dtype": "bfloat16", "use_cache": true, "vocab_size": 49152}
            """, "{\"hidden_size\": 48, \"intermediate_size\": 128, \"num_attention_heads\": 3,"
                    + " \"num_key_value_heads\": 1, \"num_hidden_layers\": 2, \"vocab_size\": 320}"),

    /** Qwen/Qwen2.5-0.5B. */
    QWEN2_5_0_5B("qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B", 494_032_768L, """
            {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
             "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
             "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24,
             "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
             "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true,
             "torch_dtype": "bfloat16", "use_cache": true, "use_mrope": false, "use_sliding_window": false,
             "vocab_size": 151936}
            """, "{\"hidden_size\": 56, \"intermediate_size\": 304, \"num_attention_heads\": 7,"
                    + " \"num_key_value_heads\": 1, \"num_hidden_layers\": 2, \"max_window_layers\": 2,"
                    + " \"vocab_size\": 304}"),

    /** meta-llama/Llama-3.2-1B. */
    LLAMA_3_2_1B("llama-3.2-1b", "meta-llama/Llama-3.2-1B", 1_235_814_400L, """
            {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu",
             "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
             "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
             "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8, "pretraining_tp": 1,
             "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0,
             "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
             "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "use_cache": true,
             "vocab_size": 128256}
            """, "{\"head_dim\": 16, \"hidden_size\": 64, \"intermediate_size\": 256, \"num_attention_heads\": 4,"
                    + " \"num_key_value_heads\": 1, \"num_hidden_layers\": 2, \"vocab_size\": 256}");

    private final String id;
    private final String hubName;
    private final long publishedParameters;
    private final String configJson;
    private final String tinyOverrides;

    PublishedModel(String id, String hubName, long publishedParameters, String configJson, String tinyOverrides) {
        this.id = id;
        this.hubName = hubName;
        this.publishedParameters = publishedParameters;
        this.configJson = configJson;
        this.tinyOverrides = tinyOverrides;
    }

    /** @return the short name used on the command line, e.g. {@code llama-3.2-1b} */
    public String id() {
        return id;
    }

    /** @return the Hub repository, e.g. {@code meta-llama/Llama-3.2-1B} */
    public String hubName() {
        return hubName;
    }

    /** @return the parameter count of the published model (a tied head counted once) */
    public long publishedParameters() {
        return publishedParameters;
    }

    /** @return a fresh copy of the Hub's {@code config.json} */
    public ObjectNode config() {
        return parse(configJson);
    }

    /** @return the same configuration at toy sizes: same fields, GQA ratio, biases and tying */
    public ObjectNode tinyConfig() {
        ObjectNode config = config();
        config.setAll(parse(tinyOverrides));
        return config;
    }

    /**
     * @param id a name as {@link #id()} returns it (case-insensitive)
     * @return the model
     * @throws PeftConfigException listing the known names
     */
    public static PublishedModel of(String id) {
        for (PublishedModel m : values()) {
            if (m.id.equals(id.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new PeftConfigException("unknown model '" + id + "'; expected one of "
                + Arrays.stream(values()).map(PublishedModel::id).collect(Collectors.joining(", ")));
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) PythonJson.mapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("built-in configuration does not parse", e);
        }
    }
}
