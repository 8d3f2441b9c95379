/**
 * Building blocks shared by the architectures: HF-named embeddings and norms, attention math and
 * masks, the per-call decoder inputs (positions, cache, prompt hooks).
 */
package io.github.peft4j.models.nn;
