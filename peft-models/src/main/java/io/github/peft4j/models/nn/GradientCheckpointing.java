package io.github.peft4j.models.nn;

import ai.djl.training.GradientCollector;
import io.github.peft4j.core.hooks.ForwardContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient (activation) checkpointing, transformers' {@code gradient_checkpointing_enable()}: a
 * training forward keeps only each decoder layer's input, and backward recomputes one layer at a
 * time. The saved activations of a step shrink from every layer's to one layer's, for about one more
 * forward pass of compute.
 *
 * <p>DJL has no custom autograd function, so the layers' backward is a second phase the caller runs
 * after its own: while this object is active ({@link #activate()}) the models' layer stacks
 * ({@link CheckpointedLayers}) run their layers without recording a graph and hand on an output
 * that is a fresh leaf. {@code gc.backward(loss)} then stops at that leaf, having filled in the
 * gradients of everything above the layers (final norm, head) and the leaf's own; {@link #backward}
 * walks the layers from the last to the first, recomputing each with a graph and back-propagating
 * the gradient of its output, {@code backward(sum(y · G))}, which adds the layer's parameter
 * gradients and yields the gradient of its input, until the embeddings' graph receives the last one.
 * Each layer is recomputed with the random seed of its first pass, so its dropout masks repeat.
 *
 * <p>The result equals the ordinary backward (same loss, gradients within float rounding;
 * {@code GradientCheckpointingTest}). Intermediate hidden states a caller asked for carry no
 * gradient. Per-layer key/value prefixes (prefix tuning, P-tuning v2) reach the layers as detached
 * leaves, and their gradients go through the prefix encoder's graph once, after the last layer.
 *
 * <pre>{@code
 * GradientCheckpointing checkpointing = new GradientCheckpointing();
 * try (ForwardContext.Scope on = checkpointing.activate(); GradientCollector gc = engine.newGradientCollector()) {
 *     NDArray loss = lossOf(peftModel.forward(ps, inputs, true));
 *     gc.backward(loss);            // head, final norm, and the gradient at the layers' output
 *     checkpointing.backward(gc);   // the layers and the embeddings
 * }
 * }</pre>
 */
public final class GradientCheckpointing {

    /** The {@link ForwardContext} entry that turns checkpointing on for the forwards it reaches. */
    public static final ForwardContext.Key<GradientCheckpointing> KEY =
            new ForwardContext.Key<>("gradient_checkpointing", GradientCheckpointing.class);

    private static final GradientCheckpointing OFF = new GradientCheckpointing(false);

    private final boolean verifyRecompute;
    private final List<CheckpointedLayers> stacks = new ArrayList<>();

    /**
     * For a training loop with a switch: {@code activate()} and {@code backward(gc)} can then be
     * called unconditionally.
     *
     * @param enabled whether to checkpoint
     * @return a fresh checkpointing, or one whose {@link #activate()} changes nothing
     */
    public static GradientCheckpointing when(boolean enabled) {
        return enabled ? new GradientCheckpointing() : OFF;
    }

    /** Checkpointing that checks each recomputed layer output's shape. */
    public GradientCheckpointing() {
        this(false);
    }

    /**
     * @param verifyRecompute also compare each recomputed layer output with its first pass, value
     *     for value (one scalar read per layer): a layer that does not repeat (an unseeded random
     *     draw, a nondeterministic kernel) then fails with the layer's index instead of giving
     *     silently wrong gradients
     */
    public GradientCheckpointing(boolean verifyRecompute) {
        this.verifyRecompute = verifyRecompute;
    }

    /**
     * Puts this object into the calling thread's current {@link ForwardContext}, so the training
     * forwards run inside the returned scope checkpoint their layers.
     *
     * @return the scope restoring the previous context when closed
     */
    public ForwardContext.Scope activate() {
        if (this == OFF) {
            return () -> { };
        }
        return ForwardContext.current(null).with(KEY, this).activate();
    }

    /**
     * Runs the layers' share of backward for every checkpointed forward since the last call, the
     * latest first. Call it after {@code gc.backward(loss)}, inside the same collector.
     *
     * @param gc the open gradient collector
     * @throws IllegalStateException when {@code verifyRecompute} is on and a layer recomputes differently
     */
    public void backward(GradientCollector gc) {
        try {
            for (int i = stacks.size() - 1; i >= 0; i--) {
                stacks.get(i).backward(gc, verifyRecompute);
            }
        } finally {
            stacks.clear();
        }
    }

    /** @return the checkpointed forwards whose backward is still to run */
    public int pendingForwards() {
        return stacks.size();
    }

    void register(CheckpointedLayers stack) {
        stacks.add(stack);
    }
}
