package io.github.peft4j.train;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.optim.LrSchedule;
import java.nio.file.Path;
import java.util.List;

/**
 * The training hyper-parameters, named as in Hugging Face's {@code TrainingArguments} (camelCase
 * in Java, snake_case in {@code training_args.json}) and with its defaults unless noted. This class
 * reads them and builds them with range checks; {@link ArgumentValues} holds their names, defaults
 * and JSON form.
 *
 * <pre>{@code
 * TrainingArguments args = TrainingArguments.builder(Path.of("out/support-lora"))
 *         .learningRate(2e-4)
 *         .numTrainEpochs(3)
 *         .perDeviceTrainBatchSize(8)
 *         .gradientAccumulationSteps(4)
 *         .warmupSteps(20)
 *         .lrSchedulerType(LrSchedule.Type.COSINE)
 *         .evalSteps(50).saveSteps(100).saveTotalLimit(2)
 *         .earlyStoppingPatience(3)
 *         .build();
 * }</pre>
 */
public final class TrainingArguments {

    private final ArgumentValues v;

    private TrainingArguments(ArgumentValues values) {
        this.v = values;
    }

    /**
     * @param outputDir where checkpoints, the final adapter, metrics and the plot go
     * @return a builder with the Hugging Face defaults
     */
    public static Builder builder(Path outputDir) {
        return new Builder(outputDir);
    }

    /** @return a builder starting from these arguments */
    public Builder toBuilder() {
        Builder b = new Builder(outputDir());
        b.a = v.copy();
        return b;
    }

    /**
     * @return the arguments as {@code training_args.json} holds them (HF names, Python's
     *     {@code indent=2, sort_keys=True} layout)
     */
    public String toJson() {
        return v.toJson();
    }

    /**
     * @param json a {@code training_args.json} text; missing keys keep their defaults
     * @return the arguments, checked as the builder checks them
     * @throws PeftConfigException if a value is out of range or the JSON does not parse
     */
    public static TrainingArguments fromJson(String json) {
        ArgumentValues parsed = ArgumentValues.fromJson(json);
        return new TrainingArguments(parsed).checked();
    }

    // runs every value through the builder's checks
    private TrainingArguments checked() {
        return new Builder(outputDir()).learningRate(v.learningRate).numTrainEpochs(v.numTrainEpochs)
                .maxSteps(v.maxSteps).perDeviceTrainBatchSize(v.perDeviceTrainBatchSize)
                .perDeviceEvalBatchSize(v.perDeviceEvalBatchSize).gradientAccumulationSteps(v.gradientAccumulationSteps)
                .averageTokensAcrossMicroBatches(v.averageTokensAcrossMicroBatches)
                .gradientCheckpointing(v.gradientCheckpointing).warmupSteps(v.warmupSteps)
                .warmupRatio(v.warmupRatio).lrSchedulerType(v.lrSchedulerType).optimizer(v.optimizer)
                .adamBetas(v.adamBeta1, v.adamBeta2).adamEpsilon(v.adamEpsilon).sgdMomentum(v.sgdMomentum)
                .weightDecay(v.weightDecay).noDecayPatterns(v.noDecayPatterns).maxGradNorm(v.maxGradNorm).seed(v.seed)
                .shuffle(v.shuffle).logSteps(v.logSteps).evalSteps(v.evalSteps).saveSteps(v.saveSteps)
                .saveTotalLimit(v.saveTotalLimit).earlyStoppingPatience(v.earlyStoppingPatience)
                .earlyStoppingThreshold(v.earlyStoppingThreshold).loadBestModelAtEnd(v.loadBestModelAtEnd)
                .maxForgetting(v.maxForgetting).forgettingPatience(v.forgettingPatience).build();
    }

    /** @return the output directory */
    public Path outputDir() {
        return Path.of(v.outputDir);
    }

    /** @return the peak learning rate */
    public double learningRate() {
        return v.learningRate;
    }

    /** @return epochs to train when {@link #maxSteps()} is not set */
    public double numTrainEpochs() {
        return v.numTrainEpochs;
    }

    /** @return optimizer steps to train, or -1 to derive them from the epochs */
    public int maxSteps() {
        return v.maxSteps;
    }

