package io.github.peft4j.cli;

import io.github.peft4j.core.PeftModel;
import io.github.peft4j.quant.QuantizationConfig;
import io.github.peft4j.quant.QuantizationType;
import io.github.peft4j.quant.Quantizer;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.ConsoleProgressBar;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainResult;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.DataPipeline;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TrainingData;
import io.github.peft4j.train.data.preference.PreferenceDataset;
import io.github.peft4j.train.data.preference.PreferencePipeline;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.eval.ComparisonReport;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.loss.ChunkedCausalLmLoss;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
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
    @Mixin StrictDataOption strict;

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

    @Mixin
    TrainerOptions trainer;

    @Mixin
    ReplayOptions replay;

    @Mixin
    ObjectiveOptions objective;

    @Mixin
    KlToBaseOptions kl;

    @Option(names = "--packing", description = "pack the training examples into --seq-len sequences"
            + " (no padding; examples may share a sequence)")
    boolean packing;

    @Option(names = "--loss-chunk-rows", paramLabel = "N", description = "with a frozen head, apply the head and the"
            + " cross entropy N positions at a time (same values and gradients, no [batch, seq, vocab] logits);"
            + " 0 for the ordinary loss (default: ${DEFAULT-VALUE})")
    int lossChunkRows = ChunkedCausalLmLoss.DEFAULT_ROWS;

    @Option(names = "--prompt-tuning-init-text", paramLabel = "TEXT", description = "start prompt tuning's virtual"
            + " tokens from this text's embeddings (PEFT's prompt_tuning_init=TEXT); --method prompt only")
    String promptTuningInitText;

    @Option(names = "--output", description = "run directory (default: runs/<timestamp>, linked as runs/latest)")
    Path output;

    @Option(names = "--resume", description = "continue from the newest checkpoint in --output (default: runs/latest)"
            + " with the same data and settings; prints what it restores and refuses a changed schedule")
    boolean resume;

    @Option(names = "--samples", description = "held-out questions answered before and after, with the reference"
            + " answer, in samples.md (default: ${DEFAULT-VALUE})")
    int samples = 4;

    @Option(names = "--no-progress", description = "no progress output (a bar on a terminal, one line per update"
            + " otherwise)")
    boolean noProgress;

    @Override
    public Integer call() {
        String chosen = Methods.require(method);
        QuantizationType quantization = quantization(chosen);
        if (promptTuningInitText != null && !chosen.equals("prompt")) {
            throw new UserError("--prompt-tuning-init-text works with --method prompt only, not " + chosen);
        }
        Inputs.requireFile(data, "training data");
        boolean preferences = objective.preferences();
        if (lossChunkRows < 0) {
            throw new UserError("--loss-chunk-rows must be >= 0, got " + lossChunkRows);
        }
        kl.resolve(replay, preferences);
        Path eval = evalData.evalFile();
        Path general = evalData.generalFile();
        int seqLen = evalData.seqLen;
        Path out = outputDir();
        long start = System.nanoTime();

        try (ModelOptions.Loaded loaded = base.load(null)) {
            HfTokenizer tokenizer = loaded.base().tokenizer().orElseThrow();
            TextTokenizer textTokenizer = TextTokenizer.of(tokenizer);
            List<DataRecord> evalRecords = strict.read(eval);
            DataPipeline.Prepared domain = SupportData.pipeline(textTokenizer, seqLen)
                    .prepare(SupportData.asChats(evalRecords), 0);
            TokenizedDataset generalSet = SupportData.generalText(general, textTokenizer, seqLen);
            Files.createDirectories(out);
            TrainingData trainSet = preferences ? preferences(textTokenizer, seqLen, out)
                    : sequences(textTokenizer, seqLen, out, domain.train().size());
            PreferenceDataset heldOut = preferences ? objective.heldOut(textTokenizer, seqLen, strict.strict) : null;
            TokenizedDataset klText = kl.enabled()
                    ? replay.general(textTokenizer, seqLen, trainer.seed + 1, KlToBaseOptions.SEQUENCES) : null;

            if (quantization != null) {
                List<String> quantized = Quantizer.quantize(loaded.base().block(),
                        QuantizationConfig.of(quantization));
                System.out.printf("quantized %d linear layers of the base to %s%n", quantized.size(), quantization);
            }
            PeftTrainer.seed(trainer.seed);
            Path exported = registration.exportParent(out, base.model);
            Path parent = exported != null ? exported : objective.adapter;
            try (PeftModel peft = parent != null
                    ? PeftModel.fromPretrained(loaded.base().block(), parent, PeftModel.DEFAULT_ADAPTER, true)
                    : PeftModel.create(loaded.base().block(), Methods.config(chosen, methodOptions(tokenizer)))) {
                String kind = parent != null ? Methods.of(peft.config(PeftModel.DEFAULT_ADAPTER)) : chosen;
                System.out.println(peft.countParameters());
                TrainingObjective trained = preferences ? objective.preferenceObjective(peft, parent != null)
                        : lmObjective(peft, lossChunkRows);
                if (objective.loadsReference(parent != null)) {
                    peft.loadAdapter(parent, ObjectiveOptions.REFERENCE_ADAPTER, false);
                }
                if (klText != null) {
                    trained = kl.wrap(trained != null ? trained : TrainingObjective.of(new CausalLmLoss()), klText,
                            trainer.seed);
                }
                PreferenceReport prefReport = heldOut == null ? null
                        : PreferenceReport.before(peft, heldOut, objective.heldOutMeasure(), parent != null);
                List<Samples.Sample> picked = Samples.pick(evalRecords, samples);
                GenerationConfig greedy = GenerationConfig.greedy(40);
                List<String> before;
                try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
                    before = answers(peft, tokenizer, picked, greedy, "base");
                }
                TrainingArguments args = trainer.arguments(kind, out);
                TrainResult result = train(peft, args, out, trainSet, preferences ? heldOut : domain.train(),
                        args.evalSteps() > 0 ? generalSet : null, trained);
                if (prefReport != null) {
                    prefReport.after(peft, out);
                }
                if (peft.adapterNames().contains(ObjectiveOptions.REFERENCE_ADAPTER)) {
                    peft.deleteAdapter(ObjectiveOptions.REFERENCE_ADAPTER); // the report counts the trained adapter
                }
                // beside the adapter, not only in a checkpoint that rotation may delete
                writeString(out.resolve("training_args.json"), args.toJson());

                System.out.printf("evaluating base and adapted model on %d domain sequences%s...%n",
                        domain.train().size(), generalSet == null ? "" : " and " + generalSet.size() + " general ones");
                ComparisonReport.Measurements m = ComparisonReport.measure(peft, domain.train(), generalSet, 16,
                        new CausalLmLoss());
                ComparisonReport report = new ComparisonReport("peft4j train: " + describe(kind) + " on "
                        + data.getFileName(), m, peft.countParameters(), ComparisonReport.adapterSize(out),
                        result.summary(), RunDescription.of(kind, out, args, trainSet, this::settings),
                        trainer.maxForgetting > 0 ? trainer.maxForgetting : ComparisonReport.DEFAULT_FORGETTING_BUDGET);
                report.write(out);
                registration.register(out, base.model, args.toJson(), trainSet);
                List<String> after = answers(peft, tokenizer, picked, greedy, "adapted");
                writeString(out.resolve("samples.md"), Samples.markdown(picked, before, after));
                printSummary(out, report, result, picked, before, after, (System.nanoTime() - start) / 1e9);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }

    /** The SFT training sequences: curated chats, with replayed general text mixed in. */
    private TrainingData sequences(TextTokenizer textTokenizer, int seqLen, Path out, int domainEval) {
        List<DataRecord> trainRecords = strict.read(data);
        System.out.printf("curating %d training records (exact and near duplicates, personal data)...%n",
                trainRecords.size());
        DataPipeline.Prepared train = SupportData.pipeline(textTokenizer, seqLen, packing)
                .prepare(SupportData.asChats(trainRecords), 0);
        TokenizedDataset trainSet = replay.mix(train.train(), textTokenizer, seqLen, trainer.seed);
        writeString(out.resolve("curation.md"), train.curation().toMarkdown());
        System.out.printf("data: %d records -> %d after curation (%d exact + %d near duplicates removed,"
                        + " %d with personal data anonymised); %d training sequences%s, %d domain eval%n",
                train.curation().recordsIn(), train.curation().recordsOut(), train.curation().exactDuplicates(),
                train.curation().nearDuplicates(), train.curation().recordsWithPii(), train.train().size(),
                packing ? " (packed)" : "", domainEval);
        if (trainSet != train.train()) {
            System.out.printf("replay: %d general-text sequences from %s mixed in (%.0f%% of %d)%n",
                    trainSet.size() - train.train().size(), replay.data, 100 * replay.share(), trainSet.size());
        }
        return trainSet;
    }

    /** The preference pairs of {@code --objective dpo|orpo}, curated as SFT data is. */
    private TrainingData preferences(TextTokenizer textTokenizer, int seqLen, Path out) {
        PreferencePipeline.Prepared prefs = ObjectiveOptions.prepare(data, textTokenizer, seqLen, strict.strict);
        writeString(out.resolve("curation.md"), prefs.curation().toMarkdown());
        System.out.printf("preference data: %d pairs -> %d after curation (%d exact + %d near duplicates removed,"
                        + " %d with personal data anonymised); %d training pairs%n",
                prefs.curation().recordsIn(), prefs.curation().recordsOut(), prefs.curation().exactDuplicates(),
                prefs.curation().nearDuplicates(), prefs.curation().recordsWithPii(), prefs.train().size());
        return prefs.train();
    }

    private Methods.Options methodOptions(HfTokenizer tokenizer) {
        Methods.PromptInit init = promptTuningInitText == null ? null
                : new Methods.PromptInit(promptTuningInitText, base.model.toString(), tokenizer::encode);
        return new Methods.Options(rank, alpha, dropout, targets, virtualTokens, init);
    }

    /** The command's own settings that are not training arguments, for the report. */
    private void settings(java.util.Map<String, Object> s) {
        s.put("base_model", base.model.toString());
        s.put("data", data.toString());
        s.put("eval", evalData.eval.toString());
        s.put("seq_len", evalData.seqLen);
        s.put("packing", packing);
        s.put("quantize", quantize);
        s.put("replay", objective.preferences() ? 0 : replay.share());
        s.put("loss_chunk_rows", lossChunkRows);
        s.put("objective", objective.objective);
        if (kl.lambda > 0) {
            s.put("kl_to_base", kl.lambda);
            s.put("kl_rows", kl.rows);
        }
        if (promptTuningInitText != null) {
            s.put("prompt_tuning_init_text", promptTuningInitText);
        }
    }

    private static List<String> answers(PeftModel peft, HfTokenizer tokenizer, List<Samples.Sample> picked,
            GenerationConfig greedy, String which) {
        if (!picked.isEmpty()) {
            System.out.printf("answering %d held-out questions with the %s model...%n", picked.size(), which);
        }
        return Answers.generate(peft, tokenizer,
                Samples.questions(picked).stream().map(q -> ChatFormat.prompt(tokenizer, q)).toList(), greedy);
    }

    /**
     * The causal-LM loss without the [B, T, vocab] logits when the head is frozen (the same values
     * and gradients, far less memory at a large vocabulary), else the trainer's default.
     */
    private static TrainingObjective lmObjective(PeftModel peft, int rows) {
        return rows > 0 && ChunkedCausalLmLoss.unsupportedReason(peft).isEmpty() ? CausalLmLoss.chunked(rows) : null;
    }

    /** Trains with the library's trainer and its default causal-LM loss, whatever the method. */
    private TrainResult train(PeftModel peft, TrainingArguments args, Path out, TrainingData trainSet,
            TrainingData evalSet, TokenizedDataset generalSet, TrainingObjective trained) {
        if (args.maxForgetting() > 0 && generalSet == null) {
            throw new UserError("--max-forgetting needs general text to measure forgetting on; not --general-eval none");
        }
        PeftTrainer.Builder trainerBuilder = PeftTrainer.builder().model(peft).args(args)
                .trainDataset(trainSet).evalDataset(evalSet).generalDataset(generalSet).objective(trained);
        if (!noProgress) {
            trainerBuilder.callback(ConsoleProgressBar.forConsole(System.err));
        }
        PeftTrainer peftTrainer = trainerBuilder.build();
        if (!resume) {
            return peftTrainer.train();
        }
        Optional<Path> checkpoint = PeftTrainer.latestCheckpoint(out);
        if (checkpoint.isEmpty()) {
            throw new UserError("--resume: no checkpoint-N directory in " + out
                    + "; a run writes one every --save-steps steps and at its end");
        }
        System.out.println("resuming from " + checkpoint.get() + ": " + peftTrainer.resumePlan(checkpoint.get()));
        return peftTrainer.resume(checkpoint.get());
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

    private void printSummary(Path out, ComparisonReport report, TrainResult result, List<Samples.Sample> picked,
            List<String> before, List<String> after, double seconds) {
        ComparisonReport.Measurements m = report.measurements();
        System.out.println();
        if (!report.forgettingLine().isEmpty()) {
            System.out.println(report.forgettingLine());
        }
        if (trainer.maxForgetting > 0) {
            System.out.println(result.bestStep() < 0
                    ? "no evaluation was within --max-forgetting " + trainer.maxForgetting + "; kept the last step's weights"
                    : "chose step " + result.bestStep() + " of " + result.globalStep() + ": the best domain eval loss"
                            + " within --max-forgetting " + trainer.maxForgetting + " (" + result.stopDetail() + ")");
        }
        System.out.printf("trained %d steps in %.0f s (%.0f tokens/s, %s engine threads); adapter %s (%d bytes)%n",
                result.globalStep(), result.trainSeconds(), result.tokensPerSecond(),
                System.getProperty("ai.djl.pytorch.num_threads", "default"), out, report.adapterBytes());
        System.out.println(report.parameters());
        line("domain eval", m.domainBefore(), m.domainAfter());
        if (m.generalBefore() != null) {
            line("general text", m.generalBefore(), m.generalAfter());
        }
        for (int i = 0; i < picked.size(); i++) {
            System.out.println();
            System.out.println("Q: " + picked.get(i).question());
            System.out.println("  reference: " + Samples.cell(picked.get(i).reference()));
            System.out.println("  base:      " + Samples.cell(before.get(i)));
            System.out.println("  adapted:   " + Samples.cell(after.get(i)));
        }
        System.out.println();
        System.out.printf("wrote %s: adapter_config.json, adapter_model.safetensors, training_args.json, metrics.jsonl,"
                + " loss.svg, report.json, report.md, samples.md, curation.md, checkpoint-%d (%.0f s in all)%n", out,
                result.globalStep(), seconds);
    }

    private static void line(String what, EvalResult before, EvalResult after) {
        System.out.printf("%-13s loss %.4f -> %.4f   perplexity %.2f -> %.2f%n", what, before.loss(), after.loss(),
                before.perplexity(), after.perplexity());
    }

    private static void writeString(Path file, String text) {
        io.github.peft4j.core.files.AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
    }
}
