package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.lora.layer.LoraLinear;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Loading is data only (DESIGN §6): a PiSSA/OLoRA adapter saved by peft4j is self-contained (PEFT's
 * converted form, rank 2r) and loads onto the original base without touching it or another tenant.
 */
class WeightRewritingInitLoadTest {

    private static final int VOCAB = 17;
    private static final int DIM = 12;
    private static final int SEED = 9;

    private NDManager manager;
    private NDArray ids;
    @TempDir
    Path tmp;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(5);
        ids = manager.randomInteger(0, VOCAB, new Shape(2, 6), DataType.INT64);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Every base parameter (adapter tensors excluded), by its unwrapped name, as float bits. */
    private static Map<String, int[]> baseBits(ToyModels.ToyModel base) {
        Map<String, int[]> bits = new TreeMap<>();
        ModuleTree.of(base).parameters().forEach((name, p) -> {
            if (!name.contains("lora_")) {
                float[] v = p.getArray().toFloatArray();
                int[] b = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    b[i] = Float.floatToRawIntBits(v[i]);
                }
                bits.put(name.replace(".base_layer", ""), b);
            }
        });
        return bits;
    }

    private static void assertSameBits(Map<String, int[]> expected, Map<String, int[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, bits) -> assertArrayEquals(bits, actual.get(name), name + " changed"));
    }

    /** Trains the adapter a little by hand: moves A and B away from their initial values. */
    private void perturb(PeftModel model, String adapter) {
        for (String path : new String[] {"model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.v_proj"}) {
            LoraLinear layer = (LoraLinear) model.modules().get(path);
            NDArray a = layer.loraA(adapter);
            NDArray b = layer.loraB(adapter);
            try (NDManager m = manager.newSubManager()) {
                NDArray na = a.add(m.randomNormal(0f, 0.05f, a.getShape(), DataType.FLOAT32));
                NDArray nb = b.add(m.randomNormal(0f, 0.05f, b.getShape(), DataType.FLOAT32));
                layer.assignAB(adapter, na, nb);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pissa", "pissa_niter_2", "olora"})
    void aSavedWeightRewritingAdapterLoadsOntoTheOriginalBaseAndTouchesNoOtherTenant(String init) throws IOException {
        Path saved = tmp.resolve(init);
        double[] trained;
        LoraConfig config = LoraConfig.builder().r(3).loraAlpha(6).initLoraWeights(init)
                .targetModules("q_proj", "v_proj").build();
        try (PeftModel training = PeftModel.create(ToyModels.causalLm(manager, VOCAB, DIM, 2, SEED), config)) {
            perturb(training, "default");
            trained = Ref.run(training, ids);
            training.save(saved);
        }
        String json = Files.readString(saved.resolve("adapter_config.json"), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"init_lora_weights\": true") && json.contains("\"r\": 6"), json);

        ToyModels.ToyModel original = ToyModels.causalLm(manager, VOCAB, DIM, 2, SEED);
        try (PeftModel served = PeftModel.create(original, LoraConfig.builder().r(2).initLoraWeights(false)
                .targetModules("q_proj", "k_proj").build())) {
            Map<String, int[]> base = baseBits(original);
            double[] plain = Ref.run(served, ids);

            served.loadAdapter(saved, "tenant", false);
            assertSameBits(base, baseBits(original));
            assertArrayEquals(plain, Ref.run(served, ids), "the plain tenant is bit-identical after the load");

            served.setActiveAdapters("tenant");
            assertTrue(Ref.maxAbsDiff(trained, Ref.run(served, ids)) < 1e-4, "the loaded adapter on the original base"
                    + " reproduces the trained model: " + Ref.maxAbsDiff(trained, Ref.run(served, ids)));

            served.setActiveAdapters("default");
            served.deleteAdapter("tenant");
            assertSameBits(base, baseBits(original));
            assertArrayEquals(plain, Ref.run(served, ids), "the plain tenant is bit-identical after the delete");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pissa", "olora"})
    void anUnconvertedWeightRewritingAdapterIsRefusedWithoutTouchingTheBase(String init) throws IOException {
        Path saved = tmp.resolve("unconverted");
        try (PeftModel training = PeftModel.create(ToyModels.causalLm(manager, VOCAB, DIM, 2, SEED),
                LoraConfig.builder().r(3).targetModules("q_proj").build())) {
            training.save(saved);
        }
        Path configFile = saved.resolve("adapter_config.json");
        Files.writeString(configFile, Files.readString(configFile)
                .replace("\"init_lora_weights\": true", "\"init_lora_weights\": \"" + init + "\""));

        ToyModels.ToyModel original = ToyModels.causalLm(manager, VOCAB, DIM, 2, SEED);
        try (PeftModel served = PeftModel.create(original, LoraConfig.builder().r(2).initLoraWeights(false)
                .targetModules("q_proj").build())) {
            Map<String, int[]> base = baseBits(original);
            double[] plain = Ref.run(served, ids);
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> served.loadAdapter(saved, "tenant", false));
            assertTrue(e.getMessage().contains(saved.toString()) && e.getMessage().contains(init), e.getMessage());
            assertSameBits(base, baseBits(original));
            assertArrayEquals(plain, Ref.run(served, ids));
            assertEquals(java.util.Set.of("default"), served.adapterNames());
        }
    }
}
