package io.github.peft4j.core;

import ai.djl.nn.Parameter;

/**
 * A tensor of an adapter, with its in-memory and on-disk keys.
 *
 * <pre>{@code
 * for (AdapterTensor t : model.tensors("default")) {
 *     System.out.println(t.key() + " -> " + t.savedKey()); // q_proj.lora_A.default.weight -> base_model.model.q_proj.lora_A.weight
 * }
 * }</pre>
 *
 * @param key the in-memory key relative to the base model ({@code q_proj.lora_A.default.weight})
 * @param savedKey the key in {@code adapter_model.safetensors}
 *     ({@code base_model.model.q_proj.lora_A.weight})
 * @param parameter the parameter
 */
public record AdapterTensor(String key, String savedKey, Parameter parameter) {}