    /** @return rows per micro-batch */
    public int perDeviceTrainBatchSize() {
        return v.perDeviceTrainBatchSize;
    }

    /** @return rows per evaluation batch */
    public int perDeviceEvalBatchSize() {
        return v.perDeviceEvalBatchSize;
    }

    /** @return micro-batches per optimizer step */
    public int gradientAccumulationSteps() {
        return v.gradientAccumulationSteps;
    }

    /**
     * @return whether micro-batch losses are weighted by their share of the step's scored tokens
     *     (HF's {@code num_items_in_batch}, exact equivalence with one big batch) rather than
     *     divided by the number of micro-batches
     */
    public boolean averageTokensAcrossMicroBatches() {
        return v.averageTokensAcrossMicroBatches;
    }

    /**
     * @return whether training forwards keep only each decoder layer's input and backward recomputes
     *     the layers (HF's {@code gradient_checkpointing}): the saved activations of one layer instead
     *     of all, for about one more forward pass per step
     */
    public boolean gradientCheckpointing() {
        return v.gradientCheckpointing;
    }

    /** @return warmup steps (wins over the ratio when set) */
    public int warmupSteps() {
        return v.warmupSteps;
    }

    /** @return warmup as a share of all steps */
    public double warmupRatio() {
        return v.warmupRatio;
    }

    /**
     * @param totalSteps all optimizer steps of the run
     * @return the warmup steps in effect ({@code ceil(ratio * total)} when no step count is set)
     */
    public int warmupSteps(int totalSteps) {
        return v.warmupSteps > 0 ? v.warmupSteps : (int) Math.ceil(v.warmupRatio * totalSteps);
    }

    /** @return the schedule after warmup */
    public LrSchedule.Type lrSchedulerType() {
        return v.lrSchedulerType;
    }

    /** @return the optimizer */
    public OptimizerType optimizer() {
        return v.optimizer;
    }

    /** @return AdamW's beta1 */
    public double adamBeta1() {
        return v.adamBeta1;
    }

    /** @return AdamW's beta2 */
    public double adamBeta2() {
        return v.adamBeta2;
    }

    /** @return AdamW's epsilon */
    public double adamEpsilon() {
        return v.adamEpsilon;
    }

    /** @return SGD's momentum */
    public double sgdMomentum() {
        return v.sgdMomentum;
    }

    /** @return the weight decay */
    public double weightDecay() {
        return v.weightDecay;
    }

    /** @return patterns of parameter keys exempt from weight decay */
    public List<String> noDecayPatterns() {
        return v.noDecayPatterns;
    }

    /** @return the global gradient-norm bound, {@code <= 0} for none */
    public double maxGradNorm() {
        return v.maxGradNorm;
    }

    /** @return the seed of data order and dropout */
    public long seed() {
        return v.seed;
    }

    /** @return whether each epoch visits the training data in a new seeded order */
    public boolean shuffle() {
        return v.shuffle;
    }

    /** @return steps between log lines */
    public int logSteps() {
        return v.logSteps;
    }

    /** @return steps between evaluations, 0 for none */
    public int evalSteps() {
        return v.evalSteps;
    }

    /** @return steps between checkpoints, 0 for none */
    public int saveSteps() {
        return v.saveSteps;
    }

    /** @return checkpoints kept, 0 for all */
    public int saveTotalLimit() {
        return v.saveTotalLimit;
    }

    /** @return evaluations without improvement before stopping, 0 for never */
    public int earlyStoppingPatience() {
        return v.earlyStoppingPatience;
    }

    /** @return the decrease of eval loss that counts as an improvement */
    public double earlyStoppingThreshold() {
        return v.earlyStoppingThreshold;
    }

    /** @return whether the weights of the best evaluation are restored at the end */
    public boolean loadBestModelAtEnd() {
        return v.loadBestModelAtEnd;
    }

    /**
     * @return the forgetting budget: the largest general-text perplexity, as a multiple of the base
     *     model's, that an evaluation may reach and still be chosen as the best; 0 for no budget
     */
    public double maxForgetting() {
        return v.maxForgetting;
    }

    /** @return consecutive evaluations over the forgetting budget before training stops */
    public int forgettingPatience() {
        return v.forgettingPatience;
    }

