package io.github.peft4j.spark;

/**
 * How the ranks of {@link DataParallelTrainer} all-reduce their gradients each step. Both give
 * bit-identical results: every rank's message is reduced in rank order by the same code.
 *
 * <pre>{@code
 * DataParallelTrainer.builder().exchange(Exchange.ALL_GATHER) ...
 * }</pre>
 */
public enum Exchange {

    /**
     * One {@code BarrierTaskContext.allGather} per step through the driver. Spark 4.2 polls its
     * result every second, so each step waits up to ~1 s more than it computes.
     */
    ALL_GATHER,

    /**
     * The default: TCP sockets set up by one {@code allGather} at the start of each barrier stage
     * (the rendezvous); then rank 0 gathers the messages, reduces them and sends the result back.
     * Executors must reach rank 0's executor on an ephemeral port.
     */
    SOCKETS
}
