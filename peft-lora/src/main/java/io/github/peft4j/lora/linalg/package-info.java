/**
 * The dense double-precision {@link io.github.peft4j.lora.linalg.Matrix} (QR, SVD) that LoRA
 * initialisation and adapter combination need and DJL does not offer.
 *
 * <pre>{@code
 * Matrix.Svd svd = Matrix.of(weight).svd();
 * }</pre>
 */
package io.github.peft4j.lora.linalg;
