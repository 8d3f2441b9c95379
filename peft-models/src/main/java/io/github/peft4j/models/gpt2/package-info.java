/**
 * GPT-2 with transformers' module paths and its {@code Conv1D} ([in, out]) projections.
 */
package io.github.peft4j.models.gpt2;
