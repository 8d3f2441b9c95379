/**
 * Preference data: pairs of a prompt with a chosen and a rejected answer in TRL's standard and
 * conversational formats, read from JSONL with line-numbered errors, curated as SFT data is, and
 * tokenized with prompt-masked labels for preference tuning (DPO).
 *
 * <pre>{@code
 * PreferencePipeline.Prepared prefs = PreferencePipeline.builder(tokenizer).curator(Curator.defaults())
 *         .build().prepare(Path.of("prefs.jsonl"));
 * }</pre>
 */
package io.github.peft4j.train.data.preference;
