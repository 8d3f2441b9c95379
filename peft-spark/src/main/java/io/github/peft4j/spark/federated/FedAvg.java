package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.util.List;

/**
 * FedAvg of the adapter tensors, A and B separately, weighted by examples (FlowerTune's default).
 * Inexact for LoRA: the average of the products Σwᵢ·Bᵢ·Aᵢ is not the product of the averages
 * (Σwᵢ·Bᵢ)(Σwᵢ·Aᵢ); {@link FederatedTrainer} reports that error every round.
 */
public final class FedAvg implements AggregationStrategy {

    private static final long serialVersionUID = 1L;

    @Override
    public Aggregate aggregate(TensorSnapshot global, List<SiteUpdate> updates, double scaling, int rank) {
        return Aggregate.same(LoraFactors.averageAll(global, updates, k -> false), rank);
    }

    @Override
    public String name() {
        return "fedavg";
    }
}
