package io.github.peft4j.assets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelTest {

    @Test
    void byteAlphabetIsGpt2s() {
        // Values from GPT-2's published vocabulary: space is "Ġ" (U+0120), newline "Ċ" (U+010A).
        assertEquals('\u0100', ByteLevel.charOf(0));
        assertEquals('\u010A', ByteLevel.charOf('\n'));
        assertEquals('\u0120', ByteLevel.charOf(' '));
        assertEquals('!', ByteLevel.charOf('!'));
        assertEquals('~', ByteLevel.charOf('~'));
        assertEquals('\u0121', ByteLevel.charOf(127));
        assertEquals('\u00A1', ByteLevel.charOf(0xA1));
        assertEquals('\u0143', ByteLevel.charOf(0xAD)); // the last of the 68 remapped bytes
        assertEquals('\u00FF', ByteLevel.charOf(0xFF));
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            seen.add(ByteLevel.charOf(b));
            assertEquals(b, ByteLevel.byteOf(ByteLevel.charOf(b)));
        }
        assertEquals(256, seen.size());
        assertEquals(-1, ByteLevel.byteOf('\u0144'));
    }

    @Test
    void splitsLikeGpt2() {
        assertEquals(List.of("Hello", "Ġworld", "!"), ByteLevel.preTokenize("Hello world!"));
        // A run of spaces gives all but its last to a whitespace piece; the last joins the word.
        assertEquals(List.of("I", "'m", "ĠĠ", "Ġhere"), ByteLevel.preTokenize("I'm   here"));
        assertEquals(List.of("abc", "123", "Ġ$", "4", ".", "5"), ByteLevel.preTokenize("abc123 $4.5"));
        assertEquals(List.of("we", "'ll", "Ġsee", "ĊĊ"), ByteLevel.preTokenize("we'll see\n\n"));
        // "ü" is C3 BC in UTF-8, written "Ã¼"; the emoji F0 9F 98 80 is "ðŁĺĢ" (values from
        // GPT-2's bytes_to_unicode in Python).
        assertEquals(List.of("GrÃ¼n", "ĠðŁĺĢ"), ByteLevel.preTokenize("Grün \uD83D\uDE00"));
        assertEquals(List.of("ĠâĤ¬", "5"), ByteLevel.preTokenize(" \u20AC5"));
        // Unicode whitespace counts as whitespace (Oniguruma's \s), here a no-break space.
        assertEquals(List.of("a", "Âł", "b"), ByteLevel.preTokenize("a\u00A0b"));
    }

    @Test
    void decodeInvertsEncode() {
        for (String s : List.of("", "plain", "tabs\tand\nnewlines  ", "Ünïcödé ñ 日本 \uD83D\uDE80")) {
            assertEquals(s, ByteLevel.decode(String.join("", ByteLevel.preTokenize(s))));
        }
    }
}
