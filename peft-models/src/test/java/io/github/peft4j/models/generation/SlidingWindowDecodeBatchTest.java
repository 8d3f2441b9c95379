package io.github.peft4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.TestSupport;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.CausalInputs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batched decode steps of models with sliding-window layers: each row reads only the last
 * {@code window} positions of its own cache, as the per-row path's causal mask allows. Prompts of
 * 5, 2, 7, 1 and 3 tokens with windows of 3 or 4: some rows start past the window, the others cross
 * it at different steps, while rows join the batch one step after another.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlidingWindowDecodeBatchTest {

    private static final int STEPS = 8;

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("mistral window 3", LlamaConfig.tiny("mistral").slidingWindow(3)),
                Arguments.of("qwen2 use_sliding_window from layer 1, window 3", LlamaConfig.tiny("qwen2")
                        .set("use_sliding_window", BooleanNode.TRUE).set("max_window_layers", IntNode.valueOf(1))
                        .slidingWindow(3)),
                Arguments.of("gemma2 soft-capped, layer 0 slides, window 4", LlamaConfig.tiny("gemma2").slidingWindow(4)
                        .attnLogitSoftcapping(2.0).finalLogitSoftcapping(3.0)),
                Arguments.of("gemma3 local rope, layers slide/full/slide, window 4", LlamaConfig.tiny("gemma3_text")
                        .numLayers(3).slidingWindow(4).layerTypes("sliding_attention", "full_attention",
                                "sliding_attention")),
                Arguments.of("qwen3 q/k norms, use_sliding_window from layer 1, window 4", LlamaConfig.tiny("qwen3")
                        .set("use_sliding_window", BooleanNode.TRUE).set("max_window_layers", IntNode.valueOf(1))
                        .slidingWindow(4)),
                Arguments.of("phi3 fused, partial rotary, window 4", LlamaConfig.tiny("phi3").slidingWindow(4)
                        .set("partial_rotary_factor", DoubleNode.valueOf(0.5))));
    }

    private PretrainedModel model(LlamaConfig config) {
        PretrainedModel model = ModelFactory.create(config, manager, 21);
        TestSupport.randomize(model.block(), 22);
        return model;
    }

    private static SequenceDecoder decoder(PretrainedModel model) {
        return new SequenceDecoder(model.block(), ForwardContext.empty(), DecodeBatchTest.greedy());
    }

    /** A row's tokens (the prompt's first, then one per step) and each batched step's logits. */
    private record Trace(long[] tokens, float[][] logits) {
        Trace() {
            this(new long[STEPS + 1], new float[STEPS][]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void eachRowDecodesAsItsRowAloneAndAsThePerRowPath(String name, LlamaConfig.Builder builder) {
        LlamaConfig config = builder.build();
        List<long[]> prompts = DecodeBatchTest.PROMPTS;
        try (PretrainedModel model = model(config)) {
            DecodeBatch batch = new DecodeBatch(model.block(), 8);
            List<Trace> together = new ArrayList<>();
            List<SequenceDecoder> running = new ArrayList<>();
            List<Integer> index = new ArrayList<>();
            for (int step = 0; step < prompts.size() || !running.isEmpty(); step++) {
                if (step < prompts.size()) {
                    SequenceDecoder d = decoder(model);
                    together.add(new Trace());
                    together.get(step).tokens()[0] = d.prefill(prompts.get(step));
                    running.add(0, d);   // a new row in front: the others move to another offset
                    index.add(0, step);
                }
                float[] logits = batch.logits(running);
                long[] next = batch.choose(running, logits);
                int vocab = running.get(0).vocabSize();
                for (int i = running.size() - 1; i >= 0; i--) {
                    Trace t = together.get(index.get(i));
                    int generated = running.get(i).generated();
                    t.tokens()[generated - 1] = next[i];
                    t.logits()[generated - 2] = Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab);
                    if (generated == STEPS + 1) {
                        running.remove(i).close();
                        index.remove(i);
                    }
                }
            }
            for (int r = 0; r < prompts.size(); r++) {
                Trace alone = new Trace();
                try (SequenceDecoder d = decoder(model)) {
                    alone.tokens()[0] = d.prefill(prompts.get(r));
                    for (int s = 0; s < STEPS; s++) {
                        float[] padded = batch.logits(List.of(d));   // its row, then padding rows
                        alone.tokens()[s + 1] = batch.choose(List.of(d), padded)[0];
                        alone.logits()[s] = Arrays.copyOf(padded, d.vocabSize());
                    }
                }
                Trace got = together.get(r);
                assertArrayEquals(alone.tokens(), got.tokens(), "row " + r + " tokens alone");
                for (int s = 0; s < STEPS; s++) {
                    assertArrayEquals(alone.logits()[s], got.logits()[s], "row " + r + " step " + s + " alone");
                }
                // the per-row path: a forward of this row alone per step, its window in the causal mask
                GenerationResult ref = Generator.generate(model.block(), List.of(prompts.get(r)),
                        GenerationConfig.builder().maxNewTokens(STEPS + 1).eosTokenIds(-1).outputLogits(true).build());
                assertArrayEquals(ref.tokens().get(0), got.tokens(), "row " + r + " vs the per-row path");
                for (int s = 0; s < STEPS; s++) {
                    double diff = TestSupport.maxAbsDiff(got.logits()[s], ref.logits().get(s + 1)[0]);
                    assertTrue(diff < 1e-5, "row " + r + " step " + s + " vs the per-row path: " + diff);
                }
            }
        }
        assertTrue(windowChangesTheLogits(config), "the window must matter for the check to mean anything");
    }

    /** The longest prompt's last step differs with and without the window (same weights). */
    private boolean windowChangesTheLogits(LlamaConfig windowed) {
        LlamaConfig full = windowed.toBuilder().slidingWindow(null).set("use_sliding_window", BooleanNode.FALSE).build();
        GenerationConfig traced = GenerationConfig.builder().maxNewTokens(STEPS + 1).eosTokenIds(-1).outputLogits(true)
                .build();
        long[] longest = DecodeBatchTest.PROMPTS.get(2);
        try (PretrainedModel a = model(windowed); PretrainedModel b = model(full)) {
            float[] slid = Generator.generate(a.block(), List.of(longest), traced).logits().get(STEPS)[0];
            float[] whole = Generator.generate(b.block(), List.of(longest), traced).logits().get(STEPS)[0];
            return TestSupport.maxAbsDiff(slid, whole) > 1e-3;
        }
    }

    @Test
    void aWindowForEveryLayerFromTheInputsIsRefusedInABatchedStep() {
        try (PretrainedModel model = model(LlamaConfig.tiny("mistral").slidingWindow(3).build());
                SequenceDecoder d = decoder(model)) {
            d.prefill(new long[] {1, 2, 3});
            DecodeRows rows = new DecodeRows(List.of(d.cache()));
            ForwardContext ctx = ForwardContext.empty().with(DecodeRows.KEY, rows);
            try (NDManager m = manager.newSubManager()) {
                assertThrows(PeftCompatibilityException.class,
                        () -> CausalInputs.prepare(ctx, m.zeros(new Shape(1, 1, 64)), null, 3));
            }
        }
    }
}
