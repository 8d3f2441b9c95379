package io.github.peft4j.train.data.preference;

import io.github.peft4j.core.fingerprint.Sha256;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import io.github.peft4j.train.data.TrainingData;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Tokenized preference pairs for the trainer. The batch of {@code n} pairs has {@code 2n} rows,
 * the chosen sequences first and the rejected ones after them, padded to one length (TRL's
 * {@code concatenated_forward}: one forward pass scores both answers).
 *
 * <pre>{@code
 * PreferenceDataset prefs = new PreferenceDataset(examples, Batching.builder(padId).build());
 * Batch b = prefs.batch(new int[] {0, 1});        // 4 rows: chosen 0, chosen 1, rejected 0, rejected 1
 * }</pre>
 *
 * @param pairs the pairs, in order
 * @param batching how the rows become a batch
 */
public record PreferenceDataset(List<PreferenceExample> pairs, Batching batching) implements TrainingData {

    /** Copies the list. */
    public PreferenceDataset {
        pairs = List.copyOf(pairs);
        Objects.requireNonNull(batching, "batching");
    }

    @Override
    public int size() {
        return pairs.size();
    }

    @Override
    public Batch batch(int[] indices) {
        List<TokenizedExample> rows = new ArrayList<>(2 * indices.length);
        for (int i : indices) {
            rows.add(pairs.get(i).chosen());
        }
        for (int i : indices) {
            rows.add(pairs.get(i).rejected());
        }
        return batching.collate(rows);
    }

    /** @return the chosen sequences alone, as a language-modelling dataset (for SFT on the preferred answers) */
    public TokenizedDataset chosen() {
        return new TokenizedDataset(pairs.stream().map(PreferenceExample::chosen).toList(), batching);
    }

    /** @return sha256 over every pair's chosen then rejected tokens and labels, in order */
    @Override
    public String fingerprint() {
        MessageDigest digest = Sha256.newDigest();
        for (PreferenceExample p : pairs) {
            TokenizedDataset.digest(List.of(p.chosen(), p.rejected()), digest);
        }
        return "sha256:" + Sha256.hex(digest.digest());
    }
}
