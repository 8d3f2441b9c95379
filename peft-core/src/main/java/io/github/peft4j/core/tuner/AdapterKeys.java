package io.github.peft4j.core.tuner;

/**
 * Hugging Face PEFT's state-dict key rules.
 *
 * <p>In memory an adapter's tensors carry the adapter name ({@code q_proj.lora_A.default.weight});
 * on disk they carry the prefix {@value #PREFIX} and no adapter name
 * ({@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}).
 *
 * <pre>{@code
 * AdapterKeys.removeAdapterName("q_proj.lora_A.default.weight", "default"); // "q_proj.lora_A.weight"
 * AdapterKeys.removeAdapterName("k_proj.ia3_l.default", "default");         // "k_proj.ia3_l"
 * }</pre>
 */
public final class AdapterKeys {

    /** The prefix PEFT's {@code PeftModel -> LoraModel -> model} nesting gives every saved key. */
    public static final String PREFIX = "base_model.model.";

    private AdapterKeys() {}

    /**
     * PEFT's {@code _remove_adapter_name_from_state_dict_key}: a key ending in {@code .<name>} (a
     * parameter held in a {@code ParameterDict}) loses that suffix; otherwise {@code .<name>}
     * right before the last segment (a module in a {@code ModuleDict}) is dropped. Only that
     * position is touched, so a module elsewhere in the path that happens to share the name stays.
     *
     * @param key an in-memory key
     * @param adapterName the adapter name
     * @return the key as saved
     */
    public static String removeAdapterName(String key, String adapterName) {
        String suffix = "." + adapterName;
        if (key.endsWith(suffix)) {
            return key.substring(0, key.length() - suffix.length());
        }
        int lastDot = key.lastIndexOf('.');
        if (lastDot > 0 && key.substring(0, lastDot).endsWith(suffix)) {
            return key.substring(0, lastDot - suffix.length()) + key.substring(lastDot);
        }
        return key;
    }

    /**
     * @param key a key relative to the base model
     * @return the key with {@value #PREFIX} in front
     */
    public static String withPrefix(String key) {
        return PREFIX + key;
    }

    /**
     * @param savedKey a key from an adapter file
     * @return the key relative to the base model (the prefix removed when present, as PEFT's
     *     loader accepts both forms)
     */
    public static String withoutPrefix(String savedKey) {
        return savedKey.startsWith(PREFIX) ? savedKey.substring(PREFIX.length()) : savedKey;
    }
}
