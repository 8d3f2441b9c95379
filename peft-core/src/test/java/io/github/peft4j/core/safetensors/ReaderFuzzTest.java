package io.github.peft4j.core.safetensors;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.io.AdapterConfigJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Issue 24's standing suite, core part: every input to the safetensors reader and to the
 * adapter_config.json reader ends in success or a {@link PeftException} subtype, within a time
 * bound, never another exception type. A short run in {@code mvn verify}; {@code -Pfuzz} runs
 * 100,000 tries per property. Counts are printed for docs/reliability.md.
 */
class ReaderFuzzTest {

    private static final long BOUND_NANOS = 10_000_000_000L;
    private static final AtomicLong SAFETENSORS_OK = new AtomicLong();
    private static final AtomicLong SAFETENSORS_REFUSED = new AtomicLong();
    private static final AtomicLong CONFIG_OK = new AtomicLong();
    private static final AtomicLong CONFIG_REFUSED = new AtomicLong();

    private static final String VALID_HEADER =
            "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]}}";

    private static byte[] validFile() {
        byte[] header = VALID_HEADER.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + 22).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (int i = 0; i < 11; i++) {
            b.putShort((short) (i * 977));
        }
        return b.array();
    }

    /** A valid file with a few bytes replaced, inserted or cut: the mutations a fuzzer finds first. */
    @Provide
    Arbitrary<byte[]> mutatedSafetensors() {
        byte[] valid = validFile();
        Arbitrary<byte[]> flips = Arbitraries.integers().between(0, valid.length - 1).list().ofMinSize(1).ofMaxSize(6)
                .flatMap(positions -> Arbitraries.bytes().array(byte[].class).ofSize(positions.size()).map(values -> {
                    byte[] copy = valid.clone();
                    for (int i = 0; i < positions.size(); i++) {
                        copy[positions.get(i)] = values[i];
                    }
                    return copy;
                }));
        Arbitrary<byte[]> cuts = Arbitraries.integers().between(0, valid.length - 1)
                .map(n -> java.util.Arrays.copyOf(valid, n));
        Arbitrary<byte[]> headers = Arbitraries.strings().ofMaxLength(200).map(json -> {
            byte[] h = json.getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(8 + h.length + 16).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
        });
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        return Arbitraries.oneOf(flips, cuts, headers, random);
    }

    @Property
    void theSafetensorsReaderEndsInSuccessOrAPeftException(@ForAll("mutatedSafetensors") byte[] bytes) throws IOException {
        Path file = Files.createTempFile("fuzz", ".safetensors");
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager()) {
            Files.write(file, bytes);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                f.loadAll(m);
                SAFETENSORS_OK.incrementAndGet();
            } catch (PeftException e) {
                SAFETENSORS_REFUSED.incrementAndGet();
            }
        } finally {
            Files.deleteIfExists(file);
        }
        if (System.nanoTime() - start > BOUND_NANOS) {
            throw new AssertionError("took longer than 10 s");
        }
    }

    private static final String VALID_CONFIG = "{\"peft_type\": \"TEST_DELTA\", \"target_modules\": [\"q_proj\"],"
            + " \"inference_mode\": true, \"base_model_name_or_path\": null, \"task_type\": \"CAUSAL_LM\"}";

    @Provide
    Arbitrary<String> mutatedConfigs() {
        Arbitrary<String> splices = Arbitraries.integers().between(0, VALID_CONFIG.length())
                .flatMap(at -> Arbitraries.of("16", "-1", "\"x\"", "1e30", "null", "[]", "{}", "true", "\"", ",", "}",
                        "NaN", "\u0000", "\\u0000", "1e400", "-0", "9223372036854775808")
                        .map(piece -> VALID_CONFIG.substring(0, at) + piece + VALID_CONFIG.substring(at)));
        Arbitrary<String> cuts = Arbitraries.integers().between(0, VALID_CONFIG.length())
                .map(n -> VALID_CONFIG.substring(0, n));
        Arbitrary<String> values = Arbitraries.of("target_modules", "inference_mode", "task_type", "peft_type",
                "base_model_name_or_path", "revision").flatMap(key -> Arbitraries.of("16", "-1", "\"x\"", "1e30",
                "null", "[1]", "{\"a\":1}", "false", "\"LORA\"", "\"\"")
                .map(v -> VALID_CONFIG.replaceFirst("\"" + key + "\": [^,}]+", "\"" + key + "\": " + v)));
        return Arbitraries.oneOf(splices, cuts, values, Arbitraries.strings().ofMaxLength(80));
    }

    @Property
    void theConfigReaderEndsInSuccessOrAPeftException(@ForAll("mutatedConfigs") String json) throws IOException {
        Path file = Files.createTempFile("fuzz", ".json");
        try {
            Files.writeString(file, json);
            AdapterConfigJson.read(file);
            CONFIG_OK.incrementAndGet();
        } catch (PeftException e) {
            CONFIG_REFUSED.incrementAndGet();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @AfterContainer
    static void report() {
        System.out.printf("fuzz counts: safetensors %d read, %d refused; adapter_config.json %d read, %d refused%n",
                SAFETENSORS_OK.get(), SAFETENSORS_REFUSED.get(), CONFIG_OK.get(), CONFIG_REFUSED.get());
    }
}
