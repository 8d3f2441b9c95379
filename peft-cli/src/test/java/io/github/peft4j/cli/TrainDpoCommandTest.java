package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.cli.Cli.Captured;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.JsonlReader;
import io.github.peft4j.train.data.preference.PreferencePair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j train --objective dpo} and {@code --kl-to-base} end to end on the bundled model, tiny settings. */
class TrainDpoCommandTest {

    private static final Path ROOT = Path.of("..");
    private static final Path MODEL = ROOT.resolve("assets/base-model");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void violationsChangeEveryPolicyValueAndNothingElse() {
        Random r = new Random(1);
        assertEquals("Returns within 90 days; refunds in 15 business days. Express is $29.95, 7–12 days.",
                SyntheticPreferences.violate("Returns within 30 days; refunds in 5 business days. Express is $14.95,"
                        + " 3–5 days.", r));
        assertEquals("The Cascade 30L Daypack fits 40–51 cm; track NW-546860 within 5 business day.",
                SyntheticPreferences.violate("The Cascade 30L Daypack fits 40–51 cm; track NW-546860 within 1 business"
                        + " day.", r));
        String noValue = SyntheticPreferences.violate("Happy to help with sizing!", r);
        assertNotEquals("Happy to help with sizing!", noValue);
        List<DataRecord> records = JsonlReader.builder().build().read(ROOT.resolve("assets/data/support/eval.jsonl"))
                .records();
        List<PreferencePair> pairs = SyntheticPreferences.fromSupport(records, 43);
        assertEquals(records.size(), pairs.size());
        for (PreferencePair p : pairs) {
            PreferencePair.Conversational c = (PreferencePair.Conversational) p;
            assertEquals("user", c.prompt().get(c.prompt().size() - 1).role());
            assertNotEquals(c.chosen(), c.rejected());
        }
    }

    private Path prefs(String name, Path support, int count, long seed) {
        List<DataRecord> records = JsonlReader.builder().build().read(support).records().subList(0, count);
        Path file = tmp.resolve(name);
        SyntheticPreferences.write(SyntheticPreferences.fromSupport(records, seed), file);
        return file;
    }

    @Test
    void dpoContinuesAnAdapterAndReportsHeldOutPreferences() throws Exception {
        Path general = tmp.resolve("general.txt");
        Files.write(general, Files.readAllLines(ROOT.resolve("assets/corpus/general-eval.txt")).subList(0, 4));
        Path sft = tmp.resolve("sft");
        Captured first = Cli.capture(() -> Peft4j.run("train", "--model", MODEL.toString(),
                "--data", ROOT.resolve("assets/data/support/train.jsonl").toString(),
                "--eval", ROOT.resolve("assets/data/support/eval.jsonl").toString(), "--general-eval", general.toString(),
                "--replay", "0", "--steps", "2", "--batch", "2", "--seq-len", "48", "--rank", "4", "--samples", "0",
                "--no-progress", "--output", sft.toString()));
        assertEquals(0, first.status(), first.err());

        Path train = prefs("prefs.jsonl", ROOT.resolve("assets/data/support/train.jsonl"), 12, 42);
        Path heldOut = prefs("held-out.jsonl", ROOT.resolve("assets/data/support/eval.jsonl"), 6, 43);
        Path out = tmp.resolve("dpo");
        Captured dpo = Cli.capture(() -> Peft4j.run("train", "--model", MODEL.toString(), "--objective", "dpo",
                "--data", train.toString(), "--eval-prefs", heldOut.toString(), "--adapter", sft.toString(),
                "--eval", ROOT.resolve("assets/data/support/eval.jsonl").toString(), "--general-eval", general.toString(),
                "--steps", "3", "--batch", "2", "--seq-len", "64", "--lr", "2e-2", "--warmup-ratio", "0", "--beta", "0.2",
                "--eval-steps", "3", "--logging-steps", "1", "--samples", "0", "--no-progress",
                "--output", out.toString()));
        assertEquals(0, dpo.status(), dpo.err());
        assertTrue(dpo.out().contains("preference data: 12 pairs"), dpo.out());
        assertTrue(dpo.out().contains("held-out preferences ("), dpo.out());

        // continued from the SFT adapter: its settings, its reference
        assertEquals(4, JSON.readTree(out.resolve("adapter_config.json").toFile()).get("r").asInt());
        JsonNode pref = JSON.readTree(out.resolve(PreferenceReport.FILE).toFile());
        // pairs whose answer the sequence length cuts off entirely are dropped
        int pairs = pref.get("pairs").asInt();
        assertTrue(pairs >= 3 && pairs <= 6, "held-out pairs " + pairs);
        assertTrue(dpo.out().contains("held-out preferences (" + pairs + " pairs, against the base): reward accuracy"),
                dpo.out());
        assertEquals("the adapter continued", pref.get("started_from").asText());
        for (String column : List.of("before", "after")) {
            double accuracy = pref.get(column).get("rewards/accuracies").asDouble();
            assertTrue(accuracy >= 0 && accuracy <= 1, column + " " + accuracy);
            assertTrue(Double.isFinite(pref.get(column).get("dpo_loss").asDouble()));
        }
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonNode step1 = JSON.readTree(lines.stream().filter(l -> l.contains("\"step\":1,")).findFirst().orElseThrow());
        // the reference is the adapter the run continues: at step 1 the policy still equals it
        assertEquals(Math.log(2), step1.get("loss").asDouble(), 1e-5);
        assertEquals(0, step1.get("rewards/margins").asDouble(), 1e-5);
        assertTrue(lines.stream().anyMatch(l -> l.contains("eval_rewards/accuracies")), lines.toString());
        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        assertEquals("dpo", report.get("run").get("command").get("objective").asText());
        assertTrue(dpo.out().contains("; " + report.get("run").get("train_sequences").asInt() + " training pairs"),
                dpo.out());
    }

