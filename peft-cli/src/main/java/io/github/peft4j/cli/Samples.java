package io.github.peft4j.cli;

import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.DataRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The held-out questions {@code train} answers before and after training, with the reference
 * answer of the data beside them ({@code samples.md}), so that a reader judges the answers and not
 * only the loss.
 *
 * <pre>{@code
 * List<Samples.Sample> picked = Samples.pick(evalRecords, 4);
 * String md = Samples.markdown(picked, baseAnswers, adaptedAnswers);
 * }</pre>
 */
final class Samples {

    /**
     * @param question the user's question
     * @param reference the answer the data gives
     */
    record Sample(String question, String reference) {}

    private Samples() {}

    /**
     * @param records held-out records
     * @param n how many
     * @return the first {@code n} questions without personal data (no e-mail address, no long
     *     number), readable in a one-line summary, with their reference answers
     */
    static List<Sample> pick(List<DataRecord> records, int n) {
        List<Sample> out = new ArrayList<>();
        for (DataRecord r : records) {
            String q = ChatFormat.question(r);
            if (out.size() < n && q != null && !q.contains("@") && !q.matches("(?s).*\\d{3}.*")
                    && !q.contains("\n")) {
                out.add(new Sample(q, reference(r)));
            }
        }
        return out;
    }

    static String reference(DataRecord r) {
        if (r instanceof DataRecord.PromptCompletion pc) {
            return pc.completion();
        }
        if (r instanceof DataRecord.Chat c) {
            return c.messages().stream().filter(m -> m.role().equals("assistant")).map(ChatMessage::content)
                    .findFirst().orElse("");
        }
        return "";
    }

    /** @return the samples' questions */
    static List<String> questions(List<Sample> samples) {
        return samples.stream().map(Sample::question).toList();
    }

    /**
     * @param samples the questions and references
     * @param base the base model's answers
     * @param adapted the adapted model's answers
     * @return {@code samples.md}: per question, the reference, base and adapted answers in a table
     */
    static String markdown(List<Sample> samples, List<String> base, List<String> adapted) {
        StringBuilder sb = new StringBuilder("# Sample answers (greedy, held-out questions)\n");
        for (int i = 0; i < samples.size(); i++) {
            sb.append("\n## ").append(i + 1).append(". ").append(cell(samples.get(i).question())).append("\n\n")
                    .append("| | answer |\n|---|---|\n")
                    .append("| reference | ").append(cell(samples.get(i).reference())).append(" |\n")
                    .append("| base | ").append(cell(base.get(i))).append(" |\n")
                    .append("| adapted | ").append(cell(adapted.get(i))).append(" |\n");
        }
        return sb.toString();
    }

    /** @return the text on one line, pipes escaped, "(nothing)" for an empty answer */
    static String cell(String text) {
        String flat = text.replaceAll("\\s+", " ").strip().replace("|", "\\|");
        return flat.isEmpty() ? "(nothing)" : flat;
    }
}
