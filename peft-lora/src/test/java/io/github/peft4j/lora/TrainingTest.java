package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.module.ModuleTree;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A tiny causal LM learns a fixed corpus with LoRA alone: the training loss falls by at least half
 * in a few hundred Adam steps, the base weights stay bit-identical and every LoRA tensor moves.
 */
class TrainingTest {

    private static final int VOCAB = 16;
    private static final int DIM = 16;
    private static final int SEQ = 12;
    private static final int STEPS = 150;

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

    /** Eight sequences: counting up by one or by three from different starts, wrapping at the vocabulary. */
    private long[][] corpus() {
        long[][] seqs = new long[8][SEQ];
        for (int s = 0; s < seqs.length; s++) {
            int step = s % 2 == 0 ? 1 : 3;
            for (int t = 0; t < SEQ; t++) {
                seqs[s][t] = (s * 5L + (long) t * step) % VOCAB;
            }
        }
        return seqs;
    }

    private NDArray slice(long[][] seqs, int from, int to) {
        long[] flat = new long[seqs.length * (to - from)];
        for (int s = 0; s < seqs.length; s++) {
            System.arraycopy(seqs[s], from, flat, s * (to - from), to - from);
        }
        return manager.create(flat, new Shape(seqs.length, to - from));
    }

    /** Mean next-token cross entropy. */
    private static NDArray loss(PeftModel model, ParameterStore ps, NDArray inputs, NDArray labels, boolean training) {
        NDArray logits = model.forward(ps, new NDList(inputs), training).head();
        return logits.logSoftmax(-1).gather(labels.expandDims(-1), -1).neg().mean();
    }

    @Test
    void lossHalvesWithOnlyLoraTensorsChanging() {
        long[][] seqs = corpus();
        NDArray inputs = slice(seqs, 0, SEQ - 1);
        NDArray labels = slice(seqs, 1, SEQ);
        ToyModels.ToyModel base = ToyModels.causalLm(manager, VOCAB, DIM, 2, 7);
        LoraConfig config = LoraConfig.builder().r(8).loraAlpha(16).loraDropout(0.05)
                .targetModules("all-linear").build();
        try (PeftModel model = PeftModel.create(base, config);
                NDManager optimizerState = manager.newSubManager()) {
            Map<Parameter, Boolean> lora = new IdentityHashMap<>();
            model.trainableParameters().forEach(p -> lora.put(p, true));
            Map<String, float[]> baseBefore = new LinkedHashMap<>();
            ModuleTree.of(model.baseModel()).parameters().forEach((k, p) -> {
                if (!lora.containsKey(p)) {
                    baseBefore.put(k, p.getArray().toFloatArray());
                }
            });
            Map<Parameter, float[]> loraBefore = new IdentityHashMap<>();
            lora.keySet().forEach(p -> loraBefore.put(p, p.getArray().toFloatArray()));

            ParameterStore ps = new ParameterStore(manager, false);
            float initial = loss(model, ps, inputs, labels, false).getFloat();
            Adam adam = new Adam(model.trainableParameters(), optimizerState, 5e-3f);
            for (int step = 0; step < STEPS; step++) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = inputs.duplicate();
                    x.attach(scope);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(loss(model, ps, x, labels, true));
                    }
                    adam.step();
                }
            }
            float last = loss(model, ps, inputs, labels, false).getFloat();
            assertTrue(last <= initial / 2, "loss " + initial + " -> " + last);

            ModuleTree.of(model.baseModel()).parameters().forEach((k, p) -> {
                if (!lora.containsKey(p)) {
                    assertArrayEquals(baseBefore.get(k), p.getArray().toFloatArray(), 0f, k + " changed");
                    assertFalse(p.getArray().hasGradient(), k + " has a gradient");
                }
            });
            assertTrue(lora.size() == 2 * 6 * 2, "A and B of six linears in two layers: " + lora.size());
            for (Parameter p : lora.keySet()) {
                assertFalse(java.util.Arrays.equals(loraBefore.get(p), p.getArray().toFloatArray()), p.getName());
            }
        }
    }

    /** torch's Adam (no weight decay), written out for the test. */
    private static final class Adam {
        private final List<Parameter> params;
        private final Map<Parameter, NDArray[]> state = new IdentityHashMap<>();
        private final float lr;
        private int t;

        Adam(List<Parameter> params, NDManager stateManager, float lr) {
            this.params = params;
            this.lr = lr;
            for (Parameter p : params) {
                NDArray w = p.getArray();
                state.put(p, new NDArray[] {stateManager.zeros(w.getShape()), stateManager.zeros(w.getShape())});
            }
        }

        void step() {
            t++;
            float b1 = 0.9f;
            float b2 = 0.999f;
            float c1 = (float) (1 - Math.pow(b1, t));
            float c2 = (float) (1 - Math.pow(b2, t));
            for (Parameter p : params) {
                NDArray[] mv = state.get(p);
                try (NDArray g = p.getArray().getGradient(); NDManager tmp = g.getManager().newSubManager()) {
                    tmp.tempAttachAll(g);
                    mv[0].muli(b1).addi(g.mul(1 - b1));
                    mv[1].muli(b2).addi(g.square().mul(1 - b2));
                    NDArray update = mv[0].div(c1).div(mv[1].div(c2).sqrt().add(1e-8f)).mul(lr);
                    p.getArray().subi(update);
                    update.close();
                    g.muli(0);
                }
            }
        }
    }
}
