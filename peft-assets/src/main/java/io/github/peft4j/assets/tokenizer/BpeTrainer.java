package io.github.peft4j.assets.tokenizer;

import io.github.peft4j.assets.corpus.CorpusFiles;
import io.github.peft4j.core.PeftConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a byte-level BPE tokenizer (GPT-2 style) and writes it as a Hugging Face
 * {@code tokenizer.json}.
 *
 * <p>The vocabulary starts with the special tokens (id 0 is {@code <|endoftext|>}, which serves as
 * bos, eos and pad; then {@code <|user|>}, {@code <|assistant|>}, {@code <|system|>} for the chat
 * template) and the 256 byte symbols in byte order. Then, until the vocabulary is full, the most
 * frequent adjacent pair of tokens within a pre-token is merged into a new token; ties go to the
 * pair whose left id, then right id, is smallest (the older tokens), so training is deterministic.
 * Pair counts are kept incrementally: a merge only revisits the words that contain the pair, and a
 * max-heap with lazily refreshed counts finds the next pair.
 *
 * <p>Command (see {@code docs/assets.md}):
 * <pre>{@code
 * mvn -q -pl peft-assets exec:java@tokenizer
 * # = BpeTrainer assets/corpus/factbook.txt.gz assets/base-model [--vocab-size 4096] [--model-max-length 512]
 * }</pre>
 *
 * <pre>{@code
 * BpeModel model = new BpeTrainer(4096, 2, BpeTrainer.SPECIAL_TOKENS).train(paragraphs);
 * TokenizerJson.write(model, Path.of("assets/base-model"), 512);
 * }</pre>
 */
