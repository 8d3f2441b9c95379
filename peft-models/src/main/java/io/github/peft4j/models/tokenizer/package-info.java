/**
 * Hugging Face {@code tokenizer.json} through DJL, set up for language-model data.
 */
package io.github.peft4j.models.tokenizer;
