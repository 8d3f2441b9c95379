package io.github.peft4j.train.testing;

import io.github.peft4j.train.data.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** Splits on white space and looks words up in a fixed map, so tests know every id by hand. */
public final class WordTokenizer implements TextTokenizer {

    private final Map<String, Integer> vocab;
    private final String[] words;

    public WordTokenizer(Map<String, Integer> vocab) {
        this.vocab = Map.copyOf(vocab);
        this.words = new String[vocab.size()];
        vocab.forEach((w, id) -> words[id] = w);
    }

    @Override
    public int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        for (String w : text.trim().split("\\s+")) {
            if (w.isEmpty()) {
                continue;
            }
            Integer id = vocab.get(w);
            if (id == null) {
                throw new IllegalArgumentException("unknown word '" + w + "'");
            }
            ids.add(id);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(sb.length() == 0 ? "" : " ").append(words[id]);
        }
        return sb.toString();
    }

    @Override
    public OptionalInt eosTokenId() {
        return OptionalInt.of(vocab.get("<eos>"));
    }

    @Override
    public OptionalInt bosTokenId() {
        return vocab.containsKey("<bos>") ? OptionalInt.of(vocab.get("<bos>")) : OptionalInt.empty();
    }

    @Override
    public OptionalInt padTokenId() {
        return vocab.containsKey("<pad>") ? OptionalInt.of(vocab.get("<pad>")) : OptionalInt.empty();
    }

    @Override
    public OptionalInt vocabSize() {
        return OptionalInt.of(vocab.size());
    }
}
