package io.github.peft4j.train;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The child JVM of {@link SigkillResumeTest}: trains the tiny model in {@code args[0]} for
 * {@code args[1]} steps with a checkpoint every {@code args[2]}, resuming from the newest
 * checkpoint there if there is one. Prints {@code training} once the engine is up.
 *
 * <pre>{@code
 * java -cp ... io.github.peft4j.train.KilledTrainingMain /tmp/run 40 3
 * }</pre>
 */
public final class KilledTrainingMain {

    private KilledTrainingMain() {}

    /** @param args output directory, max steps, save steps */
    public static void main(String[] args) {
        Path out = Path.of(args[0]);
        TrainingArguments a = TrainingArguments.builder(out).learningRate(5e-2).maxSteps(Integer.parseInt(args[1]))
                .perDeviceTrainBatchSize(4).warmupSteps(1).lrSchedulerType(LrSchedule.Type.COSINE)
                .saveSteps(Integer.parseInt(args[2])).logSteps(1).seed(7).build();
        try (HfTokenizer tokenizer = Fixtures.tinyTokenizer();
                NDManager m = NDManager.newBaseManager();
                PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 3)) {
            PeftTrainer trainer = PeftTrainer.builder().model(model).args(a)
                    .trainDataset(Corpus.dataset(TextTokenizer.of(tokenizer))).build();
            System.out.println("training");
            System.out.flush();
            Optional<Path> checkpoint = PeftTrainer.latestCheckpoint(out);
            if (checkpoint.isPresent()) {
                trainer.resume(checkpoint.get());
            } else {
                trainer.train();
            }
        }
        System.out.println("done");
    }
}
