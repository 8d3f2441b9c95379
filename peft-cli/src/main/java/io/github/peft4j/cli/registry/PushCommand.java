package io.github.peft4j.cli.registry;

import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.Json;
import io.github.peft4j.registry.Lineage;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code registry push NAME DIR}: stores an HF PEFT adapter directory as the next version of NAME. */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = "Store an adapter directory as NAME's next version (identical content returns the existing one).")
final class PushCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "NAME", description = "adapter name")
    String name;

    @Parameters(index = "1", paramLabel = "ADAPTER_DIR", description = "directory in the HF PEFT layout")
    Path dir;

    @Option(names = "--base-model", paramLabel = "DIR", description = "base checkpoint to fingerprint (config.json + weights)")
    Path baseModel;

    @Option(names = "--base-fingerprint", paramLabel = "FP", description = "base fingerprint: sha256:<hex> or hf:<name>@<revision>")
    String baseFingerprint;

    @Option(names = "--report", paramLabel = "FILE", description = "evaluation report (peft4j train's report.json)")
    Path report;

    @Option(names = "--training-args", paramLabel = "FILE", description = "training arguments as a JSON file")
    Path trainingArgs;

    @Option(names = "--data-fingerprint", paramLabel = "FP", description = "fingerprint of the curated training data")
    String dataFingerprint;

    @Option(names = "--parent", paramLabel = "REF", description = "version training continued from (name, name:N, name@alias)")
    String parent;

    @Option(names = "--notes", description = "free-form notes")
    String notes;

    @Option(names = "--by", paramLabel = "WHO", description = "who pushes (default: the user name)")
    String by;

    @Override
    public Integer call() {
        String base = baseModel != null ? BaseModelFingerprint.of(baseModel).value() : baseFingerprint;
        Lineage lineage = Lineage.builder().baseFingerprint(base).parent(parent).notes(notes).createdBy(by)
                .dataFingerprint(dataFingerprint)
                .evalReport(report == null ? null : Json.read(report))
                .trainingArgs(trainingArgs == null ? null : Json.read(trainingArgs))
                .build();
        AdapterRegistry.PushResult result = registry.open().push(name, dir, lineage);
        String ref = result.version().ref();
        registry.print(result.version().toJson().put("created", result.created()), result.created()
                ? "pushed " + ref + " (fingerprint " + result.version().fingerprint() + ")"
                : ref + " already holds this content (fingerprint " + result.version().fingerprint() + "); nothing pushed");
        return 0;
    }
}
