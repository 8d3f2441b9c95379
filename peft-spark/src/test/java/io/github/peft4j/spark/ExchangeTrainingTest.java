package io.github.peft4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.loss.TrainingLoss;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/** The socket all-reduce inside Spark: same bytes as allGather, clean retries, nothing left open. */
class ExchangeTrainingTest {

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.localSpark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static DataParallelResult train(Path out, Exchange exchange, LossFactory loss) {
        TokenizedDataset data = SparkTestSupport.tokens(30, 13);
        TrainingArguments args = TrainingArguments.builder(out).maxSteps(8).saveSteps(4).learningRate(1e-2)
                .perDeviceTrainBatchSize(5).gradientAccumulationSteps(2).maxGradNorm(1.0).warmupSteps(2).seed(3)
                .shuffle(true).build();
        return DataParallelTrainer.builder().spark(spark).model(() -> SparkTestSupport.tinyLora(4, true)).args(args)
                .trainDataset(data, SparkTestSupport.PAD).partitions(2).exchange(exchange).loss(loss).build().train();
    }

    private static void assertSameFile(Path a, Path b) throws IOException {
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), a + " vs " + b);
    }

    @Test
    void socketsTrainTheSameBytesAsAllGather(@TempDir Path dir) throws IOException {
        DataParallelResult sockets = train(dir.resolve("sockets"), Exchange.SOCKETS, CausalLmLoss::new);
        DataParallelResult gathered = train(dir.resolve("gather"), Exchange.ALL_GATHER, CausalLmLoss::new);
        assertEquals(0, FrameChannel.OPEN.get(), "sockets left open");
        for (String file : List.of("adapter_model.safetensors", "checkpoint-4/adapter_model.safetensors",
                "checkpoint-4/optimizer.safetensors", "checkpoint-8/optimizer.safetensors")) {
            assertSameFile(dir.resolve("sockets").resolve(file), dir.resolve("gather").resolve(file));
        }
        assertEquals(8, sockets.steps().size());
        for (int i = 0; i < 8; i++) {
            assertEquals(gathered.steps().get(i).loss(), sockets.steps().get(i).loss(), 0.0, "step " + (i + 1));
            assertEquals(gathered.steps().get(i).gradNorm(), sockets.steps().get(i).gradNorm(), 0.0);
        }
    }

    @Test
    void aStageThatFailsMidSegmentIsRetriedFromItsStartAndRebinds(@TempDir Path dir) throws IOException {
        train(dir.resolve("clean"), Exchange.SOCKETS, CausalLmLoss::new);
        FailOnce.CALLS.set(0);
        FailOnce.THROWN.set(0);
        DataParallelResult retried = train(dir.resolve("retried"), Exchange.SOCKETS, () -> new FailOnce(new CausalLmLoss()));
        assertEquals(1, FailOnce.THROWN.get(), "the injected failure happened once");
        assertEquals(0, FrameChannel.OPEN.get(), "sockets left open");
        assertEquals(8, retried.globalStep());
        assertSameFile(dir.resolve("clean/adapter_model.safetensors"), dir.resolve("retried/adapter_model.safetensors"));
        assertSameFile(dir.resolve("clean/checkpoint-8/optimizer.safetensors"),
                dir.resolve("retried/checkpoint-8/optimizer.safetensors"));
    }

    @Test
    void tasksLearnTheExecutorAddressWhichIsLoopbackInTests() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> hosts = jsc.parallelize(List.of(0, 1), 2).rdd().barrier()
                .mapPartitions(new RootHost(), false, ClassTag$.MODULE$.apply(String.class)).toJavaRDD().collect();
        assertEquals(List.of("127.0.0.1", "127.0.0.1"), hosts);
    }

    /** Where rank 0 of a barrier stage listens, as each task sees it. */
    private static final class RootHost extends AbstractFunction1<Iterator<Integer>, Iterator<String>>
            implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<String> apply(Iterator<Integer> ignored) {
            String address = BarrierTaskContext.get().getTaskInfos()[0].address();
            return CollectionConverters.asScala(List.of(SocketExchange.hostOf(address)).iterator());
        }
    }

    /** The causal LM loss, failing once on its 22nd call: step 6, in the second segment (4 calls a step). */
    private static final class FailOnce implements TrainingLoss {
        static final AtomicInteger CALLS = new AtomicInteger();
        static final AtomicInteger THROWN = new AtomicInteger();
        private final TrainingLoss loss;

        FailOnce(TrainingLoss loss) {
            this.loss = loss;
        }

        @Override
        public NDArray compute(NDList outputs, NDArray labels) {
            if (CALLS.incrementAndGet() == 22 && THROWN.getAndIncrement() == 0) {
                throw new IllegalStateException("injected failure");
            }
            return loss.compute(outputs, labels);
        }

        @Override
        public long itemCount(Batch batch) {
            return loss.itemCount(batch);
        }

        @Override
        public long itemCount(Batch batch, NDList outputs) {
            return loss.itemCount(batch, outputs);
        }

        @Override
        public boolean tokenLevel() {
            return loss.tokenLevel();
        }
    }
}
