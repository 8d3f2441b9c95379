package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.cli.Cli.Captured;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runs {@code peft4j train} in-process on the bundled model and data with tiny settings. */
class TrainCommandSmokeTest {

    private static final Path ROOT = Path.of("..");
    private static final Path MODEL = ROOT.resolve("assets/base-model");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void trainWritesALoadableAdapterAndAReport() throws Exception {
        Path general = tmp.resolve("general.txt");
        List<String> lines = Files.readAllLines(ROOT.resolve("assets/corpus/general-eval.txt"));
        Files.write(general, lines.subList(0, 6));
        Path out = tmp.resolve("run");

        Captured run = capture(() -> Peft4j.run("train", "--model", MODEL.toString(),
                "--data", ROOT.resolve("assets/data/support/train.jsonl").toString(),
                "--eval", ROOT.resolve("assets/data/support/eval.jsonl").toString(),
                "--general-eval", general.toString(), "--steps", "3", "--batch", "2", "--seq-len", "48",
                "--rank", "4", "--samples", "1", "--no-progress", "--output", out.toString()));
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().contains("domain eval"), run.out());

        for (String f : List.of("adapter_config.json", "adapter_model.safetensors", "metrics.jsonl", "loss.svg",
                "report.json", "report.md", "samples.md", "curation.md")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        JsonNode config = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals(4, config.get("r").asInt());

        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        for (String set : List.of("domain", "general")) {
            for (String when : List.of("before", "after")) {
                double loss = report.get(set).get(when).get("loss").asDouble();
                double ppl = report.get(set).get(when).get("perplexity").asDouble();
                assertTrue(loss > 0 && Double.isFinite(loss), set + " " + when);
                assertEquals(Math.exp(loss), ppl, 1e-6 * ppl);
            }
        }
        assertEquals(3, report.get("training").get("steps").asInt());
        long trainable = report.get("parameters").get("trainable").asLong();
        assertTrue(trainable > 0);
        assertEquals(Files.size(out.resolve("adapter_config.json")) + Files.size(out.resolve("adapter_model.safetensors")),
                report.get("adapter_size_bytes").asLong());

        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertFalse(metrics.isEmpty());
        for (String line : metrics) {
            assertTrue(JSON.readTree(line).has("step"), line);
        }
        assertTrue(Files.readString(out.resolve("loss.svg")).contains("<svg"));

        // the adapter loads back onto the base, and its tensors are the ones counted as trainable
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(MODEL, manager);
                PeftModel peft = PeftModel.fromPretrained(base.block(), out)) {
            long saved = savedValues(out);
            assertEquals(trainable, saved);
            assertEquals(List.of("default"), peft.activeAdapters());
            // B starts at zero; three steps moved it
            float[] b = peft.adapterParameters("default").entrySet().stream()
                    .filter(e -> e.getKey().contains("lora_B")).findFirst().orElseThrow()
                    .getValue().getArray().toFloatArray();
            boolean moved = false;
            for (float v : b) {
                moved |= v != 0f;
            }
            assertTrue(moved, "lora_B is still zero after training");
        }

