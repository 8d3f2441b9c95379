package io.github.peft4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.TestSupport;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Batched decode steps: each row's floats are those of the row alone (bit for bit), and right. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DecodeBatchTest {

    static final List<long[]> PROMPTS = List.of(new long[] {5, 17, 33, 2, 9}, new long[] {60, 7},
            new long[] {1, 2, 3, 4, 5, 6, 7}, new long[] {11}, new long[] {40, 41, 42});

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
                Arguments.of("llama GQA", LlamaConfig.tiny().build()),
                Arguments.of("qwen3 q/k norms", LlamaConfig.tiny("qwen3").build()),
                Arguments.of("phi3 fused", LlamaConfig.tiny("phi3").build()),
                Arguments.of("gpt2", Gpt2Config.tiny().build()));
    }

    private PretrainedModel model(ModelConfig config) {
        PretrainedModel model = ModelFactory.create(config, manager, 21);
        TestSupport.randomize(model.block(), 22);
        return model;
    }

    static GenerationConfig greedy() {
        return GenerationConfig.builder().maxNewTokens(64).eosTokenIds(-1).build();
    }

    private static List<SequenceDecoder> prefilled(PretrainedModel model, List<long[]> prompts) {
        List<SequenceDecoder> rows = new ArrayList<>();
        for (long[] p : prompts) {
            SequenceDecoder d = new SequenceDecoder(model.block(), ForwardContext.empty(), greedy());
            d.prefill(p);
            rows.add(d);
        }
        return rows;
    }

    private static List<long[]> reversed(List<long[]> list) {
        List<long[]> out = new ArrayList<>(list);
        java.util.Collections.reverse(out);
        return out;
    }

    private static void close(List<SequenceDecoder> rows) {
        rows.forEach(SequenceDecoder::close);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void eachRowOfAStepIsTheRowAloneBitForBit(String name, ModelConfig config) {
        try (PretrainedModel model = model(config)) {
            DecodeBatch batch = new DecodeBatch(model.block(), 8);
            List<SequenceDecoder> together = prefilled(model, PROMPTS);
            List<SequenceDecoder> reversed = prefilled(model, reversed(PROMPTS));
            float[][] all = batch.stepLogits(together);
            float[][] back = batch.stepLogits(reversed);
            for (int r = 0; r < PROMPTS.size(); r++) {
                List<SequenceDecoder> alone = prefilled(model, List.of(PROMPTS.get(r)));
                float[] single = batch.stepLogits(alone)[0];
                assertArrayEquals(single, all[r], "row " + r + " among others");
                assertArrayEquals(single, back[PROMPTS.size() - 1 - r], "row " + r + " at another offset");
                close(alone);
            }
            // and right: the step's logits are those of the sequential decoder's next step
            GenerationConfig traced = GenerationConfig.builder().maxNewTokens(2).eosTokenIds(-1).outputLogits(true).build();
            for (int r = 0; r < PROMPTS.size(); r++) {
                GenerationResult ref = Generator.generate(model.block(), List.of(PROMPTS.get(r)), traced);
                double diff = TestSupport.maxAbsDiff(all[r], ref.logits().get(1)[0]);
                assertTrue(diff < 1e-4, "row " + r + " vs SequenceDecoder: " + diff);
            }
            close(together);
            close(reversed);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void continuousBatchingGivesEachRowItsAloneTokens(String name, ModelConfig config) {
        try (PretrainedModel model = model(config)) {
            DecodeBatch batch = new DecodeBatch(model.block(), 4, 8);
            int steps = 6;
            // rows join at different steps, so a row's neighbours and their count change under it
            List<long[]> together = new ArrayList<>();
            List<SequenceDecoder> running = new ArrayList<>();
            List<Integer> index = new ArrayList<>();
            for (int step = 0; step < PROMPTS.size() || !running.isEmpty(); step++) {
                if (step < PROMPTS.size()) {
                    SequenceDecoder d = new SequenceDecoder(model.block(), ForwardContext.empty(), greedy());
                    together.add(new long[steps + 1]);
                    together.get(step)[0] = d.prefill(PROMPTS.get(step));
                    running.add(0, d);
                    index.add(0, step);
                }
                long[] next = batch.next(running);
                for (int i = running.size() - 1; i >= 0; i--) {
                    int generated = running.get(i).generated();
                    together.get(index.get(i))[generated - 1] = next[i];
                    if (generated == steps + 1) {
                        running.remove(i).close();
                        index.remove(i);
                    }
                }
            }
            assertTrue(running.isEmpty());
            for (int r = 0; r < PROMPTS.size(); r++) {
                try (SequenceDecoder d = new SequenceDecoder(model.block(), ForwardContext.empty(), greedy())) {
                    long[] alone = new long[steps + 1];
                    alone[0] = d.prefill(PROMPTS.get(r));
                    for (int i = 1; i <= steps; i++) {
                        alone[i] = batch.next(List.of(d))[0];
                    }
                    assertArrayEquals(alone, together.get(r), "row " + r);
                    GenerationResult ref = Generator.generate(model.block(), List.of(PROMPTS.get(r)),
                            GenerationConfig.builder().maxNewTokens(steps + 1).eosTokenIds(-1).build());
                    assertArrayEquals(ref.tokens().get(0), alone, "row " + r + " vs Generator");
                }
            }
        }
    }

    @Test
    void paddingPicksTheSmallestRowCountThatHoldsTheRows() {
        try (PretrainedModel model = model(LlamaConfig.tiny().build())) {
            DecodeBatch batch = new DecodeBatch(model.block(), 8, 4, 16);
            assertEquals(4, batch.paddedRows(1));
            assertEquals(8, batch.paddedRows(5));
            assertEquals(16, batch.paddedRows(16));
            assertThrows(RuntimeException.class, () -> batch.paddedRows(17));
        }
    }
}
