package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.nn.GradientCheckpointing;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.optim.Gradients;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import io.github.peft4j.train.testing.GradientRun;
import io.github.peft4j.train.testing.RandomAdapters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradient checkpointing against the ordinary backward: the same loss, bit for bit (the first pass
 * is the same computation without a graph), and the same gradient for every trainable tensor, on
 * each model family whose layer stack checkpoints.
 */
class GradientCheckpointingTest {

    // row 1 is padded after 5 tokens
    private static final long[] IDS = {5, 17, 3, 99, 42, 8, 61, 2, 11, 4, 7, 120, 0, 0};
    private static final long[] MASK = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    private static final long[] LABELS = {-100, 17, 3, 99, 42, 8, 61, 2, 11, -100, 7, 120, -100, -100};

    /** How one forward and its loss run: the checkpointing (or none) is already active. */
    interface Forward {
        NDArray loss(Block model, ParameterStore ps, NDList inputs, NDArray labels);
    }

    private static final Forward CAUSAL_LM =
            (model, ps, inputs, labels) -> new CausalLmLoss().compute(model.forward(ps, inputs, true), labels);

    private static final Forward CHUNKED_HEAD =
            (model, ps, inputs, labels) -> CausalLmLoss.chunked(3).loss(model, ps, inputs, labels, true);

    /** Any scalar of the outputs: a fixed weighting of the classifier's logits. */
    private static final Forward WEIGHTED_OUTPUT = (model, ps, inputs, labels) -> {
        NDArray out = model.forward(ps, inputs, true).head();
        NDArray weights = out.getManager().arange((float) out.size()).reshape(out.getShape()).sin();
        return out.mul(weights).sum();
    };

    @Test
    void llamaEveryLinear() {
        assertSameAsOrdinary(LlamaConfig.tiny().build(), CAUSAL_LM,
                "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    }

    @Test
    void llamaWithTheChunkedHeadLoss() {
        assertSameAsOrdinary(LlamaConfig.tiny().tieWordEmbeddings(true).build(), CHUNKED_HEAD, "q_proj", "v_proj");
    }

    @Test
    void gemma2SlidingWindowAndSoftCapping() {
        ModelConfig gemma = LlamaConfig.tiny("gemma2").attnLogitSoftcapping(2.0).finalLogitSoftcapping(3.0)
                .slidingWindow(3).build();
        assertSameAsOrdinary(gemma, CAUSAL_LM, "q_proj", "v_proj", "up_proj");
    }

    @Test
    void gpt2() {
        assertSameAsOrdinary(Gpt2Config.tiny().dropout(0).build(), CAUSAL_LM, "c_attn", "c_fc");
    }

    @Test
    void bertClassifier() {
        assertSameAsOrdinary(BertConfig.tiny().dropout(0).numLabels(3).build(), WEIGHTED_OUTPUT, "query", "value");
    }

    /** Prompt tuning trains in front of the layers: the embeddings' graph gets the last gradient. */
    @Test
    void virtualTokensBelowTheLayers() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel peft = RandomAdapters.lowRank(LlamaConfig.tiny().build(), m, 0,
                "q_proj")) {
            GradientRun[] runs = new GradientRun[2];
            for (int k = 0; k < 2; k++) {
                Engine.getInstance().setRandomSeed(21);
                NDArray prompt = m.randomNormal(new Shape(1, 3, 64));
                prompt.setRequiresGradient(true);
                GradientCheckpointing checkpointing = k == 0 ? null : new GradientCheckpointing(true);
                runs[k] = run(peft, m, CAUSAL_LM, checkpointing,
                        ctx -> ctx.with(VirtualTokens.KEY, new VirtualTokens(prompt)), prompt);
            }
            assertSameRun(runs[0], runs[1]);
        }
    }

    /** With dropout in the base and the adapter, each layer's recomputation draws its first pass's masks. */
    @Test
    void dropoutMasksRepeatInTheRecomputation() {
        ModelConfig gpt2 = Gpt2Config.tiny().build(); // dropout 0.1 in embeddings, attention and residuals
        try (NDManager m = NDManager.newBaseManager(); PeftModel peft = RandomAdapters.lowRank(gpt2, m, 0.2, "c_attn", "c_fc")) {
            GradientRun first = run(peft, m, CAUSAL_LM, new GradientCheckpointing(true), ctx -> ctx);
            GradientRun again = run(peft, m, CAUSAL_LM, new GradientCheckpointing(true), ctx -> ctx);
            GradientRun ordinary = run(peft, m, CAUSAL_LM, null, ctx -> ctx);
            assertEquals(first.loss(), again.loss());
            for (int i = 0; i < first.grads().size(); i++) {
                assertArrayEquals(first.grads().get(i), again.grads().get(i), "tensor " + i);
            }
            // other masks than the ordinary run's (the per-layer seeds), so another loss
            assertTrue(Math.abs(first.loss() - ordinary.loss()) > 1e-6, first.loss() + " vs " + ordinary.loss());
        }
    }