    /** Builds {@link TrainingArguments}; setters check their argument. */
    public static final class Builder {
        private ArgumentValues a = new ArgumentValues();

        private Builder(Path outputDir) {
            if (outputDir == null) {
                throw new PeftConfigException("output_dir must be set");
            }
            a.outputDir = outputDir.toString();
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new PeftConfigException(message);
            }
        }

        private static int atLeast(String key, int v, int min) {
            require(v >= min, key + " must be >= " + min + ", got " + v);
            return v;
        }

        private static double atLeast(String key, double v, int min) {
            require(v >= min, key + " must be >= " + min + ", got " + v);
            return v;
        }

        /** @param dir the output directory @return this */
        public Builder outputDir(Path dir) {
            require(dir != null, "output_dir must be set");
            a.outputDir = dir.toString();
            return this;
        }

        /** @param v the peak learning rate, finite and {@code >= 0} @return this */
        public Builder learningRate(double v) {
            require(v >= 0 && Double.isFinite(v), "learning_rate must be finite and >= 0, got " + v);
            a.learningRate = v;
            return this;
        }

        /** @param v epochs, {@code > 0} @return this */
        public Builder numTrainEpochs(double v) {
            require(v > 0 && Double.isFinite(v), "num_train_epochs must be > 0, got " + v);
            a.numTrainEpochs = v;
            return this;
        }

        /** @param v optimizer steps, {@code > 0}, or -1 to use epochs @return this */
        public Builder maxSteps(int v) {
            require(v > 0 || v == -1, "max_steps must be > 0 (or -1 for epochs), got " + v);
            a.maxSteps = v;
            return this;
        }

        /** @param v rows per micro-batch, {@code >= 1} @return this */
        public Builder perDeviceTrainBatchSize(int v) {
            a.perDeviceTrainBatchSize = atLeast("per_device_train_batch_size", v, 1);
            return this;
        }

        /** @param v rows per evaluation batch, {@code >= 1} @return this */
        public Builder perDeviceEvalBatchSize(int v) {
            a.perDeviceEvalBatchSize = atLeast("per_device_eval_batch_size", v, 1);
            return this;
        }

        /** @param v micro-batches per step, {@code >= 1} @return this */
        public Builder gradientAccumulationSteps(int v) {
            a.gradientAccumulationSteps = atLeast("gradient_accumulation_steps", v, 1);
            return this;
        }

        /** @param v weight micro-batches by scored tokens (default) or divide by their number @return this */
        public Builder averageTokensAcrossMicroBatches(boolean v) {
            a.averageTokensAcrossMicroBatches = v;
            return this;
        }

        /**
         * @param v recompute the decoder layers in backward instead of keeping their activations
         *     (default off) @return this
         */
        public Builder gradientCheckpointing(boolean v) {
            a.gradientCheckpointing = v;
            return this;
        }

        /** @param v warmup steps, {@code >= 0} @return this */
        public Builder warmupSteps(int v) {
            a.warmupSteps = atLeast("warmup_steps", v, 0);
            return this;
        }

        /** @param v warmup share of all steps, in [0, 1] @return this */
        public Builder warmupRatio(double v) {
            require(v >= 0 && v <= 1, "warmup_ratio must be in [0, 1], got " + v);
            a.warmupRatio = v;
            return this;
        }

        /** @param v the schedule @return this */
        public Builder lrSchedulerType(LrSchedule.Type v) {
            require(v != null, "lr_scheduler_type must be set");
            a.lrSchedulerType = v;
            return this;
        }

        /** @param v the optimizer @return this */
        public Builder optimizer(OptimizerType v) {
            require(v != null, "optim must be set");
            a.optimizer = v;
            return this;
        }

        /** @param beta1 in [0, 1) @param beta2 in [0, 1) @return this */
        public Builder adamBetas(double beta1, double beta2) {
            require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
                    "adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
            a.adamBeta1 = beta1;
            a.adamBeta2 = beta2;
            return this;
        }

        /** @param v AdamW's epsilon, {@code >= 0} @return this */
        public Builder adamEpsilon(double v) {
            a.adamEpsilon = atLeast("adam_epsilon", v, 0);
            return this;
        }

