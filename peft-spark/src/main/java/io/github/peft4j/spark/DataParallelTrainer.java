package io.github.peft4j.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.TrainingDivergedException;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.optim.DecayRule;
import io.github.peft4j.train.optim.NamedParameter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Synchronous data-parallel adapter training on Spark, the JVM's counterpart of torchrun DDP: P
 * barrier tasks each hold a replica (the base model loaded once per executor JVM), compute the
 * adapter gradients of their slice of every global micro-batch, all-reduce only those (through
 * sockets set up by a barrier rendezvous, or {@code BarrierTaskContext.allGather}: {@link Exchange}),
 * and apply the same AdamW/SGD step, so all replicas stay identical. Accumulation, clipping, the
 * schedule and the data order are {@code PeftTrainer}'s: training with P partitions equals
 * single-process {@code PeftTrainer} training on the same global batches ({@code per_device_train_batch_size} is the <em>global</em> micro-batch here).
 *
 * <p>Training runs in segments of {@code save_steps} steps, one barrier stage each; between them
 * the driver writes {@code checkpoint-N} (a resume point). A failed stage runs again from its
 * segment's start state ({@link Builder#segmentAttempts}). Outputs in {@code output_dir}: the
 * adapter (HF PEFT layout), {@code checkpoint-N/}, {@code metrics.jsonl}.
 *
 * <pre>{@code
 * DataParallelResult r = DataParallelTrainer.builder()
 *         .spark(spark).model(factory).args(args)
 *         .trainDataset(tokenized, tokenizer.padTokenId()).partitions(4)
 *         .build().train();
 * }</pre>
 */
