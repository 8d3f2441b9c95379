/**
 * Adapter training beyond one machine, on Apache Spark: synchronous data-parallel training over a
 * barrier stage ({@link io.github.peft4j.spark.DataParallelTrainer}), federated rounds with
 * pluggable aggregation ({@link io.github.peft4j.spark.federated.FederatedTrainer}) and curation
 * of JSONL records as Spark Datasets ({@link io.github.peft4j.spark.curation.SparkCurator}).
 *
 * <p>Spark is a {@code provided} dependency: the cluster brings it.
 */
package io.github.peft4j.spark;
