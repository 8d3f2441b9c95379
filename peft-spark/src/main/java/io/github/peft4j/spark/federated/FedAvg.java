package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FedAvg of the adapter tensors, A and B separately, weighted by examples (FlowerTune's default).
 * Inexact for LoRA: the average of the products Σwᵢ·Bᵢ·Aᵢ is not the product of the averages
 * (Σwᵢ·Bᵢ)(Σwᵢ·Aᵢ); {@link FederatedTrainer} reports that error every round.
 */
public final class FedAvg implements AggregationStrategy {

    private static final long serialVersionUID = 1L;

    @Override
    public Aggregate aggregate(TensorSnapshot global, List<SiteUpdate> updates, double scaling, int rank) {
        double[] w = LoraFactors.weights(updates);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String k : global.names()) {
            shapes.put(k, global.shape(k));
            values.put(k, LoraFactors.average(updates, w, k));
        }
        return Aggregate.same(new TensorSnapshot(shapes, values), rank);
    }

    @Override
    public String name() {
        return "fedavg";
    }
}
