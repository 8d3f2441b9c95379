package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.peft4j.bitfit.lntuning.LnTuningConfig;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.CrossEntropy;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.prefix.PromptAdapters;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code peft4j eval --adapter} on a fresh adapter of every PEFT method, against the base model's
 * numbers: methods that start as the identity measure what the base measures; prompt tuning and
 * P-tuning score one more token per general-text chunk (the first label, predicted from the last
 * virtual token, as PEFT pads the labels).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvalCommandTest {

    private static final Path ROOT = Path.of("..");
    private static final Path MODEL = ROOT.resolve("assets/base-model");
    private static final int SEQ_LEN = 48;
    private static final Pattern LINE = Pattern.compile(
            "(domain|general text) +loss ([0-9.]+)  perplexity ([0-9.]+)  token accuracy ([0-9.]+)  \\((\\d+) tokens\\)");

    @TempDir
    Path tmp;

    private Path eval;
    private Path general;
    private Measured base;

    /** One line of {@code eval}'s output. */
    private record Line(double loss, double perplexity, double accuracy, long tokens) {}

    /** Both lines. */
    private record Measured(Line domain, Line general) {}

    @BeforeAll
    void data(@TempDir Path dir) throws Exception {
        eval = dir.resolve("eval.jsonl");
        Files.write(eval, Files.readAllLines(ROOT.resolve("assets/data/support/eval.jsonl")).subList(0, 6));
        general = dir.resolve("general.txt");
        Files.write(general, Files.readAllLines(ROOT.resolve("assets/corpus/general-eval.txt")).subList(0, 4));
        base = eval(null);
    }

    private Measured eval(Path adapter) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("eval", "--model", MODEL.toString(),
                "--eval", eval.toString(), "--general-eval", general.toString(), "--seq-len", Integer.toString(SEQ_LEN),
                "--batch", "4"));
        if (adapter != null) {
            args.addAll(List.of("--adapter", adapter.toString()));
        }
        Cli.Captured run = Cli.capture(() -> Peft4j.run(args.toArray(String[]::new)));
        assertEquals(0, run.status(), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        Matcher m = LINE.matcher(run.out());
        Line[] lines = new Line[2];
        for (int i = 0; i < 2; i++) {
            assertTrue(m.find(), run.out());
            lines[i] = new Line(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                    Double.parseDouble(m.group(4)), Long.parseLong(m.group(5)));
        }
        return new Measured(lines[0], lines[1]);
    }

    private static PeftConfig config(String method) {
        if (method.equals("lntuning")) {
            return LnTuningConfig.builder().build();
        }
        return Methods.config(method, new Methods.Options(4, 8, 0.0, List.of("all-linear"), 4));
    }

    /** Saves a freshly initialised adapter of the method, as {@code train} would create it. */
    private Path freshAdapter(String method) {
        Path dir = tmp.resolve(method);
        PeftTrainer.seed(7);
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel model = HfModels.load(MODEL, manager);
                PeftModel peft = PeftModel.create(model.block(), config(method))) {
            peft.save(dir);
        }
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lora", "dora", "ia3", "bottleneck", "bitfit", "lntuning"})
    void identityInitialisedAdaptersMeasureWhatTheBaseMeasures(String method) throws Exception {
        Measured adapted = eval(freshAdapter(method));
        for (Line[] pair : new Line[][] {{base.domain(), adapted.domain()}, {base.general(), adapted.general()}}) {
            assertEquals(pair[0].tokens(), pair[1].tokens(), method);
            assertEquals(pair[0].loss(), pair[1].loss(), 2e-4, method);
            assertEquals(pair[0].accuracy(), pair[1].accuracy(), 2e-3, method);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"prompt", "ptuning", "prefix"})
    void promptLearningAdaptersEvaluate(String method) throws Exception {
        Measured adapted = eval(freshAdapter(method));
        assertTrue(Math.abs(adapted.general().loss() - base.general().loss()) > 1e-3,
                method + " changed nothing: " + adapted + " vs " + base);
        assertEquals(Math.exp(adapted.general().loss()), adapted.general().perplexity(),
                0.006 * adapted.general().perplexity());
        // chat rows start with an untrained prompt token: the same labels are scored
        assertEquals(base.domain().tokens(), adapted.domain().tokens());
        // general text trains every token: with virtual tokens in front, the first label of each chunk
        // is scored too (SEQ_LEN per chunk instead of SEQ_LEN - 1); prefix tuning keeps the length
        long chunks = base.general().tokens() / (SEQ_LEN - 1);
        assertEquals(0, base.general().tokens() % (SEQ_LEN - 1));
        long expected = method.equals("prefix") ? chunks * (SEQ_LEN - 1) : chunks * SEQ_LEN;
        assertEquals(expected, adapted.general().tokens(), method);
    }

    /**
     * The loss {@code eval} prints for a prompt-tuning adapter is PEFT's: each row alone, the labels
     * padded with {@code num_virtual_tokens} ignored positions by peft-prefix's own helper.
     */
    @Test
    void promptTuningLossIsPeftsPaddedLabelLoss() throws Exception {
        Path adapter = freshAdapter("prompt");
        Measured printed = eval(adapter);
        double sum = 0;
        double count = 0;
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel model = HfModels.load(MODEL, manager);
                PeftModel peft = PeftModel.fromPretrained(model.block(), adapter)) {
            TokenizedDataset text = SupportData.generalText(general,
                    TextTokenizer.of(model.tokenizer().orElseThrow()), SEQ_LEN);
            int virtualTokens = PromptAdapters.virtualTokens(peft, "default");
            assertEquals(4, virtualTokens);
            ParameterStore ps = new ParameterStore(manager, false);
            for (Batch row : text.batches(1)) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray logits = peft.forward(ps, row.inputs(step), false).head();
                    assertEquals(SEQ_LEN + virtualTokens, logits.getShape().get(1));
                    NDArray padded = PromptAdapters.padLabels(row.labels(step), virtualTokens);
                    CrossEntropy.Sum s = CrossEntropy.causalLmSum(logits, padded);
                    sum += s.sum().getFloat();
                    count += s.count().getFloat();
                }
            }
        }
        assertEquals((long) count, printed.general().tokens());
        assertEquals(Double.parseDouble(String.format(Locale.ROOT, "%.4f", sum / count)), printed.general().loss(),
                1.5e-4);
    }
}
