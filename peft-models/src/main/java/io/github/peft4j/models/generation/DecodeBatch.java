package io.github.peft4j.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.tuner.RowGather;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Advances several {@link SequenceDecoder}s by one token in one forward: their last tokens as
 * {@code [M, 1]}, linear layers on all rows at once, attention row by row over each row's own cache
 * ({@link DecodeRows}), rows of different adapters through one gathered pass per tuner layer
 * ({@link RowGather}). A matmul's rounding can depend on how many rows it has (MKL takes a GEMV path
 * below 4 rows), so the rows are padded to a fixed count {@code M}, the smallest of
 * {@code rowCounts} that holds them: a row is then computed with the same shapes alone and under any
 * load. Whether that makes each row's floats independent of its neighbours on this machine is a
 * question for a probe ({@link #stepLogits}); the tests assert it for llama, qwen3, phi3 and gpt2, and
 * for sliding-window layers (Mistral, Qwen2, Gemma 2 and 3: each row reads the last {@code window}
 * positions of its own cache, {@code nn.RowAttention}).
 *
 * <p>Each decoder keeps its own chooser, repetition memory and cache, and is left exactly as
 * {@link SequenceDecoder#next()} would leave it. Rows must come from decoders of one model whose
 * contexts hold at most an {@link AdapterRouting} (of one row); they must have run their prompts.
 *
 * <pre>{@code
 * DecodeBatch batch = new DecodeBatch(peftModel, 16);
 * long[] next = batch.next(List.of(decoderA, decoderB));   // one token each
 * }</pre>
 */
public final class DecodeBatch {

    private final Block model;
    private final int[] rowCounts;

    /**
     * @param model the model every row's decoder runs
     * @param rowCounts the row counts a step may have, padding included (each at least 4 is safest)
     */
    public DecodeBatch(Block model, int... rowCounts) {
        if (rowCounts.length == 0 || Arrays.stream(rowCounts).anyMatch(c -> c < 1)) {
            throw new PeftConfigException("a batched decode step needs positive row counts; got "
                    + Arrays.toString(rowCounts));
        }
        this.model = model;
        this.rowCounts = Arrays.stream(rowCounts).sorted().distinct().toArray();
    }

    /** @return the most rows one step takes */
    public int maxRows() {
        return rowCounts[rowCounts.length - 1];
    }

    /**
     * @param rows rows in a step
     * @return the rows the step computes, padding included
     */
    public int paddedRows(int rows) {
        for (int c : rowCounts) {
            if (c >= rows) {
                return c;
            }
        }
        throw new PeftConfigException("a batched decode step takes at most " + maxRows() + " rows; got " + rows);
    }

    /**
     * One token for every row, as each decoder's {@link SequenceDecoder#next()} would choose it
     * from this step's logits.
     *
     * @param rows decoders that have run their prompts
     * @return the next token of each
     */
    public long[] next(List<SequenceDecoder> rows) {
        return choose(rows, logits(rows));
    }

    /**
     * Each row's next token from a step's logits, as {@link #next} picks it.
     *
     * @param rows the step's decoders
     * @param logits the step's logits, {@code [rows * vocab]} ({@link #logits})
     * @return the next token of each
     */
    long[] choose(List<SequenceDecoder> rows, float[] logits) {
        long[] out = new long[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            SequenceDecoder d = rows.get(i);
            out[i] = d.accept(new long[] {d.last()}, logits, i * d.vocabSize());
        }
        return out;
    }

    /**
     * Runs the step and returns each row's logits without choosing a token: the caches advance
     * but the decoders do not, so they are good for nothing more than closing. For probes that
     * compare a row's logits alone and among others.
     *
     * @param rows decoders that have run their prompts
     * @return each row's logits, [rows][vocab]
     */
    public float[][] stepLogits(List<SequenceDecoder> rows) {
        float[] flat = logits(rows);
        int vocab = rows.get(0).vocabSize();
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            out[i] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
        }
        return out;
    }

    /**
     * Runs one step: every row's cache takes its last token.
     *
     * @param rows decoders that have run their prompts
     * @return the rows' logits one after another, {@code [rows * vocab]}
     */
    @SuppressWarnings("try") // the scope only makes the context current on this thread
    float[] logits(List<SequenceDecoder> rows) {
        int padded = paddedRows(rows.size());
        long[] ids = new long[padded];
        List<KvCache> caches = new ArrayList<>();
        for (SequenceDecoder d : rows) {
            if (d.model() != model) {
                throw new PeftConfigException("a batched decode step runs decoders of one model");
            }
            if (d.cache().isEmpty()) {
                throw new PeftConfigException("call prefill before a batched decode step");
            }
            ids[caches.size()] = d.last();
            caches.add(d.cache());
        }
        while (caches.size() < padded) {
            caches.add(null);
        }
        DecodeRows decodeRows = new DecodeRows(caches);
        ForwardContext ctx = ForwardContext.empty().with(DecodeRows.KEY, decodeRows).with(RowGather.KEY, true);
        Optional<AdapterRouting> routing = routing(rows, padded);
        if (routing.isPresent()) {
            ctx = ctx.with(AdapterRouting.KEY, routing.get());
        }
        try (NDManager sm = rows.get(0).session().newSubManager()) {
            Shape shape = new Shape(padded, 1);
            NDList in = new NDList(sm.create(ids, shape), sm.ones(shape, DataType.INT64));
            try (ForwardContext.Scope scope = ctx.activate()) {
                NDArray out = model.forward(new ParameterStore(sm, false), in, false, ctx.addTo(null)).head();
                return out.get(":, -1, :").toFloatArray();
            }
        } catch (RuntimeException e) {
            decodeRows.discardStaged();
            throw e;
        }
    }

    /** Each row's adapter (padding rows: the base); empty when no row names one. */
    private static Optional<AdapterRouting> routing(List<SequenceDecoder> rows, int padded) {
        List<String> names = new ArrayList<>();
        int routed = 0;
        for (SequenceDecoder d : rows) {
            Optional<AdapterRouting> r = d.callerContext().get(AdapterRouting.KEY);
            if (r.isPresent()) {
                if (r.get().adapterNames().size() != 1) {
                    throw new PeftConfigException("a decoder's routing must name one adapter; got " + r.get().adapterNames());
                }
                routed++;
            }
            names.add(r.map(a -> a.adapterNames().get(0)).orElse(AdapterRouting.BASE));
        }
        if (routed == 0) {
            return Optional.empty();
        }
        if (routed != rows.size()) {
            throw new PeftConfigException("rows of a batched decode step either all name their adapter or none does");
        }
        while (names.size() < padded) {
            names.add(AdapterRouting.BASE);
        }
        return Optional.of(new AdapterRouting(names));
    }
}
