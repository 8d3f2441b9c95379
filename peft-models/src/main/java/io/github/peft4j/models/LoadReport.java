package io.github.peft4j.models;

import java.util.List;

/**
 * What loading a checkpoint found besides the expected weights, as transformers reports it.
 *
 * <pre>{@code
 * LoadReport report = HfModels.load(dir, manager).loadReport();
 * report.newlyInitialized();   // [classifier.weight, classifier.bias]
 * }</pre>
 *
 * @param newlyInitialized parameters the checkpoint lacked, initialised fresh (a task head)
 * @param unexpected checkpoint tensors the model does not use (another head, other modules)
 * @param ignoredBuffers checkpoint buffers skipped on purpose (GPT-2's {@code attn.bias})
 * @param bareCheckpoint whether the keys lacked the base-model prefix (saved from {@code GPT2Model})
 */
public record LoadReport(List<String> newlyInitialized, List<String> unexpected, List<String> ignoredBuffers,
        boolean bareCheckpoint) {

    /** @return the report of a model that was not loaded from a checkpoint */
    public static LoadReport none() {
        return new LoadReport(List.of(), List.of(), List.of(), false);
    }

    /**
     * @param newlyInitialized parameters initialised fresh
     * @param unexpected unused checkpoint tensors
     * @param ignoredBuffers skipped buffers
     * @param bareCheckpoint whether the base-model prefix was added
     */
    public LoadReport {
        newlyInitialized = List.copyOf(newlyInitialized);
        unexpected = List.copyOf(unexpected);
        ignoredBuffers = List.copyOf(ignoredBuffers);
    }
}
