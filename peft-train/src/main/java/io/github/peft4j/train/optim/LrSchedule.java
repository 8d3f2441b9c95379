package io.github.peft4j.train.optim;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.PeftConfigException;

/**
 * Learning-rate schedules of the Hugging Face Trainer ({@code transformers.optimization}), each
 * with linear warmup from 0. The rate for the update that follows {@code step} completed updates is
 * {@code baseLr * factor(step)}, so with warmup the very first update uses rate 0, as in HF.
 *
 * <pre>{@code
 * LrSchedule s = LrSchedule.of(LrSchedule.Type.COSINE, 2e-4, 10, 100);
 * double lr = s.learningRate(step);
 * }</pre>
 *
 * @param type the shape after warmup
 * @param baseLearningRate the peak rate
 * @param warmupSteps steps of linear warmup
 * @param totalSteps the number of updates of the whole run
 */
public record LrSchedule(Type type, double baseLearningRate, int warmupSteps, int totalSteps) {

    /** The schedule's shape after warmup. */
    public enum Type {
        /** HF {@code constant_with_warmup} (plain {@code constant} when warmup is 0). */
        @JsonProperty("constant")
        CONSTANT,
        /** HF {@code linear}: decays linearly to 0 at the last step. */
        @JsonProperty("linear")
        LINEAR,
        /** HF {@code cosine} with half a cycle: decays to 0 along a cosine. */
        @JsonProperty("cosine")
        COSINE
    }

    /** Checks the fields. */
    public LrSchedule {
        if (type == null) {
            throw new PeftConfigException("lr_scheduler_type must be set");
        }
        if (!(baseLearningRate >= 0) || Double.isInfinite(baseLearningRate)) {
            throw new PeftConfigException("learning_rate must be a finite number >= 0, got " + baseLearningRate);
        }
        if (warmupSteps < 0 || totalSteps < 0) {
            throw new PeftConfigException("warmup_steps and the number of steps must be >= 0, got "
                    + warmupSteps + " and " + totalSteps);
        }
    }

    /**
     * @param type the shape
     * @param baseLearningRate the peak rate
     * @param warmupSteps steps of warmup
     * @param totalSteps all steps
     * @return the schedule
     */
    public static LrSchedule of(Type type, double baseLearningRate, int warmupSteps, int totalSteps) {
        return new LrSchedule(type, baseLearningRate, warmupSteps, totalSteps);
    }

    /**
     * @param step the number of updates already applied (0 for the first update)
     * @return the multiplier of the base rate
     */
    public double factor(int step) {
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        return switch (type) {
            case CONSTANT -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE -> {
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
        };
    }

    /**
     * @param step the number of updates already applied
     * @return the learning rate of the next update
     */
    public double learningRate(int step) {
        return baseLearningRate * factor(step);
    }
}
