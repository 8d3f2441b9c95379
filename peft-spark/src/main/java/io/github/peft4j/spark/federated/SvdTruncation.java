package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exact ΔW = Σwᵢ·Bᵢ·Aᵢ, truncated back to rank r by SVD (in double precision, through
 * {@link LowRankSvd}, without forming ΔW): the best rank-r adapter in the Frobenius norm, exact
 * whenever the sites' combined update has rank ≤ r (identical data, or one site).
 */
public final class SvdTruncation implements AggregationStrategy {

    private static final long serialVersionUID = 1L;

    @Override
    public Aggregate aggregate(TensorSnapshot global, List<SiteUpdate> updates, double scaling, int rank) {
        return Aggregate.same(new FloraStacking().aggregate(global, updates, scaling, rank).next(), rank);
    }

    /**
     * @param like the tensors to produce (rank-r shapes)
     * @param stacked factors of any rank whose products are the wanted ΔW/s
     * @param rank r
     * @return rank-r factors of the same products, other tensors copied
     */
    static TensorSnapshot truncate(TensorSnapshot like, TensorSnapshot stacked, int rank) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String k : like.names()) {
            if (k.contains(".lora_A.")) {
                LowRankSvd.Factors f = LowRankSvd.truncate(LoraFactors.matrix(stacked, LoraFactors.bKey(k)),
                        LoraFactors.matrix(stacked, k), rank);
                LoraFactors.put(shapes, values, k, f.a());
                LoraFactors.put(shapes, values, LoraFactors.bKey(k), f.b());
            } else if (!k.contains(".lora_B.")) {
                shapes.put(k, stacked.shape(k));
                values.put(k, stacked.values(k));
            }
        }
        // keep the snapshot's order
        Map<String, long[]> orderedShapes = new LinkedHashMap<>();
        Map<String, float[]> orderedValues = new LinkedHashMap<>();
        for (String k : like.names()) {
            orderedShapes.put(k, shapes.get(k));
            orderedValues.put(k, values.get(k));
        }
        return new TensorSnapshot(orderedShapes, orderedValues);
    }

    @Override
    public String name() {
        return "svd";
    }
}
