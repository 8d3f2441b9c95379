package io.github.peft4j.spark;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.TaskKilledException;

/**
 * One barrier task's side of the per-step all-reduce, open for one segment (one barrier stage
 * attempt). Every rank gets the same bits: the messages of all ranks reduced in rank order by
 * {@link GradientMessage#reduce}.
 */
interface GradientExchange extends AutoCloseable {

    /**
     * @param step the step (1-based), checked against the peers' frames
     * @param mine this rank's message
     * @param averageItems see {@link GradientMessage#reduce}
     * @return the reduction of every rank's message of this step
     */
    GradientMessage.Reduced allReduce(int step, GradientMessage mine, boolean averageItems);

    /** Releases the connections; idempotent. */
    @Override
    void close();

    /**
     * Opens the exchange of the current barrier task; with sockets this is the rendezvous (one
     * allGather) and the connections.
     *
     * @param settings the kind and its timeouts
     * @param ctx the task's barrier context
     * @return the open exchange
     */
    static GradientExchange open(ExchangeSettings settings, BarrierTaskContext ctx) {
        if (settings.kind() == Exchange.ALL_GATHER) {
            return new AllGatherExchange(ctx::allGather);
        }
        int rank = ctx.partitionId();
        Runnable alive = () -> {
            if (ctx.isInterrupted()) {
                throw new TaskKilledException("killed while exchanging gradients (rank " + rank + ")");
            }
        };
        return SocketExchange.open(rank, ctx.getTaskInfos().length,
                SocketExchange.hostOf(ctx.getTaskInfos()[rank].address()), ctx::allGather, alive, settings);
    }
}
