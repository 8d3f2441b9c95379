/**
 * Hugging Face checkpoints as DJL blocks: {@link io.github.peft4j.models.HfModels} loads and saves
 * checkpoint directories, {@link io.github.peft4j.models.ModelFactory} builds models in code,
 * {@link io.github.peft4j.models.CrossEntropy} is the language-modelling loss. See docs/models.md.
 */
package io.github.peft4j.models;
