package io.github.peft4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TrainingData;
import io.github.peft4j.train.eval.ObjectiveResult;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.loss.TrainingLoss;
import io.github.peft4j.train.optim.AdamW;
import io.github.peft4j.train.optim.DecayRule;
import io.github.peft4j.train.optim.Gradients;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.optim.NamedParameter;
import io.github.peft4j.train.optim.PeftOptimizer;
import io.github.peft4j.train.optim.Sgd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fine-tuning loop, in the manner of the Hugging Face Trainer: it trains only the model's
 * trainable tensors (the active adapter of a {@link io.github.peft4j.core.PeftModel}) with torch's
 * AdamW or SGD, a warmup + constant/linear/cosine schedule, gradient accumulation, global-norm
 * clipping and per-step re-seeding (so a resumed run replays the same dropout), evaluates and
 * checkpoints every N steps and at the last step, stops early when the eval loss stops improving, and stops with
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
 * <p>Every PEFT method trains through it, prompt tuning and P-tuning included: their virtual
 * tokens make the logits longer than the labels, and the default {@link CausalLmLoss} lines the
 * labels up as PEFT does.
 *
 * <p>Memory: each micro-batch runs in its own manager and {@code NDScope}; optimizer state is
 * created before the first step in a manager the trainer owns and closes, so a long run does not grow.
 * Only one trainer may run at a time in a JVM (DJL allows one gradient collector).
 */
