package io.github.peft4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.AdapterVersion;
import io.github.peft4j.registry.Json;
import io.github.peft4j.registry.Lineage;
import io.github.peft4j.train.data.TrainingData;
import java.nio.file.Path;
import io.github.peft4j.cli.registry.RegistryLocation;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The training run's link to the adapter registry: {@code --from} continues a registered version,
 * {@code --register} pushes the result with its lineage (base fingerprint, training arguments,
 * curated-data fingerprint, the run's report, the parent version).
 *
 * <pre>{@code
 * peft4j train --register support                       # support:1, lineage recorded
 * peft4j train --from support@production --register support --data march.jsonl
 * }</pre>
 */
final class RunRegistration {

    /** Where {@code --from} is exported inside the run directory. */
    static final String PARENT_DIR = "parent-adapter";

    @Option(names = "--register", paramLabel = "NAME",
            description = "push the trained adapter to the registry as NAME's next version, with its lineage")
    String register;

    @Option(names = "--from", paramLabel = "REF",
            description = "continue training a registered version (name, name:N or name@alias), recorded as the parent;"
                    + " the method and its settings come from that version")
    String from;

    @Mixin
    RegistryLocation registry;

    private static JsonNode parse(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("training arguments are not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Exports {@code --from} into the run directory for this base model, refusing a version trained on
     * another base.
     *
     * @param runDir the run directory
     * @param baseModel the base model directory
     * @return the exported adapter directory, or {@code null} without {@code --from}
     */
    Path exportParent(Path runDir, Path baseModel) {
        if (from == null) {
            return null;
        }
        Path dir = runDir.resolve(PARENT_DIR);
        AdapterVersion parent = registry.open().fetch(from, dir, BaseModelFingerprint.of(baseModel));
        System.out.printf("continuing %s (%s, fingerprint %s)%n", parent.ref(), parent.peftType(), parent.fingerprint());
        return dir;
    }

    /**
     * Pushes the run's adapter with its lineage, after training.
     *
     * @param runDir the run directory (adapter files and {@code report.json})
     * @param baseModel the base model directory
     * @param trainingArgs the run's training arguments as JSON
     * @param train the curated training data
     */
    void register(Path runDir, Path baseModel, String trainingArgs, TrainingData train) {
        if (register == null) {
            return;
        }
        Lineage lineage = Lineage.builder()
                .baseFingerprint(BaseModelFingerprint.of(baseModel).value())
                .trainingArgs(parse(trainingArgs))
                .dataFingerprint(train.fingerprint())
                .evalReport(Json.read(runDir.resolve("report.json")))
                .parent(from)
                .notes("peft4j train, run " + runDir)
                .build();
        AdapterRegistry.PushResult pushed = registry.open().push(register, runDir, lineage);
        System.out.printf("%s %s in %s (fingerprint %s)%n", pushed.created() ? "registered" : "already registered as",
                pushed.version().ref(), registry.location(), pushed.version().fingerprint());
    }
}
