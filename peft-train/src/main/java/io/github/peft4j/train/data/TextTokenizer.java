package io.github.peft4j.train.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import io.github.peft4j.models.chat.JinjaChatTemplate;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The little the data pipeline needs from a tokenizer. Encoding adds no special tokens: the
 * pipeline places BOS/EOS itself, so that labels line up exactly. A Hugging Face
 * {@code tokenizer.json} is read by peft-models' {@link HfTokenizer} (the one wrapper of DJL's
 * tokenizer); {@link #of(HfTokenizer)} views it as a {@code TextTokenizer}. Any other tokenizer
 * plugs in with a few lines.
 *
 * <pre>{@code
 * try (HfTokenizer hf = HfTokenizer.load(Path.of("models/gpt2"), null)) {
 *     TextTokenizer tok = TextTokenizer.of(hf);
 *     int[] ids = tok.encode("Hello world");            // [15496, 995]
 *     int eos = tok.eosTokenId().orElseThrow();         // 50256
 * }
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

    /**
     * @return the tokenizer's own chat template ({@code chat_template} of its
     *     {@code tokenizer_config.json}), if it has one
     */
    default Optional<JinjaChatTemplate> chatTemplate() {
        return Optional.empty();
    }

    /**
     * @param text any text
     * @return its ids (as {@link #encode}) with each token's characters, if the tokenizer reports
     *     offsets; empty otherwise (a chat is then tokenized piece by piece at its loss boundaries)
     */
    default Optional<EncodedText> encodeWithOffsets(String text) {
        return Optional.empty();
    }

    /**
     * @param tokenizer a model's tokenizer (a {@code PretrainedModel}'s, or one loaded on its own);
     *     the caller keeps closing it
     * @return a view of it for the data pipeline
     */
    static TextTokenizer of(HfTokenizer tokenizer) {
        return new TextTokenizer() {
            @Override
            public int[] encode(String text) {
                long[] ids = tokenizer.encode(text);
                int[] out = new int[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    out[i] = Math.toIntExact(ids[i]);
                }
                return out;
            }

            @Override
            public Optional<EncodedText> encodeWithOffsets(String text) {
                Encoding e = tokenizer.encoding(text, false);
                long[] ids = e.getIds();
                CharSpan[] spans = e.getCharTokenSpans();
                int[] out = new int[ids.length];
                int[] starts = new int[ids.length];
                int[] ends = new int[ids.length];
                // the tokenizers library counts characters as code points; Java indexes UTF-16 units
                boolean surrogates = text.codePoints().anyMatch(Character::isSupplementaryCodePoint);
                for (int i = 0; i < ids.length; i++) {
                    out[i] = Math.toIntExact(ids[i]);
                    starts[i] = surrogates ? text.offsetByCodePoints(0, spans[i].getStart()) : spans[i].getStart();
                    ends[i] = surrogates ? text.offsetByCodePoints(0, spans[i].getEnd()) : spans[i].getEnd();
                }
                return Optional.of(new EncodedText(out, starts, ends));
            }

            @Override
            public String decode(int[] ids) {
                long[] l = new long[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    l[i] = ids[i];
                }
                return tokenizer.decode(l, true);
            }

            @Override
            public OptionalInt eosTokenId() {
                return optionalInt(tokenizer.eosTokenId());
            }

            @Override
            public OptionalInt bosTokenId() {
                return optionalInt(tokenizer.bosTokenId());
            }

            @Override
            public OptionalInt padTokenId() {
                return optionalInt(tokenizer.padTokenId());
            }

            @Override
            public OptionalInt vocabSize() {
                return optionalInt(tokenizer.vocabSize());
            }

            @Override
            public Optional<JinjaChatTemplate> chatTemplate() {
                return tokenizer.chatTemplate();
            }

            private OptionalInt optionalInt(Optional<Integer> id) {
                return id.map(OptionalInt::of).orElse(OptionalInt.empty());
            }
        };
    }
}
