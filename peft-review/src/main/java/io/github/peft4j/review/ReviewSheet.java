package io.github.peft4j.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.github.peft4j.core.files.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A blinded review sheet: per prompt, the reference answer when the data has one and each system's
 * output under a label ({@code A}, {@code B}, {@code C}) whose order is shuffled per prompt with a
 * seeded {@link Random}, so the same inputs give the same sheet. Written as {@code review.jsonl}
 * (everything, including which label is which system) and {@code review.html} (the page reviewers
 * open: prompts, references and labelled outputs only).
 *
 * <pre>{@code
 * Map<ReviewedSystem, List<String>> outputs = new LinkedHashMap<>();
 * outputs.put(new ReviewedSystem("base", "assets/base-model", null), baseAnswers);
 * outputs.put(new ReviewedSystem("candidate", "support:3", fingerprint), adapterAnswers);
 * ReviewSheet sheet = ReviewSheet.blind(prompts, outputs, 42, null);
 * sheet.writeTo(Path.of("runs/review"));   // review.jsonl + review.html
 * }</pre>
 *
 * @param id the sheet's id: a hash of its systems and items (verdicts name it)
 * @param seed the seed of the blinding
 * @param systems the systems, in the order given
 * @param items the prompts with their blinded outputs
 * @param meta free-form facts about how the outputs were made (model, decoding), or a null node
 */
public record ReviewSheet(String id, long seed, List<ReviewedSystem> systems, List<ReviewItem> items, JsonNode meta) {

    /** The sheet with the key to the blinding. */
    public static final String JSONL_FILE = "review.jsonl";
    /** The page for reviewers. */
    public static final String HTML_FILE = "review.html";

    /**
     * A prompt to review.
     *
     * @param prompt the question
     * @param reference the data's answer, or {@code null}
     */
    public record Prompt(String prompt, String reference) {}

    /** Copies the lists. */
    public ReviewSheet {
        systems = List.copyOf(systems);
        items = List.copyOf(items);
        meta = meta == null ? NullNode.getInstance() : meta;
    }

    /**
     * @param prompts the prompts
     * @param outputs each system's outputs, one per prompt, in prompt order
     * @param seed the blinding seed
     * @param meta how the outputs were made, or {@code null}
     * @return the sheet, items {@code p1..pN}
     * @throws IllegalArgumentException if a system has not one output per prompt, or there are more than 26 systems
     */
    public static ReviewSheet blind(List<Prompt> prompts, Map<ReviewedSystem, List<String>> outputs, long seed, JsonNode meta) {
        List<ReviewedSystem> systems = new ArrayList<>(outputs.keySet());
        if (systems.isEmpty() || systems.size() > 26) {
            throw new IllegalArgumentException("a sheet shows 1 to 26 systems, not " + systems.size());
        }
        outputs.forEach((s, texts) -> {
            if (texts.size() != prompts.size()) {
                throw new IllegalArgumentException(s.name() + " has " + texts.size() + " outputs for " + prompts.size() + " prompts");
            }
        });
        Random random = new Random(seed);
        List<ReviewItem> items = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            List<ReviewedSystem> order = new ArrayList<>(systems);
            Collections.shuffle(order, random);
            Map<String, String> texts = new LinkedHashMap<>();
            Map<String, String> systemOf = new LinkedHashMap<>();
            for (int k = 0; k < order.size(); k++) {
                String label = String.valueOf((char) ('A' + k));
                texts.put(label, outputs.get(order.get(k)).get(i));
                systemOf.put(label, order.get(k).name());
            }
            items.add(new ReviewItem("p" + (i + 1), prompts.get(i).prompt(), prompts.get(i).reference(), texts, systemOf));
        }
        return new ReviewSheet(idOf(seed, systems, items), seed, systems, items, meta);
    }

    /**
     * @param itemId an item id
     * @return the item, or {@code null}
     */
    public ReviewItem item(String itemId) {
        return items.stream().filter(i -> i.id().equals(itemId)).findFirst().orElse(null);
    }

    /**
     * @param name a system name
     * @return the system, or {@code null}
     */
    public ReviewedSystem system(String name) {
        return systems.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * The pairs a summary reports, first against second: the candidate against the base and the
     * baseline, and the baseline against the base, for those present.
     *
     * @return pairs of system names
     */
    public List<List<String>> comparisons() {
        List<List<String>> out = new ArrayList<>();
        String[][] wanted = {{ReviewedSystem.CANDIDATE, ReviewedSystem.BASE}, {ReviewedSystem.CANDIDATE, ReviewedSystem.BASELINE},
                {ReviewedSystem.BASELINE, ReviewedSystem.BASE}};
        for (String[] pair : wanted) {
            if (system(pair[0]) != null && system(pair[1]) != null) {
                out.add(List.of(pair[0], pair[1]));
            }
        }
        return out;
    }

    /**
     * Writes {@code review.jsonl} and {@code review.html} (each atomically).
     *
     * @param dir the directory (created if missing)
     */
    public void writeTo(Path dir) {
        AtomicFiles.write(dir.resolve(JSONL_FILE), ReviewSheetJsonl.format(this).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve(HTML_FILE), ReviewPage.render(this).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param file a {@code review.jsonl}
     * @return the sheet
     * @throws ReviewFormatException naming the file and line if it is not a review sheet
     */
    public static ReviewSheet read(Path file) {
        return ReviewSheetJsonl.read(file);
    }

    private static String idOf(long seed, List<ReviewedSystem> systems, List<ReviewItem> items) {
        ArrayNode all = ReviewJson.MAPPER.createArrayNode();
        all.add(seed);
        all.add(ReviewJson.MAPPER.valueToTree(systems));
        all.add(ReviewJson.MAPPER.valueToTree(items));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(ReviewJson.line(all).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
