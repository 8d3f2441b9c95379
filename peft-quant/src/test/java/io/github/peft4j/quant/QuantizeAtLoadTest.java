package io.github.peft4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.LinearTransform;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.LoadOptions;
import io.github.peft4j.models.PretrainedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Quantizing while {@code HfModels.load} reads the checkpoint: same model as load-then-quantize, one F32 linear at a time. */
class QuantizeAtLoadTest {

    private static final QuantizationConfig NF4 = QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build();

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(11);
        try (PretrainedModel f32 = TinyLlamas.create(TinyLlamas.trainable(), manager, 5)) {
            HfModels.save(f32, dir);
        }
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Paths of linear modules whose own F32 weight is loaded now (a placeholder or a closed weight does not count). */
    private static List<String> liveF32LinearWeights(Block root) {
        List<String> live = new ArrayList<>();
        for (ModuleTree.Module m : ModuleTree.of(root).modules().values()) {
            LinearLike.of(m.block()).ifPresent(l -> {
                Parameter w = l.weight();
                boolean own = m.block().getDirectParameters().values().stream().anyMatch(p -> p == w);
                if (own && w.isInitialized() && w.getArray().size() > 0 && w.getArray().getDataType() == DataType.FLOAT32) {
                    live.add(m.path());
                }
            });
        }
        return live;
    }

    @Test
    void quantizingAtLoadEqualsLoadThenQuantizeAndHoldsOneF32LinearAtATime() {
        NDArray ids = TinyLlamas.randomIds(manager, 16, 2, 9, 4);
        float[] expected;
        Map<String, byte[]> expectedCodes;
        try (PretrainedModel later = HfModels.load(dir, manager)) {
            assertEquals(15, liveF32LinearWeights(later.block()).size(), "a plain load holds every linear weight in F32");
            Quantizer.quantize(later.block(), NF4);
            expected = TinyLlamas.logits(later.block(), manager, ids);
            expectedCodes = TinyLlamas.quantizedCodes(later.block());
        }

        Map<String, List<String>> liveAtCall = new LinkedHashMap<>();
        List<Parameter> replacedWeights = new ArrayList<>();
        LinearTransform quantize = Quantizer.atLoad(NF4);
        LinearTransform observed = (root, path, module, linear) -> {
            liveAtCall.put(path, liveF32LinearWeights(root));
            Block out = quantize.apply(root, path, module, linear);
            if (out != module) {
                replacedWeights.add(linear.weight());
            }
            return out;
        };
        try (PretrainedModel atLoad = HfModels.load(dir, manager, LoadOptions.builder().linearTransform(observed).build())) {
            assertEquals(15, liveAtCall.size(), "7 linears per layer, 2 layers, and the head");
            // Each layer is read just before its turn and the previous one is already quantized and closed.
            liveAtCall.forEach((path, live) -> assertEquals(List.of(path), live, "F32 linear weights alive at " + path));
            assertEquals(14, replacedWeights.size(), "all but lm_head");
            replacedWeights.forEach(w -> assertFalse(w.isInitialized(), w.getName() + " F32 weight released"));
            assertEquals(List.of("lm_head"), liveF32LinearWeights(atLoad.block()));

            Map<String, byte[]> actualCodes = TinyLlamas.quantizedCodes(atLoad.block());
            assertEquals(expectedCodes.keySet(), actualCodes.keySet());
            expectedCodes.forEach((k, v) -> assertArrayEquals(v, actualCodes.get(k), k));
            assertArrayEquals(expected, TinyLlamas.logits(atLoad.block(), manager, ids), 1e-6f);
        }
    }
}
