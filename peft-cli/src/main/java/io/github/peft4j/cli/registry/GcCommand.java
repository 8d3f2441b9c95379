package io.github.peft4j.cli.registry;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code registry gc}: removes blobs no version references and temporary files of killed pushes. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = "Remove blobs no version references and temporary files left by killed pushes.")
final class GcCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Option(names = "--grace-seconds", defaultValue = "600",
            description = "keep files younger than this; a push in progress writes blobs before its version (default: ${DEFAULT-VALUE})")
    long graceSeconds;

    @Override
    public Integer call() {
        List<String> removed = registry.open().gc(Duration.ofSeconds(graceSeconds));
        registry.print(removed, "removed " + removed.size() + " files" + (removed.isEmpty() ? "" : ": " + String.join(", ", removed)));
        return 0;
    }
}
