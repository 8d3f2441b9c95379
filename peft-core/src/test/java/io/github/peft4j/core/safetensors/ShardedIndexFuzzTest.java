package io.github.peft4j.core.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Issue 24's standing suite: a sharded checkpoint whose {@code model.safetensors.index.json} is
 * mutated (splices, cuts, replaced values, shard names pointing elsewhere) opens and loads in full
 * or ends in a {@link PeftException} subtype within 10 s, never another exception type.
 */
class ShardedIndexFuzzTest {

    private static final long BOUND_NANOS = 10_000_000_000L;
    private static final AtomicLong OK = new AtomicLong();
    private static final AtomicLong REFUSED = new AtomicLong();

    private static final String SHARD_1 = "model-00001-of-00002.safetensors";
    private static final String SHARD_2 = "model-00002-of-00002.safetensors";
    private static final String VALID_INDEX = "{\"metadata\": {\"total_size\": 40}, \"weight_map\": {\"a\": \""
            + SHARD_1 + "\", \"b\": \"" + SHARD_2 + "\"}}";

    /** The two shards' bytes, written once: each case writes them plainly (no fsync), then its index. */
    private static final byte[][] SHARDS = shards();

    private static byte[][] shards() {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = Files.createTempDirectory("fuzz-shards");
            SafetensorsWriter.write(dir.resolve(SHARD_1), Map.of("a", m.arange(4f)));
            SafetensorsWriter.write(dir.resolve(SHARD_2), Map.of("b", m.arange(6f)));
            byte[][] bytes = {Files.readAllBytes(dir.resolve(SHARD_1)), Files.readAllBytes(dir.resolve(SHARD_2))};
            Files.delete(dir.resolve(SHARD_1));
            Files.delete(dir.resolve(SHARD_2));
            Files.delete(dir);
            return bytes;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Provide
    Arbitrary<String> mutatedIndexes() {
        Arbitrary<String> splices = Arbitraries.integers().between(0, VALID_INDEX.length())
                .flatMap(at -> Arbitraries.of("16", "-1", "\"x\"", "null", "[]", "{}", "\"", ",", "}", "\u0000",
                        "\"../../etc/passwd\"", "\"/tmp\"", "\"" + SHARD_1 + "\"", "1e400")
                        .map(piece -> VALID_INDEX.substring(0, at) + piece + VALID_INDEX.substring(at)));
        Arbitrary<String> cuts = Arbitraries.integers().between(0, VALID_INDEX.length())
                .map(n -> VALID_INDEX.substring(0, n));
        Arbitrary<String> shardNames = Arbitraries.of("", ".", "..", "../model.safetensors", "/dev/zero", "missing.safetensors",
                SHARD_1, SHARD_2, "sub/" + SHARD_1, "model.safetensors.index.json")
                .map(name -> VALID_INDEX.replace("\"" + SHARD_2 + "\"", "\"" + name + "\""));
        Arbitrary<String> keys = Arbitraries.of("\"a\"", "\"\"", "\"b\"", "\"c\"")
                .map(key -> VALID_INDEX.replace("\"b\"", key));
        return Arbitraries.oneOf(splices, cuts, shardNames, keys, Arbitraries.strings().ofMaxLength(80));
    }

    @Property
    void aShardedCheckpointEndsInSuccessOrAPeftException(@ForAll("mutatedIndexes") String index) throws IOException {
        Path dir = Files.createTempDirectory("fuzz-sharded");
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager()) {
            Files.write(dir.resolve(SHARD_1), SHARDS[0]);
            Files.write(dir.resolve(SHARD_2), SHARDS[1]);
            Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX_FILE), index);
            try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
                Map<String, NDArray> all = new LinkedHashMap<>();
                for (String name : ckpt.names()) {
                    all.put(name, ckpt.load(name, m));
                }
                OK.incrementAndGet();
            } catch (PeftException e) {
                REFUSED.incrementAndGet();
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        if (System.nanoTime() - start > BOUND_NANOS) {
            throw new AssertionError("took longer than 10 s");
        }
    }

    @AfterContainer
    static void report() {
        System.out.printf("fuzz counts: sharded index %d loaded, %d refused%n", OK.get(), REFUSED.get());
    }
}
