package io.github.peft4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.eval.LossPlot;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.loss.TrainingLoss;
import io.github.peft4j.train.optim.AdamW;
import io.github.peft4j.train.optim.DecayRule;
import io.github.peft4j.train.optim.Gradients;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.optim.NamedParameter;
import io.github.peft4j.train.optim.NoGrad;
import io.github.peft4j.train.optim.PeftOptimizer;
import io.github.peft4j.train.optim.Sgd;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.github.peft4j.core.tuner.Tensors;

/**
 * The fine-tuning loop, in the manner of the Hugging Face Trainer: it trains only the model's
 * trainable tensors (the active adapter of a {@link io.github.peft4j.core.PeftModel}) with torch's
 * AdamW or SGD, a warmup + constant/linear/cosine schedule, gradient accumulation, global-norm
 * clipping and per-step re-seeding (so a resumed run replays the same dropout), evaluates and
 * checkpoints every N steps, stops early when the eval loss stops improving, and stops with
 * {@link TrainingDivergedException} on a NaN/Inf loss instead of writing a broken adapter.
 *
 * <p>Outputs in {@code output_dir}: the final adapter (HF PEFT layout), {@code checkpoint-N/}
 * directories, {@code metrics.jsonl}, {@code loss.svg} and {@code train_result.json}.
 *
 * <pre>{@code
 * PeftTrainer.seed(42);                                  // before building the model: reproducible init
 * try (PeftModel model = PeftModel.create(base, loraConfig)) {
 *     PeftTrainer trainer = PeftTrainer.builder()
 *             .model(model)
 *             .args(TrainingArguments.builder(Path.of("out")).learningRate(2e-4).maxSteps(200).build())
 *             .trainDataset(data.train())
 *             .evalDataset(data.eval())
 *             .build();
 *     TrainResult result = trainer.train();
 *     // later, after a crash: PeftTrainer.latestCheckpoint(out).map(trainer::resume)
 * }
 * }</pre>
 *
 * <p>Memory: each micro-batch runs in its own manager and {@link NDScope}; optimizer state is
 * created before the first step in a manager the trainer owns and closes, so a long run does not grow.
 * Only one trainer may run at a time in a JVM (DJL allows one gradient collector).
 */
