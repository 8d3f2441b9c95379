/**
 * Builders of the assets peft4j ships under {@code assets/}: the public-domain pretraining corpus
 * ({@link io.github.peft4j.assets.corpus.CorpusBuilder}), the byte-level BPE tokenizer trained on it
 * ({@link io.github.peft4j.assets.tokenizer.BpeTrainer}) and the customer-support dataset of the main
 * job ({@link io.github.peft4j.assets.support.SupportDataGenerator}). Every builder is deterministic:
 * the same inputs give the same bytes, so the committed files can be checked against a rebuild.
 */
package io.github.peft4j.assets;
