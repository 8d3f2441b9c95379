package io.github.peft4j.train.data.preference;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.curation.CurationReport;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.DatasetSplit;
import io.github.peft4j.train.data.JsonlReader;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.Tokenization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * From preference JSONL files to preference datasets, as {@link io.github.peft4j.train.data.DataPipeline}
 * does for SFT data: read TRL's formats (with line numbers), curate (dedup over whole pairs,
 * personal data), split by seed, tokenize the answers with prompt-masked labels, batch with padding.
 *
 * <pre>{@code
 * PreferencePipeline.Prepared prefs = PreferencePipeline.builder(tokenizer)
 *         .curator(Curator.defaults())
 *         .tokenization(t -> t.chatTemplate(template).maxLength(256))
 *         .evalFraction(0.1)
 *         .build()
 *         .prepare(Path.of("prefs.jsonl"));
 * }</pre>
 */
public final class PreferencePipeline {

    private final PreferenceTokenization tokenization;
    private final Curator curator;
    private final boolean skipBadLines;
    private final double evalFraction;
    private final long seed;

    private PreferencePipeline(Builder b) {
        this.tokenization = new PreferenceTokenization(b.tokenization.build());
        this.curator = b.curator;
        this.skipBadLines = b.skipBadLines;
        this.evalFraction = b.evalFraction;
        this.seed = b.seed;
    }

    /**
     * @param tokenizer the model's tokenizer
     * @return a builder: no curation, no eval split, bad lines are errors
     */
    public static Builder builder(TextTokenizer tokenizer) {
        return new Builder(tokenizer);
    }

    /**
     * The datasets and what curation did.
     *
     * @param train the training pairs
     * @param eval the held-out pairs (empty without a split)
     * @param curation the curation report, counting pairs
     */
    public record Prepared(PreferenceDataset train, PreferenceDataset eval, CurationReport curation) {}

    /**
     * @param files JSONL files of preference pairs, read in order
     * @return the datasets
     */
    public Prepared prepare(Path... files) {
        if (files.length == 0) {
            throw new PeftConfigException("no input files");
        }
        List<PreferencePair> pairs = new ArrayList<>();
        int skipped = 0;
        for (Path f : files) {
            JsonlReader.Parsed<PreferencePair> r = PreferenceParser.read(f, !skipBadLines);
            pairs.addAll(r.records());
            skipped += r.skipped().size();
        }
        return prepare(pairs, skipped);
    }

    /**
     * @param pairs pairs already read
     * @param skippedBadLines bad lines skipped while reading them, for the report
     * @return the datasets
     */
    public Prepared prepare(List<PreferencePair> pairs, int skippedBadLines) {
        List<PreferencePair> curated = pairs;
        CurationReport report;
        if (curator != null) {
            PreferenceCuration.Result r = PreferenceCuration.curate(curator, pairs, skippedBadLines);
            curated = r.pairs();
            report = r.report();
        } else {
            report = new CurationReport(pairs.size(), skippedBadLines, 0, 0, 0, Map.of(), pairs.size());
        }
        if (curated.isEmpty()) {
            throw new PeftConfigException("no preference pairs left after reading and curation");
        }
        DatasetSplit.Split<PreferencePair> split = DatasetSplit.split(curated, evalFraction, seed);
        return new Prepared(dataset(split.train()), dataset(split.eval()), report);
    }

    private PreferenceDataset dataset(List<PreferencePair> pairs) {
        Tokenization t = tokenization.tokenization();
        return new PreferenceDataset(tokenization.tokenizeAll(pairs), Batching.builder(t.padTokenId()).build());
    }

    /** Options of the pipeline. */
    public static final class Builder {
        private final Tokenization.Builder tokenization;
        private Curator curator;
        private boolean skipBadLines;
        private double evalFraction;
        private long seed = 42;

        private Builder(TextTokenizer tokenizer) {
            this.tokenization = Tokenization.builder(Objects.requireNonNull(tokenizer, "tokenizer"));
        }

        /** @param configure adjusts tokenization (max length, chat template, BOS/EOS) @return this */
        public Builder tokenization(Consumer<Tokenization.Builder> configure) {
            configure.accept(tokenization);
            return this;
        }

        /** @param curator the curation steps, or {@code null} for none @return this */
        public Builder curator(Curator curator) {
            this.curator = curator;
            return this;
        }

        /** @param skip skip malformed lines (counted in the report) instead of failing @return this */
        public Builder skipBadLines(boolean skip) {
            this.skipBadLines = skip;
            return this;
        }

        /** @param fraction share of pairs held out for evaluation, in [0, 1) @return this */
        public Builder evalFraction(double fraction) {
            this.evalFraction = fraction;
            return this;
        }

        /** @param seed seed of the split @return this */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @return the pipeline */
        public PreferencePipeline build() {
            return new PreferencePipeline(this);
        }
    }
}
