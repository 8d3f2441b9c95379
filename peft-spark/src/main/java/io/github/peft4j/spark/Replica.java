package io.github.peft4j.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.loss.TrainingLoss;
import io.github.peft4j.train.optim.AdamW;
import io.github.peft4j.train.optim.DecayRule;
import io.github.peft4j.train.optim.Gradients;
import io.github.peft4j.train.optim.NamedParameter;
import io.github.peft4j.core.tuner.NoGrad;
import io.github.peft4j.train.optim.PeftOptimizer;
import io.github.peft4j.train.optim.Sgd;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One executor JVM's copy of the model for one training run. Every task of the run in this JVM
 * shares it (the base model is loaded once per JVM); they take turns under {@link EngineLock},
 * and each optimizer step is applied once per JVM, by whichever of its tasks gets there first.
 */
final class Replica implements AutoCloseable {

    /** Where a restored optimizer state "comes from", for error messages. */
    private static final Path BROADCAST = Path.of("spark-broadcast");

    private static final Map<String, Replica> RUNS = new HashMap<>();

    final String runId;
    final PeftModel model;
    final List<NamedParameter> params;
    final TrainingLoss loss;
    final TrainingArguments args;
    private NDManager stateManager;
    private PeftOptimizer optimizer;
    private String segment;
    private int done;
    private double lastNorm;

    private Replica(String runId, AdapterFactory factory, LossFactory loss, TrainingArguments args) {
        this.runId = runId;
        this.model = factory.create();
        this.params = TrainableTensors.of(model, DecayRule.excluding(args.noDecayPatterns()));
        this.loss = loss.create();
        this.args = args;
    }

    /**
     * The run's replica in this JVM, made on first use; replicas of earlier runs are closed.
     * Call under {@link EngineLock}.
     */
    static Replica forRun(String runId, AdapterFactory factory, LossFactory loss, String argsJson) {
        Replica r = RUNS.get(runId);
        if (r == null) {
            RUNS.values().forEach(Replica::close);
            RUNS.clear();
            r = new Replica(runId, factory, loss, TrainingArguments.fromJson(argsJson));
            RUNS.put(runId, r);
        }
        return r;
    }

    /**
     * Starts a segment (one attempt of one barrier stage): loads the driver's state once per JVM.
     *
     * @param segmentKey the segment and its attempt
     * @param start the state to start from
     */
    void begin(String segmentKey, SegmentState start) {
        if (segmentKey.equals(segment)) {
            return;
        }
        start.adapter().assignTo(params);
        Gradients.zero(raw());
        if (stateManager != null) {
            stateManager.close();
        }
        NDArray anchor = params.get(0).parameter().getArray();
        stateManager = anchor.getManager().newSubManager(anchor.getDevice());
        optimizer = optimizer(stateManager);
        if (start.optimizer() != null) {
            try (NDManager scratch = stateManager.newSubManager()) {
                optimizer.loadState(start.optimizer().toArrays(scratch), start.optimizerSteps(), BROADCAST);
            }
        }
        done = start.step();
        segment = segmentKey;
    }

    /**
     * @param segmentKey the caller's segment attempt: a task of an attempt that was superseded (a
     *     zombie of a failed stage) must not touch the state its successor started from
     * @param shards this rank's slice of each micro-batch
     * @return the rank's gradient message
     */
    GradientMessage gradients(String segmentKey, List<Batch> shards) {
        requireSegment(segmentKey);
        try (NDManager m = stateManager.newSubManager()) {
            return ShardGradients.compute(model, loss, params, shards, m, args.gradientCheckpointing());
        }
    }

    /**
     * Applies step {@code stepNumber} with the all-reduced gradient, unless a task of this JVM did.
     *
     * @param segmentKey the caller's segment attempt, see {@link #gradients}
     * @return the gradient norm before clipping
     */
    double apply(String segmentKey, int stepNumber, float[] gradient, double learningRate) {
        requireSegment(segmentKey);
        if (done >= stepNumber) {
            return lastNorm;
        }
        int at = 0;
        Gradients.zero(raw());
        // in place: a gradient fetched from the engine is a view, and intern() would only rebind the view
        try (NDManager scratch = stateManager.newSubManager();
                NoGrad off = NoGrad.enter(scratch.getEngine())) {
            for (NamedParameter p : params) {
                NDArray w = p.parameter().getArray();
                int size = (int) w.size();
                float[] slice = java.util.Arrays.copyOfRange(gradient, at, at + size);
                at += size;
                if (w.hasGradient()) {
                    w.getGradient().addi(scratch.create(slice, w.getShape()));
                }
            }
        }
        lastNorm = Gradients.clipGlobalNorm(raw(), args.maxGradNorm());
        optimizer.step(learningRate);
        optimizer.zeroGrad();
        done = stepNumber;
        return lastNorm;
    }

    private void requireSegment(String segmentKey) {
        if (!segmentKey.equals(segment)) {
            throw new IllegalStateException("segment attempt " + segmentKey + " was superseded by " + segment);
        }
    }

    SegmentState snapshot(int epoch, int batch) {
        return new SegmentState(done, epoch, batch, TensorSnapshot.of(params),
                TensorSnapshot.of(optimizer.stateTensors()), optimizer.stepCount());
    }

    private List<Parameter> raw() {
        return params.stream().map(NamedParameter::parameter).toList();
    }

    private PeftOptimizer optimizer(NDManager manager) {
        return switch (args.optimizer()) {
            case ADAMW -> AdamW.builder().betas(args.adamBeta1(), args.adamBeta2()).eps(args.adamEpsilon())
                    .weightDecay(args.weightDecay()).build(params, manager);
            case SGD -> Sgd.builder().momentum(args.sgdMomentum()).weightDecay(args.weightDecay())
                    .build(params, manager);
        };
    }

    @Override
    public void close() {
        if (stateManager != null) {
            stateManager.close();
        }
        model.close();
    }
}
