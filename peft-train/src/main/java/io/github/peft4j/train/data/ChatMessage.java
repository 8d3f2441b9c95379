package io.github.peft4j.train.data;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One turn of a chat, as in the OpenAI / Hugging Face {@code messages} format.
 *
 * <pre>{@code
 * new ChatMessage("user", "Where is my parcel?");
 * }</pre>
 *
 * @param role {@code system}, {@code user}, {@code assistant} or any role the template knows
 * @param content the text
 */
public record ChatMessage(String role, String content) {

    /** Checks the fields. */
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    /** @return the message as a chat template sees it: {@code {"role": ..., "content": ...}} */
    public Map<String, String> toMap() {
        return Map.of("role", role, "content", content);
    }

    /**
     * @param messages a chat
     * @return its messages as {@link #toMap()} gives them
     */
    public static List<Map<String, String>> toMaps(List<ChatMessage> messages) {
        return messages.stream().map(ChatMessage::toMap).toList();
    }
}
