package io.github.peft4j.core.testmodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.tuner.Tensors;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks every tuner module runs against its models: outputs, snapshots, and the training claim
 * of the tuner issues (chance to at least 90 % held-out accuracy with only the adapter changing).
 *
 * <pre>{@code
 * float[] before = TunerChecks.run(base, ids);
 * TunerChecks.trainAndCheck(PeftModel.create(TinyBert.create(m, TinyBert.Dims.small(), 5), config), m, 200, 0.01f);
 * }</pre>
 */
public final class TunerChecks {

    private TunerChecks() {}

    /**
     * @param model a model
     * @param ids token ids
     * @return its output as floats
     */
    public static float[] run(Block model, NDArray ids) {
        try (NDManager scratch = ids.getManager().newSubManager()) {
            NDArray copy = ids.duplicate();
            copy.attach(scratch);
            return model.forward(new ParameterStore(scratch, false), new NDList(copy), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    /**
     * @param params parameters by name
     * @return their values
     */
    public static Map<String, float[]> snapshot(Map<String, Parameter> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
        return out;
    }

    /**
     * Gives every tensor of an adapter random values, so tests see non-trivial adapters.
     *
     * @param model the model
     * @param adapter the adapter
     * @param scale standard deviation of the values
     * @param seed the engine seed
     */
    public static void randomize(PeftModel model, String adapter, float scale, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        for (Parameter p : model.adapterParameters(adapter).values()) {
            NDArray a = p.getArray();
            try (NDArray r = a.getManager().randomNormal(0, scale, a.getShape(), DataType.FLOAT32)) {
                Tensors.assign(a, r);
            }
        }
    }

    /**
     * Trains on the synthetic task and checks the claims: accuracy from chance to at least
     * 90 % on held-out data, and only the tuner's tensors change.
     *
     * @param model the model with one trainable adapter
     * @param manager the manager for data and optimizer state
     * @param steps full-batch Adam steps
     * @param lr the learning rate
     * @return the final held-out accuracy
     */
    public static double trainAndCheck(PeftModel model, NDManager manager, int steps, float lr) {
        Map<String, Parameter> base = new LinkedHashMap<>(ModuleTree.of(model.baseModel()).parameters());
        Map<String, Parameter> adapter = model.adapterParameters(PeftModel.DEFAULT_ADAPTER);
        base.values().removeAll(adapter.values());
        Map<String, float[]> baseBefore = snapshot(base);
        Map<String, float[]> adapterBefore = snapshot(adapter);
        TinyTraining.Dataset train = TinyTraining.signalTokens(manager, 512, 8, 16, 11);
        TinyTraining.Dataset test = TinyTraining.signalTokens(manager, 256, 8, 16, 12);
        double before = TinyTraining.accuracy(model, test);
        TinyTraining.Adam adam = new TinyTraining.Adam(model.trainableParameters(), lr, manager);
        for (int s = 0; s < steps; s++) {
            TinyTraining.step(model, train, adam);
        }
        double after = TinyTraining.accuracy(model, test);
        System.out.printf("accuracy %.3f -> %.3f (train %.3f)%n", before, after, TinyTraining.accuracy(model, train));
        assertTrue(before <= 0.75, "the untrained model should be near chance, was " + before);
        assertTrue(after >= 0.9, "accuracy after training " + after + " (before " + before + ")");
        for (Map.Entry<String, Parameter> e : base.entrySet()) {
            assertArrayEquals(baseBefore.get(e.getKey()), e.getValue().getArray().toFloatArray(), 0f,
                    e.getKey() + " is a base parameter and must not change");
        }
        long changed = adapter.entrySet().stream()
                .filter(e -> !java.util.Arrays.equals(adapterBefore.get(e.getKey()), e.getValue().getArray().toFloatArray()))
                .count();
        assertTrue(changed > 0, "no adapter tensor changed");
        return after;
    }

    /**
     * The tuner modules' training claim on one model: {@code config} on a fresh {@link TinyBert}
     * ({@link TinyBert.Dims#small()}, seed 5) passes {@link #trainAndCheck}.
     *
     * @param config the tuner's config
     * @param steps full-batch Adam steps
     * @param lr the learning rate
     */
    public static void trainOnBert(PeftConfig config, int steps, float lr) {
        try (NDManager manager = NDManager.newBaseManager();
                PeftModel model = PeftModel.create(TinyBert.create(manager, TinyBert.Dims.small(), 5), config)) {
            System.out.println(config.peftType() + " " + model.countParameters());
            trainAndCheck(model, manager, steps, lr);
        }
    }

    /**
     * Collects garbage and refills freed direct memory with junk, as a busy JVM eventually does.
     * Called between forward and backward, it exposes tensors whose memory a Java buffer owns but
     * autograd still needs (DJL's {@code op(Number)} scalars; see {@code Tensors}).
     */
    public static void churnDirectMemory() {
        try {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        List<ByteBuffer> junk = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4);
            b.putFloat(0, 12345f);
            junk.add(b);
        }
    }
}
