package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.LinearTransform;
import io.github.peft4j.core.module.ModuleTree;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A linear transform that keeps every layer loads the same model as a plain load, each linear handed over loaded. */
class LoadOptionsTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static Map<String, float[]> values(PretrainedModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        ModuleTree.of(model.block()).parameters().forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny_gpt2", "bert_tiniest"})
    void aKeepingTransformSeesEveryLinearLoadedAndChangesNothing(String fixture) {
        List<String> seen = new ArrayList<>();
        LinearTransform keep = (root, path, module, linear) -> {
            assertEquals(linear.inFeatures() * linear.outFeatures(), linear.weight().getArray().size(),
                    path + " handed over with its weight loaded");
            assertTrue(linear.inFeatures() > 1 && linear.outFeatures() > 1, path);
            seen.add(path);
            return module;
        };
        try (PretrainedModel plain = HfModels.load(TestSupport.fixture(fixture), manager, 3L);
                PretrainedModel kept = HfModels.load(TestSupport.fixture(fixture), manager,
                        LoadOptions.builder().headSeed(3L).linearTransform(keep).build())) {
            List<String> linears = new ArrayList<>();
            ModuleTree.of(plain.block()).modules().values().forEach(m -> {
                if (m.parent() != null && LinearLike.of(m.block()).isPresent()) {
                    linears.add(m.path());
                }
            });
            assertEquals(linears, seen);
            assertEquals(plain.loadReport(), kept.loadReport());
            Map<String, float[]> expected = values(plain);
            Map<String, float[]> actual = values(kept);
            assertEquals(expected.keySet(), actual.keySet());
            expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), 0f, k));
        }
    }
}
