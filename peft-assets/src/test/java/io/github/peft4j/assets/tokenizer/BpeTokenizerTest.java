package io.github.peft4j.assets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTokenizerTest {

    // Trained on "ab ab abc": merges (a b) -> 260, (Ġ ab) -> 261, (Ġab c) -> 262 after 4 specials + 256 bytes.
    private static BpeModel tiny() {
        return new BpeTrainer(4 + 256 + 3, 1, BpeTrainer.SPECIAL_TOKENS).train(List.of("ab ab abc"));
    }

    @Test
    void appliesMergesByRank() {
        BpeTokenizer tok = new BpeTokenizer(tiny());
        // "abc" -> a b c -> ab c (no merge for (ab, c)); " ab" -> Ġ a b -> Ġ ab -> Ġab; " abc" -> Ġabc
        assertArrayEquals(new int[] {260, 4 + 'c', 261, 262}, tok.encode("abc ab abc"));
        // Special tokens are cut out first: "<|user|>" is id 1 although its characters are ordinary.
        assertArrayEquals(new int[] {1, 4 + '\n', 260, 0}, tok.encode("<|user|>\nab<|endoftext|>"));
        assertArrayEquals(new int[] {4 + '<', 4 + '|'}, tok.encode("<|"));
        assertEquals("<|user|>\nab<|endoftext|>", tok.decode(tok.encode("<|user|>\nab<|endoftext|>")));
    }

    @Test
    void everyByteIsEncodable() {
        BpeTokenizer tok = new BpeTokenizer(tiny());
        String text = "ñ \uD83D\uDE00 \u0000";
        int[] ids = tok.encode(text);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        // No merge applies, so every UTF-8 byte is its own token: id = 4 specials + byte value.
        int[] expected = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            expected[i] = 4 + (utf8[i] & 0xff);
        }
        assertArrayEquals(expected, ids);
        assertEquals(text, tok.decode(ids));
    }

    @Test
    void writesAndReadsTokenizerJson(@TempDir Path dir) throws Exception {
        BpeModel model = tiny();
        TokenizerJson.write(model, dir, 64);
        BpeModel back = TokenizerJson.read(dir.resolve("tokenizer.json"));
        assertEquals(model.tokens(), back.tokens());
        assertEquals(model.merges(), back.merges());
        assertEquals(model.specialTokens(), back.specialTokens());
        String json = Files.readString(dir.resolve("tokenizer.json"));
        // serde_json's layout, merges as "left right" strings, vocabulary in id order.
        assertTrue(json.contains("\n    \"merges\": [\n      \"a b\",\n      \"Ġ ab\",\n      \"Ġab c\"\n    ]"));
        assertTrue(json.contains("\"<|endoftext|>\": 0,\n      \"<|user|>\": 1,"));
    }

    @Test
    void readRejectsOtherTokenizers(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, TokenizerJson.tokenizerJson(tiny()).replace("\"type\": \"BPE\"", "\"type\": \"WordPiece\""));
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> TokenizerJson.read(file));
        assertEquals("model.type", e.key());
        Files.writeString(file, TokenizerJson.tokenizerJson(tiny()).replace("\"Ġab c\"", "\"Ġab x\""));
        e = assertThrows(PeftFormatException.class, () -> TokenizerJson.read(file));
        assertEquals("model.merges[2]", e.key());
    }
}
