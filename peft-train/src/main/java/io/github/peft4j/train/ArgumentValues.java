package io.github.peft4j.train;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.train.optim.DecayRule;
import io.github.peft4j.train.optim.LrSchedule;
import java.util.List;

/**
 * The values of {@link TrainingArguments} as {@code training_args.json} holds them: Hugging Face's
 * names and defaults, Python's JSON layout. The range checks are the builder's; every field is an
 * immutable value, so a shallow copy is a copy.
 */
@JsonAutoDetect(fieldVisibility = Visibility.ANY, getterVisibility = Visibility.NONE,
        isGetterVisibility = Visibility.NONE, setterVisibility = Visibility.NONE)
final class ArgumentValues implements Cloneable {

    @JsonProperty("output_dir")
    String outputDir;
    @JsonProperty("learning_rate")
    double learningRate = 5e-5;
    @JsonProperty("num_train_epochs")
    double numTrainEpochs = 3.0;
    @JsonProperty("max_steps")
    int maxSteps = -1;
    @JsonProperty("per_device_train_batch_size")
    int perDeviceTrainBatchSize = 8;
    @JsonProperty("per_device_eval_batch_size")
    int perDeviceEvalBatchSize = 8;
    @JsonProperty("gradient_accumulation_steps")
    int gradientAccumulationSteps = 1;
    @JsonProperty("gradient_checkpointing")
    boolean gradientCheckpointing;
    @JsonProperty("average_tokens_across_micro_batches")
    boolean averageTokensAcrossMicroBatches = true;
    @JsonProperty("warmup_steps")
    int warmupSteps;
    @JsonProperty("warmup_ratio")
    double warmupRatio;
    @JsonProperty("lr_scheduler_type")
    LrSchedule.Type lrSchedulerType = LrSchedule.Type.LINEAR;
    @JsonProperty("optim")
    OptimizerType optimizer = OptimizerType.ADAMW;
    @JsonProperty("adam_beta1")
    double adamBeta1 = 0.9;
    @JsonProperty("adam_beta2")
    double adamBeta2 = 0.999;
    @JsonProperty("adam_epsilon")
    double adamEpsilon = 1e-8;
    @JsonProperty("sgd_momentum")
    double sgdMomentum;
    @JsonProperty("weight_decay")
    double weightDecay;
    @JsonProperty("no_decay_patterns")
    List<String> noDecayPatterns = DecayRule.DEFAULT_EXCLUDED;
    @JsonProperty("max_grad_norm")
    double maxGradNorm = 1.0;
    @JsonProperty("seed")
    long seed = 42;
    @JsonProperty("shuffle")
    boolean shuffle = true;
    @JsonProperty("logging_steps")
    int logSteps = 10;
    @JsonProperty("eval_steps")
    int evalSteps;
    @JsonProperty("save_steps")
    int saveSteps = 500;
    @JsonProperty("save_total_limit")
    int saveTotalLimit;
    @JsonProperty("early_stopping_patience")
    int earlyStoppingPatience;
    @JsonProperty("early_stopping_threshold")
    double earlyStoppingThreshold;
    @JsonProperty("load_best_model_at_end")
    boolean loadBestModelAtEnd;
    @JsonProperty("max_forgetting")
    double maxForgetting;
    @JsonProperty("forgetting_patience")
    int forgettingPatience = 2;

    ArgumentValues copy() {
        try {
            return (ArgumentValues) clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    /** @return the values in Python's {@code indent=2, sort_keys=True} layout */
    String toJson() {
        return PythonJson.write(PythonJson.mapper().valueToTree(this)) + "\n";
    }

    /**
     * @param json a {@code training_args.json} text; missing keys keep their defaults, unknown keys
     *     are ignored
     * @return the values, unchecked
     * @throws PeftConfigException if the JSON does not parse or has no {@code output_dir}
     */
    static ArgumentValues fromJson(String json) {
        ArgumentValues v;
        try {
            v = PythonJson.mapper().readerFor(ArgumentValues.class)
                    .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(json);
        } catch (JsonProcessingException e) {
            throw new PeftConfigException("training arguments do not parse: " + e.getOriginalMessage());
        }
        if (v.outputDir == null) {
            throw new PeftConfigException("training arguments need output_dir");
        }
        return v;
    }
}
