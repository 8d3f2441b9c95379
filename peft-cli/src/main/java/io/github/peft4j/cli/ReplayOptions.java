package io.github.peft4j.cli;

import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import picocli.CommandLine.Option;

/**
 * Replay against forgetting: general text the base model was trained on, mixed into the training
 * set so that a share of every epoch's batches keeps exercising what the model already knew.
 * The paragraphs are drawn at random (seeded) from the base's pretraining corpus, which the
 * general-text eval set was held out of, and cut into full sequences as {@link TextChunks} does.
 *
 * <p>Off unless {@code --replay} is given: the forgetting sweep (docs/training.md) found a KL term to
 * the base on the same corpus ({@link KlToBaseOptions}, the default) keeps more of the domain gain
 * at the same general-text perplexity; replay 0.25 was the default before it.
 *
 * <pre>{@code
 * peft4j train --replay 0.1                       # one training sequence in ten is Factbook text
 * peft4j train --replay 0.2 --replay-data my-general.txt
 * }</pre>
 */
final class ReplayOptions {

    @Option(names = "--replay", paramLabel = "F", description = "share of the training sequences that are general"
            + " text (replay against forgetting), 0 <= F < 1; giving it turns the default --kl-to-base off"
            + " (default: 0)")
    Double fraction;

    @Option(names = "--replay-data", paramLabel = "FILE", description = "general text to replay, one paragraph per"
            + " line, .gz allowed (default: ${DEFAULT-VALUE}, the base model's pretraining corpus)")
    Path data = Path.of("assets/corpus/factbook.txt.gz");

    /**
     * @param train the domain training sequences
     * @param tokenizer the model's tokenizer
     * @param seqLen tokens per replayed sequence
     * @param seed the draw's seed
     * @return {@code train} followed by enough general sequences to make {@code --replay} of the
     *     whole, or {@code train} itself without replay
     */
    TokenizedDataset mix(TokenizedDataset train, TextTokenizer tokenizer, int seqLen, long seed) {
        double share = share();
        if (share < 0 || share >= 1) {
            throw new UserError("--replay " + share + ": expected a share 0 <= F < 1");
        }
        int wanted = replayCount(train.size(), share);
        if (wanted == 0) {
            return train;
        }
        List<TokenizedExample> general = general(tokenizer, seqLen, seed, wanted).examples();
        if (general.size() < wanted) {
            throw new UserError("--replay " + share + " needs " + wanted + " sequences of " + seqLen + " tokens but "
                    + data + " gives " + general.size());
        }
        List<TokenizedExample> mixed = new ArrayList<>(train.examples());
        mixed.addAll(general.subList(0, wanted));
        return new TokenizedDataset(mixed, train.batching());
    }

    /**
     * @param tokenizer the model's tokenizer
     * @param seqLen tokens per sequence
     * @param seed the draw's seed
     * @param wanted how many sequences
     * @return up to {@code wanted} full sequences of paragraphs drawn at random from {@code --replay-data}
     */
    TokenizedDataset general(TextTokenizer tokenizer, int seqLen, long seed, int wanted) {
        List<String> paragraphs = new ArrayList<>(TextChunks.readLines(Inputs.requireFile(data, "replay data")));
        Collections.shuffle(paragraphs, new Random(seed));
        int eos = tokenizer.eosTokenId().orElse(0);
        TokenizedDataset general = null;
        // tokenize only as many paragraphs as the wanted sequences need, doubling the guess
        for (int take = Math.min(paragraphs.size(), wanted * 4); ; take = Math.min(paragraphs.size(), take * 2)) {
            general = TextChunks.dataset(paragraphs.subList(0, take), tokenizer, seqLen, eos);
            if (general.size() >= wanted || take == paragraphs.size()) {
                break;
            }
        }
        return new TokenizedDataset(general.examples().subList(0, Math.min(wanted, general.size())),
                general.batching());
    }

    /**
     * @return the share of general text: {@code --replay}, else 0
     */
    double share() {
        return fraction != null ? fraction : 0;
    }

    /** @return general sequences to add to {@code trainSize} domain ones so that they make {@code share} of all */
    static int replayCount(int trainSize, double share) {
        return (int) Math.round(share / (1 - share) * trainSize);
    }
}
