package io.github.peft4j.core.fingerprint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapter and base-model identities: what changes them, what does not, and the exact bytes hashed. */
class FingerprintTest {

    private static final String COMPACT = "{\"peft_type\":\"TEST_DELTA\",\"r\":4,\"target_modules\":[\"q_proj\"],\"inference_mode\":false}";
    private static final String PRETTY = "{\n    \"target_modules\": [ \"q_proj\" ],\n    \"r\": 4,\n    \"peft_type\": \"TEST_DELTA\"\n}\n";

    @TempDir
    Path tmp;

    @Test
    void sha256OfKnownBytes() throws IOException {
        Path f = Files.write(tmp.resolve("abc"), "abc".getBytes(StandardCharsets.US_ASCII));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Sha256.ofFile(f));
        // larger than the 1 MiB streaming buffer: the streamed hash equals the in-memory one
        byte[] big = new byte[Sha256.BUFFER_BYTES * 2 + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        assertEquals(Sha256.of(big), Sha256.ofFile(Files.write(tmp.resolve("big"), big)));
    }

    @Test
    void formattingDoesNotChangeAnAdapterIdentityButWeightsDo() throws IOException {
        AdapterFingerprint a = AdapterFingerprint.of(adapter("a", COMPACT, new byte[] {1, 2, 3}));
        AdapterFingerprint b = AdapterFingerprint.of(adapter("b", PRETTY, new byte[] {1, 2, 3}));
        AdapterFingerprint c = AdapterFingerprint.of(adapter("c", PRETTY, new byte[] {1, 2, 4}));
        AdapterFingerprint d = AdapterFingerprint.of(adapter("d", COMPACT.replace("\"r\":4", "\"r\":8"), new byte[] {1, 2, 3}));
        assertEquals(a, b);
        assertEquals(a.configSha256(), c.configSha256());
        assertNotEquals(a.value(), c.value());
        assertNotEquals(a.value(), d.value());
        assertEquals(Sha256.of(new byte[] {1, 2, 3}), a.weightsSha256());
        // the canonical bytes are what peft4j writes: sorted keys, indent 2, inference_mode true
        String canonical = new String(AdapterFingerprint.canonicalConfig(
                io.github.peft4j.core.io.AdapterConfigJson.parse(COMPACT)), StandardCharsets.UTF_8);
        assertEquals(Sha256.of(canonical.getBytes(StandardCharsets.UTF_8)), a.configSha256());
        assertTrue(canonical.contains("\"inference_mode\": true"), canonical);
        assertTrue(canonical.indexOf("\"peft_type\"") < canonical.indexOf("\"r\""), canonical);
        // value = sha256(raw config digest ++ raw weights digest)
        byte[] both = java.util.HexFormat.of().parseHex(a.configSha256() + a.weightsSha256());
        assertEquals(Sha256.of(both), a.value());
    }

    @Test
    void notAnAdapterIsRefusedByName() throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("pickle"));
        Files.write(bin.resolve("adapter_model.bin"), new byte[] {0});
        Files.writeString(bin.resolve("adapter_config.json"), COMPACT);
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> AdapterFingerprint.of(bin));
        assertTrue(e.getMessage().contains("adapter_model.bin"), e.getMessage());
        Path unknown = adapter("unknown", COMPACT.replace("TEST_DELTA", "NOT_A_TUNER"), new byte[] {1});
        PeftCompatibilityException u = assertThrows(PeftCompatibilityException.class, () -> AdapterFingerprint.of(unknown));
        assertTrue(u.getMessage().contains("NOT_A_TUNER"), u.getMessage());
    }

    @Test
    void baseModelManifestCoversConfigAndSortedShards() throws IOException {
        Path single = Files.createDirectories(tmp.resolve("single"));
        Files.writeString(single.resolve("config.json"), "{\"x\":1}");
        Files.write(single.resolve("model.safetensors"), new byte[] {9, 9});
        Files.writeString(single.resolve("tokenizer.json"), "{}");
        String manifest = "config.json " + Sha256.of("{\"x\":1}".getBytes(StandardCharsets.UTF_8)) + "\n"
                + "model.safetensors " + Sha256.of(new byte[] {9, 9}) + "\n";
        assertEquals("sha256:" + Sha256.of(manifest.getBytes(StandardCharsets.UTF_8)), BaseModelFingerprint.of(single).value());

        Path sharded = Files.createDirectories(tmp.resolve("sharded"));
        Files.writeString(sharded.resolve("config.json"), "{\"x\":1}");
        Files.write(sharded.resolve("model-00002-of-00002.safetensors"), new byte[] {2});
        Files.write(sharded.resolve("model-00001-of-00002.safetensors"), new byte[] {1});
        Files.writeString(sharded.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"b\":\"model-00002-of-00002.safetensors\","
                + "\"a\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00001-of-00002.safetensors\"}}");
        assertEquals(List.of("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"),
                BaseModelFingerprint.filesOf(sharded).stream().map(p -> p.getFileName().toString()).toList());
        BaseModelFingerprint before = BaseModelFingerprint.of(sharded);
        Files.write(sharded.resolve("model-00002-of-00002.safetensors"), new byte[] {3});
        assertNotEquals(before, BaseModelFingerprint.of(sharded));

        Files.delete(sharded.resolve("model-00001-of-00002.safetensors"));
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> BaseModelFingerprint.of(sharded));
        assertTrue(e.getMessage().contains("model-00001-of-00002.safetensors"), e.getMessage());
    }

    @Test
    void hubFormAndMalformedValues() {
        assertEquals("hf:meta-llama/Llama-3.2-1B@4e20de36", BaseModelFingerprint.ofHub("meta-llama/Llama-3.2-1B", "4e20de36").value());
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> new BaseModelFingerprint("sha256:xyz"));
        assertTrue(e.getMessage().contains("sha256:xyz"), e.getMessage());
        assertThrows(PeftFormatException.class, () -> new BaseModelFingerprint("hf:name@"));
    }

    private Path adapter(String name, String config, byte[] weights) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("adapter_config.json"), config);
        Files.write(dir.resolve("adapter_model.safetensors"), weights);
        return dir;
    }
}
