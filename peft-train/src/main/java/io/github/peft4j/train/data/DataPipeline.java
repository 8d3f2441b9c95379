package io.github.peft4j.train.data;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.curation.CurationReport;
import io.github.peft4j.train.curation.Curator;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * From JSONL files to training and evaluation datasets: read (with line numbers), curate
 * (dedup, near-dedup, anonymise), split by seed, tokenize with labels, pack if asked, and batch
 * with padding.
 *
 * <pre>{@code
 * DataPipeline.Prepared data = DataPipeline.builder(tokenizer)
 *         .curator(Curator.defaults())
 *         .evalFraction(0.1)
 *         .packing(512)
 *         .seed(42)
 *         .build()
 *         .prepare(Path.of("support-chats.jsonl"));
 * System.out.println(data.curation().toMarkdown());
 * }</pre>
 */
public final class DataPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(DataPipeline.class);

    private final PipelineBuilder.Options options;
    private final Tokenization tokenization;
    private final int packing;
    private final int padToMultipleOf;

    private DataPipeline(Builder b) {
        this.options = b.options();
        this.tokenization = options.tokenization();
        this.packing = b.packing;
        this.padToMultipleOf = b.padToMultipleOf;
    }

    /**
     * @param tokenizer the model's tokenizer
     * @return a builder: no curation, no eval split, no packing, bad lines are errors
     */
    public static Builder builder(TextTokenizer tokenizer) {
        return new Builder(tokenizer);
    }

    /**
     * The datasets and what curation did.
     *
     * @param train the training data
     * @param eval the evaluation data (empty without a split)
     * @param curation the curation report (all zeros but the record counts without a curator)
     */
    public record Prepared(TokenizedDataset train, TokenizedDataset eval, CurationReport curation) {}

    /**
     * @param files JSONL files, read in order
     * @return the datasets
     */
    public Prepared prepare(Path... files) {
        JsonlReader reader = JsonlReader.builder().skipBadLines(options.skipBadLines()).build();
        PipelineBuilder.Read<DataRecord> read = options.readAll(files, f -> reader.read(f, RecordParser::parse));
        return prepare(read.records(), read.skippedBadLines());
    }

    /**
     * @param records records already read
     * @param skippedBadLines bad lines skipped while reading them, for the report
     * @return the datasets
     */
    public Prepared prepare(List<DataRecord> records, int skippedBadLines) {
        CurationReport report;
        List<DataRecord> curated;
        if (options.curator() != null) {
            Curator.Result r = options.curator().curate(records, skippedBadLines);
            curated = r.records();
            report = r.report();
        } else {
            curated = records;
            report = new CurationReport(records.size(), skippedBadLines, 0, 0, 0, Map.of(), records.size());
        }
        if (curated.isEmpty()) {
            throw new PeftConfigException("no training examples left after reading and curation");
        }
        DatasetSplit.Split<DataRecord> split = DatasetSplit.split(curated, options.evalFraction(), options.seed());
        TokenizedDataset train = dataset(split.train());
        TokenizedDataset eval = dataset(split.eval());
        LOG.info("prepared {} training and {} evaluation sequences ({} and {} tokens)", train.size(), eval.size(),
                train.tokenCount(), eval.tokenCount());
        return new Prepared(train, eval, report);
    }

    private TokenizedDataset dataset(List<DataRecord> records) {
        List<TokenizedExample> examples = tokenization.tokenizeAll(records);
        Batching.Builder batching = Batching.builder(tokenization.padTokenId()).padToMultipleOf(padToMultipleOf);
        if (packing > 0) {
            examples = Packing.pack(examples, packing);
            batching.fixedLength(packing);
        }
        return new TokenizedDataset(examples, batching.build());
    }

    /** @return the tokenization in use */
    public Tokenization tokenization() {
        return tokenization;
    }

    /** Options of the pipeline: the shared ones and packing. */
    public static final class Builder extends PipelineBuilder<Builder> {
        private int packing;
        private int padToMultipleOf;

        private Builder(TextTokenizer tokenizer) {
            super(tokenizer);
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * @param seqLength pack examples into sequences of this many tokens; 0 for no packing
         * @return this
         */
        public Builder packing(int seqLength) {
            if (seqLength < 0) {
                throw new PeftConfigException("packing length must be >= 0, got " + seqLength);
            }
            this.packing = seqLength;
            return this;
        }

        /**
         * @param multiple pad batches to a multiple of this length (without packing)
         * @return this
         */
        public Builder padToMultipleOf(int multiple) {
            this.padToMultipleOf = multiple;
            return this;
        }

        /** @return the pipeline */
        public DataPipeline build() {
            return new DataPipeline(this);
        }
    }
}
