package io.github.peft4j.assets.corpus;

import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Line files of the corpus: UTF-8, one paragraph per line, each line ending in {@code \n}; a name
 * ending in {@code .gz} means the file is gzip-compressed.
 *
 * <pre>{@code
 * List<String> paragraphs = CorpusFiles.readLines(Path.of("assets/corpus/factbook.txt.gz"));
 * }</pre>
 */
public final class CorpusFiles {

    private CorpusFiles() {
    }

    /**
     * @param file a {@code .txt} or {@code .txt.gz} line file
     * @return its lines, without line terminators
     * @throws PeftFormatException naming the file if it is missing, not gzip or not UTF-8
     */
    public static List<String> readLines(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot read: " + e);
        }
        if (file.getFileName().toString().endsWith(".gz")) {
            try {
                bytes = DeterministicGzip.decompress(bytes);
            } catch (RuntimeException e) {
                throw new PeftFormatException(file, null, "expected a gzip file: " + e.getMessage(), e);
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new PeftFormatException(file, null, "expected UTF-8 text: " + e.getMessage(), e);
        }
        List<String> lines = List.of(text.split("\n", -1));
        // The terminator of the last line leaves an empty string behind the final split.
        return text.isEmpty() || text.endsWith("\n") ? lines.subList(0, lines.size() - 1) : lines;
    }

    /**
     * @param lines the lines, none containing a line break
     * @return the UTF-8 bytes of the lines, each followed by {@code \n}
     */
    public static byte[] joinLines(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String line : lines) {
            if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("a line may not contain a line break: " + line);
            }
            sb.append(line).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes lines atomically, gzip-compressed (deterministically) when the name ends in {@code .gz}.
     *
     * @param file the target
     * @param lines its lines
     */
    public static void writeLines(Path file, List<String> lines) {
        byte[] bytes = joinLines(lines);
        if (file.getFileName().toString().endsWith(".gz")) {
            bytes = DeterministicGzip.compress(bytes);
        }
        AtomicFiles.write(file, bytes);
    }

    /**
     * @param bytes any bytes
     * @return their SHA-256 as lower-case hex
     */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
