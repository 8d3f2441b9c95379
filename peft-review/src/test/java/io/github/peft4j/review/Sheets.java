package io.github.peft4j.review;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small sheets with known label assignments, for tests that count by hand. */
final class Sheets {

    static final ReviewedSystem BASE = new ReviewedSystem("base", "assets/base-model", null);
    static final ReviewedSystem CANDIDATE = new ReviewedSystem("candidate", "support:2", "c".repeat(64));
    static final ReviewedSystem BASELINE = new ReviewedSystem("baseline", "support:1", "b".repeat(64));

    private Sheets() {}

    /** An item whose labels are A, B, C... for the systems in the order given. */
    static ReviewItem item(String id, String prompt, String reference, String... systemsAndTexts) {
        Map<String, String> outputs = new LinkedHashMap<>();
        Map<String, String> systemOf = new LinkedHashMap<>();
        for (int i = 0; i < systemsAndTexts.length; i += 2) {
            String label = String.valueOf((char) ('A' + i / 2));
            systemOf.put(label, systemsAndTexts[i]);
            outputs.put(label, systemsAndTexts[i + 1]);
        }
        return new ReviewItem(id, prompt, reference, outputs, systemOf);
    }

    /** Four prompts, base against candidate, the candidate's label alternating A, B, A, B. */
    static ReviewSheet twoSystems() {
        return new ReviewSheet("s2", 0, List.of(BASE, CANDIDATE), List.of(
                item("p1", "How long do returns take?", "30 days.", "candidate", "You have 30 days.", "base", "Returns are fun."),
                item("p2", "Can I pay by card?", null, "base", "Cards cards.", "candidate", "Yes, all major cards."),
                item("p3", "Where is my order?", "Check the tracking link.", "candidate", "See the tracking link.",
                        "base", "Use the tracking link."),
                item("p4", "What is my account number?", null, "base", "I cannot share that.", "candidate",
                        "It is 12345678, Ann Smith.")), null);
    }

    /** One prompt, A/B: A = baseline, B = candidate, C = base. */
    static ReviewSheet threeSystems() {
        return new ReviewSheet("s3", 0, List.of(BASE, CANDIDATE, BASELINE), List.of(
                item("p1", "Do you ship abroad?", "Yes, to the EU.", "baseline", "We ship to the EU.", "candidate",
                        "Yes, to every EU country.", "base", "Shipping is a word.")), null);
    }

    /** A verdict line in the page's shape. */
    static String line(String sheet, String item, String reviewer, String preferred, String acceptable, String flags) {
        return "{\"sheet\":\"" + sheet + "\",\"item\":\"" + item + "\",\"reviewer\":\"" + reviewer + "\",\"preferred\":"
                + (preferred == null ? "null" : "\"" + preferred + "\"") + ",\"acceptable\":" + acceptable + ",\"flags\":"
                + flags + ",\"comment\":\"\"}";
    }
}
