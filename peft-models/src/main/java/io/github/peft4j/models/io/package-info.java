/**
 * Checkpoint reading and writing: key matching, missing/unused tensors, initialisation.
 */
package io.github.peft4j.models.io;
