package io.github.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.Labels;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.CausalLmWithHead;
import io.github.peft4j.models.CrossEntropy;
import io.github.peft4j.train.data.Batch;
import java.util.Map;
import java.util.Optional;

/**
 * {@link CausalLmLoss} without the [B, T, vocab] logits, for the common PEFT case of a frozen head
 * (the "fused linear cross-entropy" of Liger and Cut Cross-Entropy). The model runs to its final
 * hidden states h [B, T, H]; the frozen head, its soft-cap and the cross entropy are applied a block
 * of rows at a time outside the autograd graph, each block giving its share of the loss and of
 * G = d(loss)/d(h). The loss returned is {@code ce + sum(h * G) - stopGradient(sum(h * G))}: its
 * value is the cross entropy, its gradient with respect to h is G, so backward reaches the adapter
 * through the body as usual. Same value and gradients as {@link CausalLmLoss} (labels shifted,
 * {@value Labels#IGNORE_INDEX} ignored, virtual tokens of prompt methods lined up), but the
 * vocabulary-sized arrays that exist at once are one block's, [rows, vocab], instead of several
 * [B·T, vocab] (logits, log-softmax kept for backward, their gradients).
 *
 * <p>It refuses a head that trains (LoRA on {@code lm_head}, {@code lm_head} in
 * {@code modules_to_save}, trained tied embeddings): {@link #unsupportedReason} says why.
 *
 * <pre>{@code
 * TrainingObjective loss = CausalLmLoss.chunked(64);
 * PeftTrainer.builder().model(peft).args(args).objective(loss).trainDataset(data).build().train();
 * }</pre>
 */
public final class ChunkedCausalLmLoss implements TrainingObjective {

    /** The default rows per block: 64 rows of a 151,936-token vocabulary are 37 MiB of F32 logits. */
    public static final int DEFAULT_ROWS = 64;

    private final int rows;

    /**
     * @param rows positions per block, {@code >= 1}
     * @throws IllegalArgumentException if {@code rows < 1}
     */
    public ChunkedCausalLmLoss(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("rows per block must be >= 1, got " + rows);
        }
        this.rows = rows;
    }

    /**
     * @param model a model block
     * @return why this loss cannot serve the model (not a peft4j causal LM, a head that trains), or
     *     empty when it can
     */
    public static Optional<String> unsupportedReason(Block model) {
        return FrozenHead.whyNot(model);
    }

    @Override
    public Output compute(Block model, ParameterStore ps, Batch batch, NDManager manager, boolean training) {
        Scored s = score(model, ps, batch.inputs(manager), batch.labels(manager), training, !training);
        return new Output(s.loss(), batch.labelCount(s.prepended() > 0 ? 0 : 1), s.correct(), Map.of());
    }

    /**
     * The loss of one batch: the mean cross entropy over the scored tokens, carrying the gradient
     * of a training forward (which runs inside a gradient collector).
     *
     * @param model the model (a peft4j causal LM or a {@code PeftModel} around one)
     * @param ps the parameter store
     * @param inputs the model inputs: ids [B, T] and an optional attention mask
     * @param labels [B, T], {@value Labels#IGNORE_INDEX} to ignore
     * @param training whether this is a training forward (dropout on, gradient wanted)
     * @return the scalar loss
     * @throws PeftCompatibilityException when the head trains or the model has none to apply
     */
    public NDArray loss(Block model, ParameterStore ps, NDList inputs, NDArray labels, boolean training) {
        return score(model, ps, inputs, labels, training, false).loss();
    }

    @Override
    public boolean tokenLevel() {
        return true;
    }

    @Override
    public String toString() {
        return "ChunkedCausalLmLoss(" + rows + " rows)";
    }

    private record Scored(NDArray loss, NDArray correct, int prepended) {}

    private Scored score(Block model, ParameterStore ps, NDList inputs, NDArray labels, boolean training,
            boolean countCorrect) {
        FrozenHead head = FrozenHead.of(model);
        ForwardContext headless = ForwardContext.current(null).with(CausalLmWithHead.SKIP_HEAD, Boolean.TRUE);
        NDArray hidden = model.forward(ps, inputs, training, headless.addTo(null)).head();   // [B, T (+ n), H]
        int prepended = CrossEntropy.prependedPositions(hidden.getShape(), labels.getShape());
        NDArray targets = nextTokens(CrossEntropy.alignLabels(labels, prepended));
        long width = hidden.getShape().get(2);
        // a training forward runs in a gradient collector (NDArray.hasGradient is false for non-leaf arrays)
        HeadChunks.Result r = HeadChunks.run(hidden.stopGradient().reshape(-1, width), targets, head, rows, training,
                countCorrect);
        NDArray loss = r.lossSum().div(r.count());
        if (training) {
            // value: loss + s - s = loss exactly; gradient with respect to hidden: G
            NDArray s = hidden.mul(r.gradient().reshape(hidden.getShape())).sum();
            loss = loss.add(s.sub(s.stopGradient()).toType(DataType.FLOAT32, false));
        }
        return new Scored(loss, r.correct(), prepended);
    }

    /** The label each position predicts, the next one; the last position predicts nothing. [B·T] INT64. */
    private static NDArray nextTokens(NDArray aligned) {
        NDArray labels = aligned.toType(DataType.INT64, false);
        NDArray none = labels.getManager().full(new Shape(labels.getShape().get(0), 1), (long) Labels.IGNORE_INDEX,
                DataType.INT64);
        return NDArrays.concat(new NDList(labels.get(":, 1:"), none), 1).reshape(-1);
    }
}
