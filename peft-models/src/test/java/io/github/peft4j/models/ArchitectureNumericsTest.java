package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.RopeScaling;
import io.github.peft4j.models.reference.BertReference;
import io.github.peft4j.models.reference.Gpt2Reference;
import io.github.peft4j.models.reference.LlamaReference;
import io.github.peft4j.models.reference.RowInput;
import io.github.peft4j.models.reference.Weights;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DJL blocks against plain-Java double-precision forwards written from the Hugging Face
 * modeling equations, on small random configurations with every weight randomised, on padded
 * batches; logits agree within 1e-5.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchitectureNumericsTest {

    static final double TOLERANCE = 1e-5;

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    static Stream<Arguments> llamaConfigs() {
        return Stream.of(
                Arguments.of("GQA 4 query / 2 kv heads, untied", LlamaConfig.tiny().build()),
                Arguments.of("MHA, tied head", LlamaConfig.tiny().numKeyValueHeads(4).tieWordEmbeddings(true).build()),
                Arguments.of("llama3 rope scaling, theta 5e5", LlamaConfig.tiny().hiddenSize(32).numAttentionHeads(2)
                        .numKeyValueHeads(1).ropeTheta(500_000).ropeScaling(RopeScaling.llama3(8, 1, 4, 64)).build()),
                Arguments.of("linear rope scaling, head_dim 8 != hidden/heads", LlamaConfig.tiny().headDim(8)
                        .ropeScaling(RopeScaling.linear(2)).build()),
                Arguments.of("qwen2: q/k/v biases", LlamaConfig.tiny("qwen2").build()),
                Arguments.of("llama attention_bias + mlp_bias", LlamaConfig.tiny().attentionBias(true).mlpBias(true).build()),
                Arguments.of("mistral sliding window 3", LlamaConfig.tiny("mistral").slidingWindow(3).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("llamaConfigs")
    void llamaMatchesReference(String name, LlamaConfig config) {
        try (PretrainedModel model = ModelFactory.create(config, manager, 1)) {
            TestSupport.randomize(model.block(), 2);
            LlamaReference ref = new LlamaReference(config, Weights.of(model.block()));
            assertCausalMatches(model, config.vocabSize(), ref::forward);
        }
    }

    static Stream<Arguments> gpt2Configs() {
        return Stream.of(
                Arguments.of("tied head", Gpt2Config.tiny().build()),
                Arguments.of("untied head", Gpt2Config.tiny().tieWordEmbeddings(false).build()),
                Arguments.of("scale_attn_by_inverse_layer_idx, 3 layers",
                        Gpt2Config.tiny().numLayers(3).scaleAttnByInverseLayerIdx(true).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpt2Configs")
    void gpt2MatchesReference(String name, Gpt2Config config) {
        try (PretrainedModel model = ModelFactory.create(config, manager, 3)) {
            TestSupport.randomize(model.block(), 4);
            Gpt2Reference ref = new Gpt2Reference(config, Weights.of(model.block()));
            assertCausalMatches(model, config.vocabSize(), ref::forward);
        }
    }

    @Test
    void bertMatchesReference() {
        BertConfig config = BertConfig.tiny().numLabels(3).build();
        try (PretrainedModel model = ModelFactory.create(config, manager, 5)) {
            TestSupport.randomize(model.block(), 6);
            BertReference ref = new BertReference(config, Weights.of(model.block()));
            Batches batch = Batches.random(config.vocabSize(), new int[] {6, 4, 2}, false, 7);
            long[][] types = new long[3][6];
            for (int r = 0; r < 3; r++) {
                for (int i = 3; i < 6; i++) {
                    types[r][i] = 1;
                }
            }
            var inputs = batch.inputs(manager);
            inputs.add(manager.create(Batches.flat(types), inputs.get(0).getShape()));
            float[] logits = TestSupport.forward(model.block(), manager, inputs);
            assertEquals(3 * 3, logits.length);
            List<RowInput> rows = batch.rowInputs();
            for (int r = 0; r < 3; r++) {
                double[] expected = ref.forward(rows.get(r).tokenTypes(types[r]));
                for (int j = 0; j < 3; j++) {
                    assertEquals(expected[j], logits[r * 3 + j], TOLERANCE, "row " + r + " label " + j);
                }
            }
        }
    }

    /** A left-padded batch of three rows; every real position's logits match the reference. */
    private void assertCausalMatches(PretrainedModel model, int vocab, Function<RowInput, double[][]> reference) {
        Batches batch = Batches.random(vocab, new int[] {7, 5, 2}, true, 11);
        float[] logits = TestSupport.forward(model.block(), manager, batch.inputs(manager));
        int t = batch.length();
        assertEquals(batch.rows() * t * vocab, logits.length);
        double worst = 0;
        List<RowInput> rows = batch.rowInputs();
        for (int r = 0; r < batch.rows(); r++) {
            double[][] expected = reference.apply(rows.get(r));
            for (int i = 0; i < t; i++) {
                if (batch.mask[r][i] == 0) {
                    continue;
                }
                for (int v = 0; v < vocab; v++) {
                    double diff = Math.abs(expected[i][v] - logits[(r * t + i) * vocab + v]);
                    worst = Math.max(worst, diff);
                }
            }
        }
        assertTrue(worst < TOLERANCE, "max |djl - reference| = " + worst);
        assertTrue(worst > 0 || vocab == 0, "suspicious exact equality");
    }
}
