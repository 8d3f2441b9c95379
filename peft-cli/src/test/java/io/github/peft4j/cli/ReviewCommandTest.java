package io.github.peft4j.cli;

import static io.github.peft4j.cli.Cli.capture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.cli.Cli.Captured;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.AdapterVersion;
import io.github.peft4j.registry.Lineage;
import io.github.peft4j.review.ReviewItem;
import io.github.peft4j.review.ReviewSheet;
import io.github.peft4j.review.ReviewedSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The review round trip from the command line on the bundled model: make a sheet for a registered
 * adapter against a directory, judge it (the lines the page would save), summarize and record the
 * summary, gate a promotion on it, and turn the verdicts into preference pairs.
 */
class ReviewCommandTest {

    private static final Path ROOT = Path.of("..");
    private static final Path MODEL = ROOT.resolve("assets/base-model");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path adapter(String name, int seed) {
        Path dir = tmp.resolve(name);
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = BaseModels.loadCausalLm(MODEL, manager);
                PeftModel peft = PeftModel.create(base.block(), LoraConfig.builder().r(4).targetModules("q_proj", "v_proj").build())) {
            peft.save(dir);
        }
        TenantAdapters.randomize(dir.resolve("adapter_model.safetensors"), seed);
        return dir;
    }

    private Captured peft4j(String... args) throws Exception {
        return capture(() -> Peft4j.run(args));
    }

    @Test
    void makeJudgeSummarizeRecordGateAndPair() throws Exception {
        Path registry = tmp.resolve("registry");
        Path candidateDir = adapter("candidate", 1);
        AdapterVersion v1 = AdapterRegistry.open(registry).push("support", candidateDir,
                Lineage.builder().baseFingerprint(BaseModelFingerprint.of(MODEL).value()).build()).version();
        Path baselineDir = adapter("baseline", 2);
        List<String> data = Files.readAllLines(ROOT.resolve("assets/data/support/eval.jsonl")).subList(0, 3);
        Path prompts = Files.write(tmp.resolve("prompts.jsonl"), data);
        Path out = tmp.resolve("review");

        Captured made = peft4j("review", "make", "--adapter", "support:1", "--against", baselineDir.toString(),
                "--prompts", prompts.toString(), "--model", MODEL.toString(), "--registry", registry.toString(),
                "--output", out.toString(), "--max-new-tokens", "6", "--seed", "7");
        assertEquals(0, made.status(), made.err());
        ReviewSheet sheet = ReviewSheet.read(out.resolve("review.jsonl"));
        assertTrue(made.out().startsWith("review " + sheet.id() + ": 3 prompts"), made.out());
        assertTrue(Files.readString(out.resolve("review.html")).contains(sheet.id()));
        assertEquals(List.of("base", "candidate", "baseline"), sheet.systems().stream().map(s -> s.name()).toList());
        assertEquals("support:1", sheet.system("candidate").source());
        assertEquals(v1.fingerprint(), sheet.system("candidate").fingerprint());
        assertEquals(3, sheet.items().size());
        JsonNode firstRecord = JSON.readTree(data.get(0));
        ReviewItem first = sheet.item("p1");
        assertEquals(firstRecord.get("prompt").asText(), first.prompt());
        assertEquals(firstRecord.get("completion").asText(), first.reference());
        // the candidate's output is what `peft4j generate` answers with the same adapter
        Captured generated = peft4j("generate", "--model", MODEL.toString(), "--adapter", candidateDir.toString(),
                "--max-new-tokens", "6", first.prompt());
        assertEquals(0, generated.status(), generated.err());
        assertEquals(generated.out().strip(), first.outputs().get(first.labelOf("candidate")));

        // a reviewer prefers the candidate on p1 and p2, the base on p3, and flags nothing
        List<String> verdicts = new ArrayList<>();
        String[] winners = {"candidate", "candidate", "base"};
        for (int i = 0; i < 3; i++) {
            ReviewItem item = sheet.items().get(i);
            verdicts.add(String.format("{\"sheet\":\"%s\",\"item\":\"%s\",\"reviewer\":\"ann\",\"preferred\":\"%s\","
                    + "\"acceptable\":{\"%s\":true},\"flags\":{},\"comment\":\"\"}", sheet.id(), item.id(),
                    item.labelOf(winners[i]), item.labelOf("candidate")));
        }
        Path verdictFile = Files.write(tmp.resolve("verdicts.jsonl"), verdicts);
        Captured summary = peft4j("review", "summarize", "--verdicts", verdictFile.toString(), "--review",
                out.resolve("review.jsonl").toString(), "--record", "--registry", registry.toString(), "--by", "ann");
        assertEquals(0, summary.status(), summary.err());
        // 2 wins of 3: 0.667, Wilson 95% [0.208, 0.939]; the baseline was never preferred
        assertTrue(summary.out().contains("candidate vs base        0.667  [0.208, 0.939]  2 wins, 1 losses, 0 ties"), summary.out());
        assertTrue(summary.out().contains("candidate vs baseline    1.000  [0.342, 1.000]  2 wins, 0 losses, 0 ties"), summary.out());
        assertTrue(summary.out().contains("recorded the review with support:1 in " + registry), summary.out());
        JsonNode written = JSON.readTree(out.resolve("summary.json").toFile());
        assertEquals(0.2076596008, written.at("/comparisons/0/ci_low").asDouble(), 1e-9);
        assertEquals(3, written.at("/acceptance/candidate/judged").asInt());
        assertEquals(1, AdapterRegistry.open(registry).reviews("support:1").size());

        // the gate: the lower bound 0.208 is under 0.5, the point estimate 0.667 is not
        Captured refused = peft4j("registry", "promote", "support:1", "--alias", "production", "--min-win-rate", "0.5",
                "--zero-flag", "unsafe", "--registry", registry.toString());
        assertEquals(1, refused.status(), refused.out());
        assertTrue(refused.err().contains("review win rate of support:1 over base is 0.2077 at the lower 95% bound (point 0.6667;"
                + " 2 wins, 1 losses, 0 ties); the policy needs >= 0.5000"), refused.err());
        Captured promoted = peft4j("registry", "promote", "support:1", "--alias", "production", "--min-win-rate", "0.5",
                "--win-rate-bound", "point", "--zero-flag", "unsafe", "--zero-flag", "pii", "--registry", registry.toString());
        assertEquals(0, promoted.status(), promoted.err());
        assertEquals(1, AdapterRegistry.open(registry).resolve("support@production").number());

        // preference pairs: each verdict's winner over the two other outputs (identical texts make no pair)
        Captured pairs = peft4j("review", "pairs", "--verdicts", verdictFile.toString(), "--review",
                out.resolve("review.jsonl").toString());
        assertEquals(0, pairs.status(), pairs.err());
        int expected = 0;
        for (int i = 0; i < 3; i++) {
            ReviewItem item = sheet.items().get(i);
            String chosen = item.outputs().get(item.labelOf(winners[i]));
            expected += (int) item.outputs().values().stream().filter(t -> !t.equals(chosen)).count();
        }
        List<String> lines = Files.readAllLines(out.resolve("prefs.jsonl"));
        assertEquals(expected, lines.size());
        assertTrue(pairs.out().startsWith("wrote " + expected + " preference pairs from 3 verdicts"), pairs.out());
        if (expected > 0) {
            assertEquals(List.of("chosen", "prompt", "rejected"), sortedKeys(JSON.readTree(lines.get(0))));
        }
    }

    @Test
    void aBadVerdictLineIsOneLineNamingTheFileAndLine() throws Exception {
        Path out = tmp.resolve("review");
        ReviewSheet.blind(List.of(new ReviewSheet.Prompt("q", null)), Map.of(new ReviewedSystem("base", "m", null), List.of("a")),
                1, null).writeTo(out);
        Path verdicts = Files.write(out.resolve("verdicts.jsonl"), List.of("", "{not json"));
        Captured bad = peft4j("review", "summarize", "--verdicts", verdicts.toString());
        assertEquals(1, bad.status());
        assertTrue(bad.err().startsWith("peft4j summarize: " + verdicts + ": 'line 2': is not JSON"), bad.err());
        Captured noSheet = peft4j("review", "pairs", "--verdicts", tmp.resolve("elsewhere.jsonl").toString());
        assertEquals(1, noSheet.status());
        assertTrue(noSheet.err().contains("verdict file not found: " + tmp.resolve("elsewhere.jsonl")), noSheet.err());
        Path lone = Files.write(tmp.resolve("lone.jsonl"), List.of("{}"));
        Captured unpaired = peft4j("review", "pairs", "--verdicts", lone.toString());
        assertEquals(1, unpaired.status());
        assertTrue(unpaired.err().contains("no review.jsonl beside " + lone + "; pass --review"), unpaired.err());
    }

    private static List<String> sortedKeys(JsonNode o) {
        List<String> keys = new ArrayList<>();
        o.fieldNames().forEachRemaining(keys::add);
        keys.sort(null);
        return keys;
    }
}
