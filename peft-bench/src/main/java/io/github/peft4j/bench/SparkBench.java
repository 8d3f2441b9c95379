package io.github.peft4j.bench;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.spark.AdapterFactory;
import io.github.peft4j.spark.DataParallelResult;
import io.github.peft4j.spark.DataParallelTrainer;
import io.github.peft4j.spark.Exchange;
import io.github.peft4j.spark.StepMetrics;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.SparkSession;

/**
 * Data-parallel LoRA training on Spark with 1 and then 2 barrier tasks in {@code local[2]}, on the
 * training benchmark's model (LoRA q,v r=8 on the 4-layer, 256-wide Llama: 32,768 adapter floats):
 * steps/s and the all-reduce's share of the step. Same flags as {@link TrainBench}, plus
 * {@code --exchange sockets|all-gather} (the all-reduce, {@link Exchange}; sockets by default).
 *
 * <pre>{@code
 * java $SPARK_OPENS -cp ... io.github.peft4j.bench.SparkBench --steps 20 --warmup 3 --exchange all-gather
 * }</pre>
 */
public final class SparkBench {

    private SparkBench() {}

    /** @param argv {@link BenchOptions} flags and {@code --exchange sockets|all-gather} */
    public static void main(String[] argv) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        List<String> rest = new ArrayList<>(List.of(argv));
        Exchange exchange = exchange(rest);
        String[] args = rest.toArray(String[]::new);
        BenchOptions o = BenchOptions.parse(args);
        AdapterFactory factory = () -> (PeftModel) BenchModel.create(BenchOptions.parse(args), NDManager.newBaseManager())
                .block();
        TokenizedDataset data = randomTokens(o);
        SparkSession spark = SparkSession.builder().master("local[2]").appName("peft4j-spark-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        Path out = Files.createTempDirectory("peft4j-spark-bench");
        try {
            System.out.println("| exchange | partitions | steps/s | step ms (mean) | all-reduce ms (mean) | all-reduce share |");
            System.out.println("|---|---|---|---|---|---|");
            for (int partitions : new int[] {1, 2}) {
                TrainingArguments a = TrainingArguments.builder(out.resolve("p" + partitions))
                        .maxSteps(o.warmup() + o.steps()).learningRate(o.lr()).perDeviceTrainBatchSize(o.batch())
                        .seed(o.seed()).build();
                DataParallelResult r = DataParallelTrainer.builder().spark(spark).model(factory).args(a)
                        .trainDataset(data, 0).partitions(partitions).exchange(exchange).build().train();
                List<StepMetrics> timed = r.steps().subList(o.warmup(), r.steps().size());
                double step = timed.stream().mapToDouble(StepMetrics::seconds).average().orElse(Double.NaN);
                double reduce = timed.stream().mapToDouble(StepMetrics::exchangeSeconds).average().orElse(Double.NaN);
                System.out.printf("| %s | %d | %.2f | %.0f | %.0f | %.0f%% |%n", exchange, partitions, 1 / step, 1000 * step,
                        1000 * reduce, 100 * reduce / step);
            }
        } finally {
            spark.stop();
        }
    }

    /** Takes {@code --exchange sockets|all-gather} out of {@code args}. */
    private static Exchange exchange(List<String> args) {
        int at = args.indexOf("--exchange");
        if (at < 0) {
            return Exchange.SOCKETS;
        }
        String v = at + 1 < args.size() ? args.remove(at + 1) : "";
        args.remove(at);
        return switch (v) {
            case "sockets" -> Exchange.SOCKETS;
            case "all-gather" -> Exchange.ALL_GATHER;
            default -> throw new PeftConfigException("--exchange: expected sockets or all-gather, got '" + v + "'");
        };
    }

    private static TokenizedDataset randomTokens(BenchOptions o) {
        Random random = new Random(o.seed());
        List<TokenizedExample> rows = new ArrayList<>();
        for (int i = 0; i < o.batch() * 8; i++) {
            int[] ids = new int[o.seq()];
            for (int t = 0; t < ids.length; t++) {
                ids[t] = 1 + random.nextInt(o.vocab() - 1);
            }
            rows.add(TokenizedExample.languageModel(ids, ids.clone()));
        }
        return new TokenizedDataset(rows, Batching.builder(0).build());
    }
}
