package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.loss.TrainingLoss;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    static HfTokenizer tokenizer;
    static TokenizedDataset train;
    static TokenizedDataset eval;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        tokenizer = Fixtures.tinyTokenizer();
        train = Corpus.dataset(TextTokenizer.of(tokenizer));
        eval = Corpus.evalDataset(TextTokenizer.of(tokenizer));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static TrainingArguments.Builder args(Path out) {
        return TrainingArguments.builder(out).learningRate(5e-2).maxSteps(6).perDeviceTrainBatchSize(4)
                .saveSteps(0).logSteps(2);
    }

    private static Map<String, float[]> adapterValues(PeftModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.adapterParameters("default").forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
        return out;
    }

    private static TrainResult train(NDManager m, TrainingArguments a, double dropout, int seed,
            java.util.function.Consumer<PeftTrainer.Builder> more) {
        try (PeftModel model = Fixtures.tinyPeftModel(m, dropout, seed)) {
            PeftTrainer.Builder b = PeftTrainer.builder().model(model).args(a).trainDataset(train);
            if (a.evalSteps() > 0) {
                b.evalDataset(eval);
            }
            more.accept(b);
            return b.build().train();
        }
    }

    @Test
    void trainsOnlyTheAdapterAndLeavesTheBaseUntouched() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 1)) {
            Map<String, float[]> baseBefore = new LinkedHashMap<>();
            for (var e : model.modules().parameters().entrySet()) {
                if (!e.getValue().requiresGradient()) {
                    baseBefore.put(e.getKey(), e.getValue().getArray().toFloatArray());
                }
            }
            Map<String, float[]> adapterBefore = adapterValues(model);
            TrainResult r = PeftTrainer.builder().model(model).args(args(tmp).build()).trainDataset(train).build().train();
            assertEquals(6, r.globalStep());
            assertEquals(StopReason.MAX_STEPS, r.stopReason());
            for (var e : model.modules().parameters().entrySet()) {
                if (baseBefore.containsKey(e.getKey())) {
                    assertArrayEquals(baseBefore.get(e.getKey()), e.getValue().getArray().toFloatArray(), 0f, e.getKey());
                    assertFalse(e.getValue().getArray().hasGradient(), e.getKey() + " must not get a gradient");
                }
            }
            Map<String, float[]> adapterAfter = adapterValues(model);
            for (String k : adapterBefore.keySet()) {
                assertFalse(java.util.Arrays.equals(adapterBefore.get(k), adapterAfter.get(k)), k + " was not trained");
            }
            assertTrue(Files.isRegularFile(tmp.resolve("adapter_model.safetensors")));
            try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
                assertEquals(adapterBefore.size(), f.names().size());
                assertTrue(f.names().stream().allMatch(n -> n.startsWith("base_model.model.") && !n.contains("default")));
            }
        }
    }

    private static TrainingArguments.Builder sgd(Path out) {
        return args(out).optimizer(OptimizerType.SGD).learningRate(0.5).maxGradNorm(0).maxSteps(3);
    }

    @Test
    void microBatchesAccumulateToOneBigBatch() {
        // examples differ in length: token weighting makes 4 x 1, 2 x 2 and 1 x 4 identical
        try (NDManager m = NDManager.newBaseManager()) {
            List<Map<String, float[]>> weights = new ArrayList<>();
            List<List<Double>> losses = new ArrayList<>();
            int[][] configs = {{4, 1}, {2, 2}, {1, 4}};
            for (int[] c : configs) {
                try (PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 5)) {
                    TrainResult r = PeftTrainer.builder().model(model).trainDataset(train)
                            .args(sgd(tmp.resolve("acc-" + c[0] + "x" + c[1])).perDeviceTrainBatchSize(c[0])
                                    .gradientAccumulationSteps(c[1]).build())
                            .build().train();
                    weights.add(adapterValues(model));
                    losses.add(r.stepLosses());
                }
            }
            for (int i = 1; i < configs.length; i++) {
                for (int s = 0; s < 3; s++) {
                    assertEquals(losses.get(0).get(s), losses.get(i).get(s), 1e-6, "loss of step " + s);
                }
                for (String k : weights.get(0).keySet()) {
                    assertArrayEquals(weights.get(0).get(k), weights.get(i).get(k), 1e-6f, k);
                }
            }
            // dividing by the number of micro-batches instead is not the same when token counts differ
            try (PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 5)) {
                TrainResult r = PeftTrainer.builder().model(model).trainDataset(train)
                        .args(sgd(tmp.resolve("plain")).perDeviceTrainBatchSize(1).gradientAccumulationSteps(4)
                                .averageTokensAcrossMicroBatches(false).build())
                        .build().train();
                assertTrue(Math.abs(r.stepLosses().get(0) - losses.get(0).get(0)) > 1e-3);
            }
        }
    }

    @Test
    void resumingFromACheckpointEqualsTrainingStraight() throws IOException {
        // dropout, weight decay, warmup + cosine, accumulation, clipping and evaluation all take part
        TrainingArguments common = args(tmp).learningRate(2e-2).maxSteps(10).perDeviceTrainBatchSize(2)
                .gradientAccumulationSteps(2).warmupSteps(2).lrSchedulerType(LrSchedule.Type.COSINE)
                .weightDecay(0.05).maxGradNorm(0.5).evalSteps(3).saveSteps(5).seed(11).build();
        Path straightDir = tmp.resolve("straight");
        Path resumedDir = tmp.resolve("resumed");
        TrainResult straight;
        try (NDManager m = NDManager.newBaseManager()) {
            straight = train(m, common.toBuilder().outputDir(straightDir).build(), 0.1, 2, b -> {});
        }
        TrainingArguments resumedArgs = common.toBuilder().outputDir(resumedDir).build();
        try (NDManager m = NDManager.newBaseManager()) {
            TrainResult first = train(m, resumedArgs, 0.1, 2, b -> b.callback(new TrainerCallback() {
                @Override
                public void onStepEnd(TrainerState s, TrainerControl c) {
                    if (s.globalStep() == 5) {
                        c.stop("simulated crash");
                    }
                }
            }));
            assertEquals(5, first.globalStep());
            assertEquals(StopReason.CALLBACK, first.stopReason());
        }
        Path checkpoint = resumedDir.resolve("checkpoint-5");
        assertEquals(checkpoint, PeftTrainer.latestCheckpoint(resumedDir).orElseThrow());
        TrainResult resumed;
        try (NDManager m = NDManager.newBaseManager();
                // the same base, other initial adapter weights: the trained ones must come from the checkpoint
                PeftModel fresh = Fixtures.tinyPeftModel(m, 0.1, 2, 99)) {
            resumed = PeftTrainer.builder().model(fresh).args(resumedArgs).trainDataset(train).evalDataset(eval).build()
                    .resume(checkpoint);
        }
        assertEquals(10, resumed.globalStep());
        assertEquals(straight.stepLosses().size(), resumed.stepLosses().size());
        for (int i = 0; i < 10; i++) {
            assertEquals(straight.stepLosses().get(i), resumed.stepLosses().get(i), 1e-6, "loss of step " + (i + 1));
        }
        assertEquals(straight.evalHistory().size(), resumed.evalHistory().size());
        for (int i = 0; i < straight.evalHistory().size(); i++) {
            assertEquals(straight.evalHistory().get(i).step(), resumed.evalHistory().get(i).step());
            assertEquals(straight.evalHistory().get(i).result().loss(), resumed.evalHistory().get(i).result().loss(), 1e-6);
        }
        assertArrayEquals(Files.readAllBytes(straightDir.resolve("adapter_model.safetensors")),
                Files.readAllBytes(resumedDir.resolve("adapter_model.safetensors")), "adapter bytes");
        assertArrayEquals(Files.readAllBytes(straightDir.resolve("checkpoint-10/optimizer.safetensors")),
                Files.readAllBytes(resumedDir.resolve("checkpoint-10/optimizer.safetensors")), "optimizer state bytes");
        // metrics.jsonl of the resumed run has each step once, with the same numbers as the straight run
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> straightLines = new ArrayList<>();
        for (String line : Files.readAllLines(straightDir.resolve("metrics.jsonl"))) {
            straightLines.add(json.readTree(line));
        }
        List<JsonNode> resumedLines = new ArrayList<>();
        for (String line : Files.readAllLines(resumedDir.resolve("metrics.jsonl"))) {
            resumedLines.add(json.readTree(line));
        }
        assertEquals(straightLines.size(), resumedLines.size());
        List<Integer> logged = new ArrayList<>();
        for (int i = 0; i < straightLines.size(); i++) {
            JsonNode a = straightLines.get(i);
            JsonNode b = resumedLines.get(i);
            assertEquals(a.get("step").asInt(), b.get("step").asInt());
            for (String key : List.of("loss", "learning_rate", "grad_norm", "eval_loss", "train_loss")) {
                if (a.has(key)) {
                    assertEquals(a.get(key).asDouble(), b.get(key).asDouble(), 1e-6, key + " at step " + a.get("step"));
                }
            }
            if (b.has("loss")) {
                logged.add(b.get("step").asInt());
            }
        }
        assertEquals(List.of(2, 4, 6, 8, 10), logged);
    }

    @Test
    void resumeRefusesOtherDataOrOtherBatching() {
        TrainingArguments a = args(tmp).saveSteps(3).build();
        try (NDManager m = NDManager.newBaseManager()) {
            train(m, a, 0.0, 1, b -> {});
            Path cp = tmp.resolve("checkpoint-3");
            try (PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 1)) {
                PeftConfigException e = assertThrows(PeftConfigException.class, () -> PeftTrainer.builder().model(model)
                        .args(a.toBuilder().perDeviceTrainBatchSize(3).build()).trainDataset(train).build().resume(cp));
                assertTrue(e.getMessage().contains("per_device_train_batch_size"), e.getMessage());
                PeftConfigException e2 = assertThrows(PeftConfigException.class, () -> PeftTrainer.builder().model(model)
                        .args(a).trainDataset(eval).build().resume(cp));
                assertTrue(e2.getMessage().contains("12 training sequences"), e2.getMessage());
            }
        }
    }

    @Test
    void checkpointsAreRotatedAndComplete() throws IOException {
        TrainingArguments a = args(tmp).maxSteps(10).saveSteps(2).saveTotalLimit(2).build();
        try (NDManager m = NDManager.newBaseManager()) {
            train(m, a, 0.0, 1, b -> {});
        }
        try (Stream<Path> s = Files.list(tmp)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("adapter_config.json", "adapter_model.safetensors", "checkpoint-10", "checkpoint-8",
                    "loss.svg", "metrics.jsonl", "train_result.json"), names);
        }
        Path cp = tmp.resolve("checkpoint-10");
        try (Stream<Path> s = Files.list(cp)) {
            assertEquals(List.of("adapter_config.json", "adapter_model.safetensors", "optimizer.safetensors",
                    "trainer_state.json", "training_args.json"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (SafetensorsFile f = SafetensorsFile.open(cp.resolve("optimizer.safetensors"))) {
            assertEquals("adamw", f.metadata().get("optimizer"));
            assertEquals("10", f.metadata().get("step"));
            assertTrue(f.names().contains("model.layers.0.mlp.up_proj.lowrank_A.default.weight.exp_avg_sq"), f.names().toString());
        }
        JsonNode state = new ObjectMapper().readTree(cp.resolve("trainer_state.json").toFile());
        assertEquals(10, state.get("global_step").asInt());
        assertEquals(10, state.get("loss_history").size());
        JsonNode savedArgs = new ObjectMapper().readTree(cp.resolve("training_args.json").toFile());
        assertEquals("linear", savedArgs.get("lr_scheduler_type").asText());
        assertEquals("adamw_torch", savedArgs.get("optim").asText());
    }

    @Test
    void nanLossStopsWithoutWritingAnAdapter() {
        AtomicInteger calls = new AtomicInteger();
        TrainingLoss poisoned = new CausalLmLoss() {
            @Override
            public NDArray compute(NDList outputs, NDArray labels) {
                NDArray l = super.compute(outputs, labels);
                return calls.incrementAndGet() == 3 ? l.mul(Float.NaN) : l;
            }
        };
        TrainingArguments a = args(tmp).saveSteps(2).build();
        try (NDManager m = NDManager.newBaseManager()) {
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> train(m, a, 0.0, 1, b -> b.loss(poisoned)));
            assertEquals(3, e.step());
            assertTrue(e.getMessage().contains("step 3: the training loss is NaN"), e.getMessage());
            assertTrue(e.getMessage().contains("checkpoint-2"), e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("adapter_model.safetensors")), "no adapter after divergence");
        assertTrue(Files.isDirectory(tmp.resolve("checkpoint-2")));
    }

    @Test
    void earlyStoppingAfterPatienceEvaluationsWithoutImprovement() throws IOException {
        // a threshold no decrease can beat: the first evaluation stays the best
        TrainingArguments a = args(tmp).maxSteps(20).evalSteps(2).earlyStoppingPatience(2)
                .earlyStoppingThreshold(1e9).build();
        List<Double> evalLosses = new ArrayList<>();
        TrainResult r;
        try (NDManager m = NDManager.newBaseManager()) {
            r = train(m, a, 0.0, 1, b -> b.callback(new TrainerCallback() {
                @Override
                public void onEvaluate(TrainerState s, EvalResult metrics, TrainerControl c) {
                    evalLosses.add(metrics.loss());
                }
            }));
        }
        assertEquals(StopReason.EARLY_STOPPING, r.stopReason());
        assertEquals(6, r.globalStep());
        assertEquals(2, r.bestStep());
        assertEquals(List.of(2, 4, 6), r.evalHistory().stream().map(EvalPoint::step).toList());
        assertEquals(evalLosses.get(0), r.bestEvalLoss(), 0);
        assertTrue(evalLosses.get(2) < evalLosses.get(0), "training still helped; only the threshold stopped it");
        JsonNode result = new ObjectMapper().readTree(tmp.resolve("train_result.json").toFile());
        assertEquals("early_stopping", result.get("stop_reason").asText());
    }

    @Test
    void loadBestModelAtEndRestoresTheBestEvaluationsWeights() throws IOException {
        TrainingArguments a = args(tmp).maxSteps(6).evalSteps(2).saveSteps(2).earlyStoppingThreshold(1e9)
                .loadBestModelAtEnd(true).build();
        try (NDManager m = NDManager.newBaseManager()) {
            TrainResult r = train(m, a, 0.0, 1, b -> {});
            assertEquals(2, r.bestStep());
        }
        assertArrayEquals(Files.readAllBytes(tmp.resolve("checkpoint-2/adapter_model.safetensors")),
                Files.readAllBytes(tmp.resolve("adapter_model.safetensors")));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("checkpoint-6/adapter_model.safetensors")),
                Files.readAllBytes(tmp.resolve("adapter_model.safetensors"))));
    }

    @Test
    void seededRunsRepeatAndOtherSeedsDiffer() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<Double> a = train(m, args(tmp.resolve("a")).seed(3).build(), 0.2, 1, b -> {}).stepLosses();
            List<Double> b = train(m, args(tmp.resolve("b")).seed(3).build(), 0.2, 1, x -> {}).stepLosses();
            List<Double> c = train(m, args(tmp.resolve("c")).seed(4).build(), 0.2, 1, x -> {}).stepLosses();
            assertEquals(a, b);
            assertNotEquals(a, c);
        }
    }

    @Test
    void callbacksSeeEveryEventAndCanStop() throws Exception {
        List<String> events = new ArrayList<>();
        List<Progress> progress = new ArrayList<>();
        TrainingArguments a = args(tmp).maxSteps(8).logSteps(4).evalSteps(4).saveSteps(4).build();
        TrainResult r;
        try (NDManager m = NDManager.newBaseManager()) {
            r = train(m, a, 0.0, 1, b -> b.callback(TrainerCallback.onProgress(progress::add)).callback(new TrainerCallback() {
                @Override
                public void onTrainBegin(TrainerState s, TrainerControl c) {
                    events.add("begin " + s.globalStep() + "/" + s.maxSteps());
                }

                @Override
                public void onStepEnd(TrainerState s, TrainerControl c) {
                    events.add("step " + s.globalStep());
                }

                @Override
                public void onLog(TrainerState s, Map<String, Object> logs, TrainerControl c) {
                    events.add("log " + logs.get("step"));
                }

                @Override
                public void onEvaluate(TrainerState s, EvalResult metrics, TrainerControl c) {
                    events.add("eval " + s.globalStep());
                }

                @Override
                public void onSave(TrainerState s, Path checkpoint) {
                    events.add("save " + checkpoint.getFileName());
                }

                @Override
                public void onTrainEnd(TrainerState s, TrainResult result) {
                    events.add("end " + result.globalStep());
                }
            }));
        }
        assertEquals(List.of("begin 0/8", "step 1", "step 2", "step 3", "step 4", "log 4", "eval 4", "save checkpoint-4",
                "step 5", "step 6", "step 7", "step 8", "log 8", "eval 8", "save checkpoint-8", "end 8"), events);
        assertEquals(9, progress.size());
        assertTrue(progress.get(8).finished());
        assertEquals(8, progress.get(7).step());
        assertTrue(progress.get(7).tokensPerSecond() > 0);
        // metrics.jsonl: log, eval and final lines, all valid JSON
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve("metrics.jsonl"))) {
            lines.add(json.readTree(line));
        }
        assertEquals(5, lines.size());
        assertEquals(4, lines.get(0).get("step").asInt());
        assertEquals((r.stepLosses().get(0) + r.stepLosses().get(1) + r.stepLosses().get(2) + r.stepLosses().get(3)) / 4,
                lines.get(0).get("loss").asDouble(), 1e-12);
        assertTrue(lines.get(0).has("learning_rate") && lines.get(0).has("grad_norm") && lines.get(0).has("tokens_per_second"));
        assertTrue(lines.get(1).has("eval_loss") && lines.get(1).has("eval_perplexity") && lines.get(1).has("eval_token_accuracy"));
        assertEquals(Math.exp(lines.get(1).get("eval_loss").asDouble()), lines.get(1).get("eval_perplexity").asDouble(), 1e-9);
        assertTrue(lines.get(4).has("train_runtime"));
        // the plot is well-formed SVG with one point per step
        var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(tmp.resolve("loss.svg").toFile());
        var polylines = doc.getElementsByTagName("polyline");
        assertEquals(2, polylines.getLength());
        assertEquals(8, polylines.item(0).getAttributes().getNamedItem("points").getNodeValue().split(" ").length);
    }

    @Test
    void aStopFromACallbackEndsAfterThatStep() {
        try (NDManager m = NDManager.newBaseManager()) {
            TrainResult r = train(m, args(tmp).build(), 0.0, 1, b -> b.callback(new TrainerCallback() {
                @Override
                public void onStepEnd(TrainerState s, TrainerControl c) {
                    if (s.globalStep() == 2) {
                        c.stop("enough");
                    }
                }
            }));
            assertEquals(2, r.globalStep());
            assertEquals(StopReason.CALLBACK, r.stopReason());
            assertEquals("enough", r.stopDetail());
        }
        assertTrue(Files.exists(tmp.resolve("adapter_model.safetensors")));
    }

    @Test
    void argumentsRoundTripThroughJson() {
        TrainingArguments a = args(tmp).lrSchedulerType(LrSchedule.Type.COSINE).optimizer(OptimizerType.SGD)
                .sgdMomentum(0.9).warmupRatio(0.1).evalSteps(7).earlyStoppingPatience(2).build();
        String json = a.toJson();
        assertTrue(json.contains("\"lr_scheduler_type\": \"cosine\"") && json.contains("\"optim\": \"sgd\""), json);
        TrainingArguments b = TrainingArguments.fromJson(json);
        assertEquals(json, b.toJson());
        assertEquals(LrSchedule.Type.COSINE, b.lrSchedulerType());
        assertEquals(tmp, b.outputDir());
        assertThrows(PeftConfigException.class,
                () -> TrainingArguments.fromJson("{\"output_dir\": \"x\", \"learning_rate\": -1}"));
        assertEquals(5e-5, TrainingArguments.fromJson("{\"output_dir\": \"x\", \"unknown\": 1}").learningRate());
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(PeftConfigException.class, () -> TrainingArguments.builder(tmp).learningRate(-1));
        assertThrows(PeftConfigException.class, () -> TrainingArguments.builder(tmp).earlyStoppingPatience(2).build());
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 1)) {
            assertThrows(PeftConfigException.class, () -> PeftTrainer.builder().model(model)
                    .args(args(tmp).evalSteps(2).build()).trainDataset(train).build());
        }
    }

    @Test
    void trainsAPlainDjlBlockToo() {
        try (NDManager m = NDManager.newBaseManager()) {
            var block = io.github.peft4j.train.testing.TinyCausalLm.create(m, 45, 8, 1, 4);
            block.freezeParameters(true, p -> !p.getName().equals("bias"));
            List<float[]> frozenWeights = new ArrayList<>();
            for (var p : block.getParameters().values()) {
                if (!p.requiresGradient()) {
                    frozenWeights.add(p.getArray().toFloatArray());
                }
            }
            TrainResult r = PeftTrainer.builder().model(block).args(args(tmp).build()).trainDataset(train).build().train();
            assertTrue(r.finalLoss() < r.stepLosses().get(0));
            int i = 0;
            for (Parameter p : block.getParameters().values()) {
                if (!p.requiresGradient()) {
                    assertArrayEquals(frozenWeights.get(i++), p.getArray().toFloatArray(), 0f);
                }
            }
            try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
                assertTrue(f.names().contains("model.layers.0.mlp.up_proj.bias"), f.names().toString());
                assertFalse(f.names().contains("lm_head.weight"));
            }
        }
    }

    static long trainedTokens(TokenizedDataset d) {
        long n = 0;
        for (Batch b : d.batches(100)) {
            n += b.labelCount(1);
        }
        return n;
    }
}
