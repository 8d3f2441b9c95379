package io.github.peft4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.EvalPoint;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainResult;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PeftTrainer with {@link CausalLmLoss#chunked}: the same step and eval losses as with the ordinary loss. */
class ChunkedLossTrainingTest {

    @TempDir
    Path tmp;

    private TrainResult train(String name, Consumer<PeftTrainer.Builder> loss) {
        try (HfTokenizer tokenizer = Fixtures.tinyTokenizer(); NDManager m = NDManager.newBaseManager()) {
            TokenizedDataset train = Corpus.dataset(TextTokenizer.of(tokenizer));
            TokenizedDataset eval = Corpus.evalDataset(TextTokenizer.of(tokenizer));
            try (PeftModel model = ChunkedCausalLmLossTest.adapted(ChunkedCausalLmLossTest.llama(true), m,
                    "q_proj", "v_proj", "up_proj")) {
                TrainingArguments args = TrainingArguments.builder(tmp.resolve(name)).learningRate(1e-2).maxSteps(4)
                        .perDeviceTrainBatchSize(4).gradientAccumulationSteps(2).evalSteps(2).saveSteps(0).seed(5)
                        .build();
                PeftTrainer.Builder b = PeftTrainer.builder().model(model).args(args).trainDataset(train)
                        .evalDataset(eval);
                loss.accept(b);
                return b.build().train();
            }
        }
    }

    @Test
    void stepAndEvalLossesEqualTheOrdinaryLoss() {
        TrainResult ordinary = train("ordinary", b -> {});
        TrainResult chunked = train("chunked", b -> b.objective(CausalLmLoss.chunked(7)));
        assertEquals(4, ordinary.stepLosses().size());
        assertEquals(4, chunked.stepLosses().size());
        for (int i = 0; i < 4; i++) {
            assertEquals(ordinary.stepLosses().get(i), chunked.stepLosses().get(i), 1e-5, "step " + (i + 1));
        }
        assertEquals(2, chunked.evalHistory().size());
        for (int i = 0; i < 2; i++) {
            EvalPoint e = ordinary.evalHistory().get(i);
            EvalPoint c = chunked.evalHistory().get(i);
            assertEquals(e.result().loss(), c.result().loss(), 1e-5, "eval at step " + e.step());
            assertEquals(e.result().accuracy(), c.result().accuracy(), 1e-9, "accuracy at step " + e.step());
        }
        // training moved: the last step's loss is not the first's
        assertTrue(chunked.stepLosses().get(3) < chunked.stepLosses().get(0) - 1e-3, chunked.stepLosses().toString());
    }
}