        /** @param v SGD momentum in [0, 1) @return this */
        public Builder sgdMomentum(double v) {
            require(v >= 0 && v < 1, "sgd_momentum must be in [0, 1), got " + v);
            a.sgdMomentum = v;
            return this;
        }

        /** @param v weight decay, {@code >= 0} @return this */
        public Builder weightDecay(double v) {
            require(v >= 0 && Double.isFinite(v), "weight_decay must be >= 0, got " + v);
            a.weightDecay = v;
            return this;
        }

        /** @param patterns regular expressions of parameter keys without weight decay @return this */
        public Builder noDecayPatterns(List<String> patterns) {
            a.noDecayPatterns = List.copyOf(patterns);
            return this;
        }

        /** @param v global gradient-norm bound, {@code <= 0} for none @return this */
        public Builder maxGradNorm(double v) {
            require(!Double.isNaN(v), "max_grad_norm must be a number");
            a.maxGradNorm = v;
            return this;
        }

        /** @param v the seed @return this */
        public Builder seed(long v) {
            a.seed = v;
            return this;
        }

        /** @param v shuffle each epoch (default) @return this */
        public Builder shuffle(boolean v) {
            a.shuffle = v;
            return this;
        }

        /** @param v steps between log lines, {@code >= 1} @return this */
        public Builder logSteps(int v) {
            a.logSteps = atLeast("logging_steps", v, 1);
            return this;
        }

        /** @param v steps between evaluations, 0 for none @return this */
        public Builder evalSteps(int v) {
            a.evalSteps = atLeast("eval_steps", v, 0);
            return this;
        }

        /** @param v steps between checkpoints, 0 for none @return this */
        public Builder saveSteps(int v) {
            a.saveSteps = atLeast("save_steps", v, 0);
            return this;
        }

        /** @param v checkpoints kept, 0 for all @return this */
        public Builder saveTotalLimit(int v) {
            a.saveTotalLimit = atLeast("save_total_limit", v, 0);
            return this;
        }

        /** @param v evaluations without improvement before stopping, 0 for never @return this */
        public Builder earlyStoppingPatience(int v) {
            a.earlyStoppingPatience = atLeast("early_stopping_patience", v, 0);
            return this;
        }

        /** @param v the eval-loss decrease that counts as improvement, {@code >= 0} @return this */
        public Builder earlyStoppingThreshold(double v) {
            a.earlyStoppingThreshold = atLeast("early_stopping_threshold", v, 0);
            return this;
        }

        /** @param v restore the best evaluation's weights at the end @return this */
        public Builder loadBestModelAtEnd(boolean v) {
            a.loadBestModelAtEnd = v;
            return this;
        }

        /**
         * @param v the forgetting budget (general-text perplexity / the base's), {@code 0} for none or
         *     {@code >= 1}; the best checkpoint is chosen among evaluations within it and loaded at the end
         * @return this
         */
        public Builder maxForgetting(double v) {
            if (!(v == 0 || v >= 1) || !Double.isFinite(v)) {
                throw new PeftConfigException("max_forgetting must be 0 (no budget) or >= 1, got " + v);
            }
            a.maxForgetting = v;
            return this;
        }

        /** @param v evaluations in a row over the forgetting budget before stopping, {@code >= 1} @return this */
        public Builder forgettingPatience(int v) {
            a.forgettingPatience = atLeast("forgetting_patience", v, 1);
            return this;
        }

        /** @return the arguments */
        public TrainingArguments build() {
            if (a.maxForgetting > 0 && a.evalSteps == 0) {
                throw new PeftConfigException("max_forgetting needs eval_steps > 0, an eval dataset and a general"
                        + " dataset");
            }
            if (a.earlyStoppingPatience > 0 && a.evalSteps == 0) {
                throw new PeftConfigException("early_stopping_patience needs eval_steps > 0 and an eval dataset");
            }
            if (a.loadBestModelAtEnd && a.evalSteps == 0) {
                throw new PeftConfigException("load_best_model_at_end needs eval_steps > 0 and an eval dataset");
            }
            return new TrainingArguments(a.copy());
        }
    }
}
