package io.github.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.Labels;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.models.chat.JinjaChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Assistant-only loss from a Hugging Face chat template, on a tokenizer whose token boundaries are
 * known: every word (a run of letters) and every other character is one token, id = its first char.
 */
class JinjaChatTokenizationTest {

    /** Words and single characters; offsets reported, so the chat is tokenized as one text. */
    static final class WordTokenizer implements TextTokenizer {
        final boolean offsets;

        WordTokenizer(boolean offsets) {
            this.offsets = offsets;
        }

        @Override
        public int[] encode(String text) {
            return split(text).ids();
        }

        @Override
        public Optional<EncodedText> encodeWithOffsets(String text) {
            return offsets ? Optional.of(split(text)) : Optional.empty();
        }

        static EncodedText split(String text) {
            List<int[]> tokens = new ArrayList<>();
            int i = 0;
            while (i < text.length()) {
                int j = i + 1;
                while (Character.isLetter(text.charAt(i)) && j < text.length() && Character.isLetter(text.charAt(j))) {
                    j++;
                }
                tokens.add(new int[] {text.charAt(i), i, j});
                i = j;
            }
            return new EncodedText(tokens.stream().mapToInt(t -> t[0]).toArray(),
                    tokens.stream().mapToInt(t -> t[1]).toArray(), tokens.stream().mapToInt(t -> t[2]).toArray());
        }

        @Override
        public String decode(int[] ids) {
            return "";
        }

        @Override
        public OptionalInt eosTokenId() {
            return OptionalInt.of(1);
        }

        @Override
        public OptionalInt bosTokenId() {
            return OptionalInt.empty();
        }

        @Override
        public OptionalInt padTokenId() {
            return OptionalInt.empty();
        }

        @Override
        public OptionalInt vocabSize() {
            return OptionalInt.empty();
        }
    }

    /** ChatML-like: "[role]content|\n" per turn. */
    static final JinjaChatTemplate TEMPLATE = JinjaChatTemplate.of(
            "{% for m in messages %}{{ '[' + m.role + ']' + m.content + '|' + '\\n' }}{% endfor %}"
                    + "{% if add_generation_prompt %}[assistant]{% endif %}");

    static final DataRecord.Chat CHAT = new DataRecord.Chat(List.of(new ChatMessage("user", "Hi there"),
            new ChatMessage("assistant", "Hello you"), new ChatMessage("user", "Bye"),
            new ChatMessage("assistant", "Ciao")), "chats.jsonl:7");

    static Tokenization tokenization(boolean offsets, boolean completionOnly) {
        return Tokenization.builder(new WordTokenizer(offsets)).chatTemplate(TEMPLATE).addEos(false)
                .completionOnlyLoss(completionOnly).build();
    }

    @Test
    void onlyAssistantTokensAreTrained() {
        // [user]Hi there|\n[assistant]Hello you|\n[user]Bye|\n[assistant]Ciao|\n
        TokenizedExample e = tokenization(true, true).tokenize(CHAT);
        String text = "[user]Hi there|\n[assistant]Hello you|\n[user]Bye|\n[assistant]Ciao|\n";
        EncodedText tokens = WordTokenizer.split(text);
        assertArrayEquals(tokens.ids(), e.inputIds());
        List<String> trained = new ArrayList<>();
        for (int i = 0; i < tokens.ids().length; i++) {
            if (e.labels()[i] != Labels.IGNORE_INDEX) {
                assertEquals(tokens.ids()[i], e.labels()[i]);
                trained.add(text.substring(tokens.starts()[i], tokens.ends()[i]));
            }
        }
        assertEquals(List.of("Hello", " ", "you", "|", "\n", "Ciao", "|", "\n"), trained);
        assertEquals(28, e.inputIds().length);
    }

    @Test
    void tokenStraddlingASpanStartIsTrained() {
        // the span starts inside the word "ab": the whole word is trained, as transformers does
        JinjaChatTemplate glued = JinjaChatTemplate.of(
                "{% for m in messages %}{% if m.role == 'user' %}{{ m.content }}{% else %}"
                        + "{% generation %}{{ m.content }}{% endgeneration %}{% endif %}{% endfor %}");
        TokenizedExample e = Tokenization.builder(new WordTokenizer(true)).chatTemplate(glued).addEos(false).build()
                .tokenize(new DataRecord.Chat(List.of(new ChatMessage("user", "x a"), new ChatMessage("assistant", "b c"))));
        // "x a" + "b c" -> x, ' ', ab, ' ', c; the assistant span is "b c"
        assertArrayEquals(new int[] {'x', ' ', 'a', ' ', 'c'}, e.inputIds());
        assertArrayEquals(new int[] {Labels.IGNORE_INDEX, Labels.IGNORE_INDEX, 'a', ' ', 'c'}, e.labels());
    }

    @Test
    void withoutOffsetsTheChatIsTokenizedAtTheSpanBoundaries() {
        TokenizedExample withOffsets = tokenization(true, true).tokenize(CHAT);
        TokenizedExample pieces = tokenization(false, true).tokenize(CHAT);
        assertArrayEquals(withOffsets.inputIds(), pieces.inputIds());
        assertArrayEquals(withOffsets.labels(), pieces.labels());
        List<TextSegment> segments = tokenization(false, true).segments(CHAT);
        assertEquals(List.of(new TextSegment("[user]Hi there|\n[assistant]", false),
                new TextSegment("Hello you|\n", true), new TextSegment("[user]Bye|\n[assistant]", false),
                new TextSegment("Ciao|\n", true)), segments);
    }

    @Test
    void fullLossTrainsEveryToken() {
        TokenizedExample e = tokenization(true, false).tokenize(CHAT);
        assertArrayEquals(e.inputIds(), e.labels());
    }

    @Test
    void aRefusedChatNamesItsLine() {
        JinjaChatTemplate strict = JinjaChatTemplate.of("{% for m in messages %}{% if m.role == 'system' %}"
                + "{{ raise_exception('System role not supported') }}{% endif %}{{ m.content }}{% endfor %}");
        Executable tokenize = () -> Tokenization.builder(new WordTokenizer(true)).chatTemplate(strict).build()
                .tokenize(new DataRecord.Chat(List.of(new ChatMessage("system", "s")), "chats.jsonl:3"));
        PeftConfigException e = org.junit.jupiter.api.Assertions.assertThrows(PeftConfigException.class, tokenize);
        assertTrue(e.getMessage().startsWith("chats.jsonl:3: ") && e.getMessage().contains("System role not supported"),
                e.getMessage());
    }
}
