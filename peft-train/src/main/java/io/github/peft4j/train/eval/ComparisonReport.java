package io.github.peft4j.train.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.peft4j.core.ParameterCount;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.loss.TrainingLoss;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The base-vs-adapted report: the domain evaluation before (adapters disabled) and after, a
 * general-text evaluation before and after (what the adapter made the model forget), the trainable
 * parameters, the adapter's size on disk, and the training time and throughput. Written as
 * {@code report.json} and {@code report.md}.
 *
 * <pre>{@code
 * ComparisonReport.Measurements m = ComparisonReport.measure(model, domainEval, generalEval, 8, new CausalLmLoss());
 * ComparisonReport report = new ComparisonReport("support adapter", m, model.countParameters(),
 *         ComparisonReport.adapterSize(outputDir), result.summary());
 * report.write(outputDir);
 * }</pre>
 *
 * @param title a heading
 * @param measurements the evaluations
 * @param parameters trainable and total parameter counts
 * @param adapterBytes the adapter's size on disk
 * @param training how training went, or {@code null}
 * @param run what was trained and how, for a reader to repeat it (method, adapter settings, every
 *     training argument, seed, training-data fingerprint), as {@code report.json}'s {@code run}; or
 *     {@code null}
 * @param forgettingBudget the general-text perplexity ratio (adapted / base) above which the report's
 *     first lines flag forgetting; {@link #DEFAULT_FORGETTING_BUDGET} unless the run set its own
 */
// NDScope and NoGrad are held for their effect on the ops inside the block
@SuppressWarnings("try")
public record ComparisonReport(
        String title, Measurements measurements, ParameterCount parameters, long adapterBytes, TrainingSummary training,
        Map<String, Object> run, double forgettingBudget) {

    /** The forgetting a report tolerates without a warning: general-text perplexity 1.5 times the base's. */
    public static final double DEFAULT_FORGETTING_BUDGET = 1.5;

    /** Copies {@code run}. */
    public ComparisonReport {
        run = run == null ? null : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(run));
    }

    /**
     * A report with the default forgetting budget.
     *
     * @param title a heading
     * @param measurements the evaluations
     * @param parameters trainable and total parameter counts
     * @param adapterBytes the adapter's size on disk
     * @param training how training went, or {@code null}
     * @param run what was trained and how, or {@code null}
     */
    public ComparisonReport(String title, Measurements measurements, ParameterCount parameters, long adapterBytes,
            TrainingSummary training, Map<String, Object> run) {
        this(title, measurements, parameters, adapterBytes, training, run, DEFAULT_FORGETTING_BUDGET);
    }

    /**
     * A report without the run's description.
     *
     * @param title a heading
     * @param measurements the evaluations
     * @param parameters trainable and total parameter counts
     * @param adapterBytes the adapter's size on disk
     * @param training how training went, or {@code null}
     */
    public ComparisonReport(String title, Measurements measurements, ParameterCount parameters, long adapterBytes,
            TrainingSummary training) {
        this(title, measurements, parameters, adapterBytes, training, null, DEFAULT_FORGETTING_BUDGET);
    }

    /**
     * @return the adapted model's general-text perplexity over the base's ({@code exp} of the loss
     *     difference), NaN without a general-text evaluation
     */
    public double forgettingRatio() {
        EvalResult before = measurements.generalBefore();
        EvalResult after = measurements.generalAfter();
        return before == null || after == null ? Double.NaN : Math.exp(after.loss() - before.loss());
    }

    /** @return whether the general-text perplexity rose above the forgetting budget */
    public boolean forgettingAboveBudget() {
        return forgettingRatio() > forgettingBudget;
    }

    /** @return one sentence on forgetting, flagged when above the budget; empty without general text */
    public String forgettingLine() {
        double ratio = forgettingRatio();
        if (Double.isNaN(ratio)) {
            return "";
        }
        return forgettingAboveBudget()
                ? String.format(Locale.ROOT, "WARNING: forgetting above the budget: general-text perplexity is %.2fx"
                        + " the base model's (budget %.2fx); see docs/training.md, \"Forgetting\"", ratio,
                        forgettingBudget)
                : String.format(Locale.ROOT, "Forgetting within the budget: general-text perplexity is %.2fx the"
                        + " base model's (budget %.2fx)", ratio, forgettingBudget);
    }

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param domainBefore the domain set with adapters disabled
     * @param domainAfter the domain set with the adapter
     * @param generalBefore general text with adapters disabled, or {@code null}
     * @param generalAfter general text with the adapter, or {@code null}
     */
    public record Measurements(EvalResult domainBefore, EvalResult domainAfter, EvalResult generalBefore,
            EvalResult generalAfter) {}

    /**
     * @param steps optimizer steps done
     * @param seconds wall-clock training time
     * @param tokensPerSecond trained tokens (non-padding) per second
     * @param tokens trained tokens
     * @param finalTrainLoss the loss of the last step
     * @param stopReason why training stopped
     */
    public record TrainingSummary(long steps, double seconds, double tokensPerSecond, long tokens, double finalTrainLoss,
            String stopReason) {}

    /**
     * Evaluates with the active adapters disabled, then enabled.
     *
     * @param model the trained model
     * @param domain the domain evaluation set
     * @param general a general-text evaluation set, or {@code null}
     * @param batchSize rows per forward pass
     * @param loss the loss to measure
     * @return the four (or two) evaluations
     */
    public static Measurements measure(PeftModel model, TokenizedDataset domain, TokenizedDataset general, int batchSize,
            TrainingLoss loss) {
        EvalResult domainBefore;
        EvalResult generalBefore = null;
        try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
            domainBefore = Evaluator.evaluate(model, domain, batchSize, loss);
            if (general != null) {
                generalBefore = Evaluator.evaluate(model, general, batchSize, loss);
            }
        }
        EvalResult domainAfter = Evaluator.evaluate(model, domain, batchSize, loss);
        EvalResult generalAfter = general == null ? null : Evaluator.evaluate(model, general, batchSize, loss);
        return new Measurements(domainBefore, domainAfter, generalBefore, generalAfter);
    }

    /**
     * @param adapterDir a saved adapter directory
     * @return the bytes of its files (config and weights, sub-adapters included; checkpoints excluded)
     */
    public static long adapterSize(Path adapterDir) {
        try (Stream<Path> files = Files.walk(adapterDir)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().startsWith("adapter_"))
                    .filter(p -> !adapterDir.relativize(p).getName(0).toString().startsWith("checkpoint-"))
                    .mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            throw new PeftFormatException(p, null, "cannot read size: " + e.getMessage(), e);
                        }
                    })
                    .sum();
        } catch (IOException e) {
            throw new PeftFormatException(adapterDir, null, "cannot list: " + e.getMessage(), e);
        }
    }

    /** @return the report as a JSON tree of maps */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("title", title);
        if (!Double.isNaN(forgettingRatio())) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("general_perplexity_ratio", finite(forgettingRatio()));
            f.put("budget", forgettingBudget);
            f.put("above_budget", forgettingAboveBudget());
            out.put("forgetting", f);
        }
        out.put("domain", comparison(measurements.domainBefore(), measurements.domainAfter()));
        if (measurements.generalBefore() != null && measurements.generalAfter() != null) {
            out.put("general", comparison(measurements.generalBefore(), measurements.generalAfter()));
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("trainable", parameters.trainable());
        params.put("all", parameters.all());
        params.put("trainable_percent", finite(parameters.trainablePercent()));
        out.put("parameters", params);
        out.put("adapter_size_bytes", adapterBytes);
        if (training != null) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("steps", training.steps());
            t.put("seconds", finite(training.seconds()));
            t.put("tokens", training.tokens());
            t.put("tokens_per_second", finite(training.tokensPerSecond()));
            t.put("final_train_loss", finite(training.finalTrainLoss()));
            t.put("stop_reason", training.stopReason());
            out.put("training", t);
        }
        if (run != null) {
            out.put("run", run);
        }
        return out;
    }

    private static Map<String, Object> comparison(EvalResult before, EvalResult after) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("before", metrics(before));
        out.put("after", metrics(after));
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("loss", finite(after.loss() - before.loss()));
        if (before.tokenLevel()) {
            change.put("perplexity", finite(after.perplexity() - before.perplexity()));
        }
        if (!Double.isNaN(before.accuracy())) {
            change.put(before.tokenLevel() ? "token_accuracy" : "accuracy", finite(after.accuracy() - before.accuracy()));
        }
        out.put("change", change);
        return out;
    }

    private static Map<String, Object> metrics(EvalResult r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("loss", finite(r.loss()));
        if (r.tokenLevel()) {
            out.put("perplexity", finite(r.perplexity()));
        }
        if (!Double.isNaN(r.accuracy())) {
            out.put(r.tokenLevel() ? "token_accuracy" : "accuracy", finite(r.accuracy()));
        }
        out.put(r.tokenLevel() ? "tokens" : "examples", r.items());
        return out;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** @return the report as indented JSON */
    public String toJson() {
        try {
            return MAPPER.writeValueAsString(toMap()) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the report as Markdown */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("# ").append(title).append("\n\n");
        if (!forgettingLine().isEmpty()) {
            sb.append(forgettingAboveBudget() ? "> **" + forgettingLine() + "**" : forgettingLine()).append("\n\n");
        }
        sb.append("## Evaluation: base model vs. adapted model\n\n");
        sb.append("| evaluation set | metric | base | adapted | change |\n|---|---|---:|---:|---:|\n");
        rows(sb, "domain", measurements.domainBefore(), measurements.domainAfter());
        if (measurements.generalBefore() != null && measurements.generalAfter() != null) {
            rows(sb, "general text", measurements.generalBefore(), measurements.generalAfter());
        }
        sb.append("\n## Cost\n\n| | |\n|---|---:|\n");
        sb.append(String.format(Locale.ROOT, "| trainable parameters | %,d of %,d (%.4f%%) |%n",
                parameters.trainable(), parameters.all(), parameters.trainablePercent()));
        sb.append(String.format(Locale.ROOT, "| adapter size on disk | %s |%n", bytes(adapterBytes)));
        if (training != null) {
            sb.append(String.format(Locale.ROOT, "| optimizer steps | %d (%s) |%n", training.steps(), training.stopReason()));
            sb.append(String.format(Locale.ROOT, "| training time | %.1f s |%n", training.seconds()));
            sb.append(String.format(Locale.ROOT, "| throughput | %.0f tokens/s (%,d tokens) |%n",
                    training.tokensPerSecond(), training.tokens()));
            sb.append(String.format(Locale.ROOT, "| final training loss | %.4f |%n", training.finalTrainLoss()));
        }
        if (run != null) {
            sb.append("\n## Run\n\n| setting | value |\n|---|---|\n");
            flatten("", run, sb);
        }
        return sb.toString();
    }

    /** One table row per leaf of the run's tree, keyed by its dotted path. */
    private static void flatten(String prefix, Map<?, ?> tree, StringBuilder sb) {
        for (Map.Entry<?, ?> e : tree.entrySet()) {
            String key = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> child) {
                flatten(key + ".", child, sb);
            } else {
                sb.append("| ").append(key).append(" | `").append(e.getValue()).append("` |\n");
            }
        }
    }

    private static void rows(StringBuilder sb, String set, EvalResult before, EvalResult after) {
        row(sb, set, "loss", before.loss(), after.loss(), "%.4f");
        if (before.tokenLevel()) {
            row(sb, set, "perplexity", before.perplexity(), after.perplexity(), "%.3f");
        }
        if (!Double.isNaN(before.accuracy())) {
            // a change of accuracy is in percentage points: 40% -> 50% is +10 pp, not +25%
            row(sb, set, before.tokenLevel() ? "token accuracy" : "accuracy", 100 * before.accuracy(),
                    100 * after.accuracy(), "%.2f%%", "%.2f pp");
        }
    }

    private static void row(StringBuilder sb, String set, String metric, double before, double after, String format) {
        row(sb, set, metric, before, after, format, format);
    }

    private static void row(StringBuilder sb, String set, String metric, double before, double after, String format,
            String changeFormat) {
        String change = String.format(Locale.ROOT, changeFormat, after - before);
        if (after - before > 0) {
            change = "+" + change;
        }
        sb.append("| ").append(set).append(" | ").append(metric).append(" | ")
                .append(String.format(Locale.ROOT, format, before)).append(" | ")
                .append(String.format(Locale.ROOT, format, after)).append(" | ")
                .append(change).append(" |\n");
    }

    private static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }

    /**
     * Writes {@code report.json} and {@code report.md} atomically.
     *
     * @param dir the directory
     */
    public void write(Path dir) {
        AtomicFiles.write(dir.resolve("report.json"), toJson().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("report.md"), toMarkdown().getBytes(StandardCharsets.UTF_8));
    }
}
