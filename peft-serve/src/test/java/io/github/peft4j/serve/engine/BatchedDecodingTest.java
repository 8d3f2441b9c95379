package io.github.peft4j.serve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.adapters.ia3.Ia3Config;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.LlamaConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The probes that decide between batched decode steps and rows decoded alone. */
class BatchedDecodingTest {

    private static final Path BASE = Path.of("../assets/base-model");

    @Test
    void theBundledModelDecodesLoraRowsBatchedAndOtherTunersRowByRow() {
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel base = HfModels.load(BASE, m)) {
            Engine.getInstance().setRandomSeed(5);
            PeftModel model = PeftModel.create(base.block(), LoraConfig.builder().r(4).initLoraWeights(false)
                    .targetModules("q_proj", "v_proj").build(), "lora");
            model.addAdapter("ia3", Ia3Config.builder().targetModules("k_proj", "down_proj")
                    .feedforwardModules("down_proj").build());
            BatchedDecoding batched = BatchedDecoding.probe(model, 16, true);
            assertTrue(batched.enabled(), "the probe failed on the bundled model: " + batched.reason());
            int[] counts = batched.rowCounts();
            assertTrue(counts.length >= 1 && counts[counts.length - 1] == 16, java.util.Arrays.toString(counts));
            assertTrue(batched.admits(AdapterRouting.BASE));
            assertTrue(batched.admits("lora"));
            assertFalse(batched.admits("ia3"), "IA3 has no gathered forward: its rows are decoded alone");
            model.unload();
        }
    }

    @Test
    void slidingWindowModelsDecodeBatchedAndTheSwitchRowByRow() {
        try (NDManager m = NDManager.newBaseManager();
                PretrainedModel base = ModelFactory.create(LlamaConfig.tiny("mistral").slidingWindow(4).build(), m, 3)) {
            PeftModel model = PeftModel.wrap(base.block());
            BatchedDecoding windowed = BatchedDecoding.probe(model, 8, true);
            assertTrue(windowed.enabled(), "the probe failed on a sliding-window model: " + windowed.reason());
            int[] counts = windowed.rowCounts();
            assertEquals(8, counts[counts.length - 1], java.util.Arrays.toString(counts));
            assertTrue(windowed.admits(AdapterRouting.BASE));
            BatchedDecoding off = BatchedDecoding.probe(model, 8, false);
            assertFalse(off.enabled());
            assertFalse(off.admits(AdapterRouting.BASE));
            assertArrayEquals(new int[0], off.rowCounts());
        }
    }
}
