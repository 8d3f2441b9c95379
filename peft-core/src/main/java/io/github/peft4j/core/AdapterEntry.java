package io.github.peft4j.core;

import ai.djl.nn.Parameter;
import io.github.peft4j.core.hooks.AdapterRouting;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** One adapter of a {@link PeftModel}: its method, config, tensors outside tuner layers and state. */
final class AdapterEntry {

    /** A tensor registered with {@link InjectionContext#registerAdapterTensor}. */
    record RegisteredTensor(String savedKey, Parameter parameter) {}

    final String name;
    final PeftMethod method;
    final PeftConfig config;
    /** In-memory key to tensor, for tensors that live outside tuner layers. */
    final Map<String, RegisteredTensor> registered = new LinkedHashMap<>();
    /** The method's per-adapter state, by class ({@link InjectionContext#adapterState}). */
    final Map<Class<?>, Object> state = new LinkedHashMap<>();
    boolean trainable = true;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_\\-]+");

    /** @throws PeftConfigException if the name cannot be a key segment and a folder, or is reserved */
    static void checkName(String adapterName) {
        if (adapterName == null || !NAME.matcher(adapterName).matches()) {
            throw new PeftConfigException("adapter name '" + adapterName
                    + "' is not allowed: use letters, digits, '_' and '-' (it becomes a key segment and a folder)");
        }
        if (AdapterRouting.BASE.equals(adapterName)) {
            throw new PeftConfigException("'" + AdapterRouting.BASE + "' is reserved for rows without adapter");
        }
    }

    AdapterEntry(String name, PeftConfig config, PeftMethod method) {
        this.name = name;
        this.config = config;
        this.method = method;
    }
}