public final class PeftTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(PeftTrainer.class);

    /** The final summary written next to the adapter. */
    public static final String RESULT_FILE = "train_result.json";
    /** The loss plot. */
    public static final String PLOT_FILE = "loss.svg";

    private final TrainableModel model;
    private final TrainingArguments args;
    private final TrainingData trainData;
    private final TrainingData evalData;
    private final TokenizedDataset generalData;
    private final TrainingLoss loss;
    private final TrainingObjective objective;
    private final List<TrainerCallback> callbacks;

    private PeftTrainer(Builder b) {
        this.model = TrainableModel.of(Objects.requireNonNull(b.model, "model"));
        this.args = Objects.requireNonNull(b.args, "args");
        this.trainData = Objects.requireNonNull(b.trainData, "trainDataset");
        this.evalData = b.evalData;
        this.generalData = b.generalData == null || b.generalData.isEmpty() ? null : b.generalData;
        this.loss = b.loss;
        this.objective = b.objective != null ? b.objective : TrainingObjective.of(b.loss);
        this.callbacks = List.copyOf(b.callbacks);
        if (trainData.isEmpty()) {
            throw new PeftConfigException("the training dataset is empty");
        }
        if (b.objective == null && !(trainData instanceof TokenizedDataset)) {
            throw new PeftConfigException("the training data is " + trainData.getClass().getSimpleName()
                    + ", not sequences: set the objective that reads it (Builder.objective)");
        }
        if (args.evalSteps() > 0 && (evalData == null || evalData.isEmpty())) {
            throw new PeftConfigException("eval_steps is " + args.evalSteps() + " but no (non-empty) eval dataset was given");
        }
        if (args.maxForgetting() > 0 && generalData == null) {
            throw new PeftConfigException("max_forgetting is " + args.maxForgetting() + " but no (non-empty) general"
                    + " dataset was given to measure forgetting on");
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

    /**
     * Checks that this trainer can resume from a checkpoint and says what {@link #resume} will do,
     * without changing anything: a resume needs the same data size, seed, batching, optimizer and
     * learning-rate schedule (peak, type, warmup and planned steps), because the data position,
     * the per-step seeds and the rate of every remaining step only mean the same thing under them.
     *
     * <pre>{@code
     * System.out.println(trainer.resumePlan(checkpoint)); // "checkpoint-5 holds step 5 of 10: ..."
     * TrainResult r = trainer.resume(checkpoint);
     * }</pre>
     *
     * @param checkpoint a {@code checkpoint-N} directory
     * @return one line describing what is restored and which steps remain
     * @throws PeftConfigException naming what differs when the checkpoint does not fit this run
     */
    public String resumePlan(Path checkpoint) {
        int maxSteps = plannedSteps();
        CheckpointState st = checkResumable(checkpoint, schedule(maxSteps));
        String remaining = st.globalStep() >= maxSteps ? "nothing is left to train; the adapter and outputs are"
                + " written again from it"
                : "it trains steps " + (st.globalStep() + 1) + "-" + maxSteps + " as the uninterrupted run would have";
        return checkpoint.getFileName() + " holds step " + st.globalStep() + " of " + maxSteps
                + ": restores the trained weights, the " + st.optimizer() + " state, the data position (epoch "
                + st.dataEpoch() + ", batch " + st.dataBatch() + "), the losses and evaluations so far; " + remaining;
    }

    private LrSchedule schedule(int maxSteps) {
        return LrSchedule.of(args.lrSchedulerType(), args.learningRate(), args.warmupSteps(maxSteps), maxSteps);
    }

    private CheckpointState checkResumable(Path checkpoint, LrSchedule schedule) {
        return Checkpoints.checkResumable(checkpoint, trainData.size(), args, schedule);
    }

    private TrainResult run(Path checkpoint) {
        Path outputDir = args.outputDir();
        List<NamedParameter> named = model.parameters(DecayRule.excluding(args.noDecayPatterns()));
        List<Parameter> params = named.stream().map(NamedParameter::parameter).toList();
        NDArray anchor = params.get(0).getArray();
        int maxSteps = plannedSteps();
        LrSchedule schedule = schedule(maxSteps);
        TrainingRun run = new TrainingRun(maxSteps, schedule,
                new DataOrder(trainData.size(), args.perDeviceTrainBatchSize(), args.seed(), args.shuffle()));
        try {
            Files.createDirectories(outputDir);
        } catch (IOException e) {
            throw new PeftFormatException(outputDir, null, "cannot create the output directory: " + e.getMessage(), e);
        }
        try (NDManager trainerManager = anchor.getManager().newSubManager(anchor.getDevice())) {
            trainerManager.setName("peft4j-trainer");
            PeftOptimizer optimizer = optimizer(named, trainerManager);
            if (checkpoint != null) {
                restore(checkpoint, run, optimizer, trainerManager);
            }
            LOG.info("training {} tensors ({} parameters) for {} steps from step {}, {} sequences, batch {} x {}",
                    named.size(), params.stream().mapToLong(p -> p.getArray().size()).sum(), maxSteps, run.step,
                    trainData.size(), args.perDeviceTrainBatchSize(), args.gradientAccumulationSteps());
            try (MetricsLog metrics = new MetricsLog(outputDir, checkpoint != null)) {
                return loop(run, optimizer, params, trainerManager, metrics, checkpoint);
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

    private void restore(Path checkpoint, TrainingRun run, PeftOptimizer optimizer, NDManager manager) {
        CheckpointState st = checkResumable(checkpoint, run.schedule);
        model.load(checkpoint);
        try (NDManager scratch = manager.newSubManager()) {
            Checkpoints.loadOptimizer(checkpoint, optimizer, scratch);
        }
        run.restore(st, args.logSteps());
        run.lastCheckpoint = checkpoint;
        MetricsLog.truncateAfter(args.outputDir(), run.step);
        LOG.info("resumed from {} at step {} (epoch {}, batch {})", checkpoint, run.step, st.dataEpoch(),
                st.dataBatch());
    }

    private TrainResult loop(TrainingRun run, PeftOptimizer optimizer, List<Parameter> params, NDManager trainerManager,
            MetricsLog metrics, Path resumedFrom) {
        Engine engine = trainerManager.getEngine();
        ParameterStore ps = new ParameterStore(trainerManager, false);
        TrainingStep step = new TrainingStep(model.block(), objective, trainData, args, params);
        BestEvaluation best = new BestEvaluation(args);
        TrainerControl control = new TrainerControl();
        if (generalData != null) {
            run.baseGeneral = evaluateBase(trainerManager);
            if (resumedFrom == null) {
                metrics.write(RunOutputs.baseGeneralEntry(run));
            }
        }
        run.start();
        callbacks.forEach(c -> c.onTrainBegin(run.state(), control));
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
            TrainingStep.Result result = step.run(run.order, ps, engine, trainerManager);
            int stepNumber = run.step + 1;
            if (!Double.isFinite(result.loss())) {
                throw diverged(run, stepNumber, "the training loss is " + result.loss(), lr, params);
            }
            double gradNorm = Gradients.clipGlobalNorm(params, args.maxGradNorm());
            if (!Double.isFinite(gradNorm)) {
                throw diverged(run, stepNumber, "the gradient norm is " + gradNorm + " (loss " + result.loss() + ")",
                        lr, params);
            }
            optimizer.step(lr);
            optimizer.zeroGrad();
            run.stepDone(result.loss(), lr, gradNorm, result.tokens(), result.metrics());

            callbacks.forEach(c -> c.onStepEnd(run.state(), control));
            if (run.step % args.logSteps() == 0 || run.step == run.maxSteps) {
                Map<String, Object> entry = RunOutputs.logEntry(run);
                metrics.write(entry);
                callbacks.forEach(c -> c.onLog(run.state(), entry, control));
            }
            boolean evaluate = args.evalSteps() > 0 && run.step % args.evalSteps() == 0;
            if (control.takeEvaluate() && evalData != null && !evalData.isEmpty()) {
                evaluate = true;
            }
            if (evaluate && evaluate(run, best, params, trainerManager, metrics, control, lr)) {
                reason = StopReason.EARLY_STOPPING;
                detail = best.stopDetail(run);
            }
            if (control.takeSave() || (args.saveSteps() > 0 && run.step % args.saveSteps() == 0)) {
                saveCheckpoint(run, optimizer);
            }
            Progress progress = run.progress(false);
            callbacks.forEach(c -> c.onProgress(progress));
            if (reason == StopReason.EARLY_STOPPING) {
                break;
            }
        }
        if (reason == StopReason.MAX_STEPS && control.stopReason() != null && run.step < run.maxSteps) {
            reason = StopReason.CALLBACK;
            detail = control.stopReason();
        }
        // a run that checkpoints ends with one, so that it can be resumed or extended from its last step
        if (args.saveSteps() > 0 && (run.lastCheckpoint == null || Checkpoints.step(run.lastCheckpoint) != run.step)) {
            saveCheckpoint(run, optimizer);
        }
        if (BestEvaluation.loadsBest(args)) {
            best.restoreBest(run, params, model);
        }
        return finish(run, metrics, reason, detail, resumedFrom);
    }

    /** @return whether early stopping ends the training */
    private boolean evaluate(TrainingRun run, BestEvaluation best, List<Parameter> params, NDManager trainerManager,
            MetricsLog metrics, TrainerControl control, double lr) {
        ObjectiveResult evaluated = Evaluator.evaluate(model.block(), evalData, args.perDeviceEvalBatchSize(), objective,
                trainerManager);
        EvalResult r = evaluated.result();
        if (!Double.isFinite(r.loss())) {
            throw diverged(run, run.step, "the eval loss is " + r.loss(), lr, params);
        }
        EvalResult general = generalData == null ? null
                : Evaluator.evaluate(model.block(), generalData, args.perDeviceEvalBatchSize(), loss, trainerManager);
        boolean stop = best.record(run, r, general, params, trainerManager);
        metrics.write(RunOutputs.evalEntry(run, evaluated, general));
        callbacks.forEach(c -> c.onEvaluate(run.state(), r, control));
        return stop;
    }

    /** The base model's general-text loss: adapters disabled, or the untrained weights of a plain block. */
    private EvalResult evaluateBase(NDManager manager) {
        if (model.block() instanceof PeftModel peft) {
            try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
                return Evaluator.evaluate(peft, generalData, args.perDeviceEvalBatchSize(), loss, manager);
            }
        }
        return Evaluator.evaluate(model.block(), generalData, args.perDeviceEvalBatchSize(), loss, manager);
    }

    private void saveCheckpoint(TrainingRun run, PeftOptimizer optimizer) {
        CheckpointState st = run.checkpointState(args.seed(), trainData.size(), optimizer);
        Path dir = Checkpoints.write(args.outputDir(), run.step, model, optimizer, st, args);
        run.lastCheckpoint = dir;
        // as HF, the best checkpoint survives rotation when it will be loaded at the end
        Checkpoints.prune(args.outputDir(), args.saveTotalLimit(), BestEvaluation.loadsBest(args) ? run.bestStep : -1);
        callbacks.forEach(c -> c.onSave(run.state(), dir));
    }

    private TrainingDivergedException diverged(TrainingRun run, int step, String what, double lr,
            List<Parameter> params) {
        Gradients.zero(params);
        RunOutputs.writePlot(args.outputDir(), run);
        String last = run.lastCheckpoint == null ? "no checkpoint was written"
                : "the last good checkpoint is " + run.lastCheckpoint;
        return new TrainingDivergedException(step, "step " + step + ": " + what + " (learning rate " + lr
                + "); stopped without writing the adapter, " + last + ". Lower learning_rate, set max_grad_norm,"
                + " or check the data (a batch whose labels are all -100 scores nothing)");
    }

    private TrainResult finish(TrainingRun run, MetricsLog metrics, StopReason reason, String detail,
            Path resumedFrom) {
        model.save(args.outputDir());
        RunOutputs.writePlot(args.outputDir(), run);
        TrainResult result = new TrainResult(run.step, run.lossHistory, run.evalHistory, run.bestEvalLoss, run.bestStep,
                reason, detail, run.elapsedSeconds(), run.tokensSeen, args.outputDir());
        Map<String, Object> entry = RunOutputs.finalEntry(run, result);
        metrics.write(entry);
        RunOutputs.writeResult(args.outputDir(), entry, run, result, resumedFrom);
        Progress progress = run.progress(true);
        callbacks.forEach(c -> c.onProgress(progress));
        LOG.info("training ended at step {}: {}; loss {} -> {}", run.step, detail,
                run.lossHistory.isEmpty() ? Double.NaN : run.lossHistory.get(0), result.finalLoss());
        callbacks.forEach(c -> c.onTrainEnd(run.state(), result));
        return result;
    }

    /** Builds a {@link PeftTrainer}. */
    public static final class Builder {
        private Block model;
        private TrainingArguments args;
        private TrainingData trainData;
        private TrainingData evalData;
        private TokenizedDataset generalData;
        private TrainingLoss loss = new CausalLmLoss();
        private TrainingObjective objective;
        private final List<TrainerCallback> callbacks = new ArrayList<>();

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

        /** @param data sequences ({@link TokenizedDataset}) or the items of the {@link #objective} @return this */
        public Builder trainDataset(TrainingData data) {
            this.trainData = data;
            return this;
        }

        /** @param data the evaluation data (for eval_steps and early stopping), as the training data's @return this */
        public Builder evalDataset(TrainingData data) {
            this.evalData = data;
            return this;
        }

        /**
         * A general-text set evaluated beside the eval dataset at every evaluation, to see what the
         * adapter makes the model forget: its loss and perplexity ratio to the base model's (measured
         * once with the adapters disabled) go to {@code metrics.jsonl} and {@code loss.svg}, and
         * {@code max_forgetting} chooses the best evaluation by it.
         *
         * <pre>{@code
         * PeftTrainer.builder().model(peft).args(args).trainDataset(train).evalDataset(domain)
         *         .generalDataset(factbookParagraphs).build();
         * }</pre>
         *
         * @param data general text (plain language modelling), or {@code null} for none
         * @return this
         */
        public Builder generalDataset(TokenizedDataset data) {
            this.generalData = data;
            return this;
        }

        /** @param loss the loss ({@link CausalLmLoss}): trained without an objective, measures general text @return this */
        public Builder loss(TrainingLoss loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        /**
         * What training minimises when one forward and a loss are not enough (DPO on preference pairs,
         * a KL term to the base): it runs each micro-batch's forwards; accumulation, schedules,
         * clipping, checkpoints and exact resume are the trainer's. It also evaluates the eval dataset
         * ({@code eval_loss} is its loss, its metrics are logged with {@code eval_}).
         *
         * <pre>{@code
         * PeftTrainer.builder().model(peft).args(args).objective(DpoObjective.builder().beta(0.1).build())
         *         .trainDataset(prefs.train()).evalDataset(prefs.eval()).build().train();
         * }</pre>
         *
         * @param objective the objective, or {@code null} for the loss of {@link #loss}
         * @return this
         */
        public Builder objective(TrainingObjective objective) {
            this.objective = objective;
            return this;
        }

        /**
         * @param callback a callback (a {@link ConsoleProgressBar}, a metrics publisher, a job's cancel
         *     check), run after those added before
         * @return this
         */
        public Builder callback(TrainerCallback callback) {
            callbacks.add(Objects.requireNonNull(callback, "callback"));
            return this;
        }

        /** @return the trainer */
        public PeftTrainer build() {
            return new PeftTrainer(this);
        }
    }
}
