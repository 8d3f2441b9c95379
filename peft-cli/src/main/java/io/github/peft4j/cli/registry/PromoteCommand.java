package io.github.peft4j.cli.registry;

import io.github.peft4j.registry.AuditEntry;
import io.github.peft4j.registry.PromotionPolicy;
import io.github.peft4j.registry.PromotionRequest;
import io.github.peft4j.registry.RegistryException;
import io.github.peft4j.registry.ReviewGate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code registry promote REF --alias A}: moves an alias, after the gate given by the threshold options. */
@Command(name = "promote", mixinStandardHelpOptions = true,
        description = "Point an alias at a version; the threshold options form a gate checked against the stored eval reports"
                + " and the latest recorded human review.")
final class PromoteCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "REF", description = "the version to promote")
    String ref;

    @Option(names = "--alias", required = true, description = "alias to move (production, staging, canary, ...)")
    String alias;

    @Option(names = "--metric", defaultValue = "perplexity",
            description = "domain metric of the gate: perplexity, loss, token_accuracy, accuracy (default: ${DEFAULT-VALUE})")
    String metric;

    @Option(names = "--min-gain-over-base", paramLabel = "X", description = "domain metric must beat the base by at least X")
    Double minGainOverBase;

    @Option(names = "--min-gain-over-holder", paramLabel = "X",
            description = "domain metric must beat the alias's current version by at least X")
    Double minGainOverHolder;

    @Option(names = "--max-general-ratio", paramLabel = "Y", description = "general-text perplexity after/before at most Y")
    Double maxGeneralRatio;

    @Option(names = "--min-win-rate", paramLabel = "X",
            description = "the recorded human review's win rate over --win-rate-against must be at least X")
    Double minWinRate;

    @Option(names = "--win-rate-against", paramLabel = "SYSTEM", defaultValue = "base",
            description = "base, or baseline for an A/B review (default: ${DEFAULT-VALUE})")
    String winRateAgainst;

    @Option(names = "--win-rate-bound", paramLabel = "B", defaultValue = "lower",
            description = "lower (the 95% Wilson interval's lower end) or point (default: ${DEFAULT-VALUE})")
    String winRateBound;

    @Option(names = "--zero-flag", paramLabel = "FLAG",
            description = "reviewers must not have flagged a candidate output so: unsafe, non_compliant, wrong_fact, pii; repeatable")
    List<String> zeroFlags = new ArrayList<>();

    @Option(names = "--force", description = "promote even if the gate refuses (recorded in the audit log)")
    boolean force;

    @Option(names = "--reason", description = "why, for the audit log")
    String reason;

    @Option(names = "--by", paramLabel = "WHO", description = "who promotes (default: the user name)")
    String by;

    @Override
    public Integer call() {
        ReviewGate review = minWinRate == null && zeroFlags.isEmpty() ? null
                : new ReviewGate(minWinRate, winRateAgainst, bound(), zeroFlags);
        boolean gated = minGainOverBase != null || minGainOverHolder != null || maxGeneralRatio != null || review != null;
        PromotionPolicy policy = gated ? new PromotionPolicy(metric, minGainOverBase, minGainOverHolder, maxGeneralRatio, review) : null;
        AuditEntry move = registry.open().promote(ref, alias, new PromotionRequest(policy, force, reason, by));
        registry.print(move.toJson(), Moves.describe(move));
        return 0;
    }

    private ReviewGate.Bound bound() {
        try {
            return ReviewGate.Bound.valueOf(winRateBound.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new RegistryException("--win-rate-bound " + winRateBound + ": expected lower or point");
        }
    }
}