// NDScope and NoGrad are held for their effect on the ops inside the block
@SuppressWarnings("try")
public final class PeftTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(PeftTrainer.class);

    /** The final summary written next to the adapter. */
    public static final String RESULT_FILE = "train_result.json";
    /** The loss plot. */
    public static final String PLOT_FILE = "loss.svg";

    private final TrainableModel model;
    private final TrainingArguments args;
    private final TokenizedDataset trainData;
    private final TokenizedDataset evalData;
    private final TrainingLoss loss;
    private final List<TrainerCallback> callbacks;
    private final List<ProgressListener> listeners;

    private PeftTrainer(Builder b) {
        this.model = TrainableModel.of(Objects.requireNonNull(b.model, "model"));
        this.args = Objects.requireNonNull(b.args, "args");
        this.trainData = Objects.requireNonNull(b.trainData, "trainDataset");
        this.evalData = b.evalData;
        this.loss = b.loss;
        this.callbacks = List.copyOf(b.callbacks);
        this.listeners = List.copyOf(b.listeners);
        if (trainData.isEmpty()) {
            throw new PeftConfigException("the training dataset is empty");
        }
        if (args.evalSteps() > 0 && (evalData == null || evalData.isEmpty())) {
            throw new PeftConfigException("eval_steps is " + args.evalSteps() + " but no (non-empty) eval dataset was given");
        }
    }

    /** @return a builder; the loss defaults to {@link CausalLmLoss} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Seeds the default engine's random generator, as {@code transformers.set_seed}; call it before
     * building the model so that adapter initialisation is reproducible.
     *
     * @param seed the seed
     */
    public static void seed(long seed) {
        Engine.getInstance().setRandomSeed(Seeds.engineSeed(seed, -1));
    }

    /**
     * @param outputDir an output directory of an earlier run
     * @return its newest {@code checkpoint-N}, if any
     */
    public static Optional<Path> latestCheckpoint(Path outputDir) {
        return Checkpoints.latest(outputDir);
    }

    /** @return the optimizer steps this run is planned for */
    public int plannedSteps() {
        if (args.maxSteps() > 0) {
            return args.maxSteps();
        }
        int batches = (trainData.size() + args.perDeviceTrainBatchSize() - 1) / args.perDeviceTrainBatchSize();
        return Math.max(1, (int) Math.ceil(args.numTrainEpochs() * batches / args.gradientAccumulationSteps()));
    }

    /**
     * Trains from the model's current weights.
     *
     * @return the result; the final adapter is in {@code output_dir}
     * @throws TrainingDivergedException on a NaN or infinite loss or gradient norm
     */
    public TrainResult train() {
        return run(null);
    }

    /**
     * Continues from a checkpoint of this training (same data, seed, batch size and accumulation):
     * restores the trained weights, the optimizer state, the step, the data position and the
     * histories, then trains to the planned step exactly as if it had never stopped.
     *
     * @param checkpoint a {@code checkpoint-N} directory
     * @return the result of the whole training
     */
    public TrainResult resume(Path checkpoint) {
        return run(Objects.requireNonNull(checkpoint, "checkpoint"));
    }

    private TrainResult run(Path checkpoint) {
        Path outputDir = args.outputDir();
        List<NamedParameter> named = model.parameters(DecayRule.excluding(args.noDecayPatterns()));
        List<Parameter> params = named.stream().map(NamedParameter::parameter).toList();
        NDArray anchor = params.get(0).getArray();
        Engine engine = anchor.getManager().getEngine();
        int maxSteps = plannedSteps();
        LrSchedule schedule = LrSchedule.of(args.lrSchedulerType(), args.learningRate(), args.warmupSteps(maxSteps),
                maxSteps);
        DataOrder order = new DataOrder(trainData.size(), args.perDeviceTrainBatchSize(), args.seed(), args.shuffle());
        try {
            Files.createDirectories(outputDir);
        } catch (IOException e) {
            throw new PeftFormatException(outputDir, null, "cannot create the output directory: " + e.getMessage(), e);
        }
        try (NDManager trainerManager = anchor.getManager().newSubManager(anchor.getDevice())) {
            trainerManager.setName("peft4j-trainer");
            PeftOptimizer optimizer = optimizer(named, trainerManager);
            Run run = new Run(maxSteps, schedule);
            if (checkpoint != null) {
                restore(checkpoint, run, optimizer, order, trainerManager);
            }
            LOG.info("training {} tensors ({} parameters) for {} steps from step {}, {} sequences, batch {} x {}",
                    named.size(), params.stream().mapToLong(p -> p.getArray().size()).sum(), maxSteps, run.step,
                    trainData.size(), args.perDeviceTrainBatchSize(), args.gradientAccumulationSteps());
            try (MetricsLog metrics = new MetricsLog(outputDir, checkpoint != null)) {
                return loop(run, optimizer, params, order, engine, trainerManager, metrics, checkpoint);
            }
        } finally {
            Gradients.zero(params);
        }
    }

    private PeftOptimizer optimizer(List<NamedParameter> named, NDManager manager) {
        return switch (args.optimizer()) {
            case ADAMW -> AdamW.builder()
                    .betas(args.adamBeta1(), args.adamBeta2())
                    .eps(args.adamEpsilon())
                    .weightDecay(args.weightDecay())
                    .build(named, manager);
            case SGD -> Sgd.builder().momentum(args.sgdMomentum()).weightDecay(args.weightDecay()).build(named, manager);
        };
    }

    private void restore(Path checkpoint, Run run, PeftOptimizer optimizer, DataOrder order, NDManager manager) {
        CheckpointState st = Checkpoints.readState(checkpoint);
        Path stateFile = checkpoint.resolve(CheckpointState.FILE);
        if (st.trainSize() != trainData.size()) {
            throw new PeftConfigException(stateFile + ": the checkpoint was written for " + st.trainSize()
                    + " training sequences, but this dataset has " + trainData.size() + "; resume with the same data");
        }
        checkSameArgs(checkpoint);
        if (!st.schedule().equals(run.schedule)) {
            LOG.warn("{}: the checkpoint's learning-rate schedule was {}, this run's is {}; resuming changes it",
                    checkpoint, st.schedule(), run.schedule);
        }
        model.load(checkpoint);
        try (NDManager scratch = manager.newSubManager()) {
            Checkpoints.loadOptimizer(checkpoint, optimizer, scratch);
        }
        order.seek(st.dataEpoch(), st.dataBatch());
        run.step = st.globalStep();
        run.tokensSeen = st.tokensSeen();
        run.priorSeconds = st.trainSeconds();
        run.bestEvalLoss = st.bestEvalLoss();
        run.bestStep = st.bestStep();
        run.evalsWithoutImprovement = st.evalsWithoutImprovement();
        run.lossHistory.addAll(st.lossHistory());
        run.evalHistory.addAll(st.evalHistory());
        // the next log line averages from the last logged step, as it would have without the stop
        run.lastLoggedStep = run.step - run.step % args.logSteps();
        run.lastCheckpoint = checkpoint;
        MetricsLog.truncateAfter(args.outputDir(), run.step);
        LOG.info("resumed from {} at step {} (epoch {}, batch {})", checkpoint, run.step, st.dataEpoch(), st.dataBatch());
    }

    // The data position and per-step seeds only mean the same thing under the same order of batches.
    private void checkSameArgs(Path checkpoint) {
        Path file = checkpoint.resolve(Checkpoints.ARGS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new PeftFormatException(file, null, "missing: cannot check that the training arguments match");
        }
        JsonNode saved;
        try {
            saved = PythonJson.mapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
        JsonNode now = PythonJson.mapper().valueToTree(args);
        for (String key : List.of("seed", "per_device_train_batch_size", "gradient_accumulation_steps", "shuffle",
                "optim")) {
            if (!now.path(key).asText().equals(saved.path(key).asText())) {
                throw new PeftConfigException(file + ": '" + key + "' was " + saved.path(key) + " in the checkpoint but is "
                        + now.path(key) + " now; resuming exactly needs the same value");
            }
        }
    }

    /** Mutable state of one run. */
    private static final class Run {
        final int maxSteps;
        int step;
        long tokensSeen;
        double priorSeconds;
        double bestEvalLoss = Double.NaN;
        int bestStep = -1;
        int evalsWithoutImprovement;
        int lastLoggedStep;
        double lastLr;
        double lastGradNorm = Double.NaN;
        double lastEvalLoss = Double.NaN;
        Path lastCheckpoint;
        final List<Double> lossHistory = new ArrayList<>();
        final List<EvalPoint> evalHistory = new ArrayList<>();
        final Map<Parameter, NDArray> bestSnapshot = new IdentityHashMap<>();
        final LrSchedule schedule;
        long startNanos = System.nanoTime();
        int startStep;
        long startTokens;

        Run(int maxSteps, LrSchedule schedule) {
            this.maxSteps = maxSteps;
            this.schedule = schedule;
        }

        double elapsedSeconds() {
            return priorSeconds + (System.nanoTime() - startNanos) / 1e9;
        }

        double lastLoss() {
            return lossHistory.isEmpty() ? Double.NaN : lossHistory.get(lossHistory.size() - 1);
        }
    }

    private TrainerState state(Run run, DataOrder order) {
        return new TrainerState(run.step, run.maxSteps, order.epochProgress(), run.lastLoss(), run.lastLr,
                run.lastGradNorm, run.tokensSeen, run.bestEvalLoss, run.bestStep, run.elapsedSeconds());
    }

    private TrainResult loop(Run run, PeftOptimizer optimizer, List<Parameter> params, DataOrder order, Engine engine,
            NDManager trainerManager, MetricsLog metrics, Path resumedFrom) {
        ParameterStore ps = new ParameterStore(trainerManager, false);
        TrainerControl control = new TrainerControl();
        run.startNanos = System.nanoTime();
        run.startStep = run.step;
        run.startTokens = run.tokensSeen;
        for (TrainerCallback c : callbacks) {
            c.onTrainBegin(state(run, order), control);
        }
        StopReason reason = StopReason.MAX_STEPS;
        String detail = "completed " + run.maxSteps + " steps";
        while (run.step < run.maxSteps) {
            if (control.stopReason() != null) {
                reason = StopReason.CALLBACK;
                detail = control.stopReason();
                break;
            }
            double lr = run.schedule.learningRate(run.step);
            engine.setRandomSeed(Seeds.engineSeed(args.seed(), run.step));
            double[] lossAndTokens = accumulate(order, ps, engine, trainerManager);
            double stepLoss = lossAndTokens[0];
            int stepNumber = run.step + 1;
            if (!Double.isFinite(stepLoss)) {
                throw diverged(run, stepNumber, "the training loss is " + stepLoss, lr, params);
            }
            double gradNorm = Gradients.clipGlobalNorm(params, args.maxGradNorm());
            if (!Double.isFinite(gradNorm)) {
                throw diverged(run, stepNumber, "the gradient norm is " + gradNorm + " (loss " + stepLoss + ")", lr,
                        params);
            }
            optimizer.step(lr);
            optimizer.zeroGrad();
            run.step = stepNumber;
            run.lastLr = lr;
            run.lastGradNorm = gradNorm;
            run.tokensSeen += (long) lossAndTokens[1];
            run.lossHistory.add(stepLoss);

            for (TrainerCallback c : callbacks) {
                c.onStepEnd(state(run, order), control);
            }
            if (run.step % args.logSteps() == 0 || run.step == run.maxSteps) {
                log(run, order, metrics, control);
            }
            boolean evaluate = args.evalSteps() > 0 && run.step % args.evalSteps() == 0;
            if (control.takeEvaluate() && evalData != null && !evalData.isEmpty()) {
                evaluate = true;
            }
            if (evaluate && evaluate(run, order, params, trainerManager, metrics, control, lr)) {
                reason = StopReason.EARLY_STOPPING;
                detail = "eval loss did not improve for " + args.earlyStoppingPatience() + " evaluations (best "
                        + run.bestEvalLoss + " at step " + run.bestStep + ")";
            }
            boolean save = args.saveSteps() > 0 && run.step % args.saveSteps() == 0;
            if (control.takeSave() || save) {
                saveCheckpoint(run, optimizer, order);
            }
            progress(run, false);
            if (reason == StopReason.EARLY_STOPPING) {
                break;
            }
        }
        if (reason == StopReason.MAX_STEPS && control.stopReason() != null && run.step < run.maxSteps) {
            reason = StopReason.CALLBACK;
            detail = control.stopReason();
        }
        if (args.loadBestModelAtEnd()) {
            restoreBest(run, params);
        }
        return finish(run, order, metrics, reason, detail, resumedFrom);
    }

    private double[] accumulate(DataOrder order, ParameterStore ps, Engine engine, NDManager trainerManager) {
        int n = args.gradientAccumulationSteps();
        List<Batch> micro = new ArrayList<>(n);
        long items = 0;
        for (int i = 0; i < n; i++) {
            Batch b = trainData.batch(order.next());
            micro.add(b);
            items += loss.itemCount(b);
        }
        double total = 0;
        long tokens = 0;
        Block block = model.block();
        for (Batch b : micro) {
            double weight = args.averageTokensAcrossMicroBatches() && items > 0
                    ? (double) loss.itemCount(b) / items
                    : 1.0 / n;
            try (NDManager bm = trainerManager.newSubManager();
                    NDScope scope = new NDScope();
                    GradientCollector gc = engine.newGradientCollector()) {
                NDList outputs = block.forward(ps, b.inputs(bm), true);
                NDArray raw = loss.compute(outputs, b.labels(bm));
                NDArray scaled = raw.mul(Tensors.scalar(raw, weight)); // engine-owned scalar, see Tensors.scalar
                gc.backward(scaled);
                total += scaled.toType(DataType.FLOAT32, false).getFloat();
            }
            tokens += b.tokenCount();
        }
        return new double[] {total, tokens};
    }

    private void log(Run run, DataOrder order, MetricsLog metrics, TrainerControl control) {
        // lossHistory holds every step from step 1: the steps since the last log line are at the end
        List<Double> window = run.lossHistory.subList(run.lastLoggedStep, run.lossHistory.size());
        double mean = window.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("step", run.step);
        entry.put("epoch", order.epochProgress());
        entry.put("loss", mean);
        entry.put("learning_rate", run.lastLr);
        entry.put("grad_norm", run.lastGradNorm);
        entry.put("tokens_per_second", tokensPerSecond(run));
        metrics.write(entry);
        run.lastLoggedStep = run.step;
        for (TrainerCallback c : callbacks) {
            c.onLog(state(run, order), entry, control);
        }
    }

    private boolean evaluate(Run run, DataOrder order, List<Parameter> params, NDManager trainerManager,
            MetricsLog metrics, TrainerControl control, double lr) {
        EvalResult r = Evaluator.evaluate(model.block(), evalData, args.perDeviceEvalBatchSize(), loss, trainerManager);
        if (!Double.isFinite(r.loss())) {
            throw diverged(run, run.step, "the eval loss is " + r.loss(), lr, params);
        }
        run.evalHistory.add(new EvalPoint(run.step, r));
        run.lastEvalLoss = r.loss();
        if (Double.isNaN(run.bestEvalLoss) || r.loss() < run.bestEvalLoss - args.earlyStoppingThreshold()) {
            run.bestEvalLoss = r.loss();
            run.bestStep = run.step;
            run.evalsWithoutImprovement = 0;
            if (args.loadBestModelAtEnd()) {
                snapshot(run, params, trainerManager);
            }
        } else {
            run.evalsWithoutImprovement++;
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("step", run.step);
        entry.put("epoch", order.epochProgress());
        entry.putAll(r.toMap("eval_"));
        metrics.write(entry);
        for (TrainerCallback c : callbacks) {
            c.onEvaluate(state(run, order), r, control);
        }
        return args.earlyStoppingPatience() > 0 && run.evalsWithoutImprovement >= args.earlyStoppingPatience();
    }

    private void snapshot(Run run, List<Parameter> params, NDManager manager) {
        for (Parameter p : params) {
            NDArray w = p.getArray();
            NDArray copy = run.bestSnapshot.computeIfAbsent(p, k -> manager.create(w.getShape(), w.getDataType(), w.getDevice()));
            w.copyTo(copy);
        }
    }

    private void restoreBest(Run run, List<Parameter> params) {
        if (run.bestStep < 0 || run.bestStep == run.step) {
            return;
        }
        if (!run.bestSnapshot.isEmpty()) {
            try (NoGrad off = NoGrad.enter(params.get(0).getArray().getManager().getEngine())) {
                for (Parameter p : params) {
                    run.bestSnapshot.get(p).copyTo(p.getArray());
                }
            }
            LOG.info("restored the weights of the best evaluation (step {}, eval loss {})", run.bestStep, run.bestEvalLoss);
            return;
        }
        Path best = args.outputDir().resolve(Checkpoints.PREFIX + run.bestStep);
        if (Files.isDirectory(best)) {
            model.load(best);
            LOG.info("restored the weights of the best evaluation from {}", best);
        } else {
            LOG.warn("load_best_model_at_end: the best step {} was before the resumed checkpoint and has no checkpoint;"
                    + " keeping the last weights", run.bestStep);
        }
    }

    private void saveCheckpoint(Run run, PeftOptimizer optimizer, DataOrder order) {
        CheckpointState st = new CheckpointState(run.step, run.maxSteps, args.seed(), order.epoch(), order.batch(),
                trainData.size(), optimizer.name(), optimizer.stepCount(), run.tokensSeen, run.elapsedSeconds(),
                run.bestEvalLoss, run.bestStep, run.evalsWithoutImprovement, run.schedule,
                Seeds.engineSeed(args.seed(), run.step), run.lossHistory, run.evalHistory);
        Path dir = Checkpoints.write(args.outputDir(), run.step, model, optimizer, st, args);
        run.lastCheckpoint = dir;
        // as HF, the best checkpoint survives rotation when it will be loaded at the end
        Checkpoints.prune(args.outputDir(), args.saveTotalLimit(), args.loadBestModelAtEnd() ? run.bestStep : -1);
        for (TrainerCallback c : callbacks) {
            c.onSave(state(run, order), dir);
        }
    }

    private double tokensPerSecond(Run run) {
        double seconds = (System.nanoTime() - run.startNanos) / 1e9;
        return seconds > 0 ? (run.tokensSeen - run.startTokens) / seconds : Double.NaN;
    }

    private void progress(Run run, boolean finished) {
        if (listeners.isEmpty()) {
            return;
        }
        double seconds = (System.nanoTime() - run.startNanos) / 1e9;
        int done = run.step - run.startStep;
        long etaSeconds = done > 0 ? Math.round(seconds / done * (run.maxSteps - run.step)) : 0;
        Progress p = new Progress(run.step, run.maxSteps, run.lastLoss(), run.lastLr, tokensPerSecond(run),
                Duration.ofSeconds(finished ? 0 : etaSeconds), run.lastEvalLoss, finished);
        for (ProgressListener l : listeners) {
            l.onProgress(p);
        }
    }

    private TrainingDivergedException diverged(Run run, int step, String what, double lr, List<Parameter> params) {
        Gradients.zero(params);
        writePlot(run);
        String last = run.lastCheckpoint == null ? "no checkpoint was written"
                : "the last good checkpoint is " + run.lastCheckpoint;
        return new TrainingDivergedException(step, "step " + step + ": " + what + " (learning rate " + lr
                + "); stopped without writing the adapter, " + last + ". Lower learning_rate, set max_grad_norm,"
                + " or check the data (a batch whose labels are all -100 scores nothing)");
    }

    private void writePlot(Run run) {
        List<LossPlot.Point> train = new ArrayList<>();
        for (int i = 0; i < run.lossHistory.size(); i++) {
            train.add(new LossPlot.Point(i + 1, run.lossHistory.get(i)));
        }
        List<LossPlot.Point> eval = run.evalHistory.stream()
                .map(p -> new LossPlot.Point(p.step(), p.result().loss())).toList();
        LossPlot.write(args.outputDir().resolve(PLOT_FILE), train, eval);
    }

    private TrainResult finish(Run run, DataOrder order, MetricsLog metrics, StopReason reason, String detail,
            Path resumedFrom) {
        model.save(args.outputDir());
        writePlot(run);
        TrainResult result = new TrainResult(run.step, run.lossHistory, run.evalHistory, run.bestEvalLoss, run.bestStep,
                reason, detail, run.elapsedSeconds(), run.tokensSeen, args.outputDir());
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("step", run.step);
        entry.put("epoch", order.epochProgress());
        entry.put("train_loss", result.trainLoss());
        entry.put("train_runtime", result.trainSeconds());
        entry.put("train_tokens_per_second", result.tokensPerSecond());
        entry.put("stop_reason", reason.name().toLowerCase(Locale.ROOT));
        metrics.write(entry);
        Map<String, Object> summary = new LinkedHashMap<>(entry);
        summary.put("stop_detail", detail);
        summary.put("best_eval_loss", Double.isFinite(run.bestEvalLoss) ? run.bestEvalLoss : null);
        summary.put("best_step", run.bestStep);
        summary.put("tokens", run.tokensSeen);
        summary.put("resumed_from", resumedFrom == null ? null : resumedFrom.toString());
        AtomicFiles.write(args.outputDir().resolve(RESULT_FILE),
                (PythonJson.write(PythonJson.mapper().valueToTree(summary)) + "\n").getBytes(StandardCharsets.UTF_8));
        progress(run, true);
        LOG.info("training ended at step {}: {}; loss {} -> {}", run.step, detail,
                run.lossHistory.isEmpty() ? Double.NaN : run.lossHistory.get(0), result.finalLoss());
        for (TrainerCallback c : callbacks) {
            c.onTrainEnd(state(run, order), result);
        }
        return result;
    }

    /** Builds a {@link PeftTrainer}. */
    public static final class Builder {
        private Block model;
        private TrainingArguments args;
        private TokenizedDataset trainData;
        private TokenizedDataset evalData;
        private TrainingLoss loss = new CausalLmLoss();
        private final List<TrainerCallback> callbacks = new ArrayList<>();
        private final List<ProgressListener> listeners = new ArrayList<>();

        private Builder() {}

        /**
         * @param model the model: a {@link io.github.peft4j.core.PeftModel} (its active, trainable adapters
         *     are trained and saved) or any DJL block (its parameters that require gradients); its
         *     forward takes {@code (input_ids, attention_mask)} and returns logits first
         * @return this
         */
        public Builder model(Block model) {
            this.model = model;
            return this;
        }

        /** @param args the hyper-parameters @return this */
        public Builder args(TrainingArguments args) {
            this.args = args;
            return this;
        }

        /** @param data the training data @return this */
        public Builder trainDataset(TokenizedDataset data) {
            this.trainData = data;
            return this;
        }

        /** @param data the evaluation data (needed for eval_steps and early stopping) @return this */
        public Builder evalDataset(TokenizedDataset data) {
            this.evalData = data;
            return this;
        }

        /** @param loss the loss; {@link CausalLmLoss} by default @return this */
        public Builder loss(TrainingLoss loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        /** @param callback a callback, run after those added before @return this */
        public Builder callback(TrainerCallback callback) {
            callbacks.add(Objects.requireNonNull(callback, "callback"));
            return this;
        }

        /** @param listener receives progress after every step @return this */
        public Builder progressListener(ProgressListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** @return the trainer */
        public PeftTrainer build() {
            return new PeftTrainer(this);
        }
    }
}
