package io.github.peft4j.lora;

import io.github.peft4j.lora.layer.LoraLinear;
import io.github.peft4j.lora.init.InitLoraWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.LoadOptions;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.quant.MemoryReport;
import io.github.peft4j.quant.QuantizationConfig;
import io.github.peft4j.quant.QuantizationType;
import io.github.peft4j.quant.QuantizedLinear;
import io.github.peft4j.quant.Quantizer;
import io.github.peft4j.quant.TinyLlamas;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QLoRA: LoRA over an NF4 base (peft-quant, test scope) trains, also on a base quantized while it loads,
 * leaves the base untouched, and merges (F32 export or requantized).
 */
class QuantizedLoraTest {

    private static final int VOCAB = 16;
    private static final int SEQ = 12;
    private static final int STEPS = 15;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(2024);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Eight sequences counting up by one or by three from different starts, wrapping at the vocabulary. */
    private NDArray corpus(int from, int to) {
        long[] flat = new long[8 * (to - from)];
        for (int s = 0; s < 8; s++) {
            int step = s % 2 == 0 ? 1 : 3;
            for (int t = from; t < to; t++) {
                flat[s * (to - from) + t - from] = (s * 5L + (long) t * step) % VOCAB;
            }
        }
        return manager.create(flat, new Shape(8, to - from));
    }

    private static NDArray loss(PeftModel model, ParameterStore ps, NDArray inputs, NDArray labels, boolean training) {
        NDArray logits = model.forward(ps, new NDList(inputs), training).head();
        return logits.logSoftmax(-1).gather(labels.expandDims(-1), -1).neg().mean();
    }

