package io.github.peft4j.models.chat;

import java.util.List;

/**
 * A chat rendered by its template, with the character spans of the assistant turns: what
 * transformers' {@code apply_chat_template(..., return_assistant_tokens_mask=True)} and TRL's
 * {@code assistant_only_loss} train.
 *
 * <pre>{@code
 * RenderedChat r = template.renderWithAssistantSpans(messages);
 * r.assistantSpans().forEach(s -> System.out.println(r.text().substring(s.start(), s.end())));
 * }</pre>
 *
 * @param text the rendered chat
 * @param assistantSpans the assistant parts, in order, not overlapping
 */
public record RenderedChat(String text, List<CharSpan> assistantSpans) {

    /** Copies the list. */
    public RenderedChat {
        assistantSpans = List.copyOf(assistantSpans);
    }

    /**
     * @param from the first character of a token
     * @param to one past its last character
     * @return whether the token overlaps an assistant span (transformers marks every token from the
     *     one holding a span's first character to the one holding its last)
     */
    public boolean isAssistant(int from, int to) {
        for (CharSpan s : assistantSpans) {
            if (s.overlaps(from, to)) {
                return true;
            }
        }
        return false;
    }
}
