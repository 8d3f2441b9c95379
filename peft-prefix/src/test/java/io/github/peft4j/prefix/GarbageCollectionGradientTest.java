package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Gradients do not depend on when the JVM collects garbage. DJL's {@code NDArray.mul(Number)},
 * {@code div(Number)}, {@code pow(Number)} wrap the number in a tensor over a Java direct buffer and
 * close it at once; autograd keeps that tensor for the backward pass, so a garbage collection in
 * between frees memory the backward then reads (garbage gradients, now and then NaN). The encoders
 * must not use such operations on the gradient path; this test collects garbage and reuses the freed
 * memory between forward and backward and compares with an undisturbed backward.
 */
class GarbageCollectionGradientTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Every encoder, deterministic (no dropout), so that two backward passes can be compared exactly. */
    static Stream<PeftConfig> configs() {
        return EncoderConfigs.deterministic(8, 8, 4);
    }

    /** Frees direct buffers and hands their memory out again, filled with large values. */
    static void churn() {
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 500; i++) {
                ByteBuffer.allocateDirect(4);
            }
            System.gc();
            for (int i = 0; i < 500; i++) {
                ByteBuffer.allocateDirect(4).putFloat(0, 1e30f);
            }
        }
    }

    /** The gradients of every trainable tensor after one backward, with or without churn before it. */
    static List<float[]> gradients(PeftModel model, NDManager manager, NDList inputs, boolean churn,
            Function<NDArray, NDArray> objective) {
        ParameterStore ps = new ParameterStore(manager, false);
        List<float[]> out = new ArrayList<>();
        try (NDManager step = manager.newSubManager()) {
            NDList in = new NDList();
            for (NDArray a : inputs) {
                NDArray c = a.duplicate();
                c.attach(step);
                in.add(c);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = objective.apply(model.forward(ps, in, true).head());
                if (churn) {
                    churn();
                }
                gc.backward(loss);
            }
            for (Parameter p : model.trainableParameters()) {
                NDArray g = p.getArray().getGradient();
                out.add(g.toFloatArray());
                g.muli(0);
                g.close();
            }
        }
        return out;
    }

    static void assertSameGradients(Block base, PeftConfig config, NDManager manager, NDList inputs) {
        try (PeftModel model = PeftModel.create(base, config)) {
            Function<NDArray, NDArray> objective = logits -> logits.tanh().sum();
            List<float[]> quiet = gradients(model, manager, inputs, false, objective);
            List<float[]> disturbed = gradients(model, manager, inputs, true, objective);
            for (int i = 0; i < quiet.size(); i++) {
                assertArrayEquals(quiet.get(i), disturbed.get(i), 0f, config.peftType() + " tensor " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void promptEncodersKeepNoFreedScalarsForBackward(PeftConfig config) {
        assertSameGradients(ToyPromptModel.small(manager, 3), config, manager,
                new NDList(manager.create(new long[][] {{1, 2, 3, 4}, {5, 6, 7, 8}})));
    }
}
