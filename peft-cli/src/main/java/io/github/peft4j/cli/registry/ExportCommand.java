package io.github.peft4j.cli.registry;

import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.AdapterVersion;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code registry export REF DIR}: writes a plain HF PEFT adapter directory, verified. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a version as a plain HF PEFT adapter directory (loadable by peft4j and Python's PEFT).")
final class ExportCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "REF", description = "name, name:N or name@alias")
    String ref;

    @Parameters(index = "1", paramLabel = "DIR", description = "target directory")
    Path dir;

    @Option(names = "--base-model", paramLabel = "DIR", description = "refuse unless the version was trained on this base")
    Path baseModel;

    @Override
    public Integer call() {
        AdapterRegistry r = registry.open();
        AdapterVersion v = baseModel == null ? r.export(ref, dir) : r.fetch(ref, dir, BaseModelFingerprint.of(baseModel));
        registry.print(v.toJson().put("exported_to", dir.toString()), "exported " + v.ref() + " to " + dir);
        return 0;
    }
}
