package io.github.peft4j.train.data;

import java.util.List;

/**
 * One training example as read from a JSONL line, in one of the shapes the Hugging Face
 * ecosystem (TRL's SFTTrainer, {@code datasets}) uses: plain text, prompt + completion, a chat, or
 * a text with a class label. Curation works on {@link #texts()} without caring about the shape.
 *
 * <pre>{@code
 * DataRecord r = new DataRecord.PromptCompletion("Q: 2+2?\nA:", " 4");
 * List<String> parts = r.texts();                 // ["Q: 2+2?\nA:", " 4"]
 * DataRecord cleaned = r.withTexts(List.of("Q: <EMAIL>?\nA:", " 4"));
 * }</pre>
 */
public sealed interface DataRecord permits DataRecord.OneText, DataRecord.PromptCompletion, DataRecord.Chat {

    /** @return where the record came from ({@code file:line}), or {@code null} if built in code */
    String origin();

    /** @return the free-text fields, in a fixed order for this shape */
    List<String> texts();

    /**
     * @param texts replacements for {@link #texts()}, same count and order
     * @return a record of the same shape with those texts
     */
    DataRecord withTexts(List<String> texts);

    /** The shapes with a single free-text field: its text is all that curation sees and changes. */
    sealed interface OneText extends DataRecord permits Text, LabeledText {

        /** @return the text */
        String text();

        /**
         * @param replacement the new text
         * @return a record of the same shape with that text
         */
        DataRecord withText(String replacement);

        @Override
        default List<String> texts() {
            return List.of(text());
        }

        @Override
        default DataRecord withTexts(List<String> texts) {
            check(texts, 1);
            return withText(texts.get(0));
        }
    }

    /**
     * {@code {"text": ...}}: causal LM on the whole text.
     *
     * @param text the text
     * @param origin where it came from, or {@code null}
     */
    record Text(String text, String origin) implements OneText {
        /** @param text the text */
        public Text(String text) {
            this(text, null);
        }

        @Override
        public DataRecord withText(String replacement) {
            return new Text(replacement, origin);
        }
    }

    /**
     * {@code {"prompt": ..., "completion": ...}}: loss on the completion by default.
     *
     * @param prompt the prompt
     * @param completion the completion
     * @param origin where it came from, or {@code null}
     */
    record PromptCompletion(String prompt, String completion, String origin) implements DataRecord {
        /**
         * @param prompt the prompt
         * @param completion the completion
         */
        public PromptCompletion(String prompt, String completion) {
            this(prompt, completion, null);
        }

        @Override
        public List<String> texts() {
            return List.of(prompt, completion);
        }

        @Override
        public DataRecord withTexts(List<String> texts) {
            check(texts, 2);
            return new PromptCompletion(texts.get(0), texts.get(1), origin);
        }
    }

    /**
     * {@code {"messages": [{"role": ..., "content": ...}, ...]}}: rendered with a
     * {@link ChatTemplate}; loss on the assistant turns by default.
     *
     * @param messages the turns
     * @param origin where it came from, or {@code null}
     */
    record Chat(List<ChatMessage> messages, String origin) implements DataRecord {
        /** Copies the list. */
        public Chat {
            messages = List.copyOf(messages);
        }

        /** @param messages the turns */
        public Chat(List<ChatMessage> messages) {
            this(messages, null);
        }

        @Override
        public List<String> texts() {
            return messages.stream().map(ChatMessage::content).toList();
        }

        @Override
        public DataRecord withTexts(List<String> texts) {
            check(texts, messages.size());
            List<ChatMessage> out = new java.util.ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                out.add(new ChatMessage(messages.get(i).role(), texts.get(i)));
            }
            return new Chat(out, origin);
        }
    }

    /**
     * {@code {"text": ..., "label": ...}}: sequence classification.
     *
     * @param text the text
     * @param label the class, as written in the file (a name or a number)
     * @param origin where it came from, or {@code null}
     */
    record LabeledText(String text, String label, String origin) implements OneText {
        /**
         * @param text the text
         * @param label the class
         */
        public LabeledText(String text, String label) {
            this(text, label, null);
        }

        @Override
        public DataRecord withText(String replacement) {
            return new LabeledText(replacement, label, origin);
        }
    }

    /** @throws IllegalArgumentException unless there are {@code expected} texts */
    private static void check(List<String> texts, int expected) {
        if (texts.size() != expected) {
            throw new IllegalArgumentException("expected " + expected + " texts, got " + texts.size());
        }
    }
}
