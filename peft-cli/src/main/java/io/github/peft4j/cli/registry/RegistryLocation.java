package io.github.peft4j.cli.registry;

import io.github.peft4j.registry.AdapterRegistry;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Which adapter registry a command uses: {@code --registry DIR|JDBC_URL} and {@code --blobs DIR}, the
 * same on {@code peft4j registry ...} and {@code peft4j train --register}.
 *
 * <pre>{@code
 * @Mixin RegistryLocation registry;
 * AdapterVersion v = registry.open().resolve("support@production");
 * }</pre>
 */
public final class RegistryLocation {

    @Option(names = "--registry", paramLabel = "DIR|JDBC_URL", defaultValue = "runs/registry",
            description = "registry directory (SQLite + blobs) or jdbc:postgresql://... URL (default: ${DEFAULT-VALUE})")
    String location;

    @Option(names = "--blobs", paramLabel = "DIR",
            description = "the registry's blob directory; required with a PostgreSQL URL (a directory all its users share)")
    Path blobs;

    /** @return the registry, opened (created when it is a new directory) */
    public AdapterRegistry open() {
        return AdapterRegistry.open(location, blobs);
    }

    /** @return where the registry is, as given */
    public String location() {
        return location;
    }
}
