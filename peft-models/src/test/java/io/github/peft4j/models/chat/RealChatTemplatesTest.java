package io.github.peft4j.models.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The published templates of Llama-3.1, Qwen2.5, Mistral and Gemma instruct models render character
 * for character what their model cards and transformers' {@code apply_chat_template} give.
 */
class RealChatTemplatesTest {

    static final List<Map<String, String>> CHAT = List.of(
            Map.of("role", "user", "content", "Where is my parcel?"),
            Map.of("role", "assistant", "content", "It ships tomorrow."),
            Map.of("role", "user", "content", "Thanks!"));

    static final List<Map<String, String>> WITH_SYSTEM = List.of(
            Map.of("role", "system", "content", "You are a support agent."),
            Map.of("role", "user", "content", "  Where is my parcel?\n"),
            Map.of("role", "assistant", "content", "It ships tomorrow."));

    static JinjaChatTemplate template(String file, Map<String, String> specials) {
        try (InputStream in = RealChatTemplatesTest.class.getResourceAsStream("/chat-templates/" + file)) {
            return JinjaChatTemplate.of(new String(in.readAllBytes(), StandardCharsets.UTF_8)).withSpecialTokens(specials);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JinjaChatTemplate llama() {
        return template("llama-3.1-instruct.jinja", Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"));
    }

    static JinjaChatTemplate qwen() {
        return template("qwen2.5-instruct.jinja", Map.of("eos_token", "<|im_end|>", "pad_token", "<|endoftext|>"));
    }

    static JinjaChatTemplate mistral() {
        return template("mistral-7b-instruct.jinja", Map.of("bos_token", "<s>", "eos_token", "</s>", "unk_token", "<unk>"));
    }

    static JinjaChatTemplate gemma(String file) {
        return template(file, Map.of("bos_token", "<bos>", "eos_token", "<eos>", "pad_token", "<pad>"));
    }

    @Test
    void rendersLlama31() {
        String header = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
        assertEquals(header + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhere is my parcel?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nIt ships tomorrow.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nThanks!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", llama().render(CHAT, true));
        assertEquals(header + "You are a support agent.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhere is my parcel?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nIt ships tomorrow.<|eot_id|>",
                llama().render(WITH_SYSTEM, false));
        assertTrue(llama().render(CHAT, false, Map.of("date_string", "01 Jan 2025")).contains("Today Date: 01 Jan 2025\n"));
    }

    @Test
    void rendersQwen25() {
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nWhere is my parcel?<|im_end|>\n"
                + "<|im_start|>assistant\nIt ships tomorrow.<|im_end|>\n"
                + "<|im_start|>user\nThanks!<|im_end|>\n"
                + "<|im_start|>assistant\n", qwen().render(CHAT, true));
        assertEquals("<|im_start|>system\nYou are a support agent.<|im_end|>\n"
                + "<|im_start|>user\n  Where is my parcel?\n<|im_end|>\n"
                + "<|im_start|>assistant\nIt ships tomorrow.<|im_end|>\n", qwen().render(WITH_SYSTEM, false));
    }

    @Test
    void rendersMistral() {
        assertEquals("<s>[INST] Where is my parcel? [/INST]It ships tomorrow.</s>[INST] Thanks! [/INST]",
                mistral().render(CHAT, true));
        PeftConfigException e = assertThrows(PeftConfigException.class, () -> mistral().render(WITH_SYSTEM, false));
        assertTrue(e.getMessage().contains("Conversation roles must alternate user/assistant/user/assistant/..."),
                e.getMessage());
    }

    @Test
    void rendersGemma() {
        String expected = "<bos><start_of_turn>user\nWhere is my parcel?<end_of_turn>\n"
                + "<start_of_turn>model\nIt ships tomorrow.<end_of_turn>\n"
                + "<start_of_turn>user\nThanks!<end_of_turn>\n"
                + "<start_of_turn>model\n";
        assertEquals(expected, gemma("gemma-it.jinja").render(CHAT, true));
        assertEquals(expected, gemma("gemma-it-generation.jinja").render(CHAT, true));
        PeftConfigException e = assertThrows(PeftConfigException.class,
                () -> gemma("gemma-it.jinja").render(WITH_SYSTEM, false));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
    }

    @Test
    void assistantSpansByPrefixCoverTheTurnAndItsEnd() {
        assertEquals(List.of("It ships tomorrow.<|eot_id|>"), spanTexts(llama().renderWithAssistantSpans(CHAT)));
        assertEquals(List.of("It ships tomorrow.<|im_end|>\n"), spanTexts(qwen().renderWithAssistantSpans(CHAT)));
        assertEquals(List.of("It ships tomorrow.</s>"), spanTexts(mistral().renderWithAssistantSpans(CHAT)));
        assertEquals(List.of("It ships tomorrow.<end_of_turn>\n"),
                spanTexts(gemma("gemma-it.jinja").renderWithAssistantSpans(CHAT)));
        RenderedChat r = qwen().renderWithAssistantSpans(CHAT);
        assertEquals(qwen().render(CHAT, false), r.text());
        int start = r.text().indexOf("It ships");
        assertEquals(List.of(new CharSpan(start, start + "It ships tomorrow.<|im_end|>\n".length())), r.assistantSpans());
    }

    @Test
    void generationBlocksGiveTransformersSpans() {
        JinjaChatTemplate t = gemma("gemma-it-generation.jinja");
        assertTrue(t.hasGenerationBlocks());
        RenderedChat r = t.renderWithAssistantSpans(CHAT);
        assertEquals(t.render(CHAT, false), r.text());
        assertEquals(List.of("It ships tomorrow."), spanTexts(r));
        int start = r.text().indexOf("It ships");
        assertEquals(new CharSpan(start, start + 18), r.assistantSpans().get(0));
    }

    static List<String> spanTexts(RenderedChat r) {
        return r.assistantSpans().stream().map(s -> r.text().substring(s.start(), s.end())).toList();
    }
}
