package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.nio.file.Path;
import java.util.List;

/**
 * @param rounds each round's metrics
 * @param global the adapter the sites would start the next round from
 * @param globalDir the last saved global adapter (HF PEFT layout)
 */
public record FederatedResult(List<RoundMetrics> rounds, TensorSnapshot global, Path globalDir) {}
