package io.github.peft4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.TestSupport;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
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

/** KV-cache generation against full forwards, batches against single prompts, stopping and sampling. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenerationTest {

    static final double TOLERANCE = 1e-5;
    static final List<long[]> PROMPTS = List.of(new long[] {5, 17, 33, 2, 9}, new long[] {60, 7},
            new long[] {1, 2, 3, 4, 5, 6, 7});

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
                Arguments.of("llama tied", LlamaConfig.tiny().tieWordEmbeddings(true).numLayers(1).build()),
                Arguments.of("mistral window 4", LlamaConfig.tiny("mistral").slidingWindow(4).build()),
                Arguments.of("qwen3 q/k norms", LlamaConfig.tiny("qwen3").build()),
                Arguments.of("phi3 fused, partial rotary, window 4", LlamaConfig.tiny("phi3")
                        .set("partial_rotary_factor", com.fasterxml.jackson.databind.node.DoubleNode.valueOf(0.5))
                        .slidingWindow(4).build()),
                Arguments.of("gemma2 soft-capped, window 4", LlamaConfig.tiny("gemma2").slidingWindow(4)
                        .attnLogitSoftcapping(2.0).finalLogitSoftcapping(3.0).build()),
                Arguments.of("gemma3 local rope, window 4", LlamaConfig.tiny("gemma3_text").slidingWindow(4)
                        .layerTypes("sliding_attention", "full_attention").build()),
                Arguments.of("gpt2", Gpt2Config.tiny().build()));
    }

    private PretrainedModel model(ModelConfig config) {
        PretrainedModel model = ModelFactory.create(config, manager, 21);
        TestSupport.randomize(model.block(), 22);
        return model;
    }

    /** Greedy, no end-of-sequence id that can occur, per-step logits kept. */
    static GenerationConfig traced(int tokens) {
        return GenerationConfig.builder().maxNewTokens(tokens).eosTokenIds(-1).outputLogits(true).build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void everyCachedStepGivesTheLogitsOfTheFullForward(String name, ModelConfig config) {
        try (PretrainedModel model = model(config)) {
            GenerationResult out = Generator.generate(model.block(), PROMPTS, traced(6));
            assertEquals(6, out.logits().size());
            int longest = 7;
            for (int step = 0; step < 6; step++) {
                int t = longest + step;
                long[][] ids = new long[PROMPTS.size()][t];
                long[][] mask = new long[PROMPTS.size()][t];
                for (int r = 0; r < PROMPTS.size(); r++) {
                    long[] p = PROMPTS.get(r);
                    int pad = longest - p.length;
                    for (int i = 0; i < t; i++) {
                        mask[r][i] = i < pad ? 0 : 1;
                        ids[r][i] = i < pad ? 0 : i < longest ? p[i - pad] : out.tokens().get(r)[i - longest];
                    }
                }
                float[] full = lastLogits(model.block(), ids, mask, config.vocabSize());
                for (int r = 0; r < PROMPTS.size(); r++) {
                    float[] expected = Arrays.copyOfRange(full, r * config.vocabSize(), (r + 1) * config.vocabSize());
                    double diff = TestSupport.maxAbsDiff(out.logits().get(step)[r], expected);
                    assertTrue(diff < TOLERANCE, "step " + step + " row " + r + ": " + diff);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void leftPaddedBatchEqualsOneByOne(String name, ModelConfig config) {
        try (PretrainedModel model = model(config)) {
            GenerationResult batch = Generator.generate(model.block(), PROMPTS, traced(5));
            for (int r = 0; r < PROMPTS.size(); r++) {
                GenerationResult single = Generator.generate(model.block(), List.of(PROMPTS.get(r)), traced(5));
                assertArrayEquals(single.tokens().get(0), batch.tokens().get(r), "row " + r);
                for (int step = 0; step < 5; step++) {
                    double diff = TestSupport.maxAbsDiff(single.logits().get(step)[0], batch.logits().get(step)[r]);
                    assertTrue(diff < TOLERANCE, "row " + r + " step " + step + ": " + diff);
                }
            }
        }
    }

    @Test
    void rowsStopAtTheirEndOfSequenceToken() {
        try (PretrainedModel model = model(LlamaConfig.tiny().build())) {
            GenerationResult free = Generator.generate(model.block(), PROMPTS, traced(8));
            long eos = free.tokens().get(1)[2];
            int firstHit = indexOf(free.tokens().get(1), eos);
            GenerationResult stopped = Generator.generate(model.block(), PROMPTS,
                    GenerationConfig.builder().maxNewTokens(8).eosTokenIds((int) eos).build());
            assertArrayEquals(Arrays.copyOf(free.tokens().get(1), firstHit + 1), stopped.tokens().get(1));
            assertEquals(GenerationResult.FinishReason.EOS, stopped.finishReasons().get(1));
            for (int r = 0; r < PROMPTS.size(); r++) {
                int hit = indexOf(free.tokens().get(r), eos);
                int expectedLength = hit < 0 ? 8 : hit + 1;
                assertEquals(expectedLength, stopped.tokens().get(r).length, "row " + r);
                assertArrayEquals(Arrays.copyOf(free.tokens().get(r), expectedLength), stopped.tokens().get(r),
                        "the other rows are unaffected by a finished row");
                assertEquals(hit < 0 ? GenerationResult.FinishReason.LENGTH : GenerationResult.FinishReason.EOS,
                        stopped.finishReasons().get(r));
            }
        }
    }

    @Test
    void samplingIsReproducibleAndTopKOneOrTinyTopPIsGreedy() {
        try (PretrainedModel model = model(Gpt2Config.tiny().build())) {
            Block block = model.block();
            GenerationConfig.Builder sampling = GenerationConfig.builder().maxNewTokens(10).eosTokenIds(-1)
                    .doSample(true).temperature(1.5).topK(0);
            GenerationResult a = Generator.generate(block, PROMPTS, sampling.seed(1).build());
            GenerationResult b = Generator.generate(block, PROMPTS, sampling.seed(1).build());
            GenerationResult c = Generator.generate(block, PROMPTS, sampling.seed(2).build());
            for (int r = 0; r < PROMPTS.size(); r++) {
                assertArrayEquals(a.tokens().get(r), b.tokens().get(r));
            }
            assertFalse(Arrays.equals(a.tokens().get(0), c.tokens().get(0)) && Arrays.equals(a.tokens().get(2),
                    c.tokens().get(2)), "another seed draws other tokens");
            GenerationResult greedy = Generator.generate(block, PROMPTS, traced(10));
            GenerationResult topK1 = Generator.generate(block, PROMPTS, sampling.topK(1).seed(3).build());
            GenerationResult topP = Generator.generate(block, PROMPTS, sampling.topK(0).topP(1e-6).seed(4).build());
            for (int r = 0; r < PROMPTS.size(); r++) {
                assertArrayEquals(greedy.tokens().get(r), topK1.tokens().get(r));
                assertArrayEquals(greedy.tokens().get(r), topP.tokens().get(r));
            }
        }
    }

    @Test
    void generationLeavesNoArraysBehind() {
        try (PretrainedModel model = model(LlamaConfig.tiny().build())) {
            int weights = model.manager().getManagedArrays().size();
            int all = manager.getManagedArrays().size();
            Generator.generate(model.block(), PROMPTS, GenerationConfig.greedy(3));
            Generator.generate(model.block(), PROMPTS, GenerationConfig.greedy(12));
            assertEquals(weights, model.manager().getManagedArrays().size(), "arrays leaked into the weights' manager");
            assertEquals(all, manager.getManagedArrays().size(), "arrays left after generation");
        }
    }

    private float[] lastLogits(Block block, long[][] ids, long[][] mask, int vocab) {
        int rows = ids.length;
        int t = ids[0].length;
        long[] flatIds = new long[rows * t];
        long[] flatMask = new long[rows * t];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(ids[r], 0, flatIds, r * t, t);
            System.arraycopy(mask[r], 0, flatMask, r * t, t);
        }
        float[] all = TestSupport.forward(block, manager, new NDList(manager.create(flatIds, new Shape(rows, t)),
                manager.create(flatMask, new Shape(rows, t))));
        List<Float> out = new ArrayList<>();
        float[] last = new float[rows * vocab];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(all, (r * t + t - 1) * vocab, last, r * vocab, vocab);
        }
        return last;
    }

    private static int indexOf(long[] tokens, long token) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == token) {
                return i;
            }
        }
        return -1;
    }
}
