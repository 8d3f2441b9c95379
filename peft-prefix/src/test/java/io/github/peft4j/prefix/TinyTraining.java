package io.github.peft4j.prefix;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.Labels;
import io.github.peft4j.core.PeftModel;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/** Cross-entropy with ignore index and a plain Adam, enough to train adapters in tests. */
final class TinyTraining {

    private TinyTraining() {}

    /** Mean cross-entropy over labels that are not -100; logits [B, S, V], labels [B, S]. */
    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray valid = labels.neq(Labels.IGNORE_INDEX);
        NDArray safe = NDArrays.where(valid, labels, labels.zerosLike());
        NDArray nll = logits.logSoftmax(-1).gather(safe.expandDims(-1), -1).squeeze(-1).neg();
        NDArray weight = valid.toType(DataType.FLOAT32, false);
        return nll.mul(weight).sum().div(weight.sum());
    }

    /**
     * Trains the model's active adapter on (ids → labels), labels padded for virtual tokens, with
     * the unshifted cross-entropy of {@link #crossEntropy}.
     *
     * @return the loss before each step, and after the last one
     */
    static List<Float> train(PeftModel model, NDArray ids, NDArray labels, int steps, float lr) {
        NDArray padded = PromptAdapters.padLabels(labels, PromptAdapters.virtualTokens(model,
                model.activeAdapters().get(0)));
        return train(model, ids, padded, steps, lr, TinyTraining::crossEntropy);
    }

    /**
     * @param labels the labels as the loss takes them
     * @param loss (outputs, labels) → scalar loss
     * @return the loss before each step, and after the last one
     */
    static List<Float> train(PeftModel model, NDArray ids, NDArray labels, int steps, float lr,
            BiFunction<NDArray, NDArray, NDArray> loss) {
        NDManager root = model.manager();
        ParameterStore ps = new ParameterStore(root, false);
        Map<Parameter, NDArray[]> state = new IdentityHashMap<>();
        List<Float> losses = new ArrayList<>();
        try (NDManager moments = root.newSubManager()) {
            for (int step = 0; step <= steps; step++) {
                try (NDManager batch = root.newSubManager()) {
                    NDArray x = ids.duplicate();
                    x.attach(batch);
                    NDArray y = labels.duplicate();
                    y.attach(batch);
                    if (step == steps) {
                        losses.add(loss.apply(model.forward(ps, new NDList(x), false).head(), y).getFloat());
                        break;
                    }
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray stepLoss = loss.apply(model.forward(ps, new NDList(x), true).head(), y);
                        float value = stepLoss.getFloat();
                        if (!Float.isFinite(value)) {
                            throw new AssertionError("loss " + value + " at step " + step + "; losses so far " + losses);
                        }
                        losses.add(value);
                        gc.backward(stepLoss);
                    }
                    adam(model.trainableParameters(), state, moments, step + 1, lr);
                }
            }
        }
        return losses;
    }

    private static void adam(List<Parameter> params, Map<Parameter, NDArray[]> state, NDManager moments, int t,
            float lr) {
        float b1 = 0.9f;
        float b2 = 0.999f;
        for (Parameter p : params) {
            NDArray w = p.getArray();
            NDArray g = w.getGradient();
            NDArray[] mv = state.computeIfAbsent(p, k -> new NDArray[] {moments.zeros(w.getShape()),
                moments.zeros(w.getShape())});
            try (NDManager tmp = moments.newSubManager()) {
                g.attach(tmp); // the wrapper getGradient made dies with tmp; the gradient stays on w
                mv[0].muli(b1).addi(g.mul(1 - b1));
                mv[1].muli(b2).addi(g.square().mul(1 - b2));
                NDArray mHat = mv[0].div(1 - Math.pow(b1, t));
                NDArray vHat = mv[1].div(1 - Math.pow(b2, t));
                mHat.attach(tmp);
                vHat.attach(tmp);
                NDArray update = mHat.div(vHat.sqrt().add(1e-8f)).mul(lr);
                update.attach(tmp);
                w.subi(update);
                g.muli(0);
            }
        }
    }
}
