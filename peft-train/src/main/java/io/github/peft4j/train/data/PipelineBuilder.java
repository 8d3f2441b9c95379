package io.github.peft4j.train.data;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.curation.Curator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The options every data pipeline shares — tokenization, curation, bad lines, the held-out split —
 * so that SFT records ({@link DataPipeline}) and preference pairs
 * ({@link io.github.peft4j.train.data.preference.PreferencePipeline}) are read, curated and split
 * the same way.
 *
 * <pre>{@code
 * DataPipeline pipeline = DataPipeline.builder(tokenizer)
 *         .curator(Curator.defaults())      // shared options first ...
 *         .evalFraction(0.1)
 *         .seed(7)
 *         .packing(512)                     // ... then the pipeline's own
 *         .build();
 * }</pre>
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class PipelineBuilder<B extends PipelineBuilder<B>> {

    private final Tokenization.Builder tokenization;
    private Curator curator;
    private boolean skipBadLines;
    private double evalFraction;
    private long seed = 42;

    /** @param tokenizer the model's tokenizer */
    protected PipelineBuilder(TextTokenizer tokenizer) {
        this.tokenization = Tokenization.builder(Objects.requireNonNull(tokenizer, "tokenizer"));
    }

    /** @return this builder as its concrete type */
    protected abstract B self();

    /**
     * @param configure adjusts tokenization (max length, chat template, loss masking, BOS/EOS)
     * @return this
     */
    public B tokenization(Consumer<Tokenization.Builder> configure) {
        configure.accept(tokenization);
        return self();
    }

    /**
     * @param curator the curation steps, or {@code null} for none
     * @return this
     */
    public B curator(Curator curator) {
        this.curator = curator;
        return self();
    }

    /**
     * @param skip skip malformed lines (counted in the report) instead of failing
     * @return this
     */
    public B skipBadLines(boolean skip) {
        this.skipBadLines = skip;
        return self();
    }

    /**
     * @param fraction share of records held out for evaluation, in [0, 1)
     * @return this
     */
    public B evalFraction(double fraction) {
        this.evalFraction = fraction;
        return self();
    }

    /**
     * @param seed seed of the split
     * @return this
     */
    public B seed(long seed) {
        this.seed = seed;
        return self();
    }

    /** @return the shared options as set now, tokenization built */
    public Options options() {
        return new Options(tokenization.build(), curator, skipBadLines, evalFraction, seed);
    }

    /**
     * The shared options of a built pipeline.
     *
     * @param tokenization the tokenization
     * @param curator the curation steps, or null
     * @param skipBadLines whether malformed lines are skipped
     * @param evalFraction the held-out share
     * @param seed the split's seed
     */
    public record Options(Tokenization tokenization, Curator curator, boolean skipBadLines, double evalFraction,
            long seed) {

        /**
         * Reads every file in order.
         *
         * @param files JSONL files
         * @param read reads one file, honouring {@link #skipBadLines()}
         * @return the records of all files and how many bad lines were skipped
         * @throws PeftConfigException when no file is given
         */
        public <T> Read<T> readAll(Path[] files, Function<Path, JsonlReader.Parsed<T>> read) {
            if (files.length == 0) {
                throw new PeftConfigException("no input files");
            }
            List<T> records = new ArrayList<>();
            int skipped = 0;
            for (Path f : files) {
                JsonlReader.Parsed<T> r = read.apply(f);
                records.addAll(r.records());
                skipped += r.skipped().size();
            }
            return new Read<>(records, skipped);
        }
    }

    /**
     * Records read from several files.
     *
     * @param records the records, in file order
     * @param skippedBadLines malformed lines skipped
     * @param <T> the record type
     */
    public record Read<T>(List<T> records, int skippedBadLines) {}
}
