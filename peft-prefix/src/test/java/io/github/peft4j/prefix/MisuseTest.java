package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What PEFT refuses is refused here too, with a message saying why. */
class MisuseTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private NDList ids() {
        return new NDList(manager.create(new long[][] {{1, 2, 3}}));
    }

    @Test
    void onlyOnePromptAdapterPerForward() {
        try (PeftModel model = PeftModel.wrap(ToyPromptModel.small(manager, 1))) {
            model.addAdapter("a", PromptTuningConfig.builder().numVirtualTokens(2).build());
            model.addAdapter("b", PrefixTuningConfig.builder().numVirtualTokens(2).build());
            model.setActiveAdapters("a", "b");
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> model.forward(new ParameterStore(manager, false), ids(), false));
            assertTrue(e.getMessage().contains("only one prompt-learning adapter"), e.getMessage());
            model.setActiveAdapters("b");
            assertEquals(new Shape(1, 3, 12), model.forward(new ParameterStore(manager, false), ids(), false)
                    .head().getShape());
        }
    }

    @Test
    void perRowAdaptersAreRefusedWithAPromptAdapterActive() {
        try (PeftModel model = PeftModel.create(ToyPromptModel.small(manager, 1),
                PromptTuningConfig.builder().numVirtualTokens(2).build())) {
            assertThrows(PeftCompatibilityException.class,
                    () -> model.forward(new ParameterStore(manager, false), ids(), List.of("default")));
        }
    }

    @Test
    void theBaseMustCooperate() {
        Block plain = Linear.builder().setUnits(4).build();
        plain.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
        PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                () -> PeftModel.create(plain, PromptTuningConfig.builder().numVirtualTokens(2).build()));
        assertTrue(e.getMessage().contains("PromptLearningModel"), e.getMessage());
    }

    @Test
    void encoderDecoderIsNotSupportedYet() {
        assertThrows(PeftCompatibilityException.class, () -> PeftModel.create(ToyPromptModel.small(manager, 1),
                PromptTuningConfig.builder().numVirtualTokens(2).numTransformerSubmodules(2).build()));
    }

    @Test
    void promptAdaptersCannotBeMergedOrUnloaded() {
        try (PeftModel model = PeftModel.create(ToyPromptModel.small(manager, 1),
                PrefixTuningConfig.builder().numVirtualTokens(2).build())) {
            assertThrows(PeftCompatibilityException.class, model::merge);
            assertThrows(PeftCompatibilityException.class, model::unload);
        }
    }

    @Test
    void labelsArePaddedWithIgnoreIndexInFront() {
        NDArray labels = manager.create(new long[][] {{4, 5}, {6, 7}});
        NDArray padded = PromptAdapters.padLabels(labels, 3);
        assertEquals(new Shape(2, 5), padded.getShape());
        assertArrayEquals(new long[] {-100, -100, -100, 4, 5, -100, -100, -100, 6, 7}, padded.toLongArray());
        assertTrue(PromptAdapters.padLabels(labels, 0) == labels);
    }
}
