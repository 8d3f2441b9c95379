package io.github.peft4j.serve.engine;

import java.nio.file.Path;

/**
 * The exact thing a request is served by: the base alone, or one version of an adapter with the
 * directory it loads from. Two targets with the same fingerprint are the same weights.
 *
 * <pre>{@code
 * Target t = Target.adapter("support", "support:2", fingerprint, dir);
 * t.isBase();   // false
 * }</pre>
 *
 * @param adapter the adapter's name ({@code support}), or {@code null} for the base model
 * @param version the version served ({@code support:2}, {@code dir:support@3f0c2a9e41b7}, or the base's name)
 * @param fingerprint the adapter fingerprint (DESIGN §6), or the base model's
 * @param dir the adapter directory, or {@code null} for the base
 */
public record Target(String adapter, String version, String fingerprint, Path dir) {

    /** @param name the base's served name @param fingerprint its fingerprint @return the base alone */
    public static Target base(String name, String fingerprint) {
        return new Target(null, name, fingerprint, null);
    }

    /**
     * @param adapter the adapter's name
     * @param version the version label
     * @param fingerprint the adapter fingerprint
     * @param dir its directory
     * @return an adapter target
     */
    public static Target adapter(String adapter, String version, String fingerprint, Path dir) {
        return new Target(adapter, version, fingerprint, dir);
    }

    /** @return whether this is the base model alone */
    public boolean isBase() {
        return adapter == null;
    }
}
