package io.github.peft4j.cli;

import static io.github.peft4j.cli.Cli.capture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.cli.Cli.Captured;
import io.github.peft4j.core.fingerprint.AdapterFingerprint;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.AdapterVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --register} pushes the run with its lineage; {@code train --from} continues a registered version. */
class TrainRegistrationTest {

    private static final Path ROOT = Path.of("..");
    private static final Path MODEL = ROOT.resolve("assets/base-model");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Captured train(Path out, Path model, String... extra) throws Exception {
        Path general = tmp.resolve("general.txt");
        if (!Files.exists(general)) {
            Files.write(general, Files.readAllLines(ROOT.resolve("assets/corpus/general-eval.txt")).subList(0, 4));
        }
        List<String> args = new ArrayList<>(List.of("train", "--model", model.toString(),
                "--data", ROOT.resolve("assets/data/support/train.jsonl").toString(),
                "--eval", ROOT.resolve("assets/data/support/eval.jsonl").toString(),
                "--general-eval", general.toString(), "--steps", "2", "--batch", "2", "--seq-len", "32",
                "--rank", "4", "--samples", "0", "--no-progress", "--output", out.toString(),
                "--registry", tmp.resolve("registry").toString()));
        args.addAll(List.of(extra));
        return capture(() -> Peft4j.run(args.toArray(String[]::new)));
    }

    @Test
    void registerRecordsLineageAndFromContinuesTheRegisteredVersion() throws Exception {
        Path first = tmp.resolve("first");
        Captured one = train(first, MODEL, "--register", "support");
        assertEquals(0, one.status(), one.err());
        assertTrue(one.out().contains("registered support:1"), one.out());

        AdapterRegistry registry = AdapterRegistry.open(tmp.resolve("registry"));
        AdapterVersion v1 = registry.resolve("support");
        assertEquals("support:1", v1.ref());
        assertEquals(AdapterFingerprint.of(first).value(), v1.fingerprint());
        assertEquals(BaseModelFingerprint.of(MODEL).value(), v1.baseFingerprint());
        JsonNode lineage = v1.lineage();
        JsonNode report = JSON.readTree(first.resolve("report.json").toFile());
        assertEquals(report.get("domain").get("after").get("loss").asDouble(),
                lineage.get("eval_report").get("domain").get("after").get("loss").asDouble(), 0.0);
        assertEquals(2, lineage.get("training_args").get("max_steps").asInt());
        assertTrue(lineage.get("data_fingerprint").asText().matches("sha256:[0-9a-f]{64}"), lineage.toString());

        // continue from it on the same data: the run starts from support:1's tensors and records it as parent
        Path second = tmp.resolve("second");
        Captured two = train(second, MODEL, "--from", "support:1", "--register", "support", "--method", "ia3");
        assertEquals(0, two.status(), two.err());
        assertTrue(two.out().contains("continuing support:1"), two.out());
        assertTrue(two.out().contains("registered support:2"), two.out());
        assertEquals(AdapterFingerprint.of(first).value(),
                AdapterFingerprint.of(second.resolve(RunRegistration.PARENT_DIR)).value(), "the exported parent is support:1");
        JsonNode config = JSON.readTree(second.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.get("peft_type").asText(), "the method comes from the registered version, not --method");
        AdapterVersion v2 = registry.resolve("support:2");
        assertEquals("support:1", v2.parent());
        assertNotEquals(registry.resolve("support:1").fingerprint(), v2.fingerprint());
    }

    @Test
    void fromRefusesAVersionTrainedOnAnotherBase() throws Exception {
        assertEquals(0, train(tmp.resolve("first"), MODEL, "--register", "support").status());
        Path other = tmp.resolve("other-base");
        Files.createDirectories(other);
        try (var files = Files.list(MODEL)) {
            for (Path f : files.toList()) {
                Files.copy(f, other.resolve(f.getFileName().toString()));
            }
        }
        // the same weights with another config.json are another base as far as fingerprints go
        String config = Files.readString(other.resolve("config.json"));
        Files.writeString(other.resolve("config.json"), config.replaceFirst("\\{", "{\"_note\": \"copy\", "));
        Captured refused = train(tmp.resolve("second"), other, "--from", "support@missing");
        assertEquals(1, refused.status());
        assertTrue(refused.err().contains("missing"), refused.err());
        Captured mismatch = train(tmp.resolve("third"), other, "--from", "support");
        assertEquals(1, mismatch.status(), mismatch.out());
        assertTrue(mismatch.err().contains(BaseModelFingerprint.of(MODEL).value())
                && mismatch.err().contains(BaseModelFingerprint.of(other).value()), mismatch.err());
        assertFalse(mismatch.err().contains("\tat "), mismatch.err());
    }
}
