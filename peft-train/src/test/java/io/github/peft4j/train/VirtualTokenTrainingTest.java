package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.CrossEntropy;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model whose logits have virtual-token positions in front, as prompt tuning and P-tuning
 * return them, trains and evaluates through the trainer and the evaluator with the default loss:
 * PEFT's label padding, exact item counts, micro-batches that add up to one big batch.
 */
class VirtualTokenTrainingTest {

    private static final int VIRTUAL = 2;

    static HfTokenizer tokenizer;
    static TokenizedDataset train;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        tokenizer = Fixtures.tinyTokenizer();
        train = Corpus.dataset(TextTokenizer.of(tokenizer));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    /** Prepends {@value #VIRTUAL} copies of the first position's logits: T tokens in, T + 2 positions out. */
    static final class Prepending extends AbstractBlock {
        private final Block model;

        Prepending(Block model) {
            this.model = addChildBlock("model", model);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray logits = model.forward(ps, inputs, training, params).head();
            NDArray first = logits.get(":, 0:1, :");
            return new NDList(NDArrays.concat(new NDList(first, first, logits), 1));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return model.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            // the wrapped model is initialised already
        }
    }

    @Test
    void evaluationScoresTheFirstLabelFromTheLastVirtualPosition() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel inner = Fixtures.tinyPeftModel(m, 0.0, 3)) {
            Block model = new Prepending(inner);
            // reference: each row alone, labels padded in front as PEFT pads them
            double sum = 0;
            double count = 0;
            long labels = 0;
            ParameterStore ps = new ParameterStore(m, false);
            for (Batch b : train.batches(1)) {
                try (NDManager bm = m.newSubManager()) {
                    NDArray logits = model.forward(ps, b.inputs(bm), false).head();
                    assertEquals(b.sequenceLength() + VIRTUAL, logits.getShape().get(1));
                    CrossEntropy.Sum s = CrossEntropy.causalLmSum(logits,
                            CrossEntropy.alignLabels(b.labels(bm), VIRTUAL));
                    sum += s.sum().getFloat();
                    count += s.count().getFloat();
                }
                labels += b.labelCount(0);
            }
            EvalResult r = Evaluator.evaluate(model, train, 5, new CausalLmLoss());
            assertEquals(labels, r.items(), "every label is scored, the first one too");
            assertEquals((long) count, r.items());
            assertEquals(sum / count, r.loss(), 1e-5);
        }
    }

    @Test
    void microBatchesAccumulateToOneBigBatch() {
        // rows differ in length: counting the items after the forward makes 4 x 1, 2 x 2 and 1 x 4 identical
        List<List<Double>> losses = new ArrayList<>();
        List<Map<String, float[]>> weights = new ArrayList<>();
        int[][] configs = {{4, 1}, {2, 2}, {1, 4}};
        try (NDManager m = NDManager.newBaseManager()) {
            for (int[] c : configs) {
                try (PeftModel inner = Fixtures.tinyPeftModel(m, 0.0, 5)) {
                    TrainResult r = PeftTrainer.builder().model(new Prepending(inner)).trainDataset(train)
                            .args(TrainingArguments.builder(tmp.resolve(c[0] + "x" + c[1]))
                                    .optimizer(OptimizerType.SGD).learningRate(0.5).maxGradNorm(0).maxSteps(3)
                                    .perDeviceTrainBatchSize(c[0]).gradientAccumulationSteps(c[1])
                                    .saveSteps(0).logSteps(1).build())
                            .build().train();
                    losses.add(r.stepLosses());
                    Map<String, float[]> w = new LinkedHashMap<>();
                    inner.adapterParameters("default").forEach((k, p) -> w.put(k, p.getArray().toFloatArray()));
                    weights.add(w);
                }
            }
        }
        assertTrue(losses.get(0).get(2) < losses.get(0).get(0), losses.get(0).toString());
        for (int i = 1; i < configs.length; i++) {
            for (int s = 0; s < 3; s++) {
                assertEquals(losses.get(0).get(s), losses.get(i).get(s), 1e-6, "loss of step " + s);
            }
            for (String k : weights.get(0).keySet()) {
                assertArrayEquals(weights.get(0).get(k), weights.get(i).get(k), 1e-6f, k);
            }
        }
    }

    @Test
    void theLossCountsItemsByTheOutputsItIsGiven() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch batch = train.batches(3).get(0);
            long t = batch.sequenceLength();
            NDList same = new NDList(m.zeros(new Shape(3, t, 45), DataType.FLOAT32));
            NDList longer = new NDList(m.zeros(new Shape(3, t + VIRTUAL, 45), DataType.FLOAT32));
            CausalLmLoss loss = new CausalLmLoss();
            assertEquals(batch.labelCount(1), loss.itemCount(batch, same));
            assertEquals(batch.labelCount(0), loss.itemCount(batch, longer));
            assertTrue(batch.labelCount(0) > batch.labelCount(1));
            // uniform logits: the loss is log(V) whatever is scored
            assertEquals(Math.log(45), loss.compute(longer, batch.labels(m)).getFloat(), 1e-5);
        }
    }
}
