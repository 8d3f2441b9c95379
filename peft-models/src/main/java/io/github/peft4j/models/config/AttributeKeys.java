package io.github.peft4j.models.config;

/**
 * The {@code config.json} keys of the settings every architecture has, as transformers'
 * {@code attribute_map} maps them: GPT-2 writes {@code n_embd} where Llama and BERT write
 * {@code hidden_size}. {@link ModelConfig.Builder} writes its common setters under these keys.
 *
 * <pre>{@code
 * Gpt2Config.builder().hiddenSize(768);   // writes "n_embd": 768
 * }</pre>
 */
record AttributeKeys(String hiddenSize, String numLayers, String numAttentionHeads, String intermediateSize,
        String maxPositionEmbeddings, String hiddenAct) {

    /** The names of transformers' {@code PretrainedConfig} (Llama, Mistral, Qwen2, BERT). */
    static final AttributeKeys STANDARD = new AttributeKeys("hidden_size", "num_hidden_layers",
            "num_attention_heads", "intermediate_size", "max_position_embeddings", "hidden_act");

    /** Gemma 2/3: the activation is {@code hidden_activation}. */
    static final AttributeKeys GEMMA = new AttributeKeys("hidden_size", "num_hidden_layers",
            "num_attention_heads", "intermediate_size", "max_position_embeddings", "hidden_activation");

    /** {@code GPT2Config}'s own names. */
    static final AttributeKeys GPT2 = new AttributeKeys("n_embd", "n_layer", "n_head", "n_inner", "n_positions",
            "activation_function");
}
