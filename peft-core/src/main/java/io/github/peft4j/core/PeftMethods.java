package io.github.peft4j.core;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The registry of {@link PeftMethod}s on the class path, built once with
 * {@link ServiceLoader}.
 *
 * <pre>{@code
 * PeftMethod lora = PeftMethods.forType("LORA");
 * Set<String> known = PeftMethods.all().keySet();
 * }</pre>
 */
public final class PeftMethods {

    private static volatile Map<String, PeftMethod> methods;

    private PeftMethods() {}

    /** @return every registered method, keyed by {@code peft_type} */
    public static Map<String, PeftMethod> all() {
        Map<String, PeftMethod> m = methods;
        if (m == null) {
            synchronized (PeftMethods.class) {
                m = methods;
                if (m == null) {
                    m = load();
                    methods = m;
                }
            }
        }
        return m;
    }

    private static Map<String, PeftMethod> load() {
        Map<String, PeftMethod> found = new TreeMap<>();
        for (PeftMethod method : ServiceLoader.load(PeftMethod.class, PeftMethods.class.getClassLoader())) {
            PeftMethod previous = found.putIfAbsent(method.peftType().toUpperCase(Locale.ROOT), method);
            if (previous != null) {
                throw new PeftCompatibilityException("two PeftMethods claim peft_type '" + method.peftType() + "': "
                        + previous.getClass().getName() + " and " + method.getClass().getName());
            }
        }
        return Collections.unmodifiableMap(found);
    }

    /**
     * @param peftType a {@code peft_type} such as {@code "LORA"} (case-insensitive)
     * @return its method
     * @throws PeftCompatibilityException if no module on the class path provides it
     */
    public static PeftMethod forType(String peftType) {
        PeftMethod m = peftType == null ? null : all().get(peftType.toUpperCase(Locale.ROOT));
        if (m == null) {
            throw new PeftCompatibilityException("no PeftMethod registered for peft_type '" + peftType
                    + "'; known: " + all().keySet() + " (add the tuner's module to the class path)");
        }
        return m;
    }
}
