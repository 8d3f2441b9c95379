package io.github.peft4j.train;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.train.optim.DecayRule;
import io.github.peft4j.train.optim.LrSchedule;
import java.nio.file.Path;
import java.util.List;

/**
 * The training hyper-parameters, named as in Hugging Face's {@code TrainingArguments} (camelCase
 * in Java, snake_case in {@code training_args.json}) and with its defaults unless noted.
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
@JsonAutoDetect(fieldVisibility = Visibility.ANY, getterVisibility = Visibility.NONE,
        isGetterVisibility = Visibility.NONE, setterVisibility = Visibility.NONE)
public final class TrainingArguments {

    @JsonProperty("output_dir")
    private String outputDir;
    @JsonProperty("learning_rate")
    private double learningRate = 5e-5;
    @JsonProperty("num_train_epochs")
    private double numTrainEpochs = 3.0;
    @JsonProperty("max_steps")
    private int maxSteps = -1;
    @JsonProperty("per_device_train_batch_size")
    private int perDeviceTrainBatchSize = 8;
    @JsonProperty("per_device_eval_batch_size")
    private int perDeviceEvalBatchSize = 8;
    @JsonProperty("gradient_accumulation_steps")
    private int gradientAccumulationSteps = 1;
    @JsonProperty("average_tokens_across_micro_batches")
    private boolean averageTokensAcrossMicroBatches = true;
    @JsonProperty("warmup_steps")
    private int warmupSteps;
    @JsonProperty("warmup_ratio")
    private double warmupRatio;
    @JsonProperty("lr_scheduler_type")
    private LrSchedule.Type lrSchedulerType = LrSchedule.Type.LINEAR;
    @JsonProperty("optim")
    private OptimizerType optimizer = OptimizerType.ADAMW;
    @JsonProperty("adam_beta1")
    private double adamBeta1 = 0.9;
    @JsonProperty("adam_beta2")
    private double adamBeta2 = 0.999;
    @JsonProperty("adam_epsilon")
    private double adamEpsilon = 1e-8;
    @JsonProperty("sgd_momentum")
    private double sgdMomentum;
    @JsonProperty("weight_decay")
    private double weightDecay;
    @JsonProperty("no_decay_patterns")
    private List<String> noDecayPatterns = DecayRule.DEFAULT_EXCLUDED;
    @JsonProperty("max_grad_norm")
    private double maxGradNorm = 1.0;
    @JsonProperty("seed")
    private long seed = 42;
    @JsonProperty("shuffle")
    private boolean shuffle = true;
    @JsonProperty("logging_steps")
    private int logSteps = 10;
    @JsonProperty("eval_steps")
    private int evalSteps;
    @JsonProperty("save_steps")
    private int saveSteps = 500;
    @JsonProperty("save_total_limit")
    private int saveTotalLimit;
    @JsonProperty("early_stopping_patience")
    private int earlyStoppingPatience;
    @JsonProperty("early_stopping_threshold")
    private double earlyStoppingThreshold;
    @JsonProperty("load_best_model_at_end")
    private boolean loadBestModelAtEnd;

    private TrainingArguments() {}

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
        b.a = copy();
        return b;
    }

    private TrainingArguments copy() {
        TrainingArguments c = new TrainingArguments();
        c.outputDir = outputDir;
        c.learningRate = learningRate;
        c.numTrainEpochs = numTrainEpochs;
        c.maxSteps = maxSteps;
        c.perDeviceTrainBatchSize = perDeviceTrainBatchSize;
        c.perDeviceEvalBatchSize = perDeviceEvalBatchSize;
        c.gradientAccumulationSteps = gradientAccumulationSteps;
        c.averageTokensAcrossMicroBatches = averageTokensAcrossMicroBatches;
        c.warmupSteps = warmupSteps;
        c.warmupRatio = warmupRatio;
        c.lrSchedulerType = lrSchedulerType;
        c.optimizer = optimizer;
        c.adamBeta1 = adamBeta1;
        c.adamBeta2 = adamBeta2;
        c.adamEpsilon = adamEpsilon;
        c.sgdMomentum = sgdMomentum;
        c.weightDecay = weightDecay;
        c.noDecayPatterns = noDecayPatterns;
        c.maxGradNorm = maxGradNorm;
        c.seed = seed;
        c.shuffle = shuffle;
        c.logSteps = logSteps;
        c.evalSteps = evalSteps;
        c.saveSteps = saveSteps;
        c.saveTotalLimit = saveTotalLimit;
        c.earlyStoppingPatience = earlyStoppingPatience;
        c.earlyStoppingThreshold = earlyStoppingThreshold;
        c.loadBestModelAtEnd = loadBestModelAtEnd;
        return c;
    }

    /**
     * @return the arguments as {@code training_args.json} holds them (HF names, Python's
     *     {@code indent=2, sort_keys=True} layout)
     */
    public String toJson() {
        return PythonJson.write(PythonJson.mapper().valueToTree(this)) + "\n";
    }

    /**
     * @param json a {@code training_args.json} text; missing keys keep their defaults
     * @return the arguments, checked as the builder checks them
     * @throws PeftConfigException if a value is out of range or the JSON does not parse
     */
    public static TrainingArguments fromJson(String json) {
        TrainingArguments a;
        try {
            a = PythonJson.mapper().readerFor(TrainingArguments.class)
                    .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(json);
        } catch (JsonProcessingException e) {
            throw new PeftConfigException("training arguments do not parse: " + e.getOriginalMessage());
        }
        if (a.outputDir == null) {
            throw new PeftConfigException("training arguments need output_dir");
        }
        return a.checked();
    }

    // runs every value through the builder's checks
    private TrainingArguments checked() {
        return new Builder(outputDir()).learningRate(learningRate).numTrainEpochs(numTrainEpochs).maxSteps(maxSteps)
                .perDeviceTrainBatchSize(perDeviceTrainBatchSize).perDeviceEvalBatchSize(perDeviceEvalBatchSize)
                .gradientAccumulationSteps(gradientAccumulationSteps)
                .averageTokensAcrossMicroBatches(averageTokensAcrossMicroBatches).warmupSteps(warmupSteps)
                .warmupRatio(warmupRatio).lrSchedulerType(lrSchedulerType).optimizer(optimizer)
                .adamBetas(adamBeta1, adamBeta2).adamEpsilon(adamEpsilon).sgdMomentum(sgdMomentum)
                .weightDecay(weightDecay).noDecayPatterns(noDecayPatterns).maxGradNorm(maxGradNorm).seed(seed)
                .shuffle(shuffle).logSteps(logSteps).evalSteps(evalSteps).saveSteps(saveSteps)
                .saveTotalLimit(saveTotalLimit).earlyStoppingPatience(earlyStoppingPatience)
                .earlyStoppingThreshold(earlyStoppingThreshold).loadBestModelAtEnd(loadBestModelAtEnd).build();
    }

    /** @return the output directory */
    @JsonIgnore
    public Path outputDir() {
        return Path.of(outputDir);
    }

    /** @return the peak learning rate */
    public double learningRate() {
        return learningRate;
    }

    /** @return epochs to train when {@link #maxSteps()} is not set */
    public double numTrainEpochs() {
        return numTrainEpochs;
    }

    /** @return optimizer steps to train, or -1 to derive them from the epochs */
    public int maxSteps() {
        return maxSteps;
    }

    /** @return rows per micro-batch */
    public int perDeviceTrainBatchSize() {
        return perDeviceTrainBatchSize;
    }

    /** @return rows per evaluation batch */
    public int perDeviceEvalBatchSize() {
        return perDeviceEvalBatchSize;
    }

    /** @return micro-batches per optimizer step */
    public int gradientAccumulationSteps() {
        return gradientAccumulationSteps;
    }

    /**
     * @return whether micro-batch losses are weighted by their share of the step's scored tokens
     *     (HF's {@code num_items_in_batch}, exact equivalence with one big batch) rather than
     *     divided by the number of micro-batches
     */
    public boolean averageTokensAcrossMicroBatches() {
        return averageTokensAcrossMicroBatches;
    }

    /** @return warmup steps (wins over the ratio when set) */
    public int warmupSteps() {
        return warmupSteps;
    }

    /** @return warmup as a share of all steps */
    public double warmupRatio() {
        return warmupRatio;
    }

    /**
     * @param totalSteps all optimizer steps of the run
     * @return the warmup steps in effect ({@code ceil(ratio * total)} when no step count is set)
     */
    public int warmupSteps(int totalSteps) {
        return warmupSteps > 0 ? warmupSteps : (int) Math.ceil(warmupRatio * totalSteps);
    }

    /** @return the schedule after warmup */
    public LrSchedule.Type lrSchedulerType() {
        return lrSchedulerType;
    }

    /** @return the optimizer */
    public OptimizerType optimizer() {
        return optimizer;
    }

    /** @return AdamW's beta1 */
    public double adamBeta1() {
        return adamBeta1;
    }

    /** @return AdamW's beta2 */
    public double adamBeta2() {
        return adamBeta2;
    }

    /** @return AdamW's epsilon */
    public double adamEpsilon() {
        return adamEpsilon;
    }

    /** @return SGD's momentum */
    public double sgdMomentum() {
        return sgdMomentum;
    }

    /** @return the weight decay */
    public double weightDecay() {
        return weightDecay;
    }

    /** @return patterns of parameter keys exempt from weight decay */
    public List<String> noDecayPatterns() {
        return noDecayPatterns;
    }

    /** @return the global gradient-norm bound, {@code <= 0} for none */
    public double maxGradNorm() {
        return maxGradNorm;
    }

    /** @return the seed of data order and dropout */
    public long seed() {
        return seed;
    }

    /** @return whether each epoch visits the training data in a new seeded order */
    public boolean shuffle() {
        return shuffle;
    }

    /** @return steps between log lines */
    public int logSteps() {
        return logSteps;
    }

    /** @return steps between evaluations, 0 for none */
    public int evalSteps() {
        return evalSteps;
    }

    /** @return steps between checkpoints, 0 for none */
    public int saveSteps() {
        return saveSteps;
    }

    /** @return checkpoints kept, 0 for all */
    public int saveTotalLimit() {
        return saveTotalLimit;
    }

    /** @return evaluations without improvement before stopping, 0 for never */
    public int earlyStoppingPatience() {
        return earlyStoppingPatience;
    }

    /** @return the decrease of eval loss that counts as an improvement */
    public double earlyStoppingThreshold() {
        return earlyStoppingThreshold;
    }

    /** @return whether the weights of the best evaluation are restored at the end */
    public boolean loadBestModelAtEnd() {
        return loadBestModelAtEnd;
    }

    /** Builds {@link TrainingArguments}; setters check their argument. */
    public static final class Builder {
        private TrainingArguments a = new TrainingArguments();

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
            require(v >= 1, "per_device_train_batch_size must be >= 1, got " + v);
            a.perDeviceTrainBatchSize = v;
            return this;
        }

        /** @param v rows per evaluation batch, {@code >= 1} @return this */
        public Builder perDeviceEvalBatchSize(int v) {
            require(v >= 1, "per_device_eval_batch_size must be >= 1, got " + v);
            a.perDeviceEvalBatchSize = v;
            return this;
        }

        /** @param v micro-batches per step, {@code >= 1} @return this */
        public Builder gradientAccumulationSteps(int v) {
            require(v >= 1, "gradient_accumulation_steps must be >= 1, got " + v);
            a.gradientAccumulationSteps = v;
            return this;
        }

        /** @param v weight micro-batches by scored tokens (default) or divide by their number @return this */
        public Builder averageTokensAcrossMicroBatches(boolean v) {
            a.averageTokensAcrossMicroBatches = v;
            return this;
        }

        /** @param v warmup steps, {@code >= 0} @return this */
        public Builder warmupSteps(int v) {
            require(v >= 0, "warmup_steps must be >= 0, got " + v);
            a.warmupSteps = v;
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
            require(v >= 0, "adam_epsilon must be >= 0, got " + v);
            a.adamEpsilon = v;
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
            require(v >= 1, "logging_steps must be >= 1, got " + v);
            a.logSteps = v;
            return this;
        }

        /** @param v steps between evaluations, 0 for none @return this */
        public Builder evalSteps(int v) {
            require(v >= 0, "eval_steps must be >= 0, got " + v);
            a.evalSteps = v;
            return this;
        }

        /** @param v steps between checkpoints, 0 for none @return this */
        public Builder saveSteps(int v) {
            require(v >= 0, "save_steps must be >= 0, got " + v);
            a.saveSteps = v;
            return this;
        }

        /** @param v checkpoints kept, 0 for all @return this */
        public Builder saveTotalLimit(int v) {
            require(v >= 0, "save_total_limit must be >= 0, got " + v);
            a.saveTotalLimit = v;
            return this;
        }

        /** @param v evaluations without improvement before stopping, 0 for never @return this */
        public Builder earlyStoppingPatience(int v) {
            require(v >= 0, "early_stopping_patience must be >= 0, got " + v);
            a.earlyStoppingPatience = v;
            return this;
        }

        /** @param v the eval-loss decrease that counts as improvement, {@code >= 0} @return this */
        public Builder earlyStoppingThreshold(double v) {
            require(v >= 0, "early_stopping_threshold must be >= 0, got " + v);
            a.earlyStoppingThreshold = v;
            return this;
        }

        /** @param v restore the best evaluation's weights at the end @return this */
        public Builder loadBestModelAtEnd(boolean v) {
            a.loadBestModelAtEnd = v;
            return this;
        }

        /** @return the arguments */
        public TrainingArguments build() {
            if (a.earlyStoppingPatience > 0 && a.evalSteps == 0) {
                throw new PeftConfigException("early_stopping_patience needs eval_steps > 0 and an eval dataset");
            }
            if (a.loadBestModelAtEnd && a.evalSteps == 0) {
                throw new PeftConfigException("load_best_model_at_end needs eval_steps > 0 and an eval dataset");
            }
            return a.copy();
        }
    }
}
