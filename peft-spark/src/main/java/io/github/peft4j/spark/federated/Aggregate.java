package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;

/**
 * A round's aggregate.
 *
 * @param next the adapter every site starts the next round from (the configured rank)
 * @param saved the global adapter written for the round (FLoRA stacking: rank Σ rᵢ)
 * @param savedRank the rank of {@code saved}
 */
public record Aggregate(TensorSnapshot next, TensorSnapshot saved, int savedRank) {

    /** @param adapter the adapter both started from and saved @param rank its rank @return the aggregate */
    static Aggregate same(TensorSnapshot adapter, int rank) {
        return new Aggregate(adapter, adapter, rank);
    }
}
