/**
 * KV-cache generation: greedy and sampled decoding of batches of prompts, with or without adapters.
 */
package io.github.peft4j.models.generation;