public final class DataParallelTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(DataParallelTrainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SparkSession spark;
    private final AdapterFactory factory;
    private final TrainingArguments args;
    private final TokenizedDataset data;
    private final int padTokenId;
    private final int partitions;
    private final LossFactory loss;
    private final ExchangeSettings exchange;
    private final int segmentAttempts;

    private DataParallelTrainer(Builder b) {
        this.spark = Objects.requireNonNull(b.spark, "spark");
        this.factory = Objects.requireNonNull(b.factory, "model");
        this.args = Objects.requireNonNull(b.args, "args");
        this.data = Objects.requireNonNull(b.data, "trainDataset");
        this.padTokenId = b.padTokenId;
        this.partitions = b.partitions;
        this.loss = b.loss;
        this.exchange = new ExchangeSettings(b.exchange, b.connectTimeout, b.readTimeout);
        if (data.isEmpty()) {
            throw new PeftConfigException("the training dataset is empty");
        }
        this.segmentAttempts = b.segmentAttempts;
        if (segmentAttempts < 1) {
            throw new PeftConfigException("segmentAttempts must be >= 1, got " + segmentAttempts);
        }
        if (partitions < 1) {
            throw new PeftConfigException("partitions must be >= 1, got " + partitions);
        }
    }

    /** @return a builder; the loss defaults to {@link CausalLmLoss} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the optimizer steps planned, as {@code PeftTrainer} plans them */
    public int plannedSteps() {
        if (args.maxSteps() > 0) {
            return args.maxSteps();
        }
        int batches = (data.size() + args.perDeviceTrainBatchSize() - 1) / args.perDeviceTrainBatchSize();
        return Math.max(1, (int) Math.ceil(args.numTrainEpochs() * batches / args.gradientAccumulationSteps()));
    }

    /** @return the result; the adapter is in {@code output_dir} */
    public DataParallelResult train() {
        return run(null);
    }

    /** @param checkpoint a {@code checkpoint-N} of this training @return the result of the whole training */
    public DataParallelResult resume(Path checkpoint) {
        return run(Objects.requireNonNull(checkpoint, "checkpoint"));
    }

    private DataParallelResult run(Path checkpoint) {
        int maxSteps = plannedSteps();
        Path out = args.outputDir();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ShardedData> shared = jsc.broadcast(new ShardedData(data, padTokenId));
        JavaRDD<Integer> ranks = jsc.parallelize(IntStream.range(0, partitions).boxed().toList(), partitions);
        String runId = UUID.randomUUID().toString();
        List<StepMetrics> metrics = new ArrayList<>();
        try (PeftModel model = factory.create()) {
            List<NamedParameter> params = TrainableTensors.of(model, DecayRule.excluding(args.noDecayPatterns()));
            SegmentState state = checkpoint == null ? new SegmentState(0, 0, 0, TensorSnapshot.of(params), null, 0)
                    : SparkCheckpoints.read(checkpoint, model, params);
            LOG.info("data-parallel training of {} floats over {} partitions for {} steps from step {}",
                    state.adapter().size(), partitions, maxSteps, state.step());
            for (int segment = 0; state.step() < maxSteps; segment++) {
                int save = args.saveSteps();
                int end = save > 0 ? Math.min(maxSteps, (state.step() / save + 1) * save) : maxSteps;
                SegmentState from = state;
                int index = segment;
                List<SegmentResult> results = runSegment(ranks, segment, from.step(), attempt -> new SegmentTask(runId,
                        index, factory, loss, args.toJson(), maxSteps, shared, from, end, exchange, attempt));
                state = results.get(0).state();
                metrics.addAll(results.get(0).steps());
                writeMetrics(out, metrics);
                if (save > 0) {
                    LOG.info("step {}: loss {}, checkpoint {}", state.step(), metrics.get(metrics.size() - 1).loss(),
                            SparkCheckpoints.write(out, state, model, params));
                }
            }
            state.adapter().assignTo(params);
            model.save(out);
            return new DataParallelResult(state.step(), List.copyOf(metrics), state.adapter(), out);
        } finally {
            shared.destroy();
        }
    }

    /**
     * Runs one segment's barrier stage, again from the same start state while it fails and attempts
     * are left: Spark never retries a failed barrier result stage itself. A diverged loss is not retried.
     */
    private List<SegmentResult> runSegment(JavaRDD<Integer> ranks, int segment, int fromStep,
            IntFunction<SegmentTask> attempts) {
        ClassTag<SegmentResult> tag = ClassTag$.MODULE$.apply(SegmentResult.class);
        for (int attempt = 0;; attempt++) {
            try {
                return ranks.rdd().barrier().mapPartitions(attempts.apply(attempt), false, tag).toJavaRDD().collect();
            } catch (Exception e) { // collect() declares nothing, so Java cannot name its SparkException here
                String why = String.valueOf(e.getMessage());
                if (!(e instanceof SparkException) || attempt + 1 >= segmentAttempts
                        || why.contains(TrainingDivergedException.class.getName())) {
                    throw e;
                }
                LOG.warn("segment {} attempt {} of {} failed; running it again from step {}: {}", segment, attempt + 1,
                        segmentAttempts, fromStep, why);
            }
        }
    }

    private static void writeMetrics(Path out, List<StepMetrics> metrics) {
        StringBuilder sb = new StringBuilder();
        try {
            Files.createDirectories(out);
            for (StepMetrics m : metrics) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("step", m.step());
                line.put("loss", m.loss());
                line.put("learning_rate", m.learningRate());
                line.put("grad_norm", m.gradNorm());
                line.put("tokens", m.tokens());
                line.put("step_seconds", m.seconds());
                line.put("allreduce_seconds", m.exchangeSeconds());
                sb.append(JSON.writeValueAsString(line)).append('\n');
            }
        } catch (IOException e) {
            throw new PeftFormatException(out, null, "cannot write metrics: " + e.getMessage(), e);
        }
        AtomicFiles.write(out.resolve("metrics.jsonl"), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Builds a {@link DataParallelTrainer}. */
    public static final class Builder {
        private SparkSession spark;
        private AdapterFactory factory;
        private TrainingArguments args;
        private TokenizedDataset data;
        private int padTokenId;
        private int partitions = 2;
        private LossFactory loss = CausalLmLoss::new;
        private Exchange exchange = ExchangeSettings.DEFAULT.kind();
        private Duration connectTimeout = ExchangeSettings.DEFAULT.connectTimeout();
        private Duration readTimeout = ExchangeSettings.DEFAULT.readTimeout();
        private int segmentAttempts = 3;

        private Builder() {}

        /** @param spark the session @return this */
        public Builder spark(SparkSession spark) {
            this.spark = spark;
            return this;
        }

        /** @param factory builds the model with its adapter, on the driver and once per executor JVM @return this */
        public Builder model(AdapterFactory factory) {
            this.factory = factory;
            return this;
        }

        /** @param args the hyper-parameters; per_device_train_batch_size is the global micro-batch @return this */
        public Builder args(TrainingArguments args) {
            this.args = args;
            return this;
        }

        /**
         * @param data the tokenized training set (broadcast to every executor)
         * @param padTokenId the padding id of the tokenizer; shards are padded to their longest example
         * @return this
         */
        public Builder trainDataset(TokenizedDataset data, int padTokenId) {
            this.data = data;
            this.padTokenId = padTokenId;
            return this;
        }

        /** @param partitions the barrier tasks, at most the cluster's free task slots; 2 by default @return this */
        public Builder partitions(int partitions) {
            this.partitions = partitions;
            return this;
        }

        /** @param loss makes the loss on each executor @return this */
        public Builder loss(LossFactory loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        /**
         * @param exchange how the ranks all-reduce their gradients; {@link Exchange#SOCKETS} by default
         * @return this
         */
        public Builder exchange(Exchange exchange) {
            this.exchange = Objects.requireNonNull(exchange, "exchange");
            return this;
        }

        /**
         * Timeouts of {@link Exchange#SOCKETS}.
         *
         * @param connect how long connecting to rank 0 may take once the stage's tasks met (1 minute by default)
         * @param read how long a rank waits for a peer's frame, or for a peer to take one; it must cover the
         *     slowest rank's step computation (10 minutes by default)
         * @return this
         */
        public Builder exchangeTimeouts(Duration connect, Duration read) {
            this.connectTimeout = Objects.requireNonNull(connect, "connect");
            this.readTimeout = Objects.requireNonNull(read, "read");
            return this;
        }

        /**
         * @param attempts how many times a segment's barrier stage runs, each time from the segment's start
         *     state, before training fails (3 by default; a diverged loss is not run again)
         * @return this
         */
        public Builder segmentAttempts(int attempts) {
            this.segmentAttempts = attempts;
            return this;
        }

        /** @return the trainer */
        public DataParallelTrainer build() {
            return new DataParallelTrainer(this);
        }
    }
}
