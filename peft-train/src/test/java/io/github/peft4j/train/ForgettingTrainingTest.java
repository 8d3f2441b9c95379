package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The general-text set evaluated during training on the tiny model: logged, plotted, and budgeted. */
class ForgettingTrainingTest {

    static HfTokenizer tokenizer;
    static TokenizedDataset train;
    static TokenizedDataset domain;
    static TokenizedDataset general;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        tokenizer = Fixtures.tinyTokenizer();
        train = Corpus.dataset(TextTokenizer.of(tokenizer));
        domain = Corpus.evalDataset(TextTokenizer.of(tokenizer));
        // the training text itself stands in for "general" text here: only the wiring is tested
        general = new TokenizedDataset(train.examples().subList(0, 6), train.batching());
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void everyEvaluationLogsTheGeneralTextAndItsRatioToTheBase() throws IOException {
        TrainingArguments a = TrainingArguments.builder(tmp).learningRate(5e-2).maxSteps(6).perDeviceTrainBatchSize(4)
                .saveSteps(0).logSteps(2).evalSteps(3).maxForgetting(1000).build();
        EvalResult base;
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 1)) {
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                base = Evaluator.evaluate(model, general, 8, new CausalLmLoss());
            }
            TrainResult r = PeftTrainer.builder().model(model).args(a).trainDataset(train).evalDataset(domain)
                    .generalDataset(general).build().train();
            assertEquals(6, r.bestStep(), "a budget of 1000x admits every evaluation");
        }
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve(MetricsLog.FILE))) {
            lines.add(json.readTree(line));
        }
        assertEquals(0, lines.get(0).get("step").asInt());
        assertEquals(base.loss(), lines.get(0).get("general_base_loss").asDouble(), 1e-6);
        List<JsonNode> evals = lines.stream().filter(n -> n.has("general_loss")).toList();
        assertEquals(List.of(3, 6), evals.stream().map(n -> n.get("step").asInt()).toList());
        for (JsonNode n : evals) {
            assertTrue(n.has("eval_loss"));
            assertEquals(Math.exp(n.get("general_loss").asDouble() - base.loss()),
                    n.get("general_perplexity_ratio").asDouble(), 1e-9);
        }
        String svg = Files.readString(tmp.resolve(PeftTrainer.PLOT_FILE));
        assertTrue(svg.contains("class=\"general\""), "the general-text curve is plotted");
        JsonNode result = json.readTree(tmp.resolve(PeftTrainer.RESULT_FILE).toFile());
        assertEquals(evals.get(1).get("general_perplexity_ratio").asDouble(),
                result.get("best_general_perplexity_ratio").asDouble(), 1e-12);
    }

    @Test
    void aBudgetWithoutGeneralTextIsRefused() {
        TrainingArguments a = TrainingArguments.builder(tmp).maxSteps(2).evalSteps(1).maxForgetting(1.5).build();
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 1)) {
            PeftConfigException e = assertThrows(PeftConfigException.class, () -> PeftTrainer.builder().model(model)
                    .args(a).trainDataset(train).evalDataset(domain).build());
            assertTrue(e.getMessage().contains("general dataset"), e.getMessage());
        }
    }
}