    @Test
    void klToBaseAddsItsTermAndLogsIt() throws Exception {
        Path general = tmp.resolve("general.txt");
        Files.write(general, Files.readAllLines(ROOT.resolve("assets/corpus/general-eval.txt")).subList(0, 4));
        Path out = tmp.resolve("kl");
        Captured run = Cli.capture(() -> Peft4j.run("train", "--model", MODEL.toString(),
                "--data", ROOT.resolve("assets/data/support/eval.jsonl").toString(),
                "--eval", ROOT.resolve("assets/data/support/eval.jsonl").toString(), "--general-eval", general.toString(),
                "--replay", "0", "--replay-data", ROOT.resolve("assets/corpus/general-eval.txt").toString(),
                "--kl-to-base", "1.0", "--kl-rows", "1", "--steps", "2", "--warmup-ratio", "0", "--batch", "2",
                "--seq-len", "32",
                "--rank", "4", "--logging-steps", "1", "--samples", "0", "--no-progress", "--output", out.toString()));
        assertEquals(0, run.status(), run.err());
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonNode step1 = JSON.readTree(lines.stream().filter(l -> l.contains("\"step\":1,")).findFirst().orElseThrow());
        // the adapter starts as the identity: no divergence from the base yet
        assertEquals(0, step1.get("kl_to_base").asDouble(), 1e-6);
        JsonNode step2 = JSON.readTree(lines.stream().filter(l -> l.contains("\"step\":2,")).findFirst().orElseThrow());
        assertTrue(step2.get("kl_to_base").asDouble() > 0, step2.toString());
        JsonNode command = JSON.readTree(out.resolve("report.json").toFile()).get("run").get("command");
        assertEquals(1.0, command.get("kl_to_base").asDouble());
    }

    @Test
    void orpoTrainsAFreshAdapterOnPairsWithoutAReference() throws Exception {
        Path general = tmp.resolve("general.txt");
        Files.write(general, Files.readAllLines(ROOT.resolve("assets/corpus/general-eval.txt")).subList(0, 4));
        Path train = prefs("prefs.jsonl", ROOT.resolve("assets/data/support/train.jsonl"), 8, 42);
        Path out = tmp.resolve("orpo");
        Captured run = Cli.capture(() -> Peft4j.run("train", "--model", MODEL.toString(), "--objective", "orpo",
                "--data", train.toString(), "--eval", ROOT.resolve("assets/data/support/eval.jsonl").toString(),
                "--general-eval", general.toString(), "--steps", "2", "--batch", "2", "--seq-len", "64", "--rank", "4",
                "--warmup-ratio", "0", "--beta", "0.2", "--logging-steps", "1", "--samples", "0", "--no-progress",
                "--output", out.toString()));
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().contains("preference data: 8 pairs"), run.out());
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonNode step1 = JSON.readTree(lines.stream().filter(l -> l.contains("\"step\":1,")).findFirst().orElseThrow());
        // a fresh adapter is the identity: the loss is the base's NLL on the chosen answers minus the odds term
        double expected = step1.get("nll_loss").asDouble() - 0.2 * step1.get("log_odds_ratio").asDouble();
        assertEquals(expected, step1.get("loss").asDouble(), 1e-5);
        assertTrue(step1.get("nll_loss").asDouble() > 0, step1.toString());
        assertEquals(4, JSON.readTree(out.resolve("adapter_config.json").toFile()).get("r").asInt());
        assertEquals("orpo", JSON.readTree(out.resolve("report.json").toFile()).get("run").get("command")
                .get("objective").asText());

        Captured refused = Cli.capture(() -> Peft4j.run("train", "--model", MODEL.toString(), "--objective", "orpo",
                "--data", train.toString(), "--reference", "base", "--steps", "1", "--no-progress",
                "--output", tmp.resolve("refused").toString()));
        assertEquals(1, refused.status(), refused.out());
        assertTrue(refused.err().contains("ORPO has no reference model"), refused.err());
        assertTrue(!Files.exists(tmp.resolve("refused").resolve("adapter_model.safetensors")));
    }
}
