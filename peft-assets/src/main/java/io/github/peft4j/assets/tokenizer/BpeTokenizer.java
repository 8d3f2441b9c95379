package io.github.peft4j.assets.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes and decodes text with a byte-level BPE model exactly as Hugging Face {@code tokenizers}
 * does for the files {@link TokenizerJson} writes: special tokens are cut out first, the rest is
 * split with GPT-2's regex and written in the byte alphabet, then in every piece the adjacent pair
 * with the lowest merge rank (the leftmost among equals) is merged until no pair has a rank.
 *
 * <p>It exists to check the Rust library (and the trainer) against an independent implementation,
 * and to tokenise where the native library is not wanted.
 *
 * <pre>{@code
 * BpeTokenizer tok = BpeTokenizer.load(Path.of("assets/base-model/tokenizer.json"));
 * int[] ids = tok.encode("<|user|>\nWhere is my order?");
 * String text = tok.decode(ids);
 * }</pre>
 */
public final class BpeTokenizer {

    private final BpeModel model;
    private final SpecialTokenSplitter splitter;
    /** (left, right) to {rank, result id}. */
    private final Map<Long, int[]> ranks = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final Map<String, int[]> cache = new java.util.concurrent.ConcurrentHashMap<>();

    /** @param model the BPE model */
    public BpeTokenizer(BpeModel model) {
        this.model = model;
        this.splitter = new SpecialTokenSplitter(model.specialTokens());
        List<BpeModel.Merge> merges = model.merges();
        for (int r = 0; r < merges.size(); r++) {
            BpeModel.Merge m = merges.get(r);
            ranks.putIfAbsent(key(m.left(), m.right()), new int[] {r, m.result()});
        }
        for (int b = 0; b < 256; b++) {
            byteIds[b] = model.id(String.valueOf(ByteLevel.charOf(b)));
            if (byteIds[b] < 0) {
                throw new IllegalArgumentException("the vocabulary lacks the byte symbol for " + b);
            }
        }
    }

    /**
     * @param tokenizerJson a {@code tokenizer.json} written by {@link TokenizerJson}
     * @return its tokenizer
     */
    public static BpeTokenizer load(Path tokenizerJson) {
        return new BpeTokenizer(TokenizerJson.read(tokenizerJson));
    }

    /** @return the model */
    public BpeModel model() {
        return model;
    }

    /**
     * @param text any text; occurrences of special tokens become their ids
     * @return the token ids (no bos/eos added)
     */
    public int[] encode(String text) {
        List<Integer> out = new ArrayList<>();
        for (SpecialTokenSplitter.Segment segment : splitter.split(text)) {
            if (segment.specialId() >= 0) {
                out.add(segment.specialId());
                continue;
            }
            for (String piece : ByteLevel.preTokenize(segment.text())) {
                for (int id : cache.computeIfAbsent(piece, this::encodePiece)) {
                    out.add(id);
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * @param ids token ids
     * @return the text; special tokens appear as their strings
     */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(model.token(id));
        }
        return ByteLevel.decode(sb.toString());
    }

    /** BPE on one pre-token already in the byte alphabet. */
    int[] encodePiece(String piece) {
        int n = piece.length();
        int[] symbols = new int[n];
        for (int i = 0; i < n; i++) {
            symbols[i] = byteIds[ByteLevel.byteOf(piece.charAt(i))];
        }
        while (n > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestPos = -1;
            int bestResult = -1;
            for (int i = 0; i + 1 < n; i++) {
                int[] r = ranks.get(key(symbols[i], symbols[i + 1]));
                if (r != null && r[0] < bestRank) {
                    bestRank = r[0];
                    bestPos = i;
                    bestResult = r[1];
                }
            }
            if (bestPos < 0) {
                break;
            }
            symbols[bestPos] = bestResult;
            System.arraycopy(symbols, bestPos + 2, symbols, bestPos + 1, n - bestPos - 2);
            n--;
        }
        return java.util.Arrays.copyOf(symbols, n);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }
}
