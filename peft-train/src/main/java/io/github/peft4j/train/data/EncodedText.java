package io.github.peft4j.train.data;

/**
 * Token ids of a text with the characters each token came from, to map character spans (the
 * assistant turns of a rendered chat) to tokens.
 *
 * <pre>{@code
 * EncodedText e = tokenizer.encodeWithOffsets("Hi there").orElseThrow();
 * String first = "Hi there".substring(e.starts()[0], e.ends()[0]);   // "Hi"
 * }</pre>
 *
 * @param ids the token ids
 * @param starts each token's first character ({@code String} index)
 * @param ends one past each token's last character
 */
public record EncodedText(int[] ids, int[] starts, int[] ends) {

    /** Checks that the arrays line up. */
    public EncodedText {
        if (starts.length != ids.length || ends.length != ids.length) {
            throw new IllegalArgumentException("ids, starts and ends differ in length: " + ids.length + ", "
                    + starts.length + ", " + ends.length);
        }
    }
}
