package io.github.peft4j.spark.federated;

import io.github.peft4j.core.PeftException;
import java.util.List;

/** A round failed because sites still failed after their attempts; nothing was saved for it. */
public final class FederatedRoundException extends PeftException {

    private static final long serialVersionUID = 1L;

    /**
     * @param round the round
     * @param sites the failed sites
     * @param errors their last errors
     */
    public FederatedRoundException(int round, List<String> sites, List<String> errors) {
        super("round " + round + ": sites " + sites + " failed after their attempts (" + String.join("; ", errors)
                + "); the global adapter of the previous round is kept. Use SiteFailure.DROP to aggregate without them");
    }
}
