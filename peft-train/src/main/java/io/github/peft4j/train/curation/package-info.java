/**
 * Data curation: exact deduplication of normalised text, MinHash/LSH near-duplicate removal, and
 * anonymisation of personal data with typed placeholders, summarised in a
 * {@link io.github.peft4j.train.curation.CurationReport}.
 *
 * <pre>{@code
 * Curator.Result r = Curator.defaults().curate(records);
 * }</pre>
 */
package io.github.peft4j.train.curation;
