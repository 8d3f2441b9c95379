package io.github.peft4j.review;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One prompt of a review sheet: the question, the data's reference answer if it has one, and each
 * system's output under a blinded label ({@code A}, {@code B}, ...) in the order the page shows
 * them. {@link #systemOf} is the key to the blinding; it is kept in {@code review.jsonl}, never in
 * the page.
 *
 * <pre>{@code
 * String winner = item.systemOf().get(verdict.preferred());   // "candidate"
 * }</pre>
 *
 * @param id the item's id ({@code p1}, {@code p2}, ...)
 * @param prompt the question the systems answered
 * @param reference the data's answer, or {@code null}
 * @param outputs label → output text, in display order
 * @param systemOf label → system name
 */
public record ReviewItem(String id, String prompt, String reference, Map<String, String> outputs,
        Map<String, String> systemOf) {

    /** Copies the maps, keeping their order. */
    public ReviewItem {
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        systemOf = Collections.unmodifiableMap(new LinkedHashMap<>(systemOf));
        if (!outputs.keySet().equals(systemOf.keySet())) {
            throw new IllegalArgumentException("item " + id + ": labels " + outputs.keySet() + " and " + systemOf.keySet() + " differ");
        }
    }

    /**
     * @param system a system name
     * @return its blinded label in this item, or {@code null}
     */
    public String labelOf(String system) {
        for (Map.Entry<String, String> e : systemOf.entrySet()) {
            if (e.getValue().equals(system)) {
                return e.getKey();
            }
        }
        return null;
    }
}
