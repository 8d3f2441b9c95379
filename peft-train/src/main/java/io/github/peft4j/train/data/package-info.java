/**
 * The data pipeline: JSONL records ({@link io.github.peft4j.train.data.JsonlReader}), chat
 * templates, tokenization with loss masks, packing, padding and batching, and the
 * {@link io.github.peft4j.train.data.DataPipeline} that chains them with curation and a seeded split.
 *
 * <pre>{@code
 * DataPipeline.Prepared data = DataPipeline.builder(tokenizer).evalFraction(0.1).build().prepare(Path.of("d.jsonl"));
 * }</pre>
 */
package io.github.peft4j.train.data;
