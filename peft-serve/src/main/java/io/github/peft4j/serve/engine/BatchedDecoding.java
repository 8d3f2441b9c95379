package io.github.peft4j.serve.engine;

import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.tuner.GatheredBatch;
import io.github.peft4j.models.generation.DecodeBatch;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.SequenceDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the scheduler decodes its rows in one batched forward per step ({@link DecodeBatch}) and
 * with which row counts, decided by probes on the served model itself with the configured threads:
 * a batched step is used only where each row's logits come out bit for bit as those of the row
 * alone, so that a greedy completion stays the same bytes under any load. At start-up the base is
 * probed: rows of different lengths alone, among others and at other offsets, for every candidate
 * row count (multiples of 4 up to the batch size; a GEMM's rounding can change with its row count);
 * counts whose rows differ are dropped, and if the largest fails, batching is off (logged, with why).
 * Each adapter version is probed the first time a request uses it: its row alone and among base rows;
 * versions that fail, or whose tuner cannot run gathered ({@link GatheredBatch}), are decoded row
 * by row. Either way a row's path depends only on its adapter, never on the load.
 *
 * <pre>{@code
 * BatchedDecoding b = BatchedDecoding.probe(peftModel, 16, true);
 * if (b.admits("srv3")) { long[] next = b.next(decoders); }
 * }</pre>
 */
final class BatchedDecoding {

    private static final Logger LOG = LoggerFactory.getLogger(BatchedDecoding.class);
    private static final GenerationConfig PROBE = GenerationConfig.builder().maxNewTokens(2).eosTokenIds(-1).build();

    private final PeftModel model;
    private final DecodeBatch batch;
    private final String reason;
    private final Map<String, Boolean> adapters = new HashMap<>();

    private BatchedDecoding(PeftModel model, DecodeBatch batch, String reason) {
        this.model = model;
        this.batch = batch;
        this.reason = reason;
    }

    /**
     * @param model the served model
     * @param maxBatch the most rows a step decodes
     * @param enabled false to decode row by row without probing
     * @return the decision
     */
    static BatchedDecoding probe(PeftModel model, int maxBatch, boolean enabled) {
        if (!enabled) {
            LOG.info("batched decode steps: off (configured); each row is decoded alone");
            return new BatchedDecoding(model, null, "configured off");
        }
        int top = Math.max(4, (maxBatch + 3) / 4 * 4);
        try {
            int rows = Math.min(maxBatch, 5);
            float[][] canonical = new float[rows][];
            for (int r = 0; r < rows; r++) {
                canonical[r] = step(model, new DecodeBatch(model, top), List.of(r), AdapterRouting.BASE)[0];
            }
            List<Integer> all = IntStream.range(0, rows).boxed().toList();
            List<Integer> backwards = IntStream.range(0, rows).mapToObj(i -> rows - 1 - i).toList();
            String mismatch = compare(canonical, step(model, new DecodeBatch(model, top), backwards, AdapterRouting.BASE),
                    true);
            if (mismatch != null) {
                return off(model, "rows of a " + top + "-row step differ from the row alone (" + mismatch + ")");
            }
            List<Integer> counts = new ArrayList<>();
            for (int c = 4; c < top; c += 4) {
                if (compare(canonical, step(model, new DecodeBatch(model, c), all.subList(0, Math.min(rows, c)),
                        AdapterRouting.BASE), false) == null) {
                    counts.add(c);
                }
            }
            counts.add(top);
            int[] rowCounts = counts.stream().mapToInt(Integer::intValue).toArray();
            LOG.info("batched decode steps: on; each step's rows padded to one of {} (probed bit for bit)",
                    Arrays.toString(rowCounts));
            return new BatchedDecoding(model, new DecodeBatch(model, rowCounts), null);
        } catch (RuntimeException e) {
            return off(model, e.getMessage());
        }
    }

    private static BatchedDecoding off(PeftModel model, String why) {
        LOG.warn("batched decode steps: off ({}); each row is decoded alone", why);
        return new BatchedDecoding(model, null, why);
    }

    /** @return whether rows are decoded in batched steps */
    boolean enabled() {
        return batch != null;
    }

    /** @return why batched steps are off, or {@code null} when on */
    String reason() {
        return reason;
    }

    /** @return the row counts a step is padded to (empty when off) */
    int[] rowCounts() {
        if (batch == null) {
            return new int[0];
        }
        return IntStream.rangeClosed(1, batch.maxRows()).map(batch::paddedRows).distinct().toArray();
    }

    /**
     * @param route a row's adapter (its internal name) or {@link AdapterRouting#BASE}
     * @return whether its rows go through batched steps (probing the adapter the first time)
     */
    boolean admits(String route) {
        if (batch == null) {
            return false;
        }
        if (AdapterRouting.BASE.equals(route)) {
            return true;
        }
        return adapters.computeIfAbsent(route, this::probeAdapter);
    }

    /**
     * @param rows decoders of admitted routes, at most the batch size
     * @return each one's next token
     */
    long[] next(List<SequenceDecoder> rows) {
        return batch.next(rows);
    }

    private boolean probeAdapter(String route) {
        if (!GatheredBatch.supportsAdapter(model.tunerLayers(), route)) {
            LOG.info("adapter {}: decoded row by row (its tuner cannot run in a gathered batch)", route);
            return false;
        }
        try {
            float[] alone = step(model, batch, List.of(0), route)[0];
            DecodeBatch widest = new DecodeBatch(model, batch.maxRows());
            float[] crowded = step(model, widest, List.of(1, 0, 2), route, AdapterRouting.BASE)[1];
            if (Arrays.equals(alone, crowded)) {
                return true;
            }
            LOG.warn("adapter {}: decoded row by row (its row in a batched step differs from the row alone)", route);
        } catch (RuntimeException e) {
            LOG.warn("adapter {}: decoded row by row ({})", route, e.getMessage());
        }
        return false;
    }

    private static float[][] step(PeftModel model, DecodeBatch batch, List<Integer> prompts, String route) {
        return step(model, batch, prompts, route, route);
    }

    /**
     * One batched step of probe rows: prompt {@code p} is {@code p + 1} tokens long; the row of
     * prompt 0 uses {@code firstRoute}, the others {@code otherRoute}.
     */
    private static float[][] step(PeftModel model, DecodeBatch batch, List<Integer> prompts, String firstRoute,
            String otherRoute) {
        List<SequenceDecoder> rows = new ArrayList<>();
        try {
            for (int p : prompts) {
                String route = p == 0 ? firstRoute : otherRoute;
                ForwardContext ctx = ForwardContext.empty().with(AdapterRouting.KEY, new AdapterRouting(List.of(route)));
                SequenceDecoder d = new SequenceDecoder(model, ctx, PROBE);
                rows.add(d);
                long[] ids = new long[p + 1];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = 1 + (7L * p + 3L * i) % 50;
                }
                d.prefill(ids);
            }
            return batch.stepLogits(rows);
        } finally {
            rows.forEach(SequenceDecoder::close);
        }
    }

    /** @return the first row of {@code got} (in reverse order when {@code reversed}) that differs, or {@code null} */
    private static String compare(float[][] canonical, float[][] got, boolean reversed) {
        for (int i = 0; i < got.length; i++) {
            int r = reversed ? got.length - 1 - i : i;
            if (!Arrays.equals(canonical[r], got[i])) {
                return "probe row " + r + " at " + got.length + " rows";
            }
        }
        return null;
    }
}
