package io.github.peft4j.serve;

import io.github.peft4j.models.chat.JinjaChatTemplate;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.ChatTemplate;
import io.github.peft4j.train.data.TextSegment;
import java.util.List;

/**
 * How {@code /v1/chat/completions} turns messages into the prompt the model continues: the base
 * model's own Hugging Face chat template rendered with {@code add_generation_prompt=True} (as vLLM
 * does), or a simple {@link ChatTemplate} followed by the opening of an assistant turn.
 *
 * <pre>{@code
 * ChatPromptFormat f = ChatPromptFormat.of(tokenizer.chatTemplate().orElseThrow());
 * String prompt = f.prompt(List.of(new ChatMessage("user", "Hi")));
 * }</pre>
 */
@FunctionalInterface
public interface ChatPromptFormat {

    /**
     * @param messages the chat so far
     * @return the prompt, ending where the assistant's answer starts
     * @throws io.github.peft4j.core.PeftConfigException when the template refuses the chat
     */
    String prompt(List<ChatMessage> messages);

    /**
     * @param template a Hugging Face chat template
     * @return the format rendering it with the generation prompt
     */
    static ChatPromptFormat of(JinjaChatTemplate template) {
        return messages -> template.render(ChatMessage.toMaps(messages), true);
    }

    /**
     * @param template a simple template
     * @return the format rendering the turns, then the opening of an assistant turn
     */
    static ChatPromptFormat of(ChatTemplate template) {
        List<TextSegment> open = template.render(List.of(new ChatMessage("assistant", "")), false);
        String generationPrompt = open.isEmpty() ? "" : open.get(0).text();
        return messages -> template.renderText(messages) + generationPrompt;
    }

    /**
     * @param configured the format configured for the server, or {@code null}
     * @param tokenizer the base model's tokenizer
     * @return the configured format, else the tokenizer's chat template, else {@link ServeConfig#DEFAULT_CHAT}
     */
    static ChatPromptFormat resolve(ChatPromptFormat configured, HfTokenizer tokenizer) {
        if (configured != null) {
            return configured;
        }
        return tokenizer.chatTemplate().map(ChatPromptFormat::of).orElseGet(() -> of(ServeConfig.DEFAULT_CHAT));
    }
}
