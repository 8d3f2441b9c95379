package io.github.peft4j.assets.tokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained byte-level BPE model: the vocabulary (special tokens first, then the 256 byte symbols,
 * then one token per merge) and the merges in rank order.
 *
 * <pre>{@code
 * BpeModel model = TokenizerJson.read(Path.of("assets/base-model/tokenizer.json"));
 * int id = model.id("Ġthe");
 * BpeModel.Merge first = model.merges().get(0);   // e.g. (Ġ, t) -> Ġt
 * }</pre>
 */
public final class BpeModel {

    /**
     * One merge rule: the adjacent tokens {@code left right} become {@code result}. Two merges may
     * produce the same token string ({@code ab+c} and {@code a+bc}); they then share its id, as in
     * Hugging Face's trainer and loader.
     *
     * @param left id of the left token
     * @param right id of the right token
     * @param result id of the merged token
     */
    public record Merge(int left, int right, int result) {
    }

    private final List<String> tokens;
    private final Map<String, Integer> ids;
    private final List<String> specialTokens;
    private final List<Merge> merges;

    /**
     * @param tokens token strings by id; ids 0..specials-1 are the special tokens
     * @param specialTokens the special tokens, in id order
     * @param merges merges in rank order (rank 0 first)
     */
    public BpeModel(List<String> tokens, List<String> specialTokens, List<Merge> merges) {
        this.tokens = List.copyOf(tokens);
        this.specialTokens = List.copyOf(specialTokens);
        this.merges = List.copyOf(merges);
        Map<String, Integer> map = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            if (map.put(tokens.get(i), i) != null) {
                throw new IllegalArgumentException("token " + tokens.get(i) + " appears twice in the vocabulary");
            }
        }
        for (int i = 0; i < specialTokens.size(); i++) {
            if (!specialTokens.get(i).equals(tokens.get(i))) {
                throw new IllegalArgumentException("special token " + specialTokens.get(i) + " must have id " + i);
            }
        }
        this.ids = Collections.unmodifiableMap(map);
    }

    /** @return token strings by id */
    public List<String> tokens() {
        return tokens;
    }

    /** @return the number of tokens */
    public int vocabSize() {
        return tokens.size();
    }

    /**
     * @param token a token string
     * @return its id, or -1 if it is not in the vocabulary
     */
    public int id(String token) {
        return ids.getOrDefault(token, -1);
    }

    /**
     * @param id a token id
     * @return its string
     */
    public String token(int id) {
        return tokens.get(id);
    }

    /** @return the special tokens, in id order (ids 0, 1, ...) */
    public List<String> specialTokens() {
        return specialTokens;
    }

    /** @return the merges in rank order */
    public List<Merge> merges() {
        return merges;
    }

    /** @return the merges as token-string pairs, in rank order */
    public List<String[]> mergeStrings() {
        List<String[]> out = new ArrayList<>(merges.size());
        for (Merge m : merges) {
            out.add(new String[] {tokens.get(m.left()), tokens.get(m.right())});
        }
        return out;
    }
}
