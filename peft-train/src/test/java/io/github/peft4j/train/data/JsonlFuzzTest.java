package io.github.peft4j.train.data;

import io.github.peft4j.core.PeftException;
import java.io.IOException;
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
 * Issue 24's standing suite, JSONL part: any bytes given to {@link JsonlReader}, strict or
 * skipping, end in records or a {@link PeftException} subtype within 10 s, never another
 * exception type; when skipping, records + skipped lines + blank lines = lines.
 */
class JsonlFuzzTest {

    private static final long BOUND_NANOS = 10_000_000_000L;
    private static final AtomicLong READ = new AtomicLong();
    private static final AtomicLong REFUSED = new AtomicLong();
    private static final AtomicLong SKIPPED_LINES = new AtomicLong();

    private static final String VALID = "{\"text\":\"a\"}\n{\"prompt\":\"p\",\"completion\":\"c\"}\n"
            + "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\n"
            + "{\"text\":\"t\",\"label\":3}\n";

    @Provide
    Arbitrary<byte[]> mutatedJsonl() {
        byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
        Arbitrary<byte[]> flips = Arbitraries.integers().between(0, valid.length - 1).list().ofMinSize(1).ofMaxSize(6)
                .flatMap(at -> Arbitraries.bytes().array(byte[].class).ofSize(at.size()).map(values -> {
                    byte[] copy = valid.clone();
                    for (int i = 0; i < at.size(); i++) {
                        copy[at.get(i)] = values[i];
                    }
                    return copy;
                }));
        Arbitrary<byte[]> cuts = Arbitraries.integers().between(0, valid.length).map(n -> java.util.Arrays.copyOf(valid, n));
        Arbitrary<byte[]> splices = Arbitraries.integers().between(0, VALID.length())
                .flatMap(at -> Arbitraries.of("\n", "\r", "\u0000", "\uFEFF", "null", "[", "]", "{", "}", "\"", "\\",
                        "\\ud800", "1e400", ",\"label\":1.5", ",\"messages\":[]", "\u2028")
                        .map(piece -> (VALID.substring(0, at) + piece + VALID.substring(at)).getBytes(StandardCharsets.UTF_8)));
        Arbitrary<byte[]> lines = Arbitraries.strings().ofMaxLength(60).list().ofMaxSize(6)
                .map(l -> String.join("\n", l).getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(96);
        return Arbitraries.oneOf(flips, cuts, splices, lines, random);
    }

    @Property
    void theReaderEndsInRecordsOrAPeftException(@ForAll("mutatedJsonl") byte[] bytes, @ForAll boolean strict)
            throws IOException {
        Path file = Files.createTempFile("fuzz", ".jsonl");
        long start = System.nanoTime();
        try {
            Files.write(file, bytes);
            JsonlReader.Result r = JsonlReader.builder().strict(strict).build().read(file);
            if (strict && !r.skipped().isEmpty()) {
                throw new AssertionError("a strict reader skipped lines");
            }
            if (r.records().isEmpty()) {
                throw new AssertionError("a result without records");
            }
            READ.incrementAndGet();
            SKIPPED_LINES.addAndGet(r.skipped().size());
        } catch (PeftException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith(file.toString())) {
                throw new AssertionError("error does not name the file: " + e.getMessage(), e);
            }
            REFUSED.incrementAndGet();
        } finally {
            Files.deleteIfExists(file);
        }
        if (System.nanoTime() - start > BOUND_NANOS) {
            throw new AssertionError("took longer than 10 s");
        }
    }

    @AfterContainer
    static void report() {
        System.out.printf("fuzz counts: JSONL %d files read (%d bad lines skipped), %d refused%n", READ.get(),
                SKIPPED_LINES.get(), REFUSED.get());
    }
}
