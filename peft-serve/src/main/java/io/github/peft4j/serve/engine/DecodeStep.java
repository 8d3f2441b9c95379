package io.github.peft4j.serve.engine;

import io.github.peft4j.models.generation.SequenceDecoder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One token for each decoding row of a scheduler step: one batched forward for the rows whose
 * adapters passed the probe ({@link BatchedDecoding}), and a forward of each other row alone, on
 * worker threads when there are several. A row's failure is its own: it comes back in its place.
 *
 * <pre>{@code
 * DecodeStep step = new DecodeStep(batched, 2);
 * List<Object> next = step.next(rows);   // a Long per row, or the Throwable that ended it
 * }</pre>
 */
final class DecodeStep implements AutoCloseable {

    private final BatchedDecoding batched;
    private final ExecutorService workers;

    /**
     * @param batched the batched-decode decision
     * @param workers threads computing rows decoded alone
     */
    DecodeStep(BatchedDecoding batched, int workers) {
        this.batched = batched;
        this.workers = workers > 1 ? Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "peft4j-row");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /**
     * @param rows the decoding rows
     * @return for each row its next token ({@code Long}) or what failed it ({@code Throwable})
     */
    List<Object> next(List<Sequence> rows) {
        List<Object> out = new ArrayList<>(Collections.nCopies(rows.size(), null));
        List<Integer> together = new ArrayList<>();
        List<Integer> alone = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            (rows.get(i).batched() ? together : alone).add(i);
        }
        if (!together.isEmpty()) {
            List<SequenceDecoder> decoders = together.stream().map(i -> rows.get(i).decoder()).toList();
            try {
                long[] next = batched.next(decoders);
                for (int k = 0; k < next.length; k++) {
                    out.set(together.get(k), next[k]);
                }
            } catch (RuntimeException e) {
                together.forEach(i -> out.set(i, e));
            }
        }
        if (workers == null || alone.size() < 2) {
            alone.forEach(i -> out.set(i, nextToken(rows.get(i))));
            return out;
        }
        List<Callable<Object>> jobs = new ArrayList<>();
        for (int i : alone) {
            Sequence s = rows.get(i);
            jobs.add(() -> nextToken(s));
        }
        try {
            List<Future<Object>> done = workers.invokeAll(jobs);
            for (int k = 0; k < done.size(); k++) {
                out.set(alone.get(k), done.get(k).get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        return out;
    }

    private static Object nextToken(Sequence s) {
        try {
            return s.decoder().next();
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** Stops the worker threads. */
    @Override
    public void close() {
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
