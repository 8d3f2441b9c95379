package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.io.Serializable;
import java.util.List;

/**
 * How a round's site adapters become the global adapter. Implementations: {@link FedAvg},
 * {@link FfaLora}, {@link FloraStacking}, {@link SvdTruncation}.
 *
 * <pre>{@code
 * FederatedTrainer.builder().strategy(new FfaLora())...
 * }</pre>
 */
public interface AggregationStrategy extends Serializable {

    /**
     * @param global the adapter the sites started from
     * @param updates the sites' adapters (at least one)
     * @param scaling LoRA's scaling α/r (α/√r with rsLoRA) of the site adapters
     * @param rank the sites' rank r
     * @return the aggregate
     */
    Aggregate aggregate(TensorSnapshot global, List<SiteUpdate> updates, double scaling, int rank);

    /** @return whether sites keep the A factors frozen while training locally (FFA-LoRA) */
    default boolean freezesA() {
        return false;
    }

    /** @return the name in metrics */
    String name();
}
