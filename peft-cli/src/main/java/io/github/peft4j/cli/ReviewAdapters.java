package io.github.peft4j.cli;

import io.github.peft4j.cli.registry.RegistryLocation;
import io.github.peft4j.core.fingerprint.AdapterFingerprint;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.AdapterVersion;
import io.github.peft4j.review.ReviewedSystem;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code review make}'s {@code --adapter} and {@code --against} name: an adapter directory, or
 * a registry version ({@code name}, {@code name:N}, {@code name@alias}) exported for this base.
 */
final class ReviewAdapters {

    /**
     * An adapter ready to load, and how the sheet names it.
     *
     * @param dir the adapter directory
     * @param system the sheet's system: its name, where it came from and its fingerprint
     */
    record Resolved(Path dir, ReviewedSystem system) {}

    private ReviewAdapters() {}

    /**
     * @param given a directory or a version reference
     * @param role the system name ({@code candidate} or {@code baseline})
     * @param registry the registry options
     * @param baseModel the base model directory (a version trained on another base is refused)
     * @param exportTo where a registry version is exported
     * @return the adapter
     */
    static Resolved resolve(String given, String role, RegistryLocation registry, Path baseModel, Path exportTo) {
        Path asDir = Path.of(given);
        if (Files.isDirectory(asDir)) {
            return new Resolved(asDir, new ReviewedSystem(role, given, AdapterFingerprint.of(asDir).value()));
        }
        String location = registry.location();
        if (!location.startsWith("jdbc:") && !Files.isRegularFile(Path.of(location).resolve(AdapterRegistry.DATABASE_FILE))) {
            throw new UserError("'" + given + "' is neither an adapter directory nor a version in a registry (there is no registry at "
                    + location + "; pass --registry)");
        }
        AdapterRegistry opened = registry.open();
        AdapterVersion v = opened.fetch(given, exportTo, BaseModelFingerprint.of(baseModel));
        return new Resolved(exportTo, new ReviewedSystem(role, v.ref(), v.fingerprint()));
    }
}
