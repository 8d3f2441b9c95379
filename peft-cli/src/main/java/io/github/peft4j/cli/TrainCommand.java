package io.github.peft4j.cli;

import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.quant.QuantizationConfig;
import io.github.peft4j.quant.QuantizationType;
import io.github.peft4j.quant.Quantizer;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.quant.QuantizationConfig;
import io.github.peft4j.quant.QuantizationType;
import io.github.peft4j.quant.Quantizer;
import io.github.peft4j.train.ConsoleProgressBar;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainResult;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.DataPipeline;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.eval.ComparisonReport;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.optim.LrSchedule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The main job: curate the support data, LoRA-fine-tune the base model, and report how much it
 * helped on held-out support questions and how much general text it forgot.
 *
 * <pre>{@code
 * peft4j train                                  # bundled model, data and defaults
 * peft4j train --rank 16 --steps 200 --output runs/r16
 * }</pre>
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune a base model with LoRA (or another PEFT method) on chat / prompt-completion JSONL and report the gain.")
final class TrainCommand implements Callable<Integer> {

    @Mixin
    ModelOptions base;

    @Option(names = "--data", description = "training JSONL (default: ${DEFAULT-VALUE})")
    Path data = Path.of("assets/data/support/train.jsonl");

    @Mixin
    EvalDataOptions evalData;

    @Mixin
    RunRegistration registration;

    @Option(names = "--method", description = "lora, dora, ia3, bottleneck, prefix, prompt, ptuning or bitfit"
            + " (default: ${DEFAULT-VALUE})")
    String method = "lora";

    @Option(names = "--virtual-tokens", description = "virtual tokens of prefix, prompt and ptuning"
            + " (default: ${DEFAULT-VALUE})")
    int virtualTokens = 16;

    @Option(names = "--quantize", description = "quantize the frozen base before adding LoRA: int8 or nf4"
            + " (QLoRA); lora only")
    String quantize;

    @Option(names = "--rank", description = "LoRA rank r (default: ${DEFAULT-VALUE})")
    int rank = 16;

    @Option(names = "--alpha", description = "LoRA alpha (default: ${DEFAULT-VALUE})")
    double alpha = 32;

    @Option(names = "--dropout", description = "LoRA dropout (default: ${DEFAULT-VALUE})")
    double dropout = 0.0;

    @Option(names = "--targets", split = ",", description = "target modules: names, or all-linear (default: ${DEFAULT-VALUE})")
    List<String> targets = List.of("all-linear");

    @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
    int steps = 200;

    @Option(names = "--lr", description = "peak learning rate (default: per method, " + Methods.DEFAULT_LRS + ")")
    Double lr;

    @Option(names = "--batch", description = "examples per step (default: ${DEFAULT-VALUE})")
    int batch = 8;

    @Option(names = "--output", description = "run directory (default: runs/<timestamp>, linked as runs/latest)")
    Path output;

    @Option(names = "--resume", description = "continue from the newest checkpoint in --output (default: runs/latest)")
    boolean resume;

