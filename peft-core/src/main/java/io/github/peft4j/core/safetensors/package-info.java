/**
 * Reading and writing safetensors files and Hugging Face safetensors checkpoints.
 *
 * <p>{@link io.github.peft4j.core.safetensors.SafetensorsFile} validates a file exactly as the
 * reference (Rust) parser does and loads tensors as copies that never alias the file;
 * {@link io.github.peft4j.core.safetensors.SafetensorsWriter} writes files byte-identical to the
 * Python writer's, atomically; {@link io.github.peft4j.core.safetensors.SafetensorsCheckpoint} reads
 * and writes single-file and sharded ({@code model.safetensors.index.json}) checkpoints.
 *
 * <pre>{@code
 * try (SafetensorsFile in = SafetensorsFile.open(src);
 *      NDManager manager = NDManager.newBaseManager()) {
 *     Map<String, NDArray> tensors = in.loadAll(manager);
 *     SafetensorsWriter.write(dst, tensors);
 * }
 * }</pre>
 */
package io.github.peft4j.core.safetensors;