        Captured inspect = capture(() -> Peft4j.run("inspect", out.toString()));
        assertEquals(0, inspect.status(), inspect.err());
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(out.resolve("adapter_model.safetensors"))));
        assertTrue(inspect.out().contains(digest), inspect.out());
        assertTrue(inspect.out().contains(String.format("%,d", trainable)), inspect.out());
    }

    @Test
    void userErrorsAreOneLineAndNonZero() throws Exception {
        Captured missing = capture(() -> Peft4j.run("train", "--data", tmp.resolve("nope.jsonl").toString()));
        assertEquals(1, missing.status());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("nope.jsonl"), missing.err());

        Captured method = capture(() -> Peft4j.run("train", "--model", MODEL.toString(), "--method", "adalora"));
        assertEquals(1, method.status());
        assertTrue(method.err().contains("unknown --method adalora"), method.err());
        assertFalse(method.err().contains("\tat "), method.err());

        Captured quantized = capture(() -> Peft4j.run("train", "--model", MODEL.toString(), "--method", "ia3",
                "--quantize", "nf4"));
        assertEquals(1, quantized.status());
        assertTrue(quantized.err().contains("--quantize works with --method lora only"), quantized.err());

        Captured device = capture(() -> Peft4j.run("eval", "--model", MODEL.toString(),
                "--eval", ROOT.resolve("assets/data/support/eval.jsonl").toString(), "--general-eval", "none",
                "--device", "gpu:7"));
        assertEquals(1, device.status());
        assertEquals(1, device.err().strip().lines().count(), device.err());
        assertTrue(device.err().startsWith("peft4j eval: --device gpu:7: the PyTorch engine sees"), device.err());

        Captured notAdapter = capture(() -> Peft4j.run("inspect", tmp.toString()));
        assertEquals(1, notAdapter.status());
        assertEquals(1, notAdapter.err().strip().lines().count(), notAdapter.err());
    }

    /** merge writes a plain checkpoint that evaluates and generates exactly as base + adapter. */
    @Test
    void mergedCheckpointEvaluatesAndGeneratesLikeTheAdapter() throws Exception {
        Path data = tmp.resolve("train.jsonl");
        Files.write(data, Files.readAllLines(ROOT.resolve("assets/data/support/train.jsonl")).subList(0, 16));
        Path eval = tmp.resolve("eval.jsonl");
        Files.write(eval, Files.readAllLines(ROOT.resolve("assets/data/support/eval.jsonl")).subList(0, 8));
        Path out = tmp.resolve("run");
        Captured train = capture(() -> Peft4j.run("train", "--model", MODEL.toString(), "--data", data.toString(),
                "--eval", eval.toString(), "--general-eval", "none", "--steps", "4", "--batch", "4", "--seq-len", "64",
                "--rank", "4", "--samples", "0", "--no-progress", "--output", out.toString()));
        assertEquals(0, train.status(), train.err());

        Path merged = tmp.resolve("merged");
        Captured merge = capture(() -> Peft4j.run("merge", "--model", MODEL.toString(), "--adapter", out.toString(),
                "--output", merged.toString()));
        assertEquals(0, merge.status(), merge.err());
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            assertTrue(Files.isRegularFile(merged.resolve(f)), f);
        }

        String[] evalArgs = {"eval", "--eval", eval.toString(), "--general-eval", "none", "--seq-len", "64"};
        Captured base = capture(() -> Peft4j.run(concat(evalArgs, "--model", MODEL.toString())));
        Captured adapted = capture(() -> Peft4j.run(concat(evalArgs, "--model", MODEL.toString(),
                "--adapter", out.toString())));
        Captured mergedEval = capture(() -> Peft4j.run(concat(evalArgs, "--model", merged.toString())));
        for (Captured c : List.of(base, adapted, mergedEval)) {
            assertEquals(0, c.status(), c.err());
            assertTrue(c.out().startsWith("domain "), c.out());
        }
        double[] adaptedNumbers = evalNumbers(adapted.out());
        double[] mergedNumbers = evalNumbers(mergedEval.out());
        for (int i = 0; i < adaptedNumbers.length; i++) {
            // merged weights round differently from base + scaled B·A: equal to float precision
            assertEquals(adaptedNumbers[i], mergedNumbers[i], 1e-5 * Math.abs(adaptedNumbers[i]) + 1e-3,
                    adapted.out() + " vs merged " + mergedEval.out());
        }
        assertTrue(Math.abs(evalNumbers(base.out())[0] - adaptedNumbers[0]) > 1e-3, "the adapter changed nothing");

        String question = "Can I return a jacket after 40 days?";
        Captured withAdapter = capture(() -> Peft4j.run("generate", "--model", MODEL.toString(), "--adapter",
                out.toString(), "--max-new-tokens", "12", question));
        Captured fromMerged = capture(() -> Peft4j.run("generate", "--model", merged.toString(), "--max-new-tokens",
                "12", question));
        assertEquals(0, withAdapter.status(), withAdapter.err());
        assertFalse(withAdapter.out().isBlank());
        assertEquals(withAdapter.out(), fromMerged.out());
    }

    /** @return loss, perplexity and token accuracy of the first line {@code eval} printed */
    private static double[] evalNumbers(String evalOutput) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("loss ([0-9.]+)  perplexity ([0-9.]+)  token accuracy ([0-9.]+)").matcher(evalOutput);
        assertTrue(m.find(), evalOutput);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                Double.parseDouble(m.group(3))};
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    /** Two steps of every method (and of QLoRA) on a few records; each adapter must load back. */
    @ParameterizedTest
    @CsvSource({"ia3,IA3,", "bottleneck,BOTTLENECK,", "prefix,PREFIX_TUNING,", "prompt,PROMPT_TUNING,",
            "ptuning,P_TUNING,", "bitfit,BITFIT,", "lora,LORA,nf4", "lora,LORA,int8"})
    void everyMethodTrainsTwoSteps(String method, String peftType, String quantize) throws Exception {
        Path data = tmp.resolve("train.jsonl");
        Files.write(data, Files.readAllLines(ROOT.resolve("assets/data/support/train.jsonl")).subList(0, 8));
        Path eval = tmp.resolve("eval.jsonl");
        Files.write(eval, Files.readAllLines(ROOT.resolve("assets/data/support/eval.jsonl")).subList(0, 6));
        Path out = tmp.resolve("run");
        List<String> args = new java.util.ArrayList<>(List.of("train", "--model", MODEL.toString(),
                "--data", data.toString(), "--eval", eval.toString(), "--general-eval", "none",
                "--method", method, "--virtual-tokens", "4", "--steps", "2", "--batch", "2", "--seq-len", "96",
                "--rank", "4", "--samples", "1", "--no-progress", "--output", out.toString()));
        if (quantize != null) {
            args.addAll(List.of("--quantize", quantize));
        }
        Captured run = capture(() -> Peft4j.run(args.toArray(String[]::new)));
        assertEquals(0, run.status(), run.err());
        if (quantize != null) {
            assertTrue(run.out().contains("quantized "), run.out());
        }

        JsonNode config = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals(peftType, config.get("peft_type").asText());
        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        assertEquals(2, report.get("training").get("steps").asInt());
        double before = report.get("domain").get("before").get("loss").asDouble();
        double after = report.get("domain").get("after").get("loss").asDouble();
        assertTrue(Double.isFinite(before) && Double.isFinite(after), before + " -> " + after);
        assertNotEquals(before, after, "two steps changed nothing");
        long trainable = report.get("parameters").get("trainable").asLong();

        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(MODEL, manager);
                PeftModel peft = PeftModel.fromPretrained(base.block(), out)) {
            long saved = savedValues(out);
            long loaded = 0;
            for (ai.djl.nn.Parameter p : peft.adapterParameters("default").values()) {
                loaded += p.getArray().size();
            }
            assertEquals(saved, loaded);
            if (method.equals("ptuning")) {
                // P-tuning saves the encoder's output for the 4 virtual tokens, not the encoder it trained
                assertEquals(4 * JSON.readTree(MODEL.resolve("config.json").toFile()).get("hidden_size").asInt(), saved);
                assertTrue(trainable > saved, trainable + " trainable");
            } else {
                assertEquals(trainable, saved);
            }
        }
    }

    /** @return the number of values in an adapter's safetensors file */
    private static long savedValues(Path adapterDir) {
        try (SafetensorsFile weights = SafetensorsFile.open(adapterDir.resolve("adapter_model.safetensors"))) {
            long saved = 0;
            for (String name : weights.names()) {
                long n = 1;
                for (long d : weights.info(name).shape()) {
                    n *= d;
                }
                saved += n;
            }
            return saved;
        }
    }

    private static Captured capture(Cli.Run run) throws Exception {
        return Cli.capture(run);
    }
}
