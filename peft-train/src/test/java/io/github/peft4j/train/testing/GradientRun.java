package io.github.peft4j.train.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * A loss and the gradients one backward gave, in a fixed order, to compare two ways of computing
 * the same step (an ordinary and a chunked loss, with and without gradient checkpointing).
 *
 * @param loss the loss
 * @param grads the gradients, the trainable parameters' first, then any extra leaves'
 */
public record GradientRun(float loss, List<float[]> grads) {

    /**
     * @param loss the loss
     * @param params the trainable parameters, after backward
     * @param leaves more arrays whose gradient counts (a prompt, say)
     * @return the run
     */
    public static GradientRun read(float loss, List<Parameter> params, NDArray... leaves) {
        List<float[]> grads = new ArrayList<>();
        for (Parameter p : params) {
            grads.add(p.getArray().getGradient().toFloatArray());
        }
        for (NDArray leaf : leaves) {
            grads.add(leaf.getGradient().toFloatArray());
        }
        return new GradientRun(loss, grads);
    }

    /**
     * Asserts the same loss (1e-5) and every gradient element within 1e-5 of its tensor's largest,
     * each expected tensor having a gradient.
     *
     * @param expected the reference run
     * @param actual the run under test
     * @param what what differs between the two, for messages
     */
    public static void assertSame(GradientRun expected, GradientRun actual, String what) {
        assertEquals(expected.grads().size(), actual.grads().size(), what);
        assertEquals(expected.loss(), actual.loss(), 1e-5, what);
        for (int i = 0; i < expected.grads().size(); i++) {
            float[] e = expected.grads().get(i);
            float[] a = actual.grads().get(i);
            double scale = 0;
            for (float v : e) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(scale > 0, "tensor " + i + " has a gradient");
            for (int j = 0; j < e.length; j++) {
                assertEquals(e[j], a[j], 1e-5 * scale, what + ", tensor " + i + ", element " + j);
            }
        }
    }
}
