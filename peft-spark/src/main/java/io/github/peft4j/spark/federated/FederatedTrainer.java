package io.github.peft4j.spark.federated;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.Lineage;
import io.github.peft4j.spark.AdapterFactory;
import io.github.peft4j.spark.TensorSnapshot;
import io.github.peft4j.train.TrainingArguments;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Federated LoRA training on Spark, in the manner of Flower's FlowerTune: each site (a partition,
 * a tenant whose data may not leave it) trains locally from the global adapter for the local
 * {@link TrainingArguments}' steps and sends back only its adapter tensors; an
 * {@link AggregationStrategy} makes the next global adapter. Optional client-level DP
 * ({@link ClientDp}). Every round writes {@code global/} (HF PEFT layout, replaced atomically) and
 * a line of {@code rounds.jsonl}, and pushes the adapter to the registry when one is configured.
 *
 * <pre>{@code
 * FederatedResult r = FederatedTrainer.builder()
 *         .spark(spark).model(factory).sites(List.of("clinic-a", "clinic-b"), siteData)
 *         .localArgs(TrainingArguments.builder(out).maxSteps(5).learningRate(1e-3).build())
 *         .rounds(10).strategy(new FfaLora()).failure(SiteFailure.DROP, 2)
 *         .build().train();
 * }</pre>
 */
