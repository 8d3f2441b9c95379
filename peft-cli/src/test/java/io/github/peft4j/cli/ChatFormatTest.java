package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.Labels;
import io.github.peft4j.models.chat.JinjaChatTemplate;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedExample;
import io.github.peft4j.train.data.Tokenization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The commands format chats with the model's own template: the bundled base's template reproduces
 * the format peft4j always used byte for byte (same text, same ids, same labels, so the README's
 * numbers stand), and Llama-3 / Qwen2.5 / Gemma directories get their published formats.
 */
class ChatFormatTest {

    private static final Path MODEL = Path.of("../assets/base-model");
    private static final Path TEMPLATES = Path.of("../peft-models/src/test/resources/chat-templates");

    @TempDir
    Path dir;

    private static List<DataRecord> supportChats() {
        List<DataRecord> all = new ArrayList<>();
        for (String f : List.of("train.jsonl", "eval.jsonl")) {
            all.addAll(SupportData.asChats(SupportData.read(Path.of("../assets/data/support").resolve(f))));
        }
        return all;
    }

    @Test
    void bundledTemplateRendersTheFormerFormatByteForByte() {
        try (HfTokenizer tok = HfTokenizer.load(MODEL, null)) {
            JinjaChatTemplate bundled = tok.chatTemplate().orElseThrow();
            List<DataRecord> chats = supportChats();
            assertTrue(chats.size() > 100, "support data: " + chats.size());
            for (DataRecord r : chats) {
                List<ChatMessage> messages = ((DataRecord.Chat) r).messages();
                assertEquals(ChatFormat.TEMPLATE.renderText(messages), bundled.render(ChatMessage.toMaps(messages), false));
            }
            String question = "How long do I have to return a jacket?";
            assertEquals("<|user|>\n" + question + "<|endoftext|>\n<|assistant|>\n", ChatFormat.prompt(tok, question));
        }
    }

    @Test
    void bundledTemplateTokenizesTheSupportDataAsBefore() {
        try (HfTokenizer hf = HfTokenizer.load(MODEL, null)) {
            TextTokenizer tok = TextTokenizer.of(hf);
            Tokenization before = Tokenization.builder(tok).chatTemplate(ChatFormat.TEMPLATE).addEos(false)
                    .maxLength(1 << 20).build();
            Tokenization now = ChatFormat.apply(Tokenization.builder(tok), tok).addEos(false).maxLength(1 << 20).build();
            long trained = 0;
            for (DataRecord r : supportChats()) {
                TokenizedExample a = before.tokenize(r);
                TokenizedExample b = now.tokenize(r);
                assertArrayEquals(a.inputIds(), b.inputIds(), r.toString());
                assertArrayEquals(a.labels(), b.labels(), r.toString());
                trained += Arrays.stream(b.labels()).filter(l -> l != Labels.IGNORE_INDEX).count();
            }
            assertTrue(trained > 1000, "trained tokens: " + trained);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '#', value = {
        "llama-3.1-instruct.jinja#<|endoftext|><|start_header_id|>system<|end_header_id|>\\n\\nCutting Knowledge Date: "
                + "December 2023\\nToday Date: 26 Jul 2024\\n\\n<|eot_id|><|start_header_id|>user<|end_header_id|>\\n\\n"
                + "Where is my parcel?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\\n\\n#It ships tomorrow.<|eot_id|>",
        "qwen2.5-instruct.jinja#<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                + "<|im_end|>\\n<|im_start|>user\\nWhere is my parcel?<|im_end|>\\n<|im_start|>assistant\\n"
                + "#It ships tomorrow.<|im_end|>\\n",
        "gemma-it.jinja#<|endoftext|><start_of_turn>user\\nWhere is my parcel?<end_of_turn>\\n<start_of_turn>model\\n"
                + "#It ships tomorrow.<end_of_turn>\\n"})
    void aModelDirectoryWithItsTemplateFormatsAsApplyChatTemplate(String template, String prompt, String answer)
            throws IOException {
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(MODEL.resolve(f), dir.resolve(f));
        }
        Files.copy(TEMPLATES.resolve(template), dir.resolve("chat_template.jinja"));
        String expectedPrompt = prompt.replace("\\n", "\n");
        String expectedAnswer = answer.replace("\\n", "\n");
        try (HfTokenizer hf = HfTokenizer.load(dir, null)) {
            assertEquals(expectedPrompt, ChatFormat.prompt(hf, "Where is my parcel?"));
            TextTokenizer tok = TextTokenizer.of(hf);
            DataRecord chat = new DataRecord.PromptCompletion("Where is my parcel?", "It ships tomorrow.");
            TokenizedExample e = SupportData.pipeline(tok, 4096).prepare(SupportData.asChats(List.of(chat)), 0).train()
                    .examples().get(0);
            assertArrayEquals(tok.encode(expectedPrompt + expectedAnswer), e.inputIds());
            int[] trained = Arrays.stream(e.labels()).filter(l -> l != Labels.IGNORE_INDEX).toArray();
            assertEquals(expectedAnswer, hf.decode(toLongs(trained)));
        }
    }

    private static long[] toLongs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }
}
