package io.github.peft4j.assets.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.text.Normalizer;
import java.util.Locale;

/**
 * One line of the support dataset: a customer question and the answer, with what the generator
 * knows about it (language, topic, how it came about) but does not write into the file.
 *
 * <p>In the file an example is {@code {"prompt": ..., "completion": ...}} or, when {@link #chat()},
 * {@code {"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}}.
 *
 * <pre>{@code
 * String line = example.toJsonLine();   // {"prompt":"Where is my order NW-482913?","completion":"..."}
 * }</pre>
 *
 * @param language language of question and answer
 * @param topic the topic id of {@code support-templates.json}
 * @param prompt the customer's question
 * @param completion the answer
 * @param chat written in the {@code messages} form
 * @param origin original, or a planted duplicate
 */
public record SupportExample(Language language, String topic, String prompt, String completion, boolean chat,
        Origin origin) {

    /** How an example came about. */
    public enum Origin {
        /** Drawn from the templates; unique after {@link #normalize}. */
        ORIGINAL,
        /** A byte-identical copy of an original. */
        EXACT_DUPLICATE,
        /** An original whose question differs only in case, spacing or punctuation. */
        NEAR_DUPLICATE
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param prompt the new question
     * @param newOrigin the origin of the copy
     * @return this example with another question and origin
     */
    public SupportExample withPrompt(String prompt, Origin newOrigin) {
        return new SupportExample(language, topic, prompt, completion, chat, newOrigin);
    }

    /** @return the JSON object of the file, on one line */
    public String toJsonLine() {
        ObjectNode node = JSON.createObjectNode();
        if (chat) {
            var messages = node.putArray("messages");
            messages.addObject().put("role", "user").put("content", prompt);
            messages.addObject().put("role", "assistant").put("content", completion);
        } else {
            node.put("prompt", prompt);
            node.put("completion", completion);
        }
        return node.toString();
    }

    /**
     * The comparison key of near-duplicates: lower case, only letters, digits and single spaces.
     *
     * @param text a question
     * @return its key
     */
    public static String normalize(String text) {
        String nfc = Normalizer.normalize(text, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
        return nfc.replaceAll("[^\\p{L}\\p{N}\\s]", "").replaceAll("\\s+", " ").strip();
    }
}