public final class FederatedTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(FederatedTrainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The directory of the latest global adapter under the output directory. */
    public static final String GLOBAL_DIR = "global";

    private final Builder b;

    private FederatedTrainer(Builder b) {
        this.b = b;
        Objects.requireNonNull(b.spark, "spark");
        Objects.requireNonNull(b.factory, "model");
        Objects.requireNonNull(b.args, "localArgs");
        if (b.sites.isEmpty() || b.data == null) {
            throw new PeftConfigException("no sites: call sites(ids, data)");
        }
    }

    /** @return a builder: FedAvg, one round, sites retried once then the round fails */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the rounds' metrics and the final global adapter */
    public FederatedResult train() {
        Path out = b.args.outputDir();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(b.spark.sparkContext());
        String runId = UUID.randomUUID().toString();
        List<RoundMetrics> rounds = new ArrayList<>();
        try (PeftModel model = b.factory.create()) {
            if (!(model.config(model.activeAdapters().get(0)) instanceof LoraConfig lora)) {
                throw new PeftConfigException("federated aggregation needs a LoRA adapter, got "
                        + model.config(model.activeAdapters().get(0)).peftType());
            }
            int rank = lora.r();
            double scaling = lora.loraAlpha() / (lora.useRslora() ? Math.sqrt(rank) : rank);
            TensorSnapshot global = TensorSnapshot.of(SiteTask.tensors(model));
            for (int round = 1; round <= b.rounds; round++) {
                long t0 = System.nanoTime();
                SiteTask task = new SiteTask(runId, b.factory, b.data, global, b.args.toJson(), b.strategy.freezesA(),
                        b.attempts);
                List<SiteUpdate> all = jsc.parallelize(b.sites, b.sites.size()).mapPartitions(task).collect();
                List<SiteUpdate> ok = all.stream().filter(SiteUpdate::succeeded).toList();
                List<String> dropped = all.stream().filter(u -> !u.succeeded()).map(SiteUpdate::siteId).toList();
                if (!dropped.isEmpty() && (b.failure == SiteFailure.RETRY || ok.isEmpty())) {
                    throw new FederatedRoundException(round, dropped, all.stream().filter(u -> !u.succeeded())
                            .map(SiteUpdate::error).toList());
                }
                List<SiteUpdate> used = b.dp == null ? ok : List.of(b.dp.privatize(global, ok, round));
                Aggregate agg = b.strategy.aggregate(global, used, scaling, rank);
                Map<String, double[][]> exact = LoraFactors.exactDeltas(used, LoraFactors.weights(used), scaling);
                GlobalAdapterWriter.write(out.resolve(GLOBAL_DIR), model, agg, rank, scaling, lora.useRslora());
                global = agg.next();
                RoundMetrics m = new RoundMetrics(round, b.strategy.name(), ok.stream().map(SiteUpdate::siteId).toList(),
                        dropped, ok.stream().mapToInt(SiteUpdate::examples).sum(),
                        ok.stream().mapToDouble(SiteUpdate::loss).average().orElse(Double.NaN),
                        GlobalAdapterWriter.relativeError(agg.saved(), exact, scaling),
                        GlobalAdapterWriter.relativeError(agg.next(), exact, scaling),
                        b.dp == null ? Double.NaN : b.dp.epsilon(round), (System.nanoTime() - t0) / 1e9);
                rounds.add(m);
                writeRounds(out, rounds);
                if (b.registry != null) {
                    b.registry.push(b.registryName, out.resolve(GLOBAL_DIR), Lineage.none());
                }
                LOG.info("round {}: {} sites ({} dropped), site loss {}, aggregation error {}", round, m.sites().size(),
                        dropped.size(), m.meanSiteLoss(), m.aggregationError());
            }
            return new FederatedResult(rounds, global, out.resolve(GLOBAL_DIR));
        }
    }

    private static void writeRounds(Path out, List<RoundMetrics> rounds) {
        StringBuilder sb = new StringBuilder();
        try {
            Files.createDirectories(out);
            for (RoundMetrics m : rounds) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("round", m.round());
                line.put("strategy", m.strategy());
                line.put("sites", m.sites());
                line.put("dropped", m.dropped());
                line.put("examples", m.examples());
                line.put("mean_site_loss", m.meanSiteLoss());
                line.put("aggregation_error", m.aggregationError());
                line.put("next_start_error", m.nextStartError());
                line.put("epsilon", Double.isNaN(m.epsilon()) ? null : m.epsilon());
                line.put("seconds", m.seconds());
                sb.append(JSON.writeValueAsString(line)).append('\n');
            }
        } catch (IOException e) {
            throw new PeftFormatException(out, null, "cannot write rounds.jsonl: " + e.getMessage(), e);
        }
        AtomicFiles.write(out.resolve("rounds.jsonl"), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Builds a {@link FederatedTrainer}. */
    public static final class Builder {
        private SparkSession spark;
        private AdapterFactory factory;
        private final List<String> sites = new ArrayList<>();
        private SiteData data;
        private TrainingArguments args;
        private int rounds = 1;
        private AggregationStrategy strategy = new FedAvg();
        private SiteFailure failure = SiteFailure.RETRY;
        private int attempts = 2;
        private ClientDp dp;
        private AdapterRegistry registry;
        private String registryName;

        private Builder() {}

        /** @param spark the session @return this */
        public Builder spark(SparkSession spark) {
            this.spark = spark;
            return this;
        }

        /** @param factory the base model with its LoRA adapter (the global adapter's initial values) @return this */
        public Builder model(AdapterFactory factory) {
            this.factory = factory;
            return this;
        }

        /**
         * @param siteIds the sites, one Spark partition each
         * @param data loads a site's data inside its task
         * @return this
         */
        public Builder sites(List<String> siteIds, SiteData data) {
            this.sites.clear();
            this.sites.addAll(siteIds);
            this.data = data;
            return this;
        }

        /** @param args each site's local training per round (max_steps = local steps); output_dir is the run's @return this */
        public Builder localArgs(TrainingArguments args) {
            this.args = args;
            return this;
        }

        /** @param rounds the rounds @return this */
        public Builder rounds(int rounds) {
            this.rounds = rounds;
            return this;
        }

        /** @param strategy the aggregation @return this */
        public Builder strategy(AggregationStrategy strategy) {
            this.strategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /**
         * @param failure what a round does with a site that still fails after its attempts
         * @param attempts tries per site and round (1 = no retry)
         * @return this
         */
        public Builder failure(SiteFailure failure, int attempts) {
            this.failure = Objects.requireNonNull(failure, "failure");
            this.attempts = Math.max(1, attempts);
            return this;
        }

        /** @param dp client-level DP, or null for none @return this */
        public Builder differentialPrivacy(ClientDp dp) {
            this.dp = dp;
            return this;
        }

        /**
         * @param registry where each round's global adapter is pushed, or null
         * @param name the adapter's name there
         * @return this
         */
        public Builder registry(AdapterRegistry registry, String name) {
            this.registry = registry;
            this.registryName = name;
            return this;
        }

        /** @return the trainer */
        public FederatedTrainer build() {
            return new FederatedTrainer(this);
        }
    }
}
