package io.github.peft4j.cli;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.optim.LrSchedule;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The trainer's settings of {@code peft4j train}, named as Hugging Face's {@code TrainingArguments}
 * name them ({@code --gradient-accumulation-steps} is {@code gradient_accumulation_steps}); the
 * short names the command always had ({@code --steps}, {@code --lr}, {@code --batch}) stay.
 *
 * <pre>{@code
 * peft4j train --steps 400 --eval-steps 50 --early-stopping-patience 3 --load-best-model-at-end \
 *              --gradient-accumulation-steps 4 --warmup-steps 20 --lr-scheduler-type linear --weight-decay 0.01
 * peft4j train --eval-steps 25 --max-forgetting 1.5     # best step with general text within 1.5x the base
 * }</pre>
 */
final class TrainerOptions {

    @Option(names = {"--steps", "--max-steps"}, description = "optimizer steps (default: ${DEFAULT-VALUE})")
    int steps = 200;

    @Option(names = {"--lr", "--learning-rate"},
            description = "peak learning rate (default: per method, " + Methods.DEFAULT_LRS + ")")
    Double lr;

    @Option(names = {"--batch", "--per-device-train-batch-size"},
            description = "examples per micro-batch (default: ${DEFAULT-VALUE})")
    int batch = 8;

    @Option(names = "--gradient-accumulation-steps",
            description = "micro-batches per optimizer step; a step sees batch x this many examples"
                    + " (default: ${DEFAULT-VALUE})")
    int gradientAccumulationSteps = 1;

    @Option(names = "--gradient-checkpointing", description = "keep only each decoder layer's input and recompute"
            + " the layers in backward: the activations of one layer instead of all, for about one more forward pass")
    boolean gradientCheckpointing;

    @Option(names = "--lr-scheduler-type", description = "constant, linear or cosine (default: ${DEFAULT-VALUE})")
    String lrSchedulerType = "cosine";

    @Option(names = "--warmup-ratio", description = "warmup as a share of the steps (default: ${DEFAULT-VALUE})")
    double warmupRatio = 0.1;

    @Option(names = "--warmup-steps", description = "warmup steps; wins over --warmup-ratio when > 0"
            + " (default: ${DEFAULT-VALUE})")
    int warmupSteps;

    @Option(names = "--weight-decay", description = "AdamW weight decay, not applied to biases and norms"
            + " (default: ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--max-grad-norm", description = "clip the global gradient norm; 0 for none"
            + " (default: ${DEFAULT-VALUE})")
    double maxGradNorm = 1.0;

    @Option(names = "--seed", description = "seed of the adapter's initialisation, data order and dropout"
            + " (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--logging-steps", description = "steps between metrics.jsonl lines (default: ${DEFAULT-VALUE})")
    int loggingSteps = 5;

    @Option(names = "--eval-steps", description = "evaluate on the --eval data every N steps; 0 for only before and"
            + " after training (default: ${DEFAULT-VALUE})")
    int evalSteps;

    @Option(names = "--early-stopping-patience", description = "stop after N evaluations without improvement;"
            + " needs --eval-steps (default: ${DEFAULT-VALUE}, never)")
    int earlyStoppingPatience;

    @Option(names = "--early-stopping-threshold", description = "the eval-loss decrease that counts as an"
            + " improvement (default: ${DEFAULT-VALUE})")
    double earlyStoppingThreshold;

    @Option(names = "--load-best-model-at-end", description = "end with the weights of the best evaluation;"
            + " needs --eval-steps")
    boolean loadBestModelAtEnd;

    @Option(names = "--metric-for-best-model", description = "what --load-best-model-at-end and early stopping"
            + " compare: eval_loss, the only one the trainer computes during training (default: ${DEFAULT-VALUE})")
    String metricForBestModel = "eval_loss";

    @Option(names = "--max-forgetting", paramLabel = "R", description = "forgetting budget: the general-text"
            + " perplexity may reach R times the base model's; the best evaluation within it is kept and loaded at the"
            + " end, and training stops after --forgetting-patience evaluations over it; 0 for none; needs --eval-steps"
            + " and --general-eval (default: ${DEFAULT-VALUE})")
    double maxForgetting;

    @Option(names = "--forgetting-patience", paramLabel = "K", description = "evaluations in a row over"
            + " --max-forgetting before training stops (default: ${DEFAULT-VALUE})")
    int forgettingPatience = 2;

    @Option(names = "--save-steps", description = "steps between checkpoints; the last step is always saved"
            + " (default: max(10, steps / 4))")
    Integer saveSteps;

    @Option(names = "--save-total-limit", description = "checkpoints kept (default: ${DEFAULT-VALUE})")
    int saveTotalLimit = 1;

    /**
     * @param method the method, for its default learning rate
     * @param out the run directory
     * @return the run's training arguments
     * @throws UserError for a value the trainer refuses, naming the option
     */
    TrainingArguments arguments(String method, Path out) {
        if (!metricForBestModel.equals("eval_loss") && !metricForBestModel.equals("loss")) {
            throw new UserError("--metric-for-best-model " + metricForBestModel
                    + ": the trainer evaluates eval_loss only during training");
        }
        if ((earlyStoppingPatience > 0 || loadBestModelAtEnd || maxForgetting > 0) && evalSteps <= 0) {
            throw new UserError((earlyStoppingPatience > 0 ? "--early-stopping-patience"
                    : loadBestModelAtEnd ? "--load-best-model-at-end" : "--max-forgetting")
                    + " needs --eval-steps N (it compares the evaluations made every N steps)");
        }
        try {
            return TrainingArguments.builder(out)
                    .maxSteps(steps).learningRate(lr != null ? lr : Methods.defaultLearningRate(method))
                    .perDeviceTrainBatchSize(batch).perDeviceEvalBatchSize(16)
                    .gradientAccumulationSteps(gradientAccumulationSteps).gradientCheckpointing(gradientCheckpointing)
                    .lrSchedulerType(schedule()).warmupRatio(warmupRatio).warmupSteps(warmupSteps)
                    .weightDecay(weightDecay).maxGradNorm(maxGradNorm).seed(seed).logSteps(loggingSteps)
                    .evalSteps(evalSteps).earlyStoppingPatience(earlyStoppingPatience)
                    .earlyStoppingThreshold(earlyStoppingThreshold).loadBestModelAtEnd(loadBestModelAtEnd)
                    .maxForgetting(maxForgetting).forgettingPatience(forgettingPatience)
                    .saveSteps(saveSteps != null ? saveSteps : Math.max(10, steps / 4)).saveTotalLimit(saveTotalLimit)
                    .build();
        } catch (PeftConfigException e) {
            // the builder names the Hugging Face key: name the option the user typed
            throw new UserError("--" + optionOf(e.getMessage()) + ": " + e.getMessage());
        }
    }

    private LrSchedule.Type schedule() {
        try {
            return LrSchedule.Type.valueOf(lrSchedulerType.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("unknown --lr-scheduler-type " + lrSchedulerType + "; expected constant, linear or cosine");
        }
    }

    private static String optionOf(String message) {
        String key = message.split(" ", 2)[0];
        return switch (key) {
            case "max_steps" -> "steps";
            case "learning_rate" -> "lr";
            case "per_device_train_batch_size" -> "batch";
            case "logging_steps" -> "logging-steps";
            default -> key.replace('_', '-');
        };
    }
}
