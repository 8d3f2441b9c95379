package io.github.peft4j.train.optim;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;

/** Parameters with hand-set gradients. */
// NDScope and NoGrad are held for their effect on the ops inside the block
@SuppressWarnings("try")
final class GradTestSupport {

    private GradTestSupport() {}

    static Parameter parameter(NDManager manager, String name, float... values) {
        NDArray array = manager.create(values, new Shape(values.length));
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optArray(array).build();
        array.setRequiresGradient(true);
        return p;
    }

    /** Makes each parameter's gradient exactly the given values (d/dp sum(p * g) = g). */
    static void setGradients(Parameter[] params, float[][] grads) {
        Gradients.zero(java.util.List.of(params));
        try (NDScope scope = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray total = null;
            for (int i = 0; i < params.length; i++) {
                NDArray w = params[i].getArray();
                NDArray g = w.getManager().create(grads[i], w.getShape());
                NDArray term = w.mul(g).sum();
                total = total == null ? term : total.add(term);
            }
            gc.backward(total);
        }
    }

    static float[] values(Parameter p) {
        return p.getArray().toFloatArray();
    }

    static float[] gradient(Parameter p) {
        try (NDArray g = p.getArray().getGradient()) {
            return g.toFloatArray();
        }
    }
}
