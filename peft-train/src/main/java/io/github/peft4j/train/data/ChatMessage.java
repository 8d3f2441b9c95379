package io.github.peft4j.train.data;

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
}
