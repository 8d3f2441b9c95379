package io.github.peft4j.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.fingerprint.AdapterFingerprint;
import io.github.peft4j.core.io.AdapterDirectory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue 24's standing suite, registry part: mutated adapter directories pushed (config JSON spliced,
 * cut, re-encoded or replaced; safetensors bytes flipped, cut or random; files missing, doubled as
 * directories, pickles, links to devices). A push ends in success or a {@link PeftException} naming
 * the directory or file, within 10 s. A refused push leaves the registry exactly as it was; an
 * accepted one exports byte for byte what was pushed (the canonical config and the same weights).
 */
class AdapterDirFuzzTest {

    private static final long BOUND_NANOS = 10_000_000_000L;
    private static final AtomicLong OK = new AtomicLong();
    private static final AtomicLong REFUSED = new AtomicLong();
    private static FuzzRegistries registries;

    static final String CONFIG = "{\"peft_type\": \"TEST_DELTA\", \"r\": 4, \"target_modules\": [\"q_proj\", \"v_proj\"],"
            + " \"base_model_name_or_path\": \"gpt2\", \"revision\": \"main\", \"inference_mode\": false}";

    /** What a try writes into the adapter directory. */
    record Input(String shape, byte[] config, byte[] weights) {
        @Override
        public String toString() {
            return shape + " config=" + new String(config, StandardCharsets.UTF_8) + " weights=" + weights.length + " bytes";
        }
    }

    @BeforeContainer
    static void open() {
        registries = new FuzzRegistries();
    }

    @AfterContainer
    static void close() throws Exception {
        registries.close();
        System.out.printf("fuzz counts: registry pushes of mutated adapter directories %d stored, %d refused%n", OK.get(),
                REFUSED.get());
    }