    @Test
    void loraOnNf4BaseTrainsAndMergesToF32() {
        NDArray inputs = corpus(0, SEQ - 1);
        NDArray labels = corpus(1, SEQ);
        PretrainedModel base = TinyLlamas.create(TinyLlamas.trainable(), manager, 7);
        Quantizer.quantize(base.block(), QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build());
        LoraConfig config = LoraConfig.builder().r(8).loraAlpha(16).targetModules("all-linear").build();
        // The head stays F32 and frozen under all-linear; with an initializer_range of 0.02 and a final
        // RMSNorm its logits cannot spread enough to halve the loss, so this tiny task adapts it as well.
        LoraConfig withHead = LoraConfig.builder().r(8).loraAlpha(16).targetModules(
                "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head").build();
        try (base; PeftModel model = PeftModel.create(base.block(), withHead);
                NDManager optimizerState = manager.newSubManager()) {
            List<LoraLinear> layers = new ArrayList<>();
            ModuleTree.of(model.baseModel()).modules().values().forEach(m -> {
                if (m.block() instanceof LoraLinear l) {
                    layers.add(l);
                }
            });
            assertEquals(15, layers.size());
            assertEquals(14, layers.stream().filter(LoraLinear::quantizedBase).count(), "all but the F32 head");
            assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj"),
                    model.injectionContext().selectTargets(io.github.peft4j.core.targeting.TargetMatcher.builder()
                            .targets(io.github.peft4j.core.targeting.TargetModules.allLinear()).build()).subList(0, 2),
                    "all-linear matches quantized layers");

            Map<Parameter, Boolean> lora = new IdentityHashMap<>();
            model.trainableParameters().forEach(p -> lora.put(p, true));
            assertEquals(2 * 15, lora.size());
            Map<String, float[]> baseBefore = new LinkedHashMap<>();
            ModuleTree.of(model.baseModel()).parameters().forEach((k, p) -> {
                if (!lora.containsKey(p)) {
                    baseBefore.put(k, p.getArray().toFloatArray());
                }
            });
            Map<String, byte[]> codesBefore = TinyLlamas.quantizedCodes(model.baseModel());
            assertEquals(14, codesBefore.size());
            Map<Parameter, float[]> loraBefore = new IdentityHashMap<>();
            lora.keySet().forEach(p -> loraBefore.put(p, p.getArray().toFloatArray()));

            Adam adam = new Adam(model.trainableParameters(), optimizerState, 1e-2f);
            ParameterStore ps = new ParameterStore(manager, false);
            float initial = loss(model, ps, inputs, labels, false).getFloat();
            for (int step = 0; step < STEPS; step++) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = inputs.duplicate();
                    x.attach(scope);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(loss(model, ps, x, labels, true));
                    }
                }
                adam.step();
            }
            float last = loss(model, ps, inputs, labels, false).getFloat();
            System.out.printf("QLoRA (NF4+dq base) loss %.4f -> %.4f in %d steps%n", initial, last, STEPS);
            assertTrue(last <= initial / 2, "loss " + initial + " -> " + last);

            ModuleTree.of(model.baseModel()).parameters().forEach((k, p) -> {
                if (!lora.containsKey(p)) {
                    assertArrayEquals(baseBefore.get(k), p.getArray().toFloatArray(), 0f, k + " changed");
                }
            });
            Map<String, byte[]> codesAfter = TinyLlamas.quantizedCodes(model.baseModel());
            codesBefore.forEach((k, v) -> assertArrayEquals(v, codesAfter.get(k), k + " codes changed"));
            for (Parameter p : lora.keySet()) {
                assertFalse(java.util.Arrays.equals(loraBefore.get(p), p.getArray().toFloatArray()), p.getName());
            }

            MemoryReport report = MemoryReport.of(model, MemoryReport.adamStateBytes(model.trainableParameters()));
            System.out.print(report.table());
            long loraParams = lora.keySet().stream().mapToLong(p -> p.getArray().size()).sum();
            assertEquals(4 * loraParams, report.adapterBytes());
            assertEquals(8 * loraParams, report.optimizerBytes());
            assertEquals(adam.stateBytes(), report.optimizerBytes(), "matches the optimizer's actual state");

            // merge_and_unload, default: dequantize, add ΔW, plain F32 Linear layers
            NDArray ids = TinyLlamas.randomIds(manager, VOCAB, 2, 10, 3);
            float[] adapted = TinyLlamas.logits(model, manager, ids);
            Block merged = model.mergeAndUnload();
            ModuleTree tree = ModuleTree.of(merged);
            assertTrue(tree.get("model.layers.0.self_attn.q_proj") instanceof Linear);
            assertTrue(TinyLlamas.quantizedCodes(merged).isEmpty(), "no quantized layer left");
            float[] after = TinyLlamas.logits(merged, manager, ids);
            double worst = 0;
            for (int i = 0; i < after.length; i++) {
                worst = Math.max(worst, Math.abs(after[i] - adapted[i]));
            }
            assertTrue(worst < 1e-4, "merged F32 model differs from base+LoRA by " + worst);
        }
    }


    @Test
    void requantizingMergeEqualsQuantizingTheMergedWeight() {
        PretrainedModel base = TinyLlamas.create(TinyLlamas.trainable(), manager, 9);
        QuantizationConfig int8 = QuantizationConfig.builder().type(QuantizationType.INT8)
                .mergeMode(QuantizationConfig.MergeMode.REQUANTIZE).build();
        Quantizer.quantize(base.block(), int8);
        LoraConfig config = LoraConfig.builder().r(4).loraAlpha(8).targetModules("q_proj")
                .initLoraWeights(InitLoraWeights.FALSE).build();
        try (base; PeftModel model = PeftModel.create(base.block(), config)) {
            String path = "model.layers.0.self_attn.q_proj";
            LoraLinear lora = (LoraLinear) ModuleTree.of(model.baseModel()).get(path);
            QuantizedLinear q = (QuantizedLinear) lora.baseLayer();
            float[] expected;
            try (NDManager tmp = manager.newSubManager()) {
                NDArray w = q.dequantizedWeight(tmp).add(lora.deltaWeight("default"));
                expected = w.toFloatArray();
            }
            QuantizedLinear reference = new QuantizedLinear(expected, q.outFeatures(), q.inFeatures(), null, int8, manager);
            model.merge();
            assertTrue(lora.baseLayer() == q, "still the quantized layer");
            assertArrayEquals(reference.codes().toByteArray(), q.codes().toByteArray());
            assertArrayEquals(reference.blockScales(), q.blockScales(), 1e-9f);
            model.unmerge();
            assertTrue(lora.quantizedBase());
        }
    }

    @Test
    void loraOnABaseQuantizedAtLoadTrains(@TempDir Path dir) {
        Engine.getInstance().setRandomSeed(11);
        try (PretrainedModel f32 = TinyLlamas.create(TinyLlamas.trainable(), manager, 5)) {
            HfModels.save(f32, dir);
        }
        QuantizationConfig nf4 = QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build();
        LoadOptions options = LoadOptions.builder().linearTransform(Quantizer.atLoad(nf4)).build();
        NDArray ids = TinyLlamas.randomIds(manager, 16, 4, 8, 9);
        NDArray inputs = ids.get(":, :-1");
        NDArray labels = ids.get(":, 1:");
        try (PretrainedModel base = HfModels.load(dir, manager, options);
                PeftModel model = PeftModel.create(base.block(),
                        LoraConfig.builder().r(4).loraAlpha(8).targetModules("all-linear").build())) {
            Map<String, byte[]> codesBefore = TinyLlamas.quantizedCodes(model.baseModel());
            assertEquals(14, codesBefore.size());
            ParameterStore ps = new ParameterStore(manager, false);
            float[] losses = new float[4];
            for (int step = 0; step < losses.length; step++) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = inputs.duplicate();
                    x.attach(scope);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = loss(model, ps, x, labels, true);
                        losses[step] = loss.getFloat();
                        gc.backward(loss);
                    }
                }
                for (Parameter p : model.trainableParameters()) {
                    try (NDArray g = p.getArray().getGradient()) {
                        p.getArray().subi(g.mul(0.5f));
                        g.muli(0);
                    }
                }
            }
            for (int step = 1; step < losses.length; step++) {
                assertTrue(losses[step] < losses[step - 1], "loss falls: " + java.util.Arrays.toString(losses));
            }
            Map<String, byte[]> codesAfter = TinyLlamas.quantizedCodes(model.baseModel());
            codesBefore.forEach((k, v) -> assertArrayEquals(v, codesAfter.get(k), k + " codes changed"));
        }
    }

    @Test
    void weightRewritingInitialisationsAndDoraAreRefused() {
        for (LoraConfig config : List.of(LoraConfig.builder().targetModules("q_proj").useDora(true).build(),
                LoraConfig.builder().targetModules("v_proj").initLoraWeights(InitLoraWeights.PISSA).build())) {
            try (PretrainedModel base = TinyLlamas.create(TinyLlamas.trainable(), manager, 9)) {
                Quantizer.quantize(base.block(), QuantizationConfig.of(QuantizationType.NF4));
                assertThrows(PeftCompatibilityException.class, () -> PeftModel.create(base.block(), config));
            }
        }
    }

    @Test
    void aQuantizedModelIsNotSavedAsACheckpoint(@TempDir Path dir) {
        try (PretrainedModel base = TinyLlamas.create(TinyLlamas.trainable(), manager, 9)) {
            Quantizer.quantize(base.block(), QuantizationConfig.of(QuantizationType.INT8));
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> HfModels.save(base.block(), dir));
            assertTrue(e.getMessage().contains("model.layers.0.self_attn.q_proj"), e.getMessage());
        }
    }

    @Test
    void quantizingAnAdaptedModelIsRefused() {
        PretrainedModel base = TinyLlamas.create(TinyLlamas.trainable(), manager, 9);
        try (base; PeftModel model = PeftModel.create(base.block(), LoraConfig.builder().targetModules("q_proj").build())) {
            assertThrows(PeftCompatibilityException.class,
                    () -> Quantizer.quantize(model.baseModel(), QuantizationConfig.of(QuantizationType.INT8)));
        }
    }

    /** torch's Adam without weight decay, written out so the test depends on no trainer. */
    private static final class Adam {
        private final List<Parameter> params;
        private final Map<Parameter, NDArray[]> state = new IdentityHashMap<>();
        private final float lr;
        private int t;

        Adam(List<Parameter> params, NDManager stateManager, float lr) {
            this.params = params;
            this.lr = lr;
            for (Parameter p : params) {
                Shape shape = p.getArray().getShape();
                state.put(p, new NDArray[] {stateManager.zeros(shape), stateManager.zeros(shape)});
            }
        }

        long stateBytes() {
            return state.values().stream().mapToLong(mv -> 4 * (mv[0].size() + mv[1].size())).sum();
        }

        void step() {
            t++;
            float c1 = (float) (1 - Math.pow(0.9, t));
            float c2 = (float) (1 - Math.pow(0.999, t));
            for (Parameter p : params) {
                NDArray[] mv = state.get(p);
                try (NDArray g = p.getArray().getGradient(); NDManager tmp = g.getManager().newSubManager()) {
                    tmp.tempAttachAll(g);
                    mv[0].muli(0.9f).addi(g.mul(0.1f));
                    mv[1].muli(0.999f).addi(g.square().mul(0.001f));
                    NDArray update = mv[0].div(c1).div(mv[1].div(c2).sqrt().add(1e-8f)).mul(lr);
                    p.getArray().subi(update);
                    update.close();
                    g.muli(0);
                }
            }
        }
    }
}
