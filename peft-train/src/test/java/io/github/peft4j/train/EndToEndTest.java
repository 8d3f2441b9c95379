package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.curation.MinHashLsh;
import io.github.peft4j.train.curation.PiiAnonymizer;
import io.github.peft4j.train.data.DataPipeline;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.eval.ComparisonReport;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import io.github.peft4j.train.testing.TinyCausalLm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** From a JSONL file to a trained adapter, metrics, plot and base-vs-adapted report. */
class EndToEndTest {

    @TempDir
    Path tmp;

    private Path jsonl() throws IOException {
        StringBuilder sb = new StringBuilder();
        String[] colors = {"red", "blue"};
        String[] things = {"ball", "mat"};
        for (int i = 0; i < 4; i++) {
            for (String c : colors) {
                for (String t : things) {
                    sb.append("{\"prompt\": \"question : what color is the ").append(t).append(" ").append(i)
                            .append("\", \"completion\": \" answer : ").append(c).append("\"}\n");
                }
            }
        }
        sb.append("{\"messages\": [{\"role\": \"user\", \"content\": \"please help my order\"},"
                + " {\"role\": \"assistant\", \"content\": \"your refund is on it .\"}]}\n");
        sb.append("{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"},"
                + " {\"role\": \"assistant\", \"content\": \"hello world\"}]}\n");
        sb.append("{\"text\": \"the cat sat on the mat and the dog ran to the park\"}\n");
        sb.append("{\"text\": \"the cat sat on the mat and the dog ran to the park\"}\n");
        sb.append("{\"text\": \"my ticket : mail help@shop.example or call +41 44 668 18 00\"}\n");
        sb.append("{\"text\": broken\n");
        Path f = tmp.resolve("domain.jsonl");
        Files.writeString(f, sb.toString());
        return f;
    }

    @Test
    void jsonlToAdapterMetricsPlotAndReport() throws IOException {
        Path out = tmp.resolve("run");
        try (NDManager m = NDManager.newBaseManager(); HfTokenizer hf = Fixtures.tinyTokenizer()) {
            TextTokenizer tok = TextTokenizer.of(hf);
            DataPipeline.Prepared data = DataPipeline.builder(tok)
                    .curator(Curator.builder().exactDedup(true).nearDedup(MinHashLsh.builder().threshold(0.9).build())
                            .anonymizer(PiiAnonymizer.defaults()).build())
                    .skipBadLines(true)
                    .evalFraction(0.2)
                    .seed(5)
                    .build()
                    .prepare(jsonl());
            assertEquals(21, data.curation().recordsIn());
            assertEquals(1, data.curation().skippedBadLines());
            assertTrue(data.curation().exactDuplicates() >= 1);
            assertEquals(1, data.curation().piiReplacements().get("EMAIL"));
            assertEquals(1, data.curation().piiReplacements().get("PHONE"));
            TokenizedDataset general = Corpus.evalDataset(tok);

            TrainingArguments args = TrainingArguments.builder(out).learningRate(3e-2).numTrainEpochs(8)
                    .perDeviceTrainBatchSize(4).warmupRatio(0.1).lrSchedulerType(LrSchedule.Type.COSINE)
                    .weightDecay(0.01).evalSteps(10).saveSteps(20).saveTotalLimit(1).logSteps(5).build();
            EvalResult after;
            try (PeftModel model = Fixtures.tinyPeftModel(m, 0.05, 8)) {
                PeftTrainer trainer = PeftTrainer.builder().model(model).args(args).trainDataset(data.train())
                        .evalDataset(data.eval()).build();
                int planned = trainer.plannedSteps();
                // 16 prompt/completion + 2 chats + 1 text after dedup, minus the eval share, in batches of 4, 8 epochs
                assertEquals((int) Math.ceil(8 * Math.ceil(data.train().size() / 4.0)), planned);
                TrainResult result = trainer.train();
                assertEquals(planned, result.globalStep());
                assertTrue(result.finalLoss() < result.stepLosses().get(0));

                ComparisonReport.Measurements measured =
                        ComparisonReport.measure(model, data.eval(), general, 4, new CausalLmLoss());
                assertTrue(measured.domainAfter().loss() < measured.domainBefore().loss(),
                        "the adapter must help on the domain: " + measured);
                ComparisonReport report = new ComparisonReport("tiny support adapter", measured, model.countParameters(),
                        ComparisonReport.adapterSize(out), result.summary());
                report.write(out);
                after = measured.domainAfter();

                long expectedSize = Files.size(out.resolve("adapter_model.safetensors"))
                        + Files.size(out.resolve("adapter_config.json"));
                assertEquals(expectedSize, report.adapterBytes());
                JsonNode json = new ObjectMapper().readTree(out.resolve("report.json").toFile());
                assertEquals(measured.domainBefore().loss(), json.at("/domain/before/loss").asDouble(), 1e-12);
                assertEquals(measured.domainAfter().loss() - measured.domainBefore().loss(),
                        json.at("/domain/change/loss").asDouble(), 1e-12);
                assertTrue(json.at("/general/after/perplexity").isNumber());
                assertEquals(model.countParameters().trainable(), json.at("/parameters/trainable").asLong());
                assertEquals(planned, json.at("/training/steps").asInt());
                assertTrue(json.at("/training/tokens_per_second").asDouble() > 0);
                String md = Files.readString(out.resolve("report.md"));
                assertTrue(md.contains("| domain | loss |") && md.contains("| general text | perplexity |")
                        && md.contains("| adapter size on disk |"), md);
            }
            for (String f : new String[] {"adapter_config.json", "adapter_model.safetensors", "metrics.jsonl", "loss.svg",
                "train_result.json", "report.json", "report.md"}) {
                assertTrue(Files.isRegularFile(out.resolve(f)), f);
            }
            // the saved adapter on a fresh copy of the base model reproduces the adapted evaluation
            TinyCausalLm base = TinyCausalLm.create(m, 45, 8, 2, 8);
            try (PeftModel reloaded = PeftModel.fromPretrained(base, out)) {
                EvalResult again = Evaluator.evaluate(reloaded, data.eval(), 4, new CausalLmLoss());
                assertEquals(after.loss(), again.loss(), 1e-6);
            }
        }
    }
}
