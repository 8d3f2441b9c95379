package io.github.peft4j.cli;

import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.preference.KlToBaseObjective;
import picocli.CommandLine.Option;

/**
 * {@code --kl-to-base λ}: against forgetting, the training loss gets {@code λ · KL(p_base ‖ p_adapter)}
 * on general text (the replay corpus, {@code --replay-data}), the base distribution computed by the
 * same model with its adapters disabled, without gradient; {@code --kl-rows} general sequences per
 * micro-batch. It is the default mitigation of SFT runs (λ {@value #DEFAULT_LAMBDA}) when neither
 * {@code --kl-to-base} nor {@code --replay} is given and the replay corpus exists: the forgetting sweep
 * in docs/training.md found it the setting that keeps the domain gain within 1.5× the base's general
 * perplexity.
 *
 * <pre>{@code
 * peft4j train --replay 0 --kl-to-base 1.0 --kl-rows 2
 * }</pre>
 */
final class KlToBaseOptions {

    /** General sequences drawn from the replay corpus for the KL term. */
    static final int SEQUENCES = 512;

    /** λ when neither {@code --kl-to-base} nor {@code --replay} is given (docs/training.md's sweep). */
    static final double DEFAULT_LAMBDA = 0.75;

    @Option(names = "--kl-to-base", paramLabel = "LAMBDA", description = "weight of a KL term to the base model's"
            + " next-token distribution on general text (the --replay-data corpus); 0 for none (default: "
            + DEFAULT_LAMBDA + " for SFT when --replay is not given and --replay-data exists, else 0)")
    Double given;

    /** λ in effect, set by {@link #resolve}. */
    double lambda;

    @Option(names = "--kl-rows", paramLabel = "N", description = "general sequences per micro-batch for"
            + " --kl-to-base (default: ${DEFAULT-VALUE})")
    int rows = 2;

    /**
     * Settles λ: {@code --kl-to-base} if given, else the default for an SFT run that chose no other
     * mitigation ({@code --replay}) and has the replay corpus, else 0.
     *
     * @param replay the replay options
     * @param preferences whether the objective is preference tuning (no default KL term: DPO's reference
     *     already keeps it near its start, ORPO's NLL term keeps the domain likelihood)
     */
    void resolve(ReplayOptions replay, boolean preferences) {
        if (given != null) {
            lambda = given;
        } else {
            lambda = !preferences && replay.fraction == null && java.nio.file.Files.isRegularFile(replay.data)
                    ? DEFAULT_LAMBDA : 0;
        }
    }

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
