package io.github.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.peft4j.models.chat.JinjaChatTemplate;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.ChatMessage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chat endpoint's prompt: the model's own template with the generation prompt. */
class ChatPromptFormatTest {

    static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "Be brief."),
            new ChatMessage("user", "Where is my parcel?"));

    @Test
    void aHuggingFaceTemplateEndsWithTheGenerationPrompt() {
        JinjaChatTemplate qwenLike = JinjaChatTemplate.of("{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n'"
                + " + m.content + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
                + "{{ '<|im_start|>assistant\\n' }}{% endif %}");
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhere is my parcel?<|im_end|>\n"
                + "<|im_start|>assistant\n", ChatPromptFormat.of(qwenLike).prompt(CHAT));
    }

    @Test
    void theBundledModelsTemplateGivesTheDefaultFormat() {
        String expected = "<|system|>\nBe brief.<|endoftext|>\n<|user|>\nWhere is my parcel?<|endoftext|>\n<|assistant|>\n";
        assertEquals(expected, ChatPromptFormat.of(ServeConfig.DEFAULT_CHAT).prompt(CHAT));
        try (HfTokenizer tok = HfTokenizer.load(Path.of("../assets/base-model"), null)) {
            assertEquals(expected, ChatPromptFormat.resolve(null, tok).prompt(CHAT));
            ChatPromptFormat configured = messages -> "fixed";
            assertEquals("fixed", ChatPromptFormat.resolve(configured, tok).prompt(CHAT));
        }
    }
}
