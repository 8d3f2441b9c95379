package io.github.peft4j.train.data.preference;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.curation.CurationReport;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.DatasetSplit;
import io.github.peft4j.train.data.PipelineBuilder;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.Tokenization;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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

    private final PipelineBuilder.Options options;
    private final PreferenceTokenization tokenization;

    private PreferencePipeline(Builder b) {
        this.options = b.options();
        this.tokenization = new PreferenceTokenization(options.tokenization());
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
        PipelineBuilder.Read<PreferencePair> read =
                options.readAll(files, f -> PreferenceParser.read(f, !options.skipBadLines()));
        return prepare(read.records(), read.skippedBadLines());
    }

    /**
     * @param pairs pairs already read
     * @param skippedBadLines bad lines skipped while reading them, for the report
     * @return the datasets
     */
    public Prepared prepare(List<PreferencePair> pairs, int skippedBadLines) {
        List<PreferencePair> curated = pairs;
        CurationReport report;
        if (options.curator() != null) {
            PreferenceCuration.Result r = PreferenceCuration.curate(options.curator(), pairs, skippedBadLines);
            curated = r.pairs();
            report = r.report();
        } else {
            report = new CurationReport(pairs.size(), skippedBadLines, 0, 0, 0, Map.of(), pairs.size());
        }
        if (curated.isEmpty()) {
            throw new PeftConfigException("no preference pairs left after reading and curation");
        }
        DatasetSplit.Split<PreferencePair> split = DatasetSplit.split(curated, options.evalFraction(), options.seed());
        return new Prepared(dataset(split.train()), dataset(split.eval()), report);
    }

    private PreferenceDataset dataset(List<PreferencePair> pairs) {
        Tokenization t = tokenization.tokenization();
        return new PreferenceDataset(tokenization.tokenizeAll(pairs), Batching.builder(t.padTokenId()).build());
    }

    /** Options of the pipeline: the shared ones ({@link PipelineBuilder}). */
    public static final class Builder extends PipelineBuilder<Builder> {

        private Builder(TextTokenizer tokenizer) {
            super(tokenizer);
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** @return the pipeline */
        public PreferencePipeline build() {
            return new PreferencePipeline(this);
        }
    }
}
