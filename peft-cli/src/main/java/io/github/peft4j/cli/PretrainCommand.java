package io.github.peft4j.cli;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainResult;
import io.github.peft4j.train.TrainerCallback;
import io.github.peft4j.train.TrainerControl;
import io.github.peft4j.train.TrainerState;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.TrainingDivergedException;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.optim.LrSchedule;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Pretrains the bundled base model from scratch: every parameter of a Llama built by
 * {@code ModelFactory.create}, trained with peft-train's trainer (torch's AdamW, warmup + cosine,
 * global-norm clipping) on the tokenized corpus cut into packed sequences.
 *
 * <pre>{@code
 * peft4j pretrain      # the bundled model: defaults = the committed run
 * }</pre>
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pretrain the bundled base model (all parameters) on a plain-text corpus.")
final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--corpus", description = "one paragraph per line, .txt or .txt.gz (default: ${DEFAULT-VALUE})")
    Path corpus = Path.of("assets/corpus/factbook.txt.gz");

    @Option(names = "--eval", description = "held-out text, one paragraph per line (default: ${DEFAULT-VALUE})")
    Path eval = Path.of("assets/corpus/general-eval.txt");

    @Option(names = "--tokenizer", description = "directory with tokenizer.json (default: ${DEFAULT-VALUE})")
    Path tokenizerDir = Path.of("assets/base-model");

    @Option(names = "--output", description = "where config.json + model.safetensors go (default: ${DEFAULT-VALUE})")
    Path output = Path.of("assets/base-model");

    @Option(names = "--work-dir", description = "trainer output: metrics.jsonl, loss.svg (default: ${DEFAULT-VALUE})")
    Path workDir = Path.of("runs/pretrain");

    @Option(names = "--hidden", description = "hidden size (default: ${DEFAULT-VALUE})")
    int hidden = 256;

    @Option(names = "--layers", description = "decoder layers (default: ${DEFAULT-VALUE})")
    int layers = 4;

    @Option(names = "--heads", description = "attention heads (default: ${DEFAULT-VALUE})")
    int heads = 4;

    @Option(names = "--kv-heads", description = "key/value heads (default: ${DEFAULT-VALUE})")
    int kvHeads = 2;

    @Option(names = "--intermediate", description = "MLP size (default: ${DEFAULT-VALUE})")
    int intermediate = 688;

    @Option(names = "--seq-len", description = "packed sequence length (default: ${DEFAULT-VALUE})")
    int seqLen = 128;

    @Option(names = "--batch", description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batch = 8;

    @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
    int steps = 4000;

    @Option(names = "--lr", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double lr = 3e-3;

    @Option(names = "--warmup", description = "warmup steps (default: ${DEFAULT-VALUE})")
    int warmup = 100;

    @Option(names = "--weight-decay", description = "AdamW weight decay (default: ${DEFAULT-VALUE})")
    double weightDecay = 0.1;

    @Option(names = "--eval-steps", description = "evaluate every N steps (default: ${DEFAULT-VALUE})")
    int evalSteps = 250;

    @Option(names = "--log-steps", description = "log the loss every N steps (default: ${DEFAULT-VALUE})")
    int logSteps = 25;

    @Option(names = "--max-minutes", description = "stop after this wall time (default: ${DEFAULT-VALUE})")
    double maxMinutes = 60;

    @Option(names = "--seed", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed = 1234;

    @Option(names = "--threads", description = "engine intra-op threads (default: ${DEFAULT-VALUE})")
    int threads = 2;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() {
        Offline.threads(threads);
        Inputs.requireFile(corpus, "corpus");
        Inputs.requireFile(eval, "eval text");
        long start = System.nanoTime();
        try (HfTokenizer hf = HfTokenizer.load(Inputs.requireFile(tokenizerDir.resolve(HfTokenizer.FILE_NAME),
                "tokenizer"), null);
                NDManager manager = device.newManager()) {
            TextTokenizer tokenizer = TextTokenizer.of(hf);
            int eos = tokenizer.eosTokenId().orElse(0);
            TokenizedDataset train = TextChunks.dataset(TextChunks.readLines(corpus), tokenizer, seqLen, eos);
            TokenizedDataset heldOut = TextChunks.dataset(TextChunks.readLines(eval), tokenizer, seqLen, eos);
            System.out.printf("corpus: %d sequences of %d tokens (%d tokens); eval: %d sequences%n",
                    train.size(), seqLen, train.tokenCount(), heldOut.size());

            LlamaConfig config = LlamaConfig.builder()
                    .vocabSize(tokenizer.vocabSize().orElseThrow())
                    .hiddenSize(hidden).intermediateSize(intermediate).numLayers(layers)
                    .numAttentionHeads(heads).numKeyValueHeads(kvHeads)
                    .maxPositionEmbeddings(512).ropeTheta(10000.0).rmsNormEps(1e-5)
                    .tieWordEmbeddings(true).initializerRange(0.02)
                    .bosTokenId(eos).eosTokenId(eos).padTokenId(eos)
                    .nameOrPath("peft4j/factbook-llama")
                    .build();
            PeftTrainer.seed(seed);
            try (PretrainedModel model = ModelFactory.create(config, manager, seed)) {
                TrainingArguments args = TrainingArguments.builder(workDir)
                        .maxSteps(steps).learningRate(lr).warmupSteps(warmup)
                        .lrSchedulerType(LrSchedule.Type.COSINE)
                        .perDeviceTrainBatchSize(batch).perDeviceEvalBatchSize(32)
                        .weightDecay(weightDecay).adamBetas(0.9, 0.95).maxGradNorm(1.0)
                        .seed(seed).logSteps(logSteps).evalSteps(evalSteps).saveSteps(0)
                        .build();
                Logging logging = new Logging((long) (maxMinutes * 60_000));
                try {
                    TrainResult result = PeftTrainer.builder()
                            .model(model.block()).args(args)
                            .trainDataset(train).evalDataset(heldOut)
                            .callback(logging)
                            .build()
                            .train();
                    System.out.printf("done: %d steps, %d tokens, final train loss %.4f, best eval loss %.4f"
                                    + " (step %d)%n", result.globalStep(), result.tokens(), result.finalLoss(),
                            result.bestEvalLoss(), result.bestStep());
                } catch (TrainingDivergedException e) {
                    // the trainer stops before applying a non-finite update: the weights are the last good step's
                    System.out.printf("stopped early after step %d: %s%n", logging.lastStep, e.getMessage());
                }
                EvalResult last = Evaluator.evaluate(model.block(), heldOut, 32, new CausalLmLoss());
                HfModels.save(model.block(), output);
                System.out.printf("saved %s: eval loss %.4f perplexity %.2f, %.0f s in all%n",
                        output.resolve("model.safetensors"), last.loss(), last.perplexity(),
                        (System.nanoTime() - start) / 1e9);
            }
        }
        return 0;
    }

    /** Prints each log line and evaluation, and stops when the wall-time budget is spent. */
    private static final class Logging implements TrainerCallback {
        private final long budgetMillis;
        private final long startMillis = System.currentTimeMillis();
        private int lastStep;

        Logging(long budgetMillis) {
            this.budgetMillis = budgetMillis;
        }

        @Override
        public void onLog(TrainerState state, Map<String, Object> logs, TrainerControl control) {
            System.out.println(logs);
        }

        @Override
        public void onEvaluate(TrainerState state, EvalResult metrics, TrainerControl control) {
            System.out.printf("step %d: eval loss %.4f perplexity %.2f%n", state.globalStep(), metrics.loss(),
                    metrics.perplexity());
        }

        @Override
        public void onStepEnd(TrainerState state, TrainerControl control) {
            lastStep = state.globalStep();
            if (System.currentTimeMillis() - startMillis > budgetMillis) {
                control.stop("wall-time budget spent");
            }
        }
    }

}
