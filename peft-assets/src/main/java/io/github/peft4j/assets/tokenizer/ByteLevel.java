package io.github.peft4j.assets.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level pre-tokenisation, as the {@code ByteLevel} pre-tokenizer and decoder of Hugging
 * Face {@code tokenizers} do it: split text with GPT-2's regex, then write every UTF-8 byte of a piece
 * as one printable character, so that 256 symbols cover every possible input and no text is unknown.
 *
 * <pre>{@code
 * ByteLevel.preTokenize("Hello world!")   // ["Hello", "Ġworld", "!"]
 * ByteLevel.decode("ĠgrÃ¼n")              // " grün"
 * }</pre>
 */
public final class ByteLevel {

    /**
     * GPT-2's split: English contractions, letters, digits and other symbols each with at most one
     * leading space, and whitespace (a run of whitespace before a non-space leaves its last character
     * to the next piece). Oniguruma's {@code \s} is Unicode whitespace; Java needs
     * {@code UNICODE_CHARACTER_CLASS} to agree.
     */
    public static final String GPT2_REGEX =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private static final Pattern SPLIT = Pattern.compile(GPT2_REGEX, Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[324];

    static {
        // GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68
        // bytes take the code points 256, 257, ... in byte order.
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
        }
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    private ByteLevel() {
    }

    /**
     * @param b a byte value, 0..255
     * @return the character that stands for it
     */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xff];
    }

    /**
     * @param c a character of the byte alphabet
     * @return the byte it stands for, or -1 if it is not one of the 256
     */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * @param text any text (no special tokens)
     * @return its pieces after GPT-2's split, each written in the byte alphabet
     */
    public static List<String> preTokenize(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = SPLIT.matcher(text);
        int end = 0;
        while (m.find()) {
            if (m.start() > end) {
                // The alternatives cover every character, so there is never a gap; kept for safety.
                pieces.add(encodeBytes(text.substring(end, m.start())));
            }
            pieces.add(encodeBytes(m.group()));
            end = m.end();
        }
        if (end < text.length()) {
            pieces.add(encodeBytes(text.substring(end)));
        }
        return pieces;
    }

    /**
     * @param text any text
     * @return its UTF-8 bytes written in the byte alphabet
     */
    public static String encodeBytes(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
        }
        return new String(out);
    }

    /**
     * The ByteLevel decoder: byte-alphabet characters back to bytes, then UTF-8 (invalid sequences,
     * possible when a token sequence is cut mid-character, become U+FFFD as in the Rust decoder).
     * Characters outside the byte alphabet are kept as they are (their UTF-8 bytes).
     *
     * @param tokens concatenated token strings
     * @return the text
     */
    public static String decode(String tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(tokens.length());
        for (int i = 0; i < tokens.length(); i++) {
            int b = byteOf(tokens.charAt(i));
            if (b >= 0) {
                out.write(b);
            } else {
                int cp = tokens.codePointAt(i);
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp) - 1;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
