package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.cli.Cli.Captured;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.optim.LrSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The trainer's settings on {@code peft4j train}, its progress lines in a log, and resuming a short run. */
class TrainSettingsTest {

    private static final Path ROOT = Path.of("..");
    private static final Path MODEL = ROOT.resolve("assets/base-model");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path data;
    private Path eval;

    @BeforeEach
    void smallData() throws Exception {
        data = tmp.resolve("train.jsonl");
        Files.write(data, Files.readAllLines(ROOT.resolve("assets/data/support/train.jsonl")).subList(0, 16));
        eval = tmp.resolve("eval.jsonl");
        Files.write(eval, Files.readAllLines(ROOT.resolve("assets/data/support/eval.jsonl")).subList(0, 6));
    }

    private List<String> train(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--model", MODEL.toString(), "--data", data.toString(),
                "--eval", eval.toString(), "--general-eval", "none", "--batch", "2", "--seq-len", "64", "--rank", "4",
                "--samples", "0", "--output", out.toString()));
        args.addAll(Arrays.asList(more));
        return args;
    }

    private static TrainerOptions parse(String... args) {
        TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs(args);
        return command.trainer;
    }

    @Test
    void everySettingReachesTheTrainingArguments() {
        TrainingArguments a = parse("--steps", "40", "--lr", "1e-3", "--batch", "3", "--gradient-accumulation-steps", "4",
                "--warmup-ratio", "0.25", "--lr-scheduler-type", "linear", "--weight-decay", "0.01",
                "--max-grad-norm", "0.5", "--seed", "9", "--logging-steps", "2", "--eval-steps", "10",
                "--early-stopping-patience", "3", "--early-stopping-threshold", "0.02", "--load-best-model-at-end",
                "--save-steps", "20", "--save-total-limit", "2", "--gradient-checkpointing").arguments("lora", tmp);
        assertTrue(a.gradientCheckpointing());
        assertFalse(parse().arguments("lora", tmp).gradientCheckpointing());
        assertEquals(40, a.maxSteps());
        assertEquals(1e-3, a.learningRate());
        assertEquals(3, a.perDeviceTrainBatchSize());
        assertEquals(4, a.gradientAccumulationSteps());
        assertEquals(0.25, a.warmupRatio());
        assertEquals(10, a.warmupSteps(40));
        assertEquals(LrSchedule.Type.LINEAR, a.lrSchedulerType());
        assertEquals(0.01, a.weightDecay());
        assertEquals(0.5, a.maxGradNorm());
        assertEquals(9, a.seed());
        assertEquals(2, a.logSteps());
        assertEquals(10, a.evalSteps());
        assertEquals(3, a.earlyStoppingPatience());
        assertEquals(0.02, a.earlyStoppingThreshold());
        assertTrue(a.loadBestModelAtEnd());
        assertEquals(20, a.saveSteps());
        assertEquals(2, a.saveTotalLimit());

        // warmup steps win over the ratio; the defaults are the command's documented ones
        TrainingArguments d = parse("--warmup-steps", "3", "--max-steps", "8").arguments("ia3", tmp);
        assertEquals(3, d.warmupSteps(8));
        assertEquals(3e-2, d.learningRate());
        assertEquals(LrSchedule.Type.COSINE, d.lrSchedulerType());
        assertEquals(10, d.saveSteps());
        assertEquals(42, d.seed());
        assertEquals(0, d.evalSteps());
    }

    @Test
    void inconsistentSettingsAreUserErrorsNamingTheOption() {
        UserError e = assertThrows(UserError.class,
                () -> parse("--early-stopping-patience", "2").arguments("lora", tmp));
        assertTrue(e.getMessage().startsWith("--early-stopping-patience needs --eval-steps"), e.getMessage());
        e = assertThrows(UserError.class, () -> parse("--lr-scheduler-type", "polynomial").arguments("lora", tmp));
        assertEquals("unknown --lr-scheduler-type polynomial; expected constant, linear or cosine", e.getMessage());
        e = assertThrows(UserError.class, () -> parse("--eval-steps", "2", "--load-best-model-at-end",
                "--metric-for-best-model", "accuracy").arguments("lora", tmp));
        assertTrue(e.getMessage().contains("eval_loss only"), e.getMessage());
        e = assertThrows(UserError.class, () -> parse("--warmup-ratio", "1.5").arguments("lora", tmp));
        assertTrue(e.getMessage().startsWith("--warmup-ratio: warmup_ratio must be in [0, 1]"), e.getMessage());
    }

    @Test
    void helpShowsTheTrainerSettings() throws Exception {
        Captured help = Cli.capture(() -> Peft4j.run("train", "--help"));
        for (String option : List.of("--eval-steps", "--early-stopping-patience", "--load-best-model-at-end",
                "--metric-for-best-model", "--gradient-accumulation-steps", "--warmup-ratio", "--warmup-steps",
                "--lr-scheduler-type", "--weight-decay", "--packing", "--seed", "--prompt-tuning-init-text",
                "--save-steps", "--resume")) {
            assertTrue(help.out().contains(option), option + " missing from\n" + help.out());
        }
    }

    /** A 5-step run: one plain progress line per step in a log, every output, then --resume. */
    @Test
    void aFiveStepRunLogsPlainLinesAndResumes() throws Exception {
        Path out = tmp.resolve("run");
        Captured run = Cli.capture(() -> Peft4j.run(train(out, "--steps", "5", "--eval-steps", "2",
                "--gradient-accumulation-steps", "2", "--warmup-steps", "1", "--lr-scheduler-type", "linear",
                "--weight-decay", "0.01", "--seed", "7", "--packing").toArray(String[]::new)));
        assertEquals(0, run.status(), run.err());
        assertFalse(run.err().contains("\r"), "a log gets no carriage returns");
        List<String> progress = run.err().lines().filter(l -> l.startsWith("step ")).toList();
        assertEquals(5, progress.size(), run.err());
        for (int i = 0; i < 5; i++) {
            assertTrue(progress.get(i).startsWith("step " + (i + 1) + "/5  loss "), progress.get(i));
        }
        assertTrue(run.out().contains("(packed)"), run.out());

        JsonNode args = JSON.readTree(out.resolve("training_args.json").toFile());
        assertEquals(2, args.get("gradient_accumulation_steps").asInt());
        assertEquals(1, args.get("warmup_steps").asInt());
        assertEquals("linear", args.get("lr_scheduler_type").asText());
        assertEquals(0.01, args.get("weight_decay").asDouble());
        assertEquals(7, args.get("seed").asInt());
        assertEquals(2, args.get("eval_steps").asInt());
        List<Integer> evalSteps = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.has("eval_loss")) {
                evalSteps.add(n.get("step").asInt());
            }
        }
        assertEquals(List.of(2, 4), evalSteps);

        JsonNode report = JSON.readTree(out.resolve("report.json").toFile()).get("run");
        assertEquals("lora", report.get("method").asText());
        assertEquals(7, report.get("seed").asInt());
        assertTrue(report.get("data_fingerprint").asText().matches("sha256:[0-9a-f]{64}"), report.toString());
        assertEquals(4, report.get("adapter_config").get("r").asInt());
        assertEquals(2, report.get("training_args").get("gradient_accumulation_steps").asInt());
        assertTrue(report.get("command").get("packing").asBoolean());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| training_args.weight_decay | `0.01` |"), md);
        assertTrue(md.contains("| data_fingerprint | `" + report.get("data_fingerprint").asText() + "` |"), md);

        // the run ends with a checkpoint, so --resume works even though --save-steps (10) was never reached
        assertTrue(Files.isDirectory(out.resolve("checkpoint-5")));
        byte[] adapter = Files.readAllBytes(out.resolve("adapter_model.safetensors"));
        List<String> again = train(out, "--steps", "5", "--eval-steps", "2", "--gradient-accumulation-steps", "2",
                "--warmup-steps", "1", "--lr-scheduler-type", "linear", "--weight-decay", "0.01", "--seed", "7",
                "--packing", "--resume", "--no-progress");
        Captured resumed = Cli.capture(() -> Peft4j.run(again.toArray(String[]::new)));
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.out().contains("checkpoint-5 holds step 5 of 5: restores the trained weights, the adamw"
                + " state"), resumed.out());
        assertArrayEquals(adapter, Files.readAllBytes(out.resolve("adapter_model.safetensors")));

        // more steps would change the schedule of the steps already taken: refused, and nothing changes
        List<String> longer = new ArrayList<>(again);
        longer.set(longer.indexOf("--steps") + 1, "8");
        Captured refused = Cli.capture(() -> Peft4j.run(longer.toArray(String[]::new)));
        assertEquals(1, refused.status());
        assertTrue(refused.err().contains("over 5 steps with 1 warmup, this run's is linear from")
                && refused.err().contains("resuming needs the same max_steps"), refused.err());
        assertArrayEquals(adapter, Files.readAllBytes(out.resolve("adapter_model.safetensors")));
    }

    @Test
    void earlyStoppingAndTheBestModelFromTheCommandLine() throws Exception {
        Path out = tmp.resolve("early");
        // a threshold no decrease reaches: the evaluation at step 2 stays best, patience 1 stops at step 4
        Captured run = Cli.capture(() -> Peft4j.run(train(out, "--steps", "8", "--eval-steps", "2",
                "--early-stopping-patience", "1", "--early-stopping-threshold", "100", "--load-best-model-at-end",
                "--no-progress").toArray(String[]::new)));
        assertEquals(0, run.status(), run.err());
        JsonNode result = JSON.readTree(out.resolve("train_result.json").toFile());
        assertEquals("early_stopping", result.get("stop_reason").asText());
        assertEquals(4, result.get("step").asInt());
        assertEquals(2, result.get("best_step").asInt());
        assertTrue(Files.isDirectory(out.resolve("checkpoint-4")));
    }

    /** --prompt-tuning-init-text: the virtual tokens start as the text's token embeddings (lr 0 keeps them). */
    @Test
    void promptTuningStartsFromTheInitText() throws Exception {
        Path out = tmp.resolve("prompt");
        String text = "Answer as the support team";
        Captured run = Cli.capture(() -> Peft4j.run(train(out, "--method", "prompt", "--virtual-tokens", "3",
                "--prompt-tuning-init-text", text, "--steps", "1", "--lr", "0", "--no-progress")
                .toArray(String[]::new)));
        assertEquals(0, run.status(), run.err());
        JsonNode config = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("TEXT", config.get("prompt_tuning_init").asText());
        assertEquals(text, config.get("prompt_tuning_init_text").asText());

        try (NDManager m = NDManager.newBaseManager();
                HfTokenizer tokenizer = HfTokenizer.load(MODEL, null);
                SafetensorsFile adapter = SafetensorsFile.open(out.resolve("adapter_model.safetensors"));
                SafetensorsFile base = SafetensorsFile.open(MODEL.resolve("model.safetensors"))) {
            long[] ids = tokenizer.encode(text);
            assertTrue(ids.length >= 3, Arrays.toString(ids));
            NDArray prompt = adapter.load("prompt_embeddings", m);
            NDArray embeddings = base.load("model.embed_tokens.weight", m);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(embeddings.get(ids[i]).toFloatArray(), prompt.get(i).toFloatArray(), 0f, "row " + i);
            }
        }

        Captured wrong = Cli.capture(() -> Peft4j.run("train", "--model", MODEL.toString(), "--method", "lora",
                "--prompt-tuning-init-text", text));
        assertEquals(1, wrong.status());
        assertTrue(wrong.err().contains("--prompt-tuning-init-text works with --method prompt only"), wrong.err());
    }

    @Test
    void theChunkedHeadLossTrainsAsTheOrdinaryLossDoes() throws Exception {
        List<double[]> losses = new ArrayList<>();
        for (String rows : List.of("0", "64", "5")) {
            Path out = tmp.resolve("rows-" + rows);
            Captured run = Cli.capture(() -> Peft4j.run(train(out, "--steps", "3", "--logging-steps", "1",
                    "--replay", "0", "--kl-to-base", "0", "--no-progress", "--loss-chunk-rows", rows)
                    .toArray(String[]::new)));
            assertEquals(0, run.status(), run.err());
            List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
            double[] l = lines.stream().map(line -> {
                try {
                    return JSON.readTree(line);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).filter(n -> n.has("loss") && !n.has("eval_loss")).mapToDouble(n -> n.get("loss").asDouble()).toArray();
            assertEquals(3, l.length, lines.toString());
            assertEquals(Integer.parseInt(rows), JSON.readTree(out.resolve("report.json").toFile()).get("run")
                    .get("command").get("loss_chunk_rows").asInt());
            losses.add(l);
        }
        // one loss, three ways to compute it: whole logits, blocks of 64 and of 5 positions
        assertArrayEquals(losses.get(0), losses.get(1), 1e-5);
        assertArrayEquals(losses.get(0), losses.get(2), 1e-5);
        Captured bad = Cli.capture(() -> Peft4j.run(train(tmp.resolve("bad"), "--loss-chunk-rows", "-1")
                .toArray(String[]::new)));
        assertEquals(1, bad.status());
        assertTrue(bad.err().contains("--loss-chunk-rows must be >= 0"), bad.err());
    }
}
