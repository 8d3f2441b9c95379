package io.github.peft4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.optim.Gradients;
import io.github.peft4j.train.preference.KlToBaseObjective;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import io.github.peft4j.train.testing.GradientRun;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CLI's default objective with a KL guard ({@code --loss-chunk-rows 64} under {@code --kl-to-base}):
 * {@link KlToBaseObjective} around {@link ChunkedCausalLmLoss} gives the value and every adapter
 * gradient that it gives around the ordinary {@link CausalLmLoss}, with the KL term contributing.
 */
class ChunkedLossUnderKlToBaseTest {

    private static final double LAMBDA = 0.7;

    record Step(float loss, float kl, List<float[]> grads) {}

    private static Step step(PeftModel peft, NDManager m, TrainingObjective objective, Batch batch) {
        List<Parameter> params = peft.trainableParameters();
        Gradients.zero(params);
        ParameterStore ps = new ParameterStore(m, false);
        try (NDManager bm = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            TrainingObjective.Output out = objective.compute(peft, ps, batch, bm, true);
            gc.backward(out.loss());
            List<float[]> grads = new ArrayList<>();
            for (Parameter p : params) {
                grads.add(p.getArray().getGradient().toFloatArray());
            }
            NDArray kl = out.metrics().get("kl_to_base");
            return new Step(out.loss().getFloat(), kl == null ? 0 : kl.getFloat(), grads);
        }
    }

    @Test
    void chunkedInnerLossGivesTheOrdinaryValueAndGradientsWithTheKlTermActive() {
        try (HfTokenizer tokenizer = Fixtures.tinyTokenizer(); NDManager m = NDManager.newBaseManager();
                PeftModel peft = ChunkedCausalLmLossTest.adapted(ChunkedCausalLmLossTest.llama(false), m,
                        "q_proj", "v_proj", "down_proj")) {
            TokenizedDataset all = Corpus.dataset(TextTokenizer.of(tokenizer));
            // the prompt/completion records are the domain, the plain texts the general text
            Batch batch = all.batch(new int[] {6, 8, 10});
            TokenizedDataset general = new TokenizedDataset(all.examples().subList(0, 6), all.batching());
            TrainingObjective ordinary = TrainingObjective.of(new CausalLmLoss());

            Step inner = step(peft, m, ordinary, batch);
            Step expected = step(peft, m, new KlToBaseObjective(ordinary, general, LAMBDA, 2, 11), batch);
            // the KL term is active: a random adapter moves the model away from the base
            assertTrue(expected.kl() > 1e-2, "KL to the base: " + expected.kl());
            assertEquals(inner.loss() + LAMBDA * expected.kl(), expected.loss(), 1e-5);
            assertTrue(maxDifference(inner.grads(), expected.grads()) > 1e-3,
                    "the KL term changes the gradients by " + maxDifference(inner.grads(), expected.grads()));

            for (int rows : new int[] {ChunkedCausalLmLoss.DEFAULT_ROWS, 5}) {
                Step actual = step(peft, m, new KlToBaseObjective(new ChunkedCausalLmLoss(rows), general, LAMBDA, 2, 11),
                        batch);
                assertEquals(expected.kl(), actual.kl(), 1e-6, rows + " rows: the same general rows drawn");
                ChunkedCausalLmLossTest.assertSameRun(new GradientRun(expected.loss(), expected.grads()),
                        new GradientRun(actual.loss(), actual.grads()), rows);
            }
        }
    }

    private static double maxDifference(List<float[]> a, List<float[]> b) {
        double max = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                max = Math.max(max, Math.abs(a.get(i)[j] - b.get(i)[j]));
            }
        }
        return max;
    }
}
