package io.github.peft4j.spark.federated;

import java.util.List;

/**
 * One federated round.
 *
 * @param round the round (1-based)
 * @param strategy the aggregation's name
 * @param sites the sites aggregated
 * @param dropped the sites dropped after failing
 * @param examples the examples of the aggregated sites
 * @param meanSiteLoss the mean of the sites' last local losses
 * @param aggregationError ‖ΔW(saved) − Σwᵢ·ΔWᵢ‖/‖Σwᵢ·ΔWᵢ‖ over all modules: 0 for the exact strategies, FedAvg's known error otherwise
 * @param nextStartError the same for the adapter the next round starts from (rank-r truncation)
 * @param epsilon the (ε, δ)-DP ε spent so far, NaN without DP
 * @param seconds the round's wall time
 */
public record RoundMetrics(int round, String strategy, List<String> sites, List<String> dropped, int examples,
        double meanSiteLoss, double aggregationError, double nextStartError, double epsilon, double seconds) {}
