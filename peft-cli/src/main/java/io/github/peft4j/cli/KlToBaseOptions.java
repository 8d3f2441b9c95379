package io.github.peft4j.cli;

import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.preference.KlToBaseObjective;
import picocli.CommandLine.Option;

/**
 * {@code --kl-to-base λ}: against forgetting, the training loss gets {@code λ · KL(p_base ‖ p_adapter)}
 * on general text (the replay corpus, {@code --replay-data}), the base distribution computed by the
 * same model with its adapters disabled, without gradient; {@code --kl-rows} general sequences per
 * micro-batch.
 *
 * <pre>{@code
 * peft4j train --replay 0 --kl-to-base 1.0 --kl-rows 2
 * }</pre>
 */
final class KlToBaseOptions {

    /** General sequences drawn from the replay corpus for the KL term. */
    static final int SEQUENCES = 512;

    @Option(names = "--kl-to-base", paramLabel = "LAMBDA", description = "weight of a KL term to the base model's"
            + " next-token distribution on general text (the --replay-data corpus); 0 for none (default: ${DEFAULT-VALUE})")
    double lambda;

    @Option(names = "--kl-rows", paramLabel = "N", description = "general sequences per micro-batch for"
            + " --kl-to-base (default: ${DEFAULT-VALUE})")
    int rows = 2;

    /** @return whether the KL term is on */
    boolean enabled() {
        if (lambda < 0 || rows < 1) {
            throw new UserError("--kl-to-base " + lambda + " --kl-rows " + rows + ": expected lambda >= 0, rows >= 1");
        }
        return lambda > 0;
    }

    /**
     * @param inner the objective trained
     * @param general the general sequences
     * @param seed the seed of the draw
     * @return the objective with the KL term
     */
    TrainingObjective wrap(TrainingObjective inner, TokenizedDataset general, long seed) {
        return new KlToBaseObjective(inner, general, lambda, rows, seed);
    }
}
