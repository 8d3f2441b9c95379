package io.github.peft4j.lora;

import io.github.peft4j.lora.layer.LoraLayer;
import io.github.peft4j.lora.merge.LoraCombination;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.core.tuner.TunerLayer;
import io.github.peft4j.lora.merge.LoraCombination.CombinationType;
import io.github.peft4j.lora.merge.LoraCombination.Options;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CombinationTest {

    private static final double[] WEIGHTS = {0.7, -1.3};

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(31);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** 'a' on q and v (r 2, alpha 4), 'b' on v and o (r 3, alpha 3, rsLoRA): they overlap on v_proj only. */
    private PeftModel twoAdapters() {
        PeftModel model = PeftModel.create(ToyModels.causalLm(manager, 11, 8, 2, 6), LoraConfig.builder().r(2)
                .loraAlpha(4).initLoraWeights(false).targetModules("q_proj", "v_proj").build(), "a");
        model.addAdapter("b", LoraConfig.builder().r(3).loraAlpha(3).useRslora(true).initLoraWeights(false)
                .targetModules("v_proj", "o_proj").build());
        return model;
    }

    /** Σ wᵢ·ΔWᵢ over the sources this layer holds. */
    private static double[] weightedSum(LoraLayer layer, List<String> adapters, double[] weights) {
        double[] sum = null;
        for (int i = 0; i < adapters.size(); i++) {
            if (!layer.hasAdapter(adapters.get(i))) {
                continue;
            }
            double[] d = Ref.vec(layer.deltaWeight(adapters.get(i)));
            if (sum == null) {
                sum = new double[d.length];
            }
            for (int j = 0; j < d.length; j++) {
                sum[j] += weights[i] * d[j];
            }
        }
        return sum;
    }

    private static void assertCombinedIsWeightedSum(PeftModel model, String name, double tol) {
        int layers = 0;
        for (TunerLayer l : model.tunerLayers()) {
            LoraLayer layer = (LoraLayer) l;
            if (!layer.hasAdapter(name)) {
                continue;
            }
            assertEquals(1.0, layer.settings(name).scaling(), "r = lora_alpha = new rank: scaling 1");
            double[] expected = weightedSum(layer, List.of("a", "b"), WEIGHTS);
            double diff = Ref.maxAbsDiff(expected, Ref.vec(layer.deltaWeight(name)));
            assertTrue(diff <= tol, "layer delta differs by " + diff);
            layers++;
        }
        assertEquals(6, layers, "the union of targets: q, v, o in two layers");
    }

    @Test
    void catIsExactlyTheWeightedSum() {
        try (PeftModel model = twoAdapters()) {
            LoraCombination.addWeightedAdapter(model, List.of("a", "b"), WEIGHTS, "mix", CombinationType.CAT);
            LoraConfig c = (LoraConfig) model.config("mix");
            assertEquals(5, c.r());
            assertEquals(5.0, c.loraAlpha());
            assertFalse(c.useRslora(), "the combined adapter's scaling must be 1 (huggingface/peft#3449)");
            assertEquals(List.of("q_proj", "v_proj", "o_proj"), c.targetModules().names());
            assertCombinedIsWeightedSum(model, "mix", 1e-6);
            assertEquals(List.of("a"), model.activeAdapters(), "added inactive");
        }
    }

    @Test
    void svdAtFullRankIsTheWeightedSum() {
        try (PeftModel model = twoAdapters()) {
            LoraCombination.addWeightedAdapter(model, List.of("a", "b"), WEIGHTS, "mix", CombinationType.SVD,
                    Options.defaults().withSvdRank(5));
            assertEquals(5, ((LoraConfig) model.config("mix")).r());
            assertCombinedIsWeightedSum(model, "mix", 1e-5);
        }
    }

    @Test
    void svdAtTheDefaultRankTruncatesOnlyWhereTheSumHasHigherRank() {
        try (PeftModel model = twoAdapters()) {
            LoraCombination.addWeightedAdapter(model, List.of("a", "b"), WEIGHTS, "mix", CombinationType.SVD);
            assertEquals(3, ((LoraConfig) model.config("mix")).r(), "largest source rank");
            // o_proj holds only 'b' (rank 3): exact there; v_proj holds both (rank 5): truncated
            LoraLayer o = (LoraLayer) model.modules().get("model.layers.0.self_attn.o_proj");
            assertTrue(Ref.maxAbsDiff(weightedSum(o, List.of("a", "b"), WEIGHTS), Ref.vec(o.deltaWeight("mix"))) < 1e-5);
            LoraLayer v = (LoraLayer) model.modules().get("model.layers.0.self_attn.v_proj");
            assertTrue(Ref.maxAbsDiff(weightedSum(v, List.of("a", "b"), WEIGHTS), Ref.vec(v.deltaWeight("mix"))) > 1e-4);
        }
    }

    @Test
    void svdClampLimitsTheFactors() {
        try (PeftModel model = twoAdapters()) {
            LoraCombination.addWeightedAdapter(model, List.of("a", "b"), WEIGHTS, "mix", CombinationType.SVD,
                    Options.defaults().withSvdRank(5).withSvdClamp(0.5));
            LoraLayer v = (LoraLayer) model.modules().get("model.layers.0.self_attn.v_proj");
            double[] a = Ref.vec(v.loraA("mix"));
            double[] b = Ref.vec(v.loraB("mix"));
            double hi = java.util.Arrays.stream(a).map(Math::abs).max().orElseThrow();
            assertTrue(java.util.Arrays.stream(b).allMatch(x -> Math.abs(x) <= hi + 1e-6));
        }
    }

    @Test
    void aSingleAdapterIsCombinedLinearlyAndExactly() {
        try (PeftModel model = twoAdapters()) {
            LoraCombination.addWeightedAdapter(model, List.of("b"), new double[] {-2.0}, "twice", CombinationType.SVD);
            LoraLayer o = (LoraLayer) model.modules().get("model.layers.1.self_attn.o_proj");
            double[] expected = Ref.vec(o.deltaWeight("b"));
            for (int i = 0; i < expected.length; i++) {
                expected[i] *= -2;
            }
            assertTrue(Ref.maxAbsDiff(expected, Ref.vec(o.deltaWeight("twice"))) < 1e-6);
        }
    }

    @Test
    void linearCombinesAAndBSeparatelyWithSignedSquareRoots() {
        try (PeftModel model = PeftModel.create(ToyModels.causalLm(manager, 11, 8, 1, 6),
                LoraConfig.builder().r(2).initLoraWeights(false).targetModules("q_proj").build(), "a")) {
            model.addAdapter("b", LoraConfig.builder().r(2).loraAlpha(4).initLoraWeights(false).targetModules("q_proj").build());
            LoraCombination.addWeightedAdapter(model, List.of("a", "b"), WEIGHTS, "mix", CombinationType.LINEAR);
            LoraLayer q = (LoraLayer) model.modules().get("model.layers.0.self_attn.q_proj");
            double ca = 0.7 * 4.0; // weight · scaling (alpha 8 / r 2)
            double cb = -1.3 * 2.0;
            double[] aA = Ref.vec(q.loraA("a"));
            double[] aB = Ref.vec(q.loraA("b"));
            double[] bA = Ref.vec(q.loraB("a"));
            double[] bB = Ref.vec(q.loraB("b"));
            double[] expectedA = new double[aA.length];
            double[] expectedB = new double[bA.length];
            for (int i = 0; i < aA.length; i++) {
                expectedA[i] = Math.sqrt(ca) * aA[i] - Math.sqrt(-cb) * aB[i];
            }
            for (int i = 0; i < bA.length; i++) {
                expectedB[i] = Math.sqrt(ca) * bA[i] + Math.sqrt(-cb) * bB[i];
            }
            Ref.assertClose(expectedA, Ref.vec(q.loraA("mix")), 1e-6, "A");
            Ref.assertClose(expectedB, Ref.vec(q.loraB("mix")), 1e-6, "B");
        }
    }

    @Test
    void tiesOnAdaptersRunsEndToEnd() {
        try (PeftModel model = PeftModel.create(ToyModels.causalLm(manager, 11, 8, 1, 6),
                LoraConfig.builder().r(2).initLoraWeights(false).targetModules("q_proj").build(), "a")) {
            model.addAdapter("b", LoraConfig.builder().r(2).initLoraWeights(false).targetModules("q_proj").build());
            for (CombinationType type : List.of(CombinationType.TIES, CombinationType.TIES_SVD, CombinationType.DARE_TIES,
                    CombinationType.DARE_LINEAR_SVD, CombinationType.MAGNITUDE_PRUNE_SVD)) {
                String name = type.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
                LoraCombination.addWeightedAdapter(model, List.of("a", "b"), new double[] {1, 1}, name, type,
                        Options.defaults().withDensity(0.5));
                assertEquals(2, ((LoraConfig) model.config(name)).r());
            }
        }
    }

    @Test
    void refusals() {
        try (PeftModel model = twoAdapters()) {
            assertThrows(PeftConfigException.class, () -> LoraCombination.addWeightedAdapter(model, List.of("a", "b"),
                    WEIGHTS, "x", CombinationType.LINEAR), "ranks 2 and 3");
            assertThrows(PeftConfigException.class, () -> LoraCombination.addWeightedAdapter(model, List.of("a", "b"),
                    WEIGHTS, "a", CombinationType.CAT), "name taken");
            assertThrows(PeftConfigException.class, () -> LoraCombination.addWeightedAdapter(model, List.of("a", "zz"),
                    WEIGHTS, "x", CombinationType.CAT), "unknown adapter");
            assertThrows(PeftConfigException.class, () -> LoraCombination.addWeightedAdapter(model, List.of("a", "b"),
                    WEIGHTS, "x", CombinationType.TIES_SVD), "TIES needs a density");
            assertFalse(model.adapterNames().contains("x"), "a failed combination leaves no adapter behind");
            model.addAdapter("rx", LoraConfig.builder().targetModules(TargetModules.regex(".*k_proj")).build());
            assertThrows(PeftConfigException.class, () -> LoraCombination.addWeightedAdapter(model, List.of("a", "rx"),
                    WEIGHTS, "x", CombinationType.CAT), "names and a regex");
            model.addAdapter("dora", LoraConfig.builder().useDora(true).targetModules("q_proj").build());
            assertThrows(PeftCompatibilityException.class, () -> LoraCombination.addWeightedAdapter(model,
                    List.of("a", "dora"), WEIGHTS, "x", CombinationType.CAT));
        }
    }
}
