package io.github.peft4j.core.testmodels;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A separable synthetic sequence-classification task and a plain Adam loop, for tests that show a
 * tuner learns. Each sequence is {@code [CLS] t1 ... t(T-1)} with random filler tokens; class 0
 * sequences contain the signal token 1 and class 1 sequences the signal token 2, at random
 * positions, so the label is decided by which signal token the sequence holds.
 *
 * <pre>{@code
 * TinyTraining.Dataset train = TinyTraining.signalTokens(manager, 128, 8, 16, 1);
 * TinyTraining.Adam adam = new TinyTraining.Adam(model.trainableParameters(), 0.01f, manager);
 * for (int s = 0; s < 100; s++) TinyTraining.step(model, train, adam);
 * double accuracy = TinyTraining.accuracy(model, test);
 * }</pre>
 */
public final class TinyTraining {

    private TinyTraining() {}

    /**
     * @param ids int64 token ids [N, T]
     * @param labels int64 labels [N]
     */
    public record Dataset(NDArray ids, NDArray labels) {
        /** @return the number of examples */
        public int size() {
            return (int) labels.size();
        }
    }

    /**
     * @param manager the manager for the tensors
     * @param n number of examples (half of each class)
     * @param seqLen tokens per sequence, the first being [CLS] (id 0)
     * @param vocab vocabulary size (fillers are 3 .. vocab-1)
     * @param seed the generator seed
     * @return the data
     */
    public static Dataset signalTokens(NDManager manager, int n, int seqLen, int vocab, long seed) {
        Random random = new Random(seed);
        long[] ids = new long[n * seqLen];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            labels[i] = label;
            ids[i * seqLen] = 0;
            for (int t = 1; t < seqLen; t++) {
                ids[i * seqLen + t] = 3 + random.nextInt(vocab - 3);
            }
            int signals = 1 + random.nextInt(2);
            for (int s = 0; s < signals; s++) {
                ids[i * seqLen + 1 + random.nextInt(seqLen - 1)] = 1 + label;
            }
        }
        return new Dataset(manager.create(ids, new Shape(n, seqLen)), manager.create(labels));
    }

    /**
     * @param logits [N, C]
     * @param labels int64 [N]
     * @return the mean negative log-likelihood
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray picked = logits.logSoftmax(-1).gather(labels.expandDims(-1), -1);
        return picked.mean().neg();
    }

    /**
     * @param model a classifier taking ids [N, T] and returning logits [N, C]
     * @param data the examples
     * @return the fraction classified correctly
     */
    public static double accuracy(Block model, Dataset data) {
        try (NDManager scratch = data.ids().getManager().newSubManager()) {
            NDArray ids = data.ids().duplicate();
            ids.attach(scratch);
            NDArray logits = model.forward(new ParameterStore(scratch, false), new NDList(ids), false).singletonOrThrow();
            NDArray correct = logits.argMax(-1).eq(data.labels());
            return correct.toType(DataType.FLOAT32, false).mean().getFloat();
        }
    }

    /**
     * One full-batch training step: forward, cross-entropy, backward, Adam update.
     *
     * @param model the model
     * @param data the examples
     * @param adam the optimizer holding the parameters to update
     * @return the loss before the update
     */
    public static float step(Block model, Dataset data, Adam adam) {
        float loss;
        try (NDManager scratch = data.ids().getManager().newSubManager()) {
            NDArray ids = data.ids().duplicate();
            ids.attach(scratch);
            try (NDScope scope = new NDScope();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(new ParameterStore(scratch, false), new NDList(ids), true).singletonOrThrow();
                NDArray l = crossEntropy(logits, data.labels());
                gc.backward(l);
                loss = l.getFloat();
            }
            adam.update();
        }
        return loss;
    }

    /** torch's Adam (no weight decay), run in place on the parameters. */
    public static final class Adam {
        private final List<Parameter> parameters;
        private final List<NDArray> first = new ArrayList<>();
        private final List<NDArray> second = new ArrayList<>();
        private final float lr;
        private int t;

        /**
         * @param parameters the parameters to update
         * @param lr the learning rate
         * @param manager the manager holding the optimizer state
         */
        public Adam(List<Parameter> parameters, float lr, NDManager manager) {
            this.parameters = List.copyOf(parameters);
            this.lr = lr;
            for (Parameter p : this.parameters) {
                first.add(manager.zeros(p.getArray().getShape()));
                second.add(manager.zeros(p.getArray().getShape()));
            }
        }

        // Every temporary of the update lives in the scope; the state and the parameters are updated in place.
        void update() {
            t++;
            float b1 = 0.9f;
            float b2 = 0.999f;
            float c1 = 1 - (float) Math.pow(b1, t);
            float c2 = 1 - (float) Math.pow(b2, t);
            try (NDScope scope = new NDScope()) {
                for (int i = 0; i < parameters.size(); i++) {
                    NDArray w = parameters.get(i).getArray();
                    NDArray g = w.getGradient();
                    first.get(i).muli(b1).addi(g.mul(1 - b1));
                    second.get(i).muli(b2).addi(g.square().mul(1 - b2));
                    NDArray denom = second.get(i).div(c2).sqrt().add(1e-8f);
                    w.subi(first.get(i).div(c1).div(denom).mul(lr));
                    g.muli(0);
                }
            }
        }
    }
}
