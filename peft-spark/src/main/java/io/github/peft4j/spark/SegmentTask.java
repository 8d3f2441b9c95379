package io.github.peft4j.spark;

import io.github.peft4j.train.DataOrder;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.TrainingDivergedException;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.optim.LrSchedule;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The body of one barrier task: steps {@code [start.step, endStep)} of synchronous data-parallel
 * training. Per step: this rank's shard gradients (under the JVM's engine lock), their all-reduce
 * through the segment's {@link GradientExchange} (opened at the start, closed at the end or on
 * failure), and the optimizer step once per JVM.
 */
final class SegmentTask extends AbstractFunction1<Iterator<Integer>, Iterator<SegmentResult>>
        implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String runId;
    private final int segmentIndex;
    private final AdapterFactory factory;
    private final LossFactory lossFactory;
    private final String argsJson;
    private final int maxSteps;
    private final Broadcast<ShardedData> data;
    private final SegmentState start;
    private final int endStep;
    private final ExchangeSettings exchange;
    private final int attempt;

    /**
     * @param attempt the driver's attempt at this segment: a resubmitted stage starts again from
     *     {@code start}, and Spark numbers its attempts from 0 again
     */
    SegmentTask(String runId, int segmentIndex, AdapterFactory factory, LossFactory lossFactory, String argsJson,
            int maxSteps, Broadcast<ShardedData> data, SegmentState start, int endStep, ExchangeSettings exchange,
            int attempt) {
        this.runId = runId;
        this.segmentIndex = segmentIndex;
        this.factory = factory;
        this.lossFactory = lossFactory;
        this.argsJson = argsJson;
        this.maxSteps = maxSteps;
        this.data = data;
        this.start = start;
        this.endStep = endStep;
        this.exchange = exchange;
        this.attempt = attempt;
    }

    @Override
    public Iterator<SegmentResult> apply(Iterator<Integer> ignored) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int rank = ctx.partitionId();
        int ranks = ctx.getTaskInfos().length;
        ShardedData shardData = data.value();
        String key = segmentIndex + "/" + attempt + "/" + ctx.stageAttemptNumber();
        Replica replica;
        EngineLock.LOCK.lock();
        try {
            replica = Replica.forRun(runId, factory, lossFactory, argsJson);
            replica.begin(key, start);
        } finally {
            EngineLock.LOCK.unlock();
        }
        TrainingArguments args = replica.args;
        DataOrder order = new DataOrder(shardData.size(), args.perDeviceTrainBatchSize(), args.seed(), args.shuffle());
        order.seek(start.epoch(), start.batch());
        LrSchedule schedule = LrSchedule.of(args.lrSchedulerType(), args.learningRate(), args.warmupSteps(maxSteps),
                maxSteps);
        List<StepMetrics> metrics = new ArrayList<>();
        try (GradientExchange peers = GradientExchange.open(exchange, ctx)) {
            for (int step = start.step(); step < endStep; step++) {
                metrics.add(step(key, replica, peers, order, schedule, shardData, rank, ranks, step));
            }
        }
        if (rank != 0) {
            return CollectionConverters.asScala(Collections.<SegmentResult>emptyIterator());
        }
        SegmentState end;
        EngineLock.LOCK.lock();
        try {
            end = replica.snapshot(order.epoch(), order.batch());
        } finally {
            EngineLock.LOCK.unlock();
        }
        return CollectionConverters.asScala(List.of(new SegmentResult(end, metrics)).iterator());
    }

    private StepMetrics step(String key, Replica replica, GradientExchange peers, DataOrder order, LrSchedule schedule,
            ShardedData shardData, int rank, int ranks, int step) {
        TrainingArguments args = replica.args;
        long t0 = System.nanoTime();
        List<Batch> shards = new ArrayList<>();
        for (int i = 0; i < args.gradientAccumulationSteps(); i++) {
            int[] mine = ShardedData.shard(order.next(), rank, ranks);
            shards.add(mine.length == 0 ? null : shardData.batch(mine));
        }
        GradientMessage message;
        EngineLock.LOCK.lock();
        try {
            message = replica.gradients(key, shards);
        } finally {
            EngineLock.LOCK.unlock();
        }
        long t1 = System.nanoTime();
        GradientMessage.Reduced reduced = peers.allReduce(step + 1, message, args.averageTokensAcrossMicroBatches());
        long t2 = System.nanoTime();
        double lr = schedule.learningRate(step);
        if (!Double.isFinite(reduced.loss())) {
            throw new TrainingDivergedException(step + 1, "step " + (step + 1) + ": the training loss is "
                    + reduced.loss() + " (learning rate " + lr + ")");
        }
        double norm;
        EngineLock.LOCK.lock();
        try {
            norm = replica.apply(key, step + 1, reduced.gradient(), lr);
        } finally {
            EngineLock.LOCK.unlock();
        }
        long t3 = System.nanoTime();
        return new StepMetrics(step + 1, reduced.loss(), lr, norm, reduced.tokens(), (t3 - t0) / 1e9, (t2 - t1) / 1e9);
    }
}
