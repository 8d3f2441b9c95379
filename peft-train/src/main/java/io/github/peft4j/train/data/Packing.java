package io.github.peft4j.train.data;

import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Packs short examples into sequences of at most {@code seqLength} tokens, so that a batch holds
 * few padding tokens. Examples are taken in order and appended to the current sequence while they
 * fit whole; the next one starts a new sequence (an example longer than {@code seqLength} is cut
 * to it). Labels travel with their tokens, so completion-only masking survives packing. As in
 * Hugging Face's {@code group_texts}, packed examples share one causal attention span: each example
 * ends with EOS, which marks the boundary for the model.
 *
 * <pre>{@code
 * List<TokenizedExample> packed = Packing.pack(examples, 512);
 * Batch batch = Batching.builder(padId).fixedLength(512).build().collate(packed.subList(0, 8));
 * }</pre>
 */
public final class Packing {

    private Packing() {}

    /**
     * @param examples language-modelling examples
     * @param seqLength the length of a packed sequence
     * @return the packed sequences, unpadded, in order
     */
    public static List<TokenizedExample> pack(List<TokenizedExample> examples, int seqLength) {
        if (seqLength < 1) {
            throw new PeftConfigException("packing sequence length must be >= 1, got " + seqLength);
        }
        List<TokenizedExample> out = new ArrayList<>();
        int[] ids = new int[seqLength];
        int[] labels = new int[seqLength];
        int used = 0;
        for (TokenizedExample e : examples) {
            if (e.isClassification()) {
                throw new PeftConfigException("classification examples cannot be packed");
            }
            int n = Math.min(e.length(), seqLength);
            if (used + n > seqLength) {
                out.add(TokenizedExample.languageModel(Arrays.copyOf(ids, used), Arrays.copyOf(labels, used)));
                used = 0;
            }
            System.arraycopy(e.inputIds(), 0, ids, used, n);
            System.arraycopy(e.labels(), 0, labels, used, n);
            used += n;
        }
        if (used > 0) {
            out.add(TokenizedExample.languageModel(Arrays.copyOf(ids, used), Arrays.copyOf(labels, used)));
        }
        return out;
    }
}
