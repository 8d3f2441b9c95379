package io.github.peft4j.train.curation;

import io.github.peft4j.train.data.DataRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes records whose {@link Normalizer normalised} text equals that of an earlier record; the
 * first occurrence is kept. A record's text is its fields joined with a separator that cannot occur
 * in them, so that {@code ("ab","c")} and {@code ("a","bc")} differ; records of different shapes
 * never collide. Keys are SHA-256 digests, so memory stays small on large files.
 *
 * <pre>{@code
 * ExactDedup.Result r = ExactDedup.apply(records);
 * r.kept();      // records without exact duplicates, in order
 * r.removed();   // how many were dropped
 * }</pre>
 */
public final class ExactDedup {

    private ExactDedup() {}

    /**
     * @param kept the records kept, in order
     * @param removed how many duplicates were dropped
     */
    public record Result(List<DataRecord> kept, int removed) {}

    /**
     * @param records records in order
     * @return the first occurrence of each normalised text
     */
    public static Result apply(List<DataRecord> records) {
        Set<String> seen = new HashSet<>();
        List<DataRecord> kept = new ArrayList<>();
        for (DataRecord r : records) {
            if (seen.add(key(r))) {
                kept.add(r);
            }
        }
        return new Result(List.copyOf(kept), records.size() - kept.size());
    }

    /**
     * @param record a record
     * @return the digest its duplicates share
     */
    public static String key(DataRecord record) {
        StringBuilder sb = new StringBuilder(record.getClass().getSimpleName());
        for (String t : record.texts()) {
            sb.append('\u0000').append(Normalizer.normalize(t));
        }
        if (record instanceof DataRecord.Chat chat) {
            sb.append('\u0000').append(chat.messages().stream().map(m -> m.role()).toList());
        } else if (record instanceof DataRecord.LabeledText labeled) {
            sb.append('\u0000').append(labeled.label());
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