    @Option(names = "--seed", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--samples", description = "sample answers to print before and after (default: ${DEFAULT-VALUE})")
    int samples = 2;

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Override
    public Integer call() {
        String chosen = Methods.require(method);
        QuantizationType quantization = quantization(chosen);
        Inputs.requireFile(data, "training data");
        Path eval = evalData.evalFile();
        Path general = evalData.generalFile();
        int seqLen = evalData.seqLen;
        Path out = outputDir();
        long start = System.nanoTime();

        try (ModelOptions.Loaded loaded = base.load(null)) {
            HfTokenizer tokenizer = loaded.base().tokenizer().orElseThrow();
            TextTokenizer textTokenizer = TextTokenizer.of(tokenizer);
            DataPipeline pipeline = SupportData.pipeline(textTokenizer, seqLen);
            List<DataRecord> evalRecords = SupportData.read(eval);
            DataPipeline.Prepared train = pipeline.prepare(SupportData.asChats(SupportData.read(data)), 0);
            DataPipeline.Prepared domain = pipeline.prepare(SupportData.asChats(evalRecords), 0);
            TokenizedDataset generalSet = SupportData.generalText(general, textTokenizer, seqLen);
            Files.createDirectories(out);
            writeString(out.resolve("curation.md"), train.curation().toMarkdown());
            System.out.printf("data: %d records -> %d after curation (%d exact + %d near duplicates removed,"
                            + " %d with personal data anonymised); %d training sequences, %d domain eval%n",
                    train.curation().recordsIn(), train.curation().recordsOut(), train.curation().exactDuplicates(),
                    train.curation().nearDuplicates(), train.curation().recordsWithPii(), train.train().size(),
                    domain.train().size());

            if (quantization != null) {
                List<String> quantized = Quantizer.quantize(loaded.base().block(),
                        QuantizationConfig.of(quantization));
                System.out.printf("quantized %d linear layers of the base to %s%n", quantized.size(), quantization);
            }
            PeftTrainer.seed(seed);
            Path parent = registration.exportParent(out, base.model);
            try (PeftModel peft = parent != null
                    ? PeftModel.fromPretrained(loaded.base().block(), parent, PeftModel.DEFAULT_ADAPTER, true)
                    : PeftModel.create(loaded.base().block(), Methods.config(chosen,
                            new Methods.Options(rank, alpha, dropout, targets, virtualTokens)))) {
                String kind = parent != null ? Methods.of(peft.config(PeftModel.DEFAULT_ADAPTER)) : chosen;
                System.out.println(peft.countParameters());
                List<String> questions = sampleQuestions(evalRecords);
                GenerationConfig greedy = GenerationConfig.greedy(40);
                List<String> before;
                try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
                    before = Answers.generate(peft, tokenizer, prompts(questions), greedy);
                }
                TrainingArguments args = arguments(kind, out);
                TrainResult result = train(peft, args, out, train.train(), domain.train());

                ComparisonReport.Measurements m = ComparisonReport.measure(peft, domain.train(), generalSet, 16,
                        new CausalLmLoss());
                ComparisonReport report = new ComparisonReport("peft4j train: " + describe(kind) + " on "
                        + data.getFileName(), m, peft.countParameters(), ComparisonReport.adapterSize(out),
                        result.summary());
                report.write(out);
                registration.register(out, base.model, args.toJson(), train.train());
                List<String> after = Answers.generate(peft, tokenizer, prompts(questions), greedy);
                writeString(out.resolve("samples.md"), samplesMarkdown(questions, before, after));
                printSummary(out, report, result, questions, before, after, (System.nanoTime() - start) / 1e9);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }

    /** The run's training arguments: the method's default learning rate unless --lr is given. */
    private TrainingArguments arguments(String kind, Path out) {
        return TrainingArguments.builder(out)
                .maxSteps(steps).learningRate(lr != null ? lr : Methods.defaultLearningRate(kind))
                .warmupRatio(0.1)
                .lrSchedulerType(LrSchedule.Type.COSINE)
                .perDeviceTrainBatchSize(batch).perDeviceEvalBatchSize(16)
                .maxGradNorm(1.0).seed(seed).logSteps(5)
                .evalSteps(0).saveSteps(Math.max(10, steps / 4)).saveTotalLimit(1)
                .build();
    }

    /** Trains with the library's trainer and its default causal-LM loss, whatever the method. */
    private TrainResult train(PeftModel peft, TrainingArguments args, Path out, TokenizedDataset trainSet,
            TokenizedDataset evalSet) {
        PeftTrainer.Builder trainerBuilder = PeftTrainer.builder().model(peft).args(args)
                .trainDataset(trainSet).evalDataset(evalSet);
        if (!noProgress) {
            trainerBuilder.callback(new ConsoleProgressBar(System.err));
        }
        PeftTrainer trainer = trainerBuilder.build();
        if (!resume) {
            return trainer.train();
        }
        Optional<Path> checkpoint = PeftTrainer.latestCheckpoint(out);
        if (checkpoint.isEmpty()) {
            throw new UserError("--resume: no checkpoint-N directory in " + out);
        }
        System.out.println("resuming from " + checkpoint.get());
        return trainer.resume(checkpoint.get());
    }

    private QuantizationType quantization(String m) {
        if (quantize == null) {
            return null;
        }
        QuantizationType type = switch (quantize.toLowerCase(java.util.Locale.ROOT)) {
            case "int8" -> QuantizationType.INT8;
            case "nf4" -> QuantizationType.NF4;
            default -> throw new UserError("unknown --quantize " + quantize + "; expected int8 or nf4");
        };
        if (!m.equals("lora")) {
            // DoRA's magnitude needs the full-precision weight norm, which a quantized layer does not keep
            throw new UserError("--quantize works with --method lora only, not " + m);
        }
        return type;
    }

    private String describe(String m) {
        String what = Methods.isLora(m) ? m + " r=" + rank : m;
        return quantize == null ? what : what + " on a " + quantize + " base";
    }

    private Path outputDir() {
        if (output != null) {
            return output;
        }
        Path runs = Path.of("runs");
        if (resume) {
            Path latest = runs.resolve("latest");
            if (!Files.exists(latest)) {
                throw new UserError("--resume without --output needs runs/latest; none found");
            }
            return latest;
        }
        Path dir = runs.resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try {
            Files.createDirectories(dir);
            Path latest = runs.resolve("latest");
            Files.deleteIfExists(latest);
            Files.createSymbolicLink(latest, dir.getFileName());
        } catch (IOException | UnsupportedOperationException e) {
            // the link is a convenience; the run directory is printed anyway
        }
        return dir;
    }

    private List<String> sampleQuestions(List<DataRecord> records) {
        List<String> out = new ArrayList<>();
        for (DataRecord r : records) {
            String q = ChatFormat.question(r);
            // the first English questions without personal data read best in a summary
            if (q != null && out.size() < samples && q.matches("[\\x20-\\x7E]+") && !q.contains("@")
                    && !q.matches(".*\\d{3}.*")) {
                out.add(q);
            }
        }
        return out;
    }

    private static List<String> prompts(List<String> questions) {
        return questions.stream().map(ChatFormat::prompt).toList();
    }

    private static String samplesMarkdown(List<String> questions, List<String> before, List<String> after) {
        StringBuilder sb = new StringBuilder("# Sample answers (greedy)\n");
        for (int i = 0; i < questions.size(); i++) {
            sb.append("\n**Q:** ").append(questions.get(i)).append("\n\n- base: ").append(before.get(i))
                    .append("\n- adapted: ").append(after.get(i)).append('\n');
        }
        return sb.toString();
    }

    private void printSummary(Path out, ComparisonReport report, TrainResult result, List<String> questions,
            List<String> before, List<String> after, double seconds) {
        ComparisonReport.Measurements m = report.measurements();
        System.out.println();
        System.out.printf("trained %d steps in %.0f s (%.0f tokens/s, %s engine threads); adapter %s (%d bytes)%n",
                result.globalStep(), result.trainSeconds(), result.tokensPerSecond(),
                System.getProperty("ai.djl.pytorch.num_threads", "default"), out, report.adapterBytes());
        System.out.println(report.parameters());
        line("domain eval", m.domainBefore(), m.domainAfter());
        if (m.generalBefore() != null) {
            line("general text", m.generalBefore(), m.generalAfter());
        }
        for (int i = 0; i < questions.size(); i++) {
            System.out.println();
            System.out.println("Q: " + questions.get(i));
            System.out.println("  base:    " + oneLine(before.get(i)));
            System.out.println("  adapted: " + oneLine(after.get(i)));
        }
        System.out.println();
        System.out.printf("wrote %s: adapter_config.json, adapter_model.safetensors, metrics.jsonl, loss.svg,"
                + " report.json, report.md, samples.md, curation.md (%.0f s in all)%n", out, seconds);
    }

    private static void line(String what, EvalResult before, EvalResult after) {
        System.out.printf("%-13s loss %.4f -> %.4f   perplexity %.2f -> %.2f%n", what, before.loss(), after.loss(),
                before.perplexity(), after.perplexity());
    }

    private static String oneLine(String s) {
        String flat = s.replaceAll("\\s+", " ").strip();
        return flat.isEmpty() ? "(nothing)" : flat;
    }

    private static void writeString(Path file, String text) {
        io.github.peft4j.core.files.AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
    }
}