    /** A layer whose recomputation differs from its first pass is named, not back-propagated wrongly. */
    @Test
    void aLayerThatRecomputesDifferentlyIsNamed() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel peft = RandomAdapters.lowRank(LlamaConfig.tiny().build(), m, 0,
                "q_proj")) {
            ParameterStore ps = new ParameterStore(m, false);
            Parameter frozen = ModuleTree.of(peft.baseModel()).parameters().get("model.layers.1.mlp.down_proj.weight");
            GradientCheckpointing checkpointing = new GradientCheckpointing(true);
            try (NDManager bm = m.newSubManager(); ForwardContext.Scope on = checkpointing.activate();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = CAUSAL_LM.loss(peft, ps, inputs(bm), bm.create(LABELS, new Shape(2, 7)));
                gc.backward(loss);
                frozen.getArray().addi(0.01f); // as a nondeterministic kernel would
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> checkpointing.backward(gc));
                assertTrue(e.getMessage().startsWith("gradient checkpointing: layer 1 of 2 recomputed different values"),
                        e.getMessage());
                frozen.getArray().subi(0.01f);
            }
            assertEquals(0, checkpointing.pendingForwards());
        }
    }

    /** A forward the loss does not read (a reference pass, say) has no layers' backward to run. */
    @Test
    void aForwardTheLossDoesNotReadIsSkipped() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel peft = RandomAdapters.lowRank(LlamaConfig.tiny().build(), m, 0,
                "q_proj", "v_proj")) {
            Forward twoForwards = (model, ps, inputs, labels) -> {
                model.forward(ps, inputs, true);
                return CAUSAL_LM.loss(model, ps, inputs, labels);
            };
            GradientRun expected = run(peft, m, CAUSAL_LM, null, ctx -> ctx);
            assertSameRun(expected, run(peft, m, twoForwards, new GradientCheckpointing(true), ctx -> ctx));
        }
    }

    /** Two forwards in one loss (DPO's chosen and rejected): each gets its own layers' backward. */
    @Test
    void twoForwardsInOneLoss() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel peft = RandomAdapters.lowRank(LlamaConfig.tiny().build(),
                m, 0, "q_proj", "v_proj", "up_proj")) {
            Forward pair = (model, ps, inputs, labels) -> {
                NDArray first = CAUSAL_LM.loss(model, ps, inputs, labels);
                NDList reversed = new NDList(inputs.get(0).flip(1), inputs.get(1));
                NDArray second = CAUSAL_LM.loss(model, ps, reversed, labels.flip(1));
                return first.add(second.mul(Tensors.scalar(second, 0.5)));
            };
            GradientCheckpointing checkpointing = new GradientCheckpointing(true);
            GradientRun expected = run(peft, m, pair, null, ctx -> ctx);
            GradientRun actual = run(peft, m, pair, checkpointing, ctx -> ctx);
            assertEquals(expected.loss(), actual.loss());
            assertSameRun(expected, actual);
            assertEquals(0, checkpointing.pendingForwards());
        }
    }

    /**
     * Per-layer key/value prefixes computed from one trainable tensor (a prefix encoder's single
     * graph): the layers read detached leaves and the prefix gets its gradient once, at the end.
     */
    @Test
    void perLayerPrefixesFromOneGraph() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel peft = RandomAdapters.lowRank(LlamaConfig.tiny().build(),
                m, 0, "q_proj", "v_proj")) {
            GradientRun[] runs = new GradientRun[2];
            for (int k = 0; k < 2; k++) {
                Engine.getInstance().setRandomSeed(31);
                NDArray encoder = m.randomNormal(new Shape(2, 2, 2, 3, 16)); // [layer, key/value, kv heads, 3, 16]
                encoder.setRequiresGradient(true);
                GradientCheckpointing checkpointing = k == 0 ? null : new GradientCheckpointing(true);
                // the prefixes are computed inside the collector, so that they have a graph to the encoder
                Forward withPrefixes = (model, ps, inputs, labels) -> {
                    try (ForwardContext.Scope on = ForwardContext.current(null)
                            .with(PrefixKeyValues.KEY, prefixes(encoder)).activate()) {
                        return CAUSAL_LM.loss(model, ps, inputs, labels);
                    }
                };
                runs[k] = run(peft, m, withPrefixes, checkpointing, ctx -> ctx, encoder);
            }
            assertSameRun(runs[0], runs[1]);
        }
    }

    /** Keys and values of both layers from one tensor through shared ops, as a prefix encoder gives them. */
    private static PrefixKeyValues prefixes(NDArray encoder) {
        NDArray projected = encoder.tanh();
        List<NDArray> keys = new ArrayList<>();
        List<NDArray> values = new ArrayList<>();
        for (int layer = 0; layer < 2; layer++) {
            keys.add(projected.get(layer + ",0").expandDims(0));
            values.add(projected.get(layer + ",1").expandDims(0));
        }
        return new PrefixKeyValues(keys, values);
    }

    /** A loop's switch: off puts nothing into the context, on puts a fresh checkpointing there. */
    @Test
    void theSwitch() {
        try (ForwardContext.Scope off = GradientCheckpointing.when(false).activate()) {
            assertTrue(ForwardContext.current(null).get(GradientCheckpointing.KEY).isEmpty());
        }
        GradientCheckpointing on = GradientCheckpointing.when(true);
        try (ForwardContext.Scope scope = on.activate()) {
            assertTrue(ForwardContext.current(null).get(GradientCheckpointing.KEY).orElseThrow() == on);
        }
        assertTrue(GradientCheckpointing.when(true) != on, "a fresh one per step");
    }

    /** The trainer's switch: the same steps, and {@code gradient_checkpointing} in {@code training_args.json}. */
    @Test
    void theTrainerTrainsTheSameWithIt(@TempDir Path tmp) throws IOException {
        try (HfTokenizer tokenizer = Fixtures.tinyTokenizer(); NDManager m = NDManager.newBaseManager()) {
            TokenizedDataset data = Corpus.dataset(TextTokenizer.of(tokenizer));
            List<TrainResult> results = new ArrayList<>();
            List<List<float[]>> weights = new ArrayList<>();
            for (boolean on : new boolean[] {false, true}) {
                Path out = tmp.resolve(on ? "checkpointed" : "ordinary");
                try (PeftModel peft = RandomAdapters.lowRank(LlamaConfig.tiny().build(), m, 0, "q_proj", "v_proj", "down_proj")) {
                    TrainingArguments args = TrainingArguments.builder(out).learningRate(1e-2).maxSteps(3)
                            .perDeviceTrainBatchSize(4).gradientAccumulationSteps(2).saveSteps(3)
                            .gradientCheckpointing(on).build();
                    results.add(PeftTrainer.builder().model(peft).args(args).trainDataset(data).build().train());
                    weights.add(peft.trainableParameters().stream().map(p -> p.getArray().toFloatArray()).toList());
                }
                String json = Files.readString(out.resolve("checkpoint-3").resolve("training_args.json"));
                assertTrue(json.contains("\"gradient_checkpointing\": " + on), json);
                assertEquals(on, TrainingArguments.fromJson(json).gradientCheckpointing());
            }
            for (int step = 0; step < 3; step++) {
                assertEquals(results.get(0).stepLosses().get(step), results.get(1).stepLosses().get(step), 1e-6,
                        "loss of step " + step);
            }
            for (int i = 0; i < weights.get(0).size(); i++) {
                assertArrayEquals(weights.get(0).get(i), weights.get(1).get(i), 1e-5f, "tensor " + i);
            }
        }
    }

    private static void assertSameAsOrdinary(ModelConfig config, Forward forward, String... targets) {
        try (NDManager m = NDManager.newBaseManager(); PeftModel peft = RandomAdapters.lowRank(config, m, 0, targets)) {
            GradientRun expected = run(peft, m, forward, null, ctx -> ctx);
            GradientCheckpointing checkpointing = new GradientCheckpointing(true);
            GradientRun actual = run(peft, m, forward, checkpointing, ctx -> ctx);
            assertEquals(expected.loss(), actual.loss(), "the first pass is the ordinary forward without a graph");
            assertSameRun(expected, actual);
            assertEquals(0, checkpointing.pendingForwards());
        }
    }

    private static void assertSameRun(GradientRun expected, GradientRun actual) {
        GradientRun.assertSame(expected, actual, "checkpointed");
    }

    private static NDList inputs(NDManager bm) {
        return new NDList(bm.create(IDS, new Shape(2, 7)), bm.create(MASK, new Shape(2, 7)));
    }

    private static GradientRun run(PeftModel peft, NDManager m, Forward forward, GradientCheckpointing checkpointing,
            java.util.function.UnaryOperator<ForwardContext> context, NDArray... moreLeaves) {
        List<Parameter> params = peft.trainableParameters();
        Gradients.zero(params);
        ParameterStore ps = new ParameterStore(m, false);
        ForwardContext.Scope on = checkpointing == null ? null : checkpointing.activate();
        try (NDManager bm = m.newSubManager();
                ForwardContext.Scope extra = context.apply(ForwardContext.current(null)).activate();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Engine.getInstance().setRandomSeed(3);
            NDArray loss = forward.loss(peft, ps, inputs(bm), bm.create(LABELS, new Shape(2, 7)));
            gc.backward(loss);
            if (checkpointing != null) {
                checkpointing.backward(gc);
            }
            return GradientRun.read(loss.getFloat(), params, moreLeaves);
        } finally {
            if (on != null) {
                on.close();
            }
        }
    }
}
