package io.github.peft4j.assets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    private static List<String> merges(BpeModel model) {
        return model.mergeStrings().stream().map(p -> p[0] + " " + p[1]).toList();
    }

    @Test
    void mergesTheMostFrequentPairFirst() {
        // Pre-tokens ab, Ġab, Ġabc. Pair counts: (a,b)=3, (Ġ,a)=2, (b,c)=1.
        // 1. a b (3) -> words ab | Ġ ab | Ġ ab c ; (Ġ,ab)=2, (ab,c)=1
        // 2. Ġ ab (2) -> ab | Ġab | Ġab c ; (Ġab,c)=1
        // 3. Ġab c (1)
        BpeModel model = new BpeTrainer(256 + 3, 1, List.of()).train(List.of("ab ab abc"));
        assertEquals(List.of("a b", "Ġ ab", "Ġab c"), merges(model));
        assertEquals(List.of("ab", "Ġab", "Ġabc"), model.tokens().subList(256, 259));
        assertEquals(256, model.id("ab"));
        assertEquals('a', model.token('a').charAt(0)); // byte b has id b when there are no specials
    }

    @Test
    void breaksTiesTowardsOlderTokens() {
        // xy, Ġyx: (x,y), (Ġ,y), (y,x) all occur once. Without specials a byte's id is its value:
        // x=120, y=121, and Ġ (byte 32) = 32, so (Ġ,y) has the smallest left id.
        // 1. Ġ y -> x y | Ġy x ; pairs (x,y)=1 [120,121], (Ġy,x)=1 [256,120]
        // 2. x y (left id 120 < 256)
        // 3. Ġy x
        BpeModel model = new BpeTrainer(256 + 3, 1, List.of()).train(List.of("xy yx"));
        assertEquals(List.of("Ġ y", "x y", "Ġy x"), merges(model));
    }

    @Test
    void countsOverlappingPairsAndMergesLeftToRight() {
        // aaaa: (a,a) occurs 3 times; merging left to right gives aa aa, then aaaa.
        BpeModel model = new BpeTrainer(256 + 2, 1, List.of()).train(List.of("aaaa"));
        assertEquals(List.of("a a", "aa aa"), merges(model));
        // aaa -> aa a: the leftover pair is (aa, a), not (a, aa).
        model = new BpeTrainer(256 + 2, 1, List.of()).train(List.of("aaa"));
        assertEquals(List.of("a a", "aa a"), merges(model));
    }

    @Test
    void specialTokensComeFirstAndAreNeverLearned() {
        BpeModel model = new BpeTrainer(4 + 256 + 1, 1, BpeTrainer.SPECIAL_TOKENS)
                .train(List.of("<|user|>hi<|endoftext|>", "<|user|>hi"));
        assertEquals(BpeTrainer.SPECIAL_TOKENS, model.tokens().subList(0, 4));
        assertEquals(4 + ' ', model.id("Ġ"));
        assertEquals(List.of("h i"), merges(model)); // '<', '|' never pair up: specials are cut out
    }

    @Test
    void stopsAtMinFrequency() {
        // ab, Ġab, Ġcd: (a,b)=2; then (Ġ,ab), (Ġ,c), (c,d) occur once each.
        BpeModel model = new BpeTrainer(1000, 2, List.of()).train(List.of("ab ab cd"));
        assertEquals(List.of("a b"), merges(model));
        assertEquals(257, model.vocabSize());
    }

    @Test
    void aMergeThatSpellsAnExistingTokenReusesItsId() {
        // As Hugging Face's trainer does: the special token "Ġa" is also what (Ġ, a) spells.
        // Ġa, Ġab: (Ġ,a)=2 -> id 0 (no new token); then (Ġa, b)=1 -> "Ġab", id 257.
        BpeModel model = new BpeTrainer(1 + 256 + 1, 1, List.of("Ġa")).train(List.of(" a ab"));
        assertEquals(List.of("Ġ a", "Ġa b"), merges(model));
        assertEquals(0, model.merges().get(0).result());
        assertEquals(257, model.id("Ġab"));
        assertEquals(258, model.vocabSize());
    }

    @Test
    void rejectsImpossibleSettings() {
        assertThrows(PeftConfigException.class, () -> new BpeTrainer(100, 1, List.of()));
        assertThrows(PeftConfigException.class, () -> new BpeTrainer(300, 0, List.of()));
        assertThrows(PeftConfigException.class, () -> new BpeTrainer(300, 1, List.of("a", "a")));
    }

    @Test
    void incrementalCountsAgreeWithRecountingEveryStep() {
        Random random = new Random(7);
        int sharedIdMerges = 0;
        for (int trial = 0; trial < 30; trial++) {
            Map<String, Long> words = new TreeMap<>();
            int n = 5 + random.nextInt(40);
            for (int i = 0; i < n; i++) {
                StringBuilder w = new StringBuilder(random.nextBoolean() ? "Ġ" : "");
                int len = 1 + random.nextInt(8);
                for (int j = 0; j < len; j++) {
                    w.append("abc".charAt(random.nextInt(3)));
                }
                words.merge(w.toString(), 1L + random.nextInt(5), Long::sum);
            }
            int vocab = 256 + 5 + random.nextInt(30);
            int minFreq = 1 + random.nextInt(2);
            // Multi-character specials make some merges spell an existing token.
            List<String> specials = List.of("Ġa", "ab");
            BpeModel fast = new BpeTrainer(vocab, minFreq, specials).trainOnWords(words);
            List<String> slow = naiveMerges(words, specials, vocab, minFreq);
            assertEquals(slow, merges(fast), "trial " + trial + " words " + words);
            sharedIdMerges += fast.merges().size() - (fast.vocabSize() - 258);
        }
        // The comparison covered merges whose token already existed.
        assertTrue(sharedIdMerges > 0, "no trial produced a repeated token");
    }

    /** Recounts every pair of every word before each merge: the definition, slowly. */
    private static List<String> naiveMerges(Map<String, Long> wordCounts, List<String> specials,
            int vocabSize, int minFreq) {
        List<List<String>> words = new ArrayList<>();
        List<Long> freq = new ArrayList<>();
        List<String> vocab = new ArrayList<>(specials);
        for (int b = 0; b < 256; b++) {
            vocab.add(String.valueOf(ByteLevel.charOf(b)));
        }
        wordCounts.forEach((w, c) -> {
            List<String> symbols = new ArrayList<>();
            for (char ch : w.toCharArray()) {
                symbols.add(String.valueOf(ch));
            }
            words.add(symbols);
            freq.add(c);
        });
        List<String> merges = new ArrayList<>();
        while (vocab.size() < vocabSize) {
            Map<List<Integer>, Long> counts = new TreeMap<>((p, q) -> p.get(0).equals(q.get(0))
                    ? Integer.compare(p.get(1), q.get(1)) : Integer.compare(p.get(0), q.get(0)));
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) {
                    counts.merge(Arrays.asList(vocab.indexOf(s.get(i)), vocab.indexOf(s.get(i + 1))),
                            freq.get(w), Long::sum);
                }
            }
            List<Integer> best = null;
            long bestCount = 0;
            for (Map.Entry<List<Integer>, Long> e : counts.entrySet()) { // ascending (left, right)
                if (e.getValue() > bestCount) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (best == null || bestCount < minFreq) {
                break;
            }
            String left = vocab.get(best.get(0));
            String right = vocab.get(best.get(1));
            merges.add(left + " " + right);
            if (!vocab.contains(left + right)) {
                vocab.add(left + right);
            }
            for (List<String> s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(left) && s.get(i + 1).equals(right)) {
                        s.set(i, left + right);
                        s.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    @Test
    void mergeWordReplacesLeftToRight() {
        assertArrayEquals(new int[] {9, 9}, BpeTrainer.mergeWord(new int[] {1, 1, 1, 1}, 1, 1, 9));
        assertArrayEquals(new int[] {9, 1}, BpeTrainer.mergeWord(new int[] {1, 1, 1}, 1, 1, 9));
        assertArrayEquals(new int[] {3, 9, 4, 9}, BpeTrainer.mergeWord(new int[] {3, 1, 2, 4, 1, 2}, 1, 2, 9));
        int[] untouched = {1, 3};
        assertTrue(untouched == BpeTrainer.mergeWord(untouched, 1, 2, 9));
    }
}
