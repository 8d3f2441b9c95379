package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningInit;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderReparameterizationType;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Initialisation as PEFT's encoders do it. */
class InitTest {

    private NDManager manager;
    private ToyPromptModel base;
    private double[][] vocab;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        base = ToyPromptModel.small(manager, 4);
        vocab = ToyReference.matrix(base.wordEmbeddings());
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private double[][] table(PeftConfig config) {
        try (PeftModel model = PeftModel.create(base, config)) {
            return ToyReference.matrix(model.adapterParameters("default").get("prompt_encoder.default.embedding.weight"));
        }
    }

    private void assertRow(long token, double[] row) {
        assertArrayEquals(vocab[(int) token], row, 0, "a row copied from the word embeddings");
    }

    @Test
    void textInitRepeatsOrTruncatesTheTokenizedText() {
        PromptTuningConfig.Builder b = PromptTuningConfig.builder().promptTuningInit(PromptTuningInit.TEXT)
                .promptTuningInitText("positive or negative").tokenizerNameOrPath("toy")
                .initTokenizer(text -> new long[] {3, 7, 1});
        double[][] repeated = table(b.numVirtualTokens(5).build());
        long[] expected = {3, 7, 1, 3, 7};
        for (int i = 0; i < 5; i++) {
            assertRow(expected[i], repeated[i]);
        }
        double[][] truncated = table(b.numVirtualTokens(2).build());
        assertRow(3, truncated[0]);
        assertRow(7, truncated[1]);
    }

    @Test
    void textInitNeedsATokenizerOfThisVocabulary() {
        PromptTuningConfig.Builder b = PromptTuningConfig.builder().numVirtualTokens(2)
                .promptTuningInit(PromptTuningInit.TEXT).promptTuningInitText("hi").tokenizerNameOrPath("toy");
        PeftConfigException none = assertThrows(PeftConfigException.class, () -> PeftModel.create(base, b.build()));
        assertTrue(none.getMessage().contains("initTokenizer"), none.getMessage());
        assertThrows(PeftConfigException.class,
                () -> PeftModel.create(base, b.initTokenizer(text -> new long[] {12}).build()));
    }

    @Test
    void sampleVocabCopiesVocabularyRows() {
        Engine.getInstance().setRandomSeed(11);
        double[][] rows = table(PromptTuningConfig.builder().numVirtualTokens(6)
                .promptTuningInit(PromptTuningInit.SAMPLE_VOCAB).build());
        for (double[] row : rows) {
            assertTrue(Arrays.stream(vocab).anyMatch(v -> Arrays.equals(v, row)), "not a vocabulary row");
        }
    }

    @Test
    void randomInitIsStandardNormalAsTorchEmbedding() {
        Engine.getInstance().setRandomSeed(12);
        double[][] rows = table(PromptTuningConfig.builder().numVirtualTokens(128).build());
        double sum = 0;
        double squares = 0;
        int n = 0;
        for (double[] row : rows) {
            for (double v : row) {
                sum += v;
                squares += v * v;
                n++;
            }
        }
        double mean = sum / n;
        double std = Math.sqrt(squares / n - mean * mean);
        assertEquals(0, mean, 0.1);
        assertEquals(1, std, 0.06);
    }

    @Test
    void zeroInitStartsFromAZeroPrefix() {
        try (PeftModel model = PeftModel.create(base, PrefixTuningConfig.builder().numVirtualTokens(2)
                .initWeights("zero").build())) {
            assertEquals(0, model.savedStateDict("default").get("prompt_embeddings").abs().sum().getFloat());
        }
        try (PeftModel model = PeftModel.create(base, PrefixTuningConfig.builder().numVirtualTokens(2)
                .prefixProjection(true).initWeights("zero").build())) {
            Map<String, Parameter> p = model.adapterParameters("default");
            assertTrue(p.get("prompt_encoder.default.transform.0.weight").getArray().abs().sum().getFloat() > 0);
            assertEquals(0, model.savedStateDict("default").get("prompt_embeddings").abs().sum().getFloat());
        }
    }

    @Test
    void linearLayersAreUniformWithinTorchsBound() {
        try (PeftModel model = PeftModel.create(base, PromptEncoderConfig.builder().numVirtualTokens(2)
                .encoderHiddenSize(9).build())) {
            Map<String, Parameter> p = model.adapterParameters("default");
            assertBound(p.get("prompt_encoder.default.mlp_head.0.weight"), 1 / Math.sqrt(16));
            assertBound(p.get("prompt_encoder.default.mlp_head.2.bias"), 1 / Math.sqrt(9));
            assertBound(p.get("prompt_encoder.default.mlp_head.4.weight"), 1 / Math.sqrt(9));
        }
    }

    private static void assertBound(Parameter p, double bound) {
        float[] v = p.getArray().toFloatArray();
        double max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        assertTrue(max <= bound && max > bound / 2, "max |w| " + max + " for bound " + bound);
    }

    @Test
    void pTuningParametersAreNamedAsPeftsModules() {
        try (PeftModel model = PeftModel.create(base, PromptEncoderConfig.builder().numVirtualTokens(2)
                .encoderHiddenSize(3).encoderNumLayers(1)
                .encoderReparameterizationType(PromptEncoderReparameterizationType.LSTM).build())) {
            assertEquals(java.util.List.of("prompt_encoder.default.embedding.weight",
                    "prompt_encoder.default.lstm_head.weight_ih_l0", "prompt_encoder.default.lstm_head.weight_hh_l0",
                    "prompt_encoder.default.lstm_head.bias_ih_l0", "prompt_encoder.default.lstm_head.bias_hh_l0",
                    "prompt_encoder.default.lstm_head.weight_ih_l0_reverse",
                    "prompt_encoder.default.lstm_head.weight_hh_l0_reverse",
                    "prompt_encoder.default.lstm_head.bias_ih_l0_reverse",
                    "prompt_encoder.default.lstm_head.bias_hh_l0_reverse",
                    "prompt_encoder.default.mlp_head.0.weight", "prompt_encoder.default.mlp_head.0.bias",
                    "prompt_encoder.default.mlp_head.2.weight", "prompt_encoder.default.mlp_head.2.bias"),
                    java.util.List.copyOf(model.adapterParameters("default").keySet()));
            // 2·16 table; per direction 4h·(16 + h) + 8h; head (2h·2h + 2h) + (2h·16 + 16)
            long expected = 2 * 16 + 2 * (12 * (16 + 3) + 24) + (36 + 6) + (6 * 16 + 16);
            assertEquals(expected, model.countParameters().trainable());
        }
    }
}
