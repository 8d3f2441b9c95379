package io.github.peft4j.examples;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.spark.AdapterFactory;
import io.github.peft4j.spark.DataParallelResult;
import io.github.peft4j.spark.DataParallelTrainer;
import io.github.peft4j.spark.curation.SparkCurator;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.data.DataPipeline;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Curate on Spark, then LoRA-train data-parallel on Spark: local mode ({@code local[2]}) by
 * default, a cluster under {@code spark-submit} (see docs/distributed.md). Run from the
 * repository root:
 * {@code MAVEN_OPTS="$(mvn -q help:evaluate -Dexpression=peft4j.spark.opens -DforceStdout)" mvn -q -pl examples exec:java@spark}.
 */
public final class SparkTraining {

    private SparkTraining() {}

    /** @param args [model dir] [data.jsonl] [output dir] [steps] [master, local[2] unless spark-submit set one] */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        String modelDir = Path.of(args.length > 0 ? args[0] : "assets/base-model").toAbsolutePath().toString();
        String data = args.length > 1 ? args[1] : "assets/data/support/train.jsonl";
        Path out = Path.of(args.length > 2 ? args[2] : "runs/spark").toAbsolutePath();
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        SparkSession.Builder session = SparkSession.builder().appName("peft4j-spark-training");
        if (args.length > 4 || System.getProperty("spark.master") == null) {
            session.master(args.length > 4 ? args[4] : "local[2]").config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        }
        SparkSession spark = session.getOrCreate();
        try {
            // 1. curation, distributed: exact + near dedup and PII placeholders, as Curator.defaults() on one machine
            SparkCurator.Result curated = SparkCurator.builder().build().curate(spark.read().textFile(data));
            System.out.println(curated.report().toMarkdown());
            Path curatedFile = out.resolve("curated.jsonl");
            Files.createDirectories(out);
            Files.write(curatedFile, curated.records().collectAsList());

            // 2. tokenize on the driver (the tokenized set is broadcast to the executors)
            TokenizedDataset train;
            int pad;
            try (NDManager manager = NDManager.newBaseManager();
                    PretrainedModel base = HfModels.load(Path.of(modelDir), manager)) {
                TextTokenizer tokenizer = TextTokenizer.of(base.tokenizer().orElseThrow());
                pad = tokenizer.padTokenId().orElse(tokenizer.eosTokenId().orElse(0));
                train = DataPipeline.builder(tokenizer).curator(Curator.builder().build()).evalFraction(0).seed(42)
                        .build().prepare(curatedFile).train();
            }

            // 3. data-parallel LoRA: each executor JVM loads the base model once
            AdapterFactory factory = () -> PeftModel.create(
                    HfModels.load(Path.of(modelDir), NDManager.newBaseManager()).block(),
                    LoraConfig.builder().r(8).loraAlpha(16).targetModules("q_proj", "v_proj").build());
            TrainingArguments training = TrainingArguments.builder(out).maxSteps(steps).learningRate(3e-3)
                    .warmupRatio(0.1).perDeviceTrainBatchSize(8).saveSteps(Math.max(1, steps / 2)).seed(42).build();
            DataParallelResult r = DataParallelTrainer.builder().spark(spark).model(factory).args(training)
                    .trainDataset(train, pad).partitions(2).build().train();
            System.out.printf("%d steps, loss %.3f -> %.3f, all-reduce %.0f%% of step time; adapter in %s%n",
                    r.globalStep(), r.steps().get(0).loss(), r.finalLoss(), 100 * r.exchangeShare(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            spark.stop();
        }
    }
}
