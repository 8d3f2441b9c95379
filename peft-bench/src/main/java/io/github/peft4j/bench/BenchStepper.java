package io.github.peft4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.nn.GradientCheckpointing;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.loss.ChunkedCausalLmLoss;
import io.github.peft4j.train.loss.TrainingLoss;
import io.github.peft4j.train.optim.AdamW;
import io.github.peft4j.train.optim.Gradients;
import java.util.List;

/**
 * One step of a benchmark mode, shaped as {@code PeftTrainer}'s micro-batch step: a per-step manager
 * and {@link NDScope}, the gradient collector, {@link CausalLmLoss}, then torch's {@link AdamW} over
 * the trainable tensors (or only zeroed gradients for the floors). Used by {@link TrainBench} and the
 * real-scale benchmark.
 *
 * <pre>{@code
 * BenchStepper stepper = new BenchStepper(options, peftModel, engine, manager, adamW, trainable);
 * double loss = stepper.step(tokenIds);          // batch × seq ids, row-major
 * }</pre>
 */
// NDScope and the checkpointing scope are held for their effect on the ops inside the block
@SuppressWarnings("try")
public final class BenchStepper {
    private final BenchOptions o;
    private final Block block;
    private final Engine engine;
    private final NDManager root;
    private final AdamW optimizer;
    private final List<Parameter> params;
    private final ParameterStore ps;
    private final TrainingLoss loss = new CausalLmLoss();
    private final ChunkedCausalLmLoss chunked;
    private final Shape shape;
    private int stepCount;

    /**
     * @param o the workload: mode, learning rate, batch and sequence length
     * @param block the model to run
     * @param engine the engine (for the gradient collector)
     * @param root the manager each step's sub-manager hangs from
     * @param optimizer the optimizer, or {@code null} for the floors
     * @param params the trainable tensors (their gradients are zeroed when there is no optimizer)
     */
    public BenchStepper(BenchOptions o, Block block, Engine engine, NDManager root, AdamW optimizer,
            List<Parameter> params) {
        this(o, block, engine, root, optimizer, params, null);
    }

    /**
     * @param o the workload: mode, learning rate, batch and sequence length
     * @param block the model to run
     * @param engine the engine (for the gradient collector)
     * @param root the manager each step's sub-manager hangs from
     * @param optimizer the optimizer, or {@code null} for the floors
     * @param params the trainable tensors (their gradients are zeroed when there is no optimizer)
     * @param chunked the loss of a frozen head without the full logits, or {@code null} for {@link CausalLmLoss}
     */
    public BenchStepper(BenchOptions o, Block block, Engine engine, NDManager root, AdamW optimizer,
            List<Parameter> params, ChunkedCausalLmLoss chunked) {
        this.chunked = chunked;
        this.o = o;
        this.block = block;
        this.engine = engine;
        this.root = root;
        this.optimizer = optimizer;
        this.params = params;
        this.ps = new ParameterStore(root, false);
        this.shape = new Shape(o.batch(), o.seq());
    }

    /**
     * @param tokens {@code batch × seq} token ids
     * @return the step's loss (read back once, as the peer's {@code loss.item()})
     */
    public double step(long[] tokens) {
        stepCount++;
        float value;
        try (NDManager bm = root.newSubManager()) {
            NDArray ids = bm.create(tokens, shape);
            if (o.mode().equals("fwd")) {
                try (NDScope scope = new NDScope()) {
                    value = loss(ids, false).getFloat();
                }
                return value;
            }
            GradientCheckpointing checkpointing = GradientCheckpointing.when(o.gradientCheckpointing());
            try (NDScope scope = new NDScope();
                    ForwardContext.Scope layers = checkpointing.activate();
                    GradientCollector gc = engine.newGradientCollector()) {
                NDArray l = loss(ids, true);
                mark("forward");
                gc.backward(l);
                checkpointing.backward(gc);
                mark("backward");
                value = l.getFloat();
            }
        }
        mark("step_scope_closed");
        if (optimizer != null) {
            optimizer.step(o.lr());
            optimizer.zeroGrad();
        } else {
            Gradients.zero(params);
        }
        mark("optimizer_step");
        return value;
    }

    private void mark(String phase) {
        if (MemoryPhases.enabled()) {
            MemoryPhases.mark("step" + stepCount + "_" + phase);
        }
    }

    private NDArray loss(NDArray ids, boolean training) {
        if (chunked != null) {
            return chunked.loss(block, ps, new NDList(ids), ids, training);
        }
        NDList logits = block.forward(ps, new NDList(ids), training);
        mark("logits");
        return loss.compute(logits, ids);
    }
}
