package io.github.peft4j.cli.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.cli.Peft4j;
import io.github.peft4j.core.fingerprint.AdapterFingerprint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every {@code peft4j registry} command of docs/registry.md in order, on two run directories
 * that stand in for {@code peft4j train}'s output (LoRA config, weights, report.json with the README's
 * numbers), and checks what each prints.
 */
class RegistryLifecycleTest {

    private static final Path ROOT = Path.of("..");
    private static final Pattern TOKEN = Pattern.compile("\"([^\"]*)\"|'([^']*)'|(\\S+)");

    @TempDir
    Path tmp;

    record Run(int status, String out, String err) {}

    @Test
    void theDocumentedLifecycleRuns() throws Exception {
        run(tmp.resolve("runs/v1"), 1, 10.1, 319.3);
        run(tmp.resolve("runs/v2"), 2, 11.2, 594.0);
        List<List<String>> commands = documentedCommands();
        List<String[]> expected = List.of(
                new String[] {"0", "pushed support:1 (fingerprint "},
                new String[] {"0", "pushed support:2 (fingerprint "},
                new String[] {"0", "support:2  -        LORA"},
                new String[] {"0", "lineage.notes"},
                new String[] {"0", "support@production: (none) -> support:1 (promote, audit #3)"},
                new String[] {"1", "promotion support:2 -> support@production refused: domain perplexity gain over the alias holder"
                        + " support:1 is -1.100 (support:1 10.10, support:2 11.20); the policy needs >= 0.000; general-text"
                        + " perplexity ratio is 20.77 (base 28.60, support:2 594.0); the policy allows <= 12.00"},
                new String[] {"0", "support@canary: (none) -> support:2 (promote, audit #4)"},
                new String[] {"0", "\"ref\" : \"support:1\""},
                new String[] {"0", "exported support:1 to " + tmp.resolve("runs/serve/support")},
                new String[] {"0", "support@production: support:1 -> support:2 (promote, forced, audit #5)"},
                new String[] {"0", "support@production: support:2 -> support:1 (rollback, audit #6)"},
                new String[] {"0", "promote (forced)"},
                new String[] {"0", "ok: 2 versions, 3 blobs, 0 problems, 0 unreferenced blobs, 0 stale temporary files"},
                new String[] {"0", "removed 0 files"});
        assertEquals(expected.size(), commands.size(), "docs/registry.md commands: " + commands);
        for (int i = 0; i < commands.size(); i++) {
            Run r = peft4j(commands.get(i));
            String where = String.join(" ", commands.get(i)) + "\nstdout: " + r.out + "\nstderr: " + r.err;
            assertEquals(Integer.parseInt(expected.get(i)[0]), r.status, where);
            assertTrue((r.out + r.err).contains(expected.get(i)[1]), "expected '" + expected.get(i)[1] + "' from " + where);
        }
        // the exported directory is the pushed content, and the show --json output parses
        assertEquals(AdapterFingerprint.of(tmp.resolve("runs/v1")).value(),
                AdapterFingerprint.of(tmp.resolve("runs/serve/support")).value());
        Run json = peft4j(List.of("registry", "show", "support@canary", "--json", "--registry", tmp.resolve("runs/registry").toString()));
        JsonNode shown = new ObjectMapper().readTree(json.out);
        assertEquals("support:2", shown.path("ref").asText());
        assertEquals(594.0, shown.path("lineage").path("eval_report").path("general").path("after").path("perplexity").asDouble(), 0);
        assertTrue(shown.path("base_fingerprint").asText().startsWith("sha256:"), json.out);
    }

    @Test
    void unknownReferencesAndForeignDatabasesAreOneLineErrors() throws Exception {
        Path reg = tmp.resolve("reg");
        Run r = peft4j(List.of("registry", "show", "billing@production", "--registry", reg.toString()));
        assertEquals(1, r.status);
        assertTrue(r.err.startsWith("peft4j show: no adapter named 'billing' in registry jdbc:sqlite:"), r.err);
        Files.createDirectories(tmp.resolve("notours"));
        Files.writeString(tmp.resolve("notours/registry.db"), "hello, I am a text file and not a database at all".repeat(30));
        Run bad = peft4j(List.of("registry", "list", "--registry", tmp.resolve("notours").toString()));
        assertEquals(1, bad.status);
        assertTrue(bad.err.contains("notours/registry.db is not a peft4j registry database"), bad.err);
    }

    /** The {@code peft4j registry} lines of docs/registry.md's shell blocks, with paths moved into the temp dir. */
    private List<List<String>> documentedCommands() throws Exception {
        List<List<String>> out = new ArrayList<>();
        boolean inShell = false;
        for (String line : Files.readAllLines(ROOT.resolve("docs/registry.md"))) {
            if (line.startsWith("```")) {
                inShell = line.equals("```shell");
                continue;
            }
            if (!inShell || !line.startsWith("peft4j registry ")) {
                continue;
            }
            List<String> args = new ArrayList<>();
            Matcher m = TOKEN.matcher(line.substring("peft4j ".length()));
            while (m.find()) {
                String t = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                args.add(t.startsWith("runs/") ? tmp.resolve(t).toString() : t.startsWith("assets/") ? ROOT.resolve(t).toString() : t);
            }
            args.addAll(2, List.of("--registry", tmp.resolve("runs/registry").toString()));
            out.add(args);
        }
        return out;
    }

    private static Run peft4j(List<String> args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int status = Peft4j.run(args.toArray(String[]::new));
            System.out.flush();
            return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** A stand-in for a {@code peft4j train} run directory: LoRA config, weights bytes, report.json. */
    private static void run(Path dir, long seed, double domainAfter, double generalAfter) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("adapter_config.json"),
                "{\"peft_type\": \"LORA\", \"r\": 16, \"lora_alpha\": 32, \"target_modules\": [\"q_proj\", \"v_proj\"]}");
        byte[] weights = new byte[8192];
        new Random(seed).nextBytes(weights);
        Files.write(dir.resolve("adapter_model.safetensors"), weights);
        Files.writeString(dir.resolve("report.json"), String.format(java.util.Locale.ROOT,
                "{\"domain\": {\"before\": {\"perplexity\": 1338.4}, \"after\": {\"perplexity\": %s}},"
                        + " \"general\": {\"before\": {\"perplexity\": 28.6}, \"after\": {\"perplexity\": %s}}}", domainAfter, generalAfter));
    }
}