    static byte[] validWeights() {
        byte[] header = ("{\"__metadata__\":{\"format\":\"pt\"},\"base_model.model.q_proj.lora_A.weight\":"
                + "{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,32]}}").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + 32).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (int i = 0; i < 8; i++) {
            b.putFloat(i * 0.25f);
        }
        return b.array();
    }

    @Provide
    Arbitrary<String> backends() {
        return Arbitraries.of(FuzzRegistries.backends());
    }

    @Provide
    Arbitrary<byte[]> configs() {
        Arbitrary<String> splices = Arbitraries.integers().between(0, CONFIG.length())
                .flatMap(at -> Arbitraries.of("16", "-1", "\"x\"", "1e30", "null", "[]", "{}", "true", "\"", ",", "}", "NaN",
                        "\u0000", "\\u0000", "\\ud800", "1e400", "9223372036854775808", "\"peft_type\": \"LORA\",")
                        .map(piece -> CONFIG.substring(0, at) + piece + CONFIG.substring(at)));
        Arbitrary<String> cuts = Arbitraries.integers().between(0, CONFIG.length()).map(n -> CONFIG.substring(0, n));
        Arbitrary<String> values = Arbitraries.of("peft_type", "r", "target_modules", "base_model_name_or_path", "revision",
                "inference_mode").flatMap(key -> Arbitraries.oneOf(Arbitraries.of("16", "-1", "0", "1e30", "null", "[1]",
                "{\"a\":1}", "false", "\"LORA\"", "\"\"", "\"@\"", "\"../x\"", "\"a@b\"", "\"\\u0000\"", "\"\\ud800\"",
                "2147483648", "\"" + "x".repeat(5000) + "\""), OddText.any().map(t -> com.fasterxml.jackson.core.io.JsonStringEncoder
                .getInstance().quoteAsString(t)).map(q -> "\"" + new String(q) + "\""))
                .map(v -> CONFIG.replaceFirst("\"" + key + "\": [^,}]+", java.util.regex.Matcher.quoteReplacement(
                        "\"" + key + "\": " + v))));
        Arbitrary<byte[]> text = Arbitraries.oneOf(splices, cuts, values, Arbitraries.strings().ofMaxLength(80))
                .map(t -> t.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> encodings = Arbitraries.of(
                CONFIG.getBytes(StandardCharsets.UTF_16), CONFIG.getBytes(StandardCharsets.UTF_16LE),
                ("\ufeff" + CONFIG).getBytes(StandardCharsets.UTF_8), CONFIG.getBytes(StandardCharsets.ISO_8859_1),
                CONFIG.replace("gpt2", "gpt\u00e9").getBytes(StandardCharsets.ISO_8859_1), new byte[0]);
        Arbitrary<byte[]> flips = flips(CONFIG.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, text), net.jqwik.api.Tuple.of(1, encodings),
                net.jqwik.api.Tuple.of(2, flips), net.jqwik.api.Tuple.of(2, Arbitraries.just(CONFIG.getBytes(StandardCharsets.UTF_8))));
    }

    @Provide
    Arbitrary<byte[]> weights() {
        byte[] valid = validWeights();
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, Arbitraries.just(valid)),
                net.jqwik.api.Tuple.of(3, flips(valid)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, valid.length - 1).map(n -> Arrays.copyOf(valid, n))),
                net.jqwik.api.Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(64)));
    }

    private static Arbitrary<byte[]> flips(byte[] valid) {
        return Arbitraries.integers().between(0, valid.length - 1).list().ofMinSize(1).ofMaxSize(4)
                .flatMap(at -> Arbitraries.bytes().array(byte[].class).ofSize(at.size()).map(values -> {
                    byte[] copy = valid.clone();
                    for (int i = 0; i < at.size(); i++) {
                        copy[at.get(i)] = values[i];
                    }
                    return copy;
                }));
    }

    /** How the two files are laid out: as they should be, or one of the ways a directory goes wrong. */
    @Provide
    Arbitrary<String> shapes() {
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(20, Arbitraries.just("files")), net.jqwik.api.Tuple.of(1,
                Arbitraries.of("no config", "no weights", "config is a directory", "weights is a directory", "pickle only",
                        "pickle beside", "weights links to /dev/zero", "config links to /dev/zero", "weights links outside",
                        "dangling weights link", "no directory", "directory is a file", "nested adapter")));
    }

    @Property
    void aPushEndsInAStoredVersionOrANamedPeftExceptionThatChangesNothing(@ForAll("backends") String backend,
            @ForAll("shapes") String shape, @ForAll("configs") byte[] config, @ForAll("weights") byte[] weights) throws Exception {
        AdapterRegistry r = registries.get(backend);
        Path scratch = registries.scratch();
        try {
            Path dir = scratch.resolve("adapter");
            lay(dir, shape, config, weights);
            RegistrySnapshot before = RegistrySnapshot.of(r);
            long start = System.nanoTime();
            Input input = new Input(shape, config, weights);
            try {
                AdapterVersion v = r.push("support", dir, Lineage.none()).version();
                OK.incrementAndGet();
                Path out = scratch.resolve("export");
                r.export(v.ref(), out);
                assertArrayEquals(Files.readAllBytes(dir.resolve(AdapterDirectory.WEIGHTS_FILE)),
                        Files.readAllBytes(out.resolve(AdapterDirectory.WEIGHTS_FILE)), input + ": weights exported as pushed");
                assertEquals(v.fingerprint(), AdapterFingerprint.of(out).value(), input + ": the export is the version");
                assertEquals(v.fingerprint(), AdapterFingerprint.of(dir).value(), input + ": the version is what was pushed");
            } catch (PeftException e) {
                REFUSED.incrementAndGet();
                String message = String.valueOf(e.getMessage());
                assertTrue(message.contains(dir.toString()), input + ": the message does not name the directory: " + message);
                assertEquals("", before.changesTo(RegistrySnapshot.of(r)), input + " was refused (" + message
                        + ") but changed the registry");
            }
            assertTrue(System.nanoTime() - start < BOUND_NANOS, input + " took longer than 10 s");
        } finally {
            FuzzRegistries.delete(scratch);
        }
    }

    private static void lay(Path dir, String shape, byte[] config, byte[] weights) throws Exception {
        if (shape.equals("no directory")) {
            return;
        }
        if (shape.equals("directory is a file")) {
            Files.write(dir, config);
            return;
        }
        Path at = shape.equals("nested adapter") ? dir.resolve("other") : dir;
        Files.createDirectories(at);
        Path cfg = at.resolve("adapter_config.json");
        Path w = at.resolve(AdapterDirectory.WEIGHTS_FILE);
        switch (shape) {
            case "no config" -> Files.write(w, weights);
            case "no weights" -> Files.write(cfg, config);
            case "config is a directory" -> {
                Files.createDirectories(cfg);
                Files.write(w, weights);
            }
            case "weights is a directory" -> {
                Files.write(cfg, config);
                Files.createDirectories(w);
            }
            case "pickle only" -> {
                Files.write(cfg, config);
                Files.write(at.resolve(AdapterDirectory.PICKLE_FILE), weights);
            }
            case "weights links to /dev/zero" -> {
                Files.write(cfg, config);
                Files.createSymbolicLink(w, Path.of("/dev/zero"));
            }
            case "config links to /dev/zero" -> {
                Files.createSymbolicLink(cfg, Path.of("/dev/zero"));
                Files.write(w, weights);
            }
            case "weights links outside" -> {
                Files.write(cfg, config);
                Path outside = Files.write(dir.resolveSibling("outside.safetensors"), weights);
                Files.createSymbolicLink(w, outside);
            }
            case "dangling weights link" -> {
                Files.write(cfg, config);
                Files.createSymbolicLink(w, dir.resolveSibling("nothing-here"));
            }
            default -> { // "files", "pickle beside", "nested adapter"
                Files.write(cfg, config);
                Files.write(w, weights);
                if (shape.equals("pickle beside")) {
                    Files.write(at.resolve(AdapterDirectory.PICKLE_FILE), weights);
                }
            }
        }
    }
}
