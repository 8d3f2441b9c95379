package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.util.List;

/**
 * FFA-LoRA (Sun et al., 2024): the A factors stay frozen at their initial values on every site and
 * only B is averaged, so Σwᵢ·Bᵢ·A = (Σwᵢ·Bᵢ)·A — exact, at the cost of training half the tensors.
 * Initialise B non-zero or A random (PEFT's default) so that B alone can learn.
 */
public final class FfaLora implements AggregationStrategy {

    private static final long serialVersionUID = 1L;

    @Override
    public Aggregate aggregate(TensorSnapshot global, List<SiteUpdate> updates, double scaling, int rank) {
        return Aggregate.same(LoraFactors.averageAll(global, updates, k -> k.contains(".lora_A.")), rank);
    }

    @Override
    public boolean freezesA() {
        return true;
    }

    @Override
    public String name() {
        return "ffa-lora";
    }
}
