package io.github.peft4j.train.data.preference;

import io.github.peft4j.train.data.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One preference: a prompt, the answer preferred for it ({@code chosen}) and one that is not
 * ({@code rejected}), in TRL's two preference formats. What DPO trains on, and what review
 * verdicts become.
 *
 * <pre>{@code
 * PreferencePair p = new PreferencePair.Standard("How long do refunds take?",
 *         "Refunds reach your card within 5 business days.", "Refunds take a few months.");
 * PreferencePair c = new PreferencePair.Conversational(
 *         List.of(new ChatMessage("user", "How long do refunds take?")),
 *         List.of(new ChatMessage("assistant", "Within 5 business days.")),
 *         List.of(new ChatMessage("assistant", "A few months.")));
 * }</pre>
 */
public sealed interface PreferencePair permits PreferencePair.Standard, PreferencePair.Conversational {

    /** @return where the pair came from ({@code file:line}), or {@code null} if built in code */
    String origin();

    /** @return the free-text fields, prompt first, then chosen, then rejected (what curation sees) */
    List<String> texts();

    /**
     * @param texts replacements for {@link #texts()}, same count and order
     * @return a pair of the same shape with those texts
     */
    PreferencePair withTexts(List<String> texts);

    /**
     * TRL's standard format: {@code {"prompt": "...", "chosen": "...", "rejected": "..."}}, the
     * answers continuing the prompt text as they are.
     *
     * @param prompt the prompt
     * @param chosen the preferred continuation
     * @param rejected the other continuation
     * @param origin where it came from, or {@code null}
     */
    record Standard(String prompt, String chosen, String rejected, String origin) implements PreferencePair {

        /** Checks the fields. */
        public Standard {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(chosen, "chosen");
            Objects.requireNonNull(rejected, "rejected");
        }

        /**
         * @param prompt the prompt
         * @param chosen the preferred continuation
         * @param rejected the other continuation
         */
        public Standard(String prompt, String chosen, String rejected) {
            this(prompt, chosen, rejected, null);
        }

        @Override
        public List<String> texts() {
            return List.of(prompt, chosen, rejected);
        }

        @Override
        public PreferencePair withTexts(List<String> texts) {
            check(texts, 3);
            return new Standard(texts.get(0), texts.get(1), texts.get(2), origin);
        }
    }

    /**
     * TRL's conversational format: {@code {"prompt": [messages], "chosen": [messages], "rejected":
     * [messages]}}, rendered with the model's chat template; the answers are usually one assistant
     * message each.
     *
     * @param prompt the conversation so far
     * @param chosen the preferred answer turns
     * @param rejected the other answer turns
     * @param origin where it came from, or {@code null}
     */
    record Conversational(List<ChatMessage> prompt, List<ChatMessage> chosen, List<ChatMessage> rejected,
            String origin) implements PreferencePair {

        /** Copies the lists. */
        public Conversational {
            prompt = List.copyOf(prompt);
            chosen = List.copyOf(chosen);
            rejected = List.copyOf(rejected);
        }

        /**
         * @param prompt the conversation so far
         * @param chosen the preferred answer turns
         * @param rejected the other answer turns
         */
        public Conversational(List<ChatMessage> prompt, List<ChatMessage> chosen, List<ChatMessage> rejected) {
            this(prompt, chosen, rejected, null);
        }

        /**
         * @param prompt the conversation so far
         * @param chosen the preferred assistant answer
         * @param rejected the other assistant answer
         * @return a pair of single assistant answers
         */
        public static Conversational ofAnswers(List<ChatMessage> prompt, String chosen, String rejected) {
            return new Conversational(prompt, List.of(new ChatMessage("assistant", chosen)),
                    List.of(new ChatMessage("assistant", rejected)));
        }

        @Override
        public List<String> texts() {
            List<String> out = new ArrayList<>();
            for (List<ChatMessage> part : List.of(prompt, chosen, rejected)) {
                part.forEach(m -> out.add(m.content()));
            }
            return out;
        }

        @Override
        public PreferencePair withTexts(List<String> texts) {
            check(texts, prompt.size() + chosen.size() + rejected.size());
            int at = 0;
            List<ChatMessage> p = replaced(prompt, texts, at);
            at += prompt.size();
            List<ChatMessage> c = replaced(chosen, texts, at);
            at += chosen.size();
            return new Conversational(p, c, replaced(rejected, texts, at), origin);
        }

        private static List<ChatMessage> replaced(List<ChatMessage> part, List<String> texts, int from) {
            List<ChatMessage> out = new ArrayList<>(part.size());
            for (int i = 0; i < part.size(); i++) {
                out.add(new ChatMessage(part.get(i).role(), texts.get(from + i)));
            }
            return out;
        }
    }

    /** @throws IllegalArgumentException unless there are {@code expected} texts */
    private static void check(List<String> texts, int expected) {
        if (texts.size() != expected) {
            throw new IllegalArgumentException("expected " + expected + " texts, got " + texts.size());
        }
    }
}
