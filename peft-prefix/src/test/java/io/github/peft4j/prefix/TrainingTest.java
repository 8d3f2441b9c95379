package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningInit;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderReparameterizationType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each method, alone on a frozen random model, memorises a tiny labelling task. */
class TrainingTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    static Stream<PeftConfig> configs() {
        return Stream.of(
                PromptTuningConfig.builder().numVirtualTokens(4).build(),
                PromptTuningConfig.builder().numVirtualTokens(4).promptTuningInit(PromptTuningInit.SAMPLE_VOCAB).build(),
                PrefixTuningConfig.builder().numVirtualTokens(4).build(),
                PrefixTuningConfig.builder().numVirtualTokens(4).prefixProjection(true).encoderHiddenSize(16).build(),
                PromptEncoderConfig.builder().numVirtualTokens(4).encoderHiddenSize(16).build(),
                PromptEncoderConfig.builder().numVirtualTokens(4).encoderHiddenSize(8).encoderDropout(0.1)
                        .encoderReparameterizationType(PromptEncoderReparameterizationType.LSTM).build());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void lossFallsByAtLeastHalfAndTheBaseStaysFrozen(PeftConfig config) {
        ToyPromptModel base = ToyPromptModel.small(manager, 21);
        Map<String, float[]> baseBefore = new LinkedHashMap<>();
        ModuleTree.of(base).parameters().forEach((k, p) -> baseBefore.put(k, p.getArray().toFloatArray()));
        Engine.getInstance().setRandomSeed(5);
        NDArray ids = manager.randomInteger(0, 12, new Shape(4, 6), DataType.INT64);
        NDArray labels = manager.randomInteger(0, 12, new Shape(4, 6), DataType.INT64);
        try (PeftModel model = PeftModel.create(base, config)) {
            List<Float> losses = TinyTraining.train(model, ids, labels, 200, 0.02f);
            float first = losses.get(0);
            float last = losses.get(losses.size() - 1);
            assertTrue(last <= first / 2, config.peftType() + ": losses " + losses);
        }
        ModuleTree.of(base).parameters().forEach((k, p) -> org.junit.jupiter.api.Assertions.assertArrayEquals(
                baseBefore.get(k), p.getArray().toFloatArray(), 0f, k));
    }
}
