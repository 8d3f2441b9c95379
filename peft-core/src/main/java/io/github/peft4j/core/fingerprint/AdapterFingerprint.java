package io.github.peft4j.core.fingerprint;

import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.io.AdapterDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The identity of an adapter: what the registry, the server's request log and the training report
 * all call "this adapter" (DESIGN.md §6).
 *
 * <p>Definition (version 1):
 * <ul>
 *   <li>{@code configSha256} = SHA-256 of the <em>canonical</em> config bytes: the UTF-8 text
 *   {@link AdapterConfigJson#write} produces for the parsed config (sorted keys, indent 2,
 *   {@code inference_mode} true, keys this version does not know dropped). Two files that differ
 *   only in whitespace, key order or {@code inference_mode} therefore have the same identity. The
 *   {@code peft_type}'s tuner must be on the class path (an unknown type is refused, never hashed
 *   some other way, so one adapter never gets two identities).</li>
 *   <li>{@code weightsSha256} = SHA-256 of the {@code adapter_model.safetensors} bytes, streamed.</li>
 *   <li>{@code value} = SHA-256 over the 32 raw bytes of {@code configSha256} followed by the 32 raw
 *   bytes of {@code weightsSha256}. Hashing the two digests (rather than the concatenated files)
 *   keeps the boundary unambiguous and lets a store holding both files by their SHA-256 recompute the
 *   identity without reading them.</li>
 * </ul>
 *
 * <pre>{@code
 * AdapterFingerprint f = AdapterFingerprint.of(Path.of("runs/latest/adapter"));
 * System.out.println(f.value());   // 64 hex digits
 * }</pre>
 *
 * @param value the adapter's identity
 * @param configSha256 SHA-256 of the canonical config bytes
 * @param weightsSha256 SHA-256 of the weights file
 */
public record AdapterFingerprint(String value, String configSha256, String weightsSha256) {

    /**
     * @param dir an adapter directory in the HF PEFT layout
     * @return its fingerprint
     * @throws io.github.peft4j.core.PeftFormatException naming the file if the directory is not an
     *         adapter (missing files, a pickle {@code .bin}, a config that does not parse)
     */
    public static AdapterFingerprint of(Path dir) {
        AdapterDirectory.Contents contents = AdapterDirectory.read(dir);
        return of(canonicalConfig(contents.config()), contents.weightsFile());
    }

    /**
     * @param canonicalConfig the canonical config bytes ({@link #canonicalConfig(PeftConfig)})
     * @param weightsFile the safetensors file
     * @return the fingerprint
     */
    public static AdapterFingerprint of(byte[] canonicalConfig, Path weightsFile) {
        return fromParts(Sha256.of(canonicalConfig), Sha256.ofFile(weightsFile));
    }

    /**
     * @param configSha256 SHA-256 of the canonical config
     * @param weightsSha256 SHA-256 of the weights file
     * @return the fingerprint combining them
     */
    public static AdapterFingerprint fromParts(String configSha256, String weightsSha256) {
        MessageDigest digest = Sha256.newDigest();
        digest.update(HexFormat.of().parseHex(configSha256));
        digest.update(HexFormat.of().parseHex(weightsSha256));
        return new AdapterFingerprint(Sha256.hex(digest.digest()), configSha256, weightsSha256);
    }

    /**
     * @param config a parsed config
     * @return the bytes peft4j writes for it as {@code adapter_config.json}
     */
    public static byte[] canonicalConfig(PeftConfig config) {
        return AdapterConfigJson.toJson(config.withInferenceMode(true)).getBytes(StandardCharsets.UTF_8);
    }
}
