/**
 * Content identities shared by the registry, the server's request log and the training report:
 * {@link io.github.peft4j.core.fingerprint.AdapterFingerprint} (canonical config + weights) and
 * {@link io.github.peft4j.core.fingerprint.BaseModelFingerprint} (config.json + weight files, or a
 * Hugging Face name and revision). Every file is hashed streaming through
 * {@link io.github.peft4j.core.fingerprint.Sha256}.
 */
package io.github.peft4j.core.fingerprint;
