package io.github.peft4j.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    @Test
    void lossIsTheMeanOverAllScoredTokensWhateverTheBatchSize() {
        try (NDManager m = NDManager.newBaseManager();
                HfTokenizer hf = Fixtures.tinyTokenizer();
                PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 4)) {
            TextTokenizer tok = TextTokenizer.of(hf);
            TokenizedDataset data = Corpus.dataset(tok);
            // reference: every example alone, log-softmax in double precision from the logits
            double nll = 0;
            long scored = 0;
            long correct = 0;
            ParameterStore ps = new ParameterStore(m, false);
            for (Batch b : data.batches(1)) {
                try (NDManager bm = m.newSubManager()) {
                    NDArray logits = model.forward(ps, b.inputs(bm), false).head();
                    float[] l = logits.toFloatArray();
                    int t = b.sequenceLength();
                    int v = (int) logits.getShape().get(2);
                    int[] labels = b.labelRows()[0];
                    for (int pos = 0; pos + 1 < t; pos++) {
                        int target = labels[pos + 1];
                        if (target == -100) {
                            continue;
                        }
                        double max = Double.NEGATIVE_INFINITY;
                        int argMax = 0;
                        for (int k = 0; k < v; k++) {
                            if (l[pos * v + k] > max) {
                                max = l[pos * v + k];
                                argMax = k;
                            }
                        }
                        double sum = 0;
                        for (int k = 0; k < v; k++) {
                            sum += Math.exp(l[pos * v + k] - max);
                        }
                        nll -= l[pos * v + target] - max - Math.log(sum);
                        scored++;
                        correct += argMax == target ? 1 : 0;
                    }
                }
            }
            EvalResult one = Evaluator.evaluate(model, data, 1, new CausalLmLoss());
            EvalResult five = Evaluator.evaluate(model, data, 5, new CausalLmLoss());
            assertEquals(nll / scored, one.loss(), 1e-5);
            assertEquals(one.loss(), five.loss(), 1e-6);
            assertEquals(Math.exp(one.loss()), one.perplexity(), 1e-9);
            assertEquals((double) correct / scored, five.accuracy(), 1e-12);
            assertEquals(scored, five.items());
            assertTrue(five.tokenLevel());
        }
    }

    @Test
    void classificationAccuracyCountsRows() {
        // logits [first id == 2, first id != 2]: predicts class 0 exactly for rows starting with id 2
        ai.djl.nn.LambdaBlock classifier = new ai.djl.nn.LambdaBlock(in -> {
            NDArray first = in.get(0).get(":, 0");
            NDArray isTwo = first.eq(2).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            return new NDList(isTwo.stack(isTwo.neg().add(1f), 1));
        });
        java.util.List<io.github.peft4j.train.data.TokenizedExample> rows = java.util.List.of(
                io.github.peft4j.train.data.TokenizedExample.classification(new int[] {2, 5}, 0),
                io.github.peft4j.train.data.TokenizedExample.classification(new int[] {3}, 1),
                io.github.peft4j.train.data.TokenizedExample.classification(new int[] {2}, 1),
                io.github.peft4j.train.data.TokenizedExample.classification(new int[] {4, 4, 4}, 0),
                io.github.peft4j.train.data.TokenizedExample.classification(new int[] {7}, 1));
        TokenizedDataset data = new TokenizedDataset(rows, io.github.peft4j.train.data.Batching.builder(0).build());
        try (NDManager m = NDManager.newBaseManager()) {
            EvalResult r = Evaluator.evaluate(classifier, data, 2, new io.github.peft4j.train.loss.ClassificationLoss(), m);
            assertEquals(3.0 / 5, r.accuracy(), 1e-12);
            assertEquals(5, r.items());
            // right rows have loss log(1 + e^-1), wrong rows log(1 + e)
            double expected = (3 * Math.log(1 + Math.exp(-1)) + 2 * Math.log(1 + Math.E)) / 5;
            assertEquals(expected, r.loss(), 1e-6);
            assertTrue(Double.isNaN(r.perplexity()));
            assertEquals(java.util.Set.of("eval_loss", "eval_accuracy", "eval_examples"), r.toMap("eval_").keySet());
        }
    }
}
