package io.github.peft4j.review;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.files.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Verdicts as preference pairs for preference tuning (DPO), in TRL's {@code prompt} /
 * {@code chosen} / {@code rejected} JSONL. A verdict that prefers an output makes one pair per
 * other output of its item: the preferred output is chosen, the other rejected. No pair comes from
 * a tie, from a verdict without a preference, from a preferred output the same reviewer judged
 * unacceptable or flagged (a reviewer's least-bad answer is not one to teach), or from two
 * identical texts; identical pairs from several reviewers are written once.
 *
 * <pre>{@code
 * List<PreferencePairs.Pair> pairs = PreferencePairs.of(sheet, verdicts);
 * PreferencePairs.write(pairs, Path.of("prefs.jsonl"), false);   // {"prompt","chosen","rejected"}
 * PreferencePairs.write(pairs, Path.of("prefs-chat.jsonl"), true); // conversational: lists of messages
 * }</pre>
 */
public final class PreferencePairs {

    private PreferencePairs() {}

    /**
     * One preference.
     *
     * @param prompt the question
     * @param chosen the preferred answer
     * @param rejected the other answer
     */
    public record Pair(String prompt, String chosen, String rejected) {}

    /**
     * @param sheet the sheet
     * @param verdicts verdicts on it
     * @return the pairs, in verdict order
     */
    public static List<Pair> of(ReviewSheet sheet, List<Verdict> verdicts) {
        Set<Pair> out = new LinkedHashSet<>();
        for (Verdict v : verdicts) {
            String best = v.preferred();
            if (best == null || best.equals(Verdict.TIE) || Boolean.FALSE.equals(v.acceptable().get(best))
                    || !v.flagsOf(best).isEmpty()) {
                continue;
            }
            ReviewItem item = sheet.item(v.item());
            String chosen = item.outputs().get(best);
            item.outputs().forEach((label, text) -> {
                if (!label.equals(best) && !text.equals(chosen)) {
                    out.add(new Pair(item.prompt(), chosen, text));
                }
            });
        }
        return new ArrayList<>(out);
    }

    /**
     * Writes the pairs as JSONL, atomically.
     *
     * @param pairs the pairs
     * @param file the target
     * @param conversational {@code false}: plain strings; {@code true}: TRL's conversational form, the
     *     prompt a list with one user message, chosen and rejected lists with one assistant message
     */
    public static void write(List<Pair> pairs, Path file, boolean conversational) {
        StringBuilder sb = new StringBuilder();
        for (Pair p : pairs) {
            ObjectNode o = ReviewJson.MAPPER.createObjectNode();
            if (conversational) {
                o.putArray("prompt").addObject().put("role", "user").put("content", p.prompt());
                o.putArray("chosen").addObject().put("role", "assistant").put("content", p.chosen());
                o.putArray("rejected").addObject().put("role", "assistant").put("content", p.rejected());
            } else {
                o.put("prompt", p.prompt());
                o.put("chosen", p.chosen());
                o.put("rejected", p.rejected());
            }
            sb.append(ReviewJson.line(o)).append('\n');
        }
        AtomicFiles.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
    }
}
