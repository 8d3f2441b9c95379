package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.cli.Cli.Captured;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --replay}, {@code --max-forgetting} and the general-text curve on {@code peft4j train}. */
class ForgettingOptionsTest {

    private static final Path ROOT = Path.of("..");
    private static final Path MODEL = ROOT.resolve("assets/base-model");

    @TempDir
    Path tmp;

    private static TrainCommand parse(String... args) {
        TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void replayAddsTheShareOfGeneralSequences() {
        assertEquals(60, ReplayOptions.replayCount(538, 0.1));
        assertEquals(231, ReplayOptions.replayCount(538, 0.3));
        assertEquals(0, ReplayOptions.replayCount(538, 0));
        TokenizedDataset domain = new TokenizedDataset(Collections.nCopies(18,
                TokenizedExample.languageModel(new int[] {5, 6, 7}, new int[] {-100, 6, 7})), Batching.builder(0).build());
        try (HfTokenizer tokenizer = HfTokenizer.load(MODEL, null)) {
            TextTokenizer text = TextTokenizer.of(tokenizer);
            ReplayOptions replay = parse("--replay", "0.1", "--replay-data", ROOT.resolve("assets/corpus/general-eval.txt")
                    .toString()).replay;
            TokenizedDataset mixed = replay.mix(domain, text, 32, 42);
            assertEquals(20, mixed.size(), "2 general sequences make 10% of 20");
            assertEquals(domain.examples(), mixed.examples().subList(0, 18));
            TokenizedExample general = mixed.examples().get(19);
            assertEquals(32, general.inputIds().length);
            assertArrayEquals(general.inputIds(), general.labels(), "every replayed token is trained");
            assertEquals(mixed.examples(), replay.mix(domain, text, 32, 42).examples(), "seeded draw");
            // run from peft-cli/, the default replay text (assets/corpus/...) is not there: no replay
            assertEquals(0, parse().replay.share());
            assertSame(domain, parse().replay.mix(domain, text, 32, 42));
            String corpus = ROOT.resolve("assets/corpus/general-eval.txt").toString();
            assertEquals(0.0, parse("--replay-data", corpus).replay.share(), "replay is off unless asked for");
            assertEquals(KlToBaseOptions.DEFAULT_LAMBDA, lambda(parse("--replay-data", corpus), false),
                    "the KL term is the default mitigation where the replay text exists");
            assertEquals(0.0, lambda(parse("--replay-data", corpus), true), "not under DPO");
            assertEquals(0.0, lambda(parse("--replay", "0.1", "--replay-data", corpus), false), "replay was chosen");
            assertEquals(0.5, lambda(parse("--replay", "0.1", "--kl-to-base", "0.5", "--replay-data", corpus), false));
            assertEquals(0.0, lambda(parse(), false), "no replay text, no default KL term");
            assertEquals(0.0, parse("--replay", "0").replay.share());
            UserError e = assertThrows(UserError.class, () -> parse("--replay", "1").replay.mix(domain, text, 32, 1));
            assertTrue(e.getMessage().startsWith("--replay 1.0: expected a share"), e.getMessage());
        }
    }

    @Test
    void theBudgetNeedsEvaluationsAndGeneralText() throws Exception {
        UserError e = assertThrows(UserError.class, () -> parse("--max-forgetting", "1.5").trainer.arguments("lora", tmp));
        assertTrue(e.getMessage().startsWith("--max-forgetting needs --eval-steps"), e.getMessage());
        Captured help = Cli.capture(() -> Peft4j.run("train", "--help"));
        for (String option : List.of("--max-forgetting", "--forgetting-patience", "--replay", "--replay-data")) {
            assertTrue(help.out().contains(option), option + " missing from\n" + help.out());
        }
    }

    /** A 4-step run with replay and a budget: the general text is evaluated at steps 2 and 4 and reported. */
    @Test
    void aShortRunWithReplayAndABudgetLogsAndReportsForgetting() throws Exception {
        Path data = tmp.resolve("train.jsonl");
        Files.write(data, Files.readAllLines(ROOT.resolve("assets/data/support/train.jsonl")).subList(0, 16));
        Path eval = tmp.resolve("eval.jsonl");
        Files.write(eval, Files.readAllLines(ROOT.resolve("assets/data/support/eval.jsonl")).subList(0, 6));
        Path general = tmp.resolve("general.txt");
        Files.write(general, Files.readAllLines(ROOT.resolve("assets/corpus/general-eval.txt")).subList(0, 12));
        Path out = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of("train", "--model", MODEL.toString(), "--data", data.toString(),
                "--eval", eval.toString(), "--general-eval", general.toString(), "--batch", "2", "--seq-len", "64",
                "--rank", "4", "--samples", "0", "--no-progress", "--output", out.toString(), "--steps", "4",
                "--eval-steps", "2", "--max-forgetting", "100", "--replay", "0.2", "--replay-data",
                ROOT.resolve("assets/corpus/general-eval.txt").toString()));
        Captured run = Cli.capture(() -> Peft4j.run(args.toArray(String[]::new)));
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().matches("(?s).*replay: \\d+ general-text sequences from .*general-eval.txt mixed in"
                + " \\(20% of \\d+\\).*"), run.out());
        assertTrue(run.out().contains("chose step 4 of 4: the best domain eval loss within --max-forgetting 100.0"),
                run.out());
        ObjectMapper json = new ObjectMapper();
        long evaluations = Files.readAllLines(out.resolve("metrics.jsonl")).stream().map(l -> {
            try {
                return json.readTree(l);
            } catch (Exception x) {
                throw new AssertionError(x);
            }
        }).filter(n -> n.has("general_perplexity_ratio")).count();
        assertEquals(2, evaluations);
        JsonNode report = json.readTree(out.resolve("report.json").toFile());
        assertEquals(100.0, report.get("forgetting").get("budget").asDouble());
        assertTrue(Files.readAllLines(out.resolve("report.md")).get(2).startsWith("Forgetting within the budget:"));
    }

    private static double lambda(TrainCommand command, boolean dpo) {
        command.kl.resolve(command.replay, dpo);
        return command.kl.lambda;
    }
}
