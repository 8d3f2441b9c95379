package io.github.peft4j.train;

import io.github.peft4j.train.eval.EvalResult;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The one observer of a training run (a progress bar, a service reporting metrics, a job system
 * that can cancel), as HF's {@code TrainerCallback}. Every method has an empty default; callbacks
 * run on the training thread, in the order they were added. The library never prints: a
 * command-line tool adds a {@link ConsoleProgressBar}.
 *
 * <pre>{@code
 * PeftTrainer.builder()...callback(new TrainerCallback() {
 *     public void onLog(TrainerState s, Map<String, Object> logs, TrainerControl c) { metrics.publish(logs); }
 *     public void onStepEnd(TrainerState s, TrainerControl c) { if (job.cancelled()) c.stop("cancelled"); }
 * }).callback(new ConsoleProgressBar(System.err))
 *   .callback(TrainerCallback.onProgress(p -> ui.show(p.step(), p.maxSteps())));
 * }</pre>
 */
public interface TrainerCallback {

    /**
     * @param state the state at the start (step 0, or the resumed step)
     * @param control to stop before the first step
     */
    default void onTrainBegin(TrainerState state, TrainerControl control) {}

    /**
     * @param state the state after the optimizer step
     * @param control to stop, evaluate or save
     */
    default void onStepEnd(TrainerState state, TrainerControl control) {}

    /**
     * @param state the state
     * @param logs the line just written to {@code metrics.jsonl}
     * @param control to stop, evaluate or save
     */
    default void onLog(TrainerState state, Map<String, Object> logs, TrainerControl control) {}

    /**
     * @param state the state
     * @param metrics the evaluation just made
     * @param control to stop or save
     */
    default void onEvaluate(TrainerState state, EvalResult metrics, TrainerControl control) {}

    /**
     * @param state the state
     * @param checkpoint the checkpoint directory just written
     */
    default void onSave(TrainerState state, Path checkpoint) {}

    /**
     * @param state the final state
     * @param result the result (the final adapter is written)
     */
    default void onTrainEnd(TrainerState state, TrainResult result) {}

    /**
     * The numbers a progress bar shows, after every step (evaluation and saving done) and once at
     * the end with {@link Progress#finished()}.
     *
     * @param progress the numbers
     */
    default void onProgress(Progress progress) {}

    /**
     * @param listener what to do with the progress after each step and at the end
     * @return a callback that only listens to progress
     */
    static TrainerCallback onProgress(Consumer<Progress> listener) {
        return new TrainerCallback() {
            @Override
            public void onProgress(Progress progress) {
                listener.accept(progress);
            }
        };
    }
}
