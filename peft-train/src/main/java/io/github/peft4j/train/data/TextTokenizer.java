package io.github.peft4j.train.data;

import java.util.OptionalInt;

/**
 * The little the data pipeline needs from a tokenizer. Encoding adds no special tokens: the
 * pipeline places BOS/EOS itself, so that labels line up exactly. Implemented over DJL's
 * {@code HuggingFaceTokenizer} by {@link HfTextTokenizer}; any other tokenizer (a model module's
 * own) plugs in with a few lines.
 *
 * <pre>{@code
 * TextTokenizer tok = HfTextTokenizer.load(Path.of("models/gpt2"));
 * int[] ids = tok.encode("Hello world");
 * int eos = tok.eosTokenId().orElseThrow();
 * }</pre>
 */
public interface TextTokenizer {

    /**
     * @param text any text
     * @return its token ids, without special tokens added around it
     */
    int[] encode(String text);

    /**
     * @param ids token ids
     * @return the text, special tokens skipped
     */
    String decode(int[] ids);

    /** @return the end-of-sequence token, if the tokenizer has one */
    OptionalInt eosTokenId();

    /** @return the beginning-of-sequence token, if the tokenizer has one */
    OptionalInt bosTokenId();

    /** @return the padding token, if the tokenizer has one (GPT-2 and Llama do not) */
    OptionalInt padTokenId();

    /** @return the number of ids, added tokens included, if known */
    OptionalInt vocabSize();
}