public final class BpeTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(BpeTrainer.class);

    /** {@code <|endoftext|>} (bos, eos and pad) and the chat-template roles, ids 0..3. */
    public static final List<String> SPECIAL_TOKENS =
            List.of("<|endoftext|>", "<|user|>", "<|assistant|>", "<|system|>");
    /** Vocabulary size of the bundled tokenizer. */
    public static final int DEFAULT_VOCAB_SIZE = 4096;
    /** A pair seen fewer times than this is never merged. */
    public static final int DEFAULT_MIN_FREQUENCY = 2;
    /** The {@code model_max_length} written to {@code tokenizer_config.json}. */
    public static final int DEFAULT_MODEL_MAX_LENGTH = 512;

    private final int vocabSize;
    private final int minFrequency;
    private final List<String> specialTokens;

    /**
     * @param vocabSize the target vocabulary size, specials and the 256 bytes included
     * @param minFrequency the least count a pair needs to be merged
     * @param specialTokens the special tokens, which get ids 0, 1, ...
     * @throws PeftConfigException if the vocabulary cannot even hold the specials and the bytes
     */
    public BpeTrainer(int vocabSize, int minFrequency, List<String> specialTokens) {
        int base = specialTokens.size() + 256;
        if (vocabSize < base) {
            throw new PeftConfigException("vocab_size must be at least " + base + " (" + specialTokens.size()
                    + " special tokens + 256 bytes) but was " + vocabSize);
        }
        if (minFrequency < 1) {
            throw new PeftConfigException("min_frequency must be at least 1 but was " + minFrequency);
        }
        if (new HashSet<>(specialTokens).size() != specialTokens.size()) {
            throw new PeftConfigException("special tokens must be distinct: " + specialTokens);
        }
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
        this.specialTokens = List.copyOf(specialTokens);
    }

    /**
     * Pre-tokenises the texts (special tokens cut out and ignored) and counts each pre-token.
     *
     * @param texts training texts
     * @return pre-token (in the byte alphabet) to count, sorted by pre-token
     */
    public Map<String, Long> countWords(Iterable<String> texts) {
        SpecialTokenSplitter splitter = new SpecialTokenSplitter(specialTokens);
        Map<String, Long> counts = new HashMap<>();
        for (String text : texts) {
            for (SpecialTokenSplitter.Segment segment : splitter.split(text)) {
                if (segment.specialId() < 0) {
                    for (String piece : ByteLevel.preTokenize(segment.text())) {
                        counts.merge(piece, 1L, Long::sum);
                    }
                }
            }
        }
        return new TreeMap<>(counts);
    }

    /**
     * @param texts training texts
     * @return the trained model
     */
    public BpeModel train(Iterable<String> texts) {
        return trainOnWords(countWords(texts));
    }

    /**
     * @param wordCounts pre-token (in the byte alphabet) to count
     * @return the trained model
     */
    public BpeModel trainOnWords(Map<String, Long> wordCounts) {
        List<String> vocab = new ArrayList<>(specialTokens);
        Map<String, Integer> idOf = new HashMap<>();
        for (int i = 0; i < specialTokens.size(); i++) {
            idOf.put(specialTokens.get(i), i);
        }
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteLevel.charOf(b));
            if (idOf.putIfAbsent(symbol, vocab.size()) != null) {
                throw new PeftConfigException("special token '" + symbol + "' collides with a byte symbol");
            }
            vocab.add(symbol);
        }

        // Words in sorted order so that every id and every count is independent of hash order.
        String[] wordText = new TreeMap<>(wordCounts).keySet().toArray(new String[0]);
        int[][] words = new int[wordText.length][];
        long[] freq = new long[wordText.length];
        Map<Long, Long> pairCounts = new HashMap<>();
        Map<Long, IntList> where = new HashMap<>();
        for (int w = 0; w < wordText.length; w++) {
            String text = wordText[w];
            freq[w] = wordCounts.get(text);
            words[w] = new int[text.length()];
            for (int i = 0; i < text.length(); i++) {
                int b = ByteLevel.byteOf(text.charAt(i));
                if (b < 0) {
                    throw new IllegalArgumentException("pre-token '" + text + "' is not in the byte alphabet");
                }
                words[w][i] = specialTokens.size() + b;
            }
            for (int i = 0; i + 1 < words[w].length; i++) {
                long key = key(words[w][i], words[w][i + 1]);
                pairCounts.merge(key, freq[w], Long::sum);
                where.computeIfAbsent(key, k -> new IntList()).add(w);
            }
        }

        PriorityQueue<Candidate> heap = new PriorityQueue<>(Candidate.ORDER);
        pairCounts.forEach((k, c) -> heap.add(new Candidate(c, k)));
        List<BpeModel.Merge> merges = new ArrayList<>();

        while (vocab.size() < vocabSize) {
            Candidate top = heap.poll();
            if (top == null) {
                break;
            }
            long current = pairCounts.getOrDefault(top.pair, 0L);
            if (current != top.count) {
                // Counts of existing pairs only fall after they were queued: re-queue the true count.
                if (current > 0) {
                    heap.add(new Candidate(current, top.pair));
                }
                continue;
            }
            if (current < minFrequency) {
                break;
            }
            int left = (int) (top.pair >>> 32);
            int right = (int) top.pair;
            String merged = vocab.get(left) + vocab.get(right);
            Integer existing = idOf.get(merged);
            int result = existing != null ? existing : vocab.size();
            if (existing == null) {
                vocab.add(merged);
                idOf.put(merged, result);
            }
            merges.add(new BpeModel.Merge(left, right, result));

            Set<Long> grown = new HashSet<>();
            IntList affected = where.remove(top.pair); // never null: a counted pair was listed
            for (int a = 0; a < affected.size; a++) {
                int w = affected.values[a];
                int[] old = words[w];
                int[] now = mergeWord(old, left, right, result);
                if (now == old) {
                    continue; // listed twice, or already rewritten by an earlier entry
                }
                for (int i = 0; i + 1 < old.length; i++) {
                    long k = key(old[i], old[i + 1]);
                    long c = pairCounts.get(k) - freq[w];
                    if (c == 0) {
                        pairCounts.remove(k);
                    } else {
                        pairCounts.put(k, c);
                    }
                }
                for (int i = 0; i + 1 < now.length; i++) {
                    long k = key(now[i], now[i + 1]);
                    pairCounts.merge(k, freq[w], Long::sum);
                    if (now[i] == result || now[i + 1] == result) {
                        where.computeIfAbsent(k, x -> new IntList()).add(w);
                        grown.add(k);
                    }
                }
                words[w] = now;
            }
            // Only pairs next to the new token can have gained occurrences.
            for (long k : grown) {
                Long c = pairCounts.get(k);
                if (c != null) {
                    heap.add(new Candidate(c, k));
                }
            }
        }
        if (vocab.size() < vocabSize) {
            LOG.warn("BPE training stopped at {} tokens (asked for {}): no pair occurs {} times or more",
                    vocab.size(), vocabSize, minFrequency);
        }
        return new BpeModel(vocab, specialTokens, merges);
    }

    /** Left-to-right, non-overlapping replacement of {@code left right} by {@code result}. */
    static int[] mergeWord(int[] word, int left, int right, int result) {
        int[] out = null;
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
                if (out == null) {
                    out = Arrays.copyOf(word, word.length - 1);
                    n = i;
                }
                out[n++] = result;
                i++;
            } else if (out != null) {
                out[n++] = word[i];
            }
        }
        return out == null ? word : Arrays.copyOf(out, n);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    /** A queued pair with the count it had when queued. */
    private record Candidate(long count, long pair) {
        /** Higher count first; then smaller left id, then smaller right id. */
        static final Comparator<Candidate> ORDER = Comparator.comparingLong((Candidate c) -> -c.count)
                .thenComparingLong(c -> c.pair);
    }

    /** A growable int array (word indices), cheaper than a boxed list for a few hundred thousand entries. */
    private static final class IntList {
        int[] values = new int[4];
        int size;

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }
    }

    /**
     * {@code BpeTrainer <corpus .txt|.txt.gz> <output dir> [--vocab-size N] [--model-max-length N]}:
     * trains on the corpus lines and writes {@code tokenizer.json} and {@code tokenizer_config.json}.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        if (args.length < 2 || args.length % 2 != 0) {
            System.err.println("usage: BpeTrainer <corpus .txt|.txt.gz> <output dir> [--vocab-size N]"
                    + " [--model-max-length N]");
            System.exit(2);
        }
        int vocabSize = DEFAULT_VOCAB_SIZE;
        int maxLength = DEFAULT_MODEL_MAX_LENGTH;
        for (int i = 2; i < args.length; i += 2) {
            switch (args[i]) {
                case "--vocab-size" -> vocabSize = parseInt(args[i], args[i + 1]);
                case "--model-max-length" -> maxLength = parseInt(args[i], args[i + 1]);
                default -> throw new PeftConfigException("unknown option " + args[i]
                        + "; expected --vocab-size or --model-max-length");
            }
        }
        long start = System.nanoTime();
        List<String> lines = CorpusFiles.readLines(Path.of(args[0]));
        BpeModel model = new BpeTrainer(vocabSize, DEFAULT_MIN_FREQUENCY, SPECIAL_TOKENS).train(lines);
        Path out = Path.of(args[1]);
        TokenizerJson.write(model, out, maxLength);
        System.out.printf("%s: %d tokens, %d merges from %d lines in %.1f s%n", out, model.vocabSize(),
                model.merges().size(), lines.size(), (System.nanoTime() - start) / 1e9);
    }

    private static int parseInt(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new PeftConfigException(option + ": expected a whole number but found " + value);
        }
    }
}
