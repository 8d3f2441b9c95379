package io.github.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.Labels;
import io.github.peft4j.models.CrossEntropy;
import io.github.peft4j.train.data.Batch;

/**
 * Causal language-modelling cross-entropy with Hugging Face semantics: logits at position
 * {@code t} are scored against the label at {@code t + 1} (the model shifts, the data does not),
 * labels of {@value Labels#IGNORE_INDEX} take no loss, and the loss is the mean over the scored
 * tokens, as {@code ForCausalLMLoss} with {@code ignore_index=-100}.
 *
 * <p>It serves every PEFT method. Prompt tuning and P-tuning return {@code n} virtual-token
 * positions in front of the real ones; the labels then get {@code n} ignored positions in front,
 * as PEFT's {@code PeftModelForCausalLM} pads them, so the last virtual token predicts the first
 * real one (and the first real label is scored too). Prefix tuning and the layer methods leave the
 * length unchanged. The arithmetic is {@link CrossEntropy}'s.
 *
 * <pre>{@code
 * NDArray loss = new CausalLmLoss().compute(new NDList(logits), labels);   // logits [B,T(+n),V], labels [B,T]
 * }</pre>
 */
public class CausalLmLoss implements TrainingLoss {

    /**
     * The same loss without the [B, T, vocab] logits, for a frozen head: the head and the cross
     * entropy run {@code rows} positions at a time ({@link ChunkedCausalLmLoss}).
     *
     * <pre>{@code
     * PeftTrainer.builder().model(peft).args(args).objective(CausalLmLoss.chunked(64)).trainDataset(data).build();
     * }</pre>
     *
     * @param rows positions per block, {@code >= 1}
     * @return the objective
     */
    public static ChunkedCausalLmLoss chunked(int rows) {
        return new ChunkedCausalLmLoss(rows);
    }

    @Override
    public NDArray compute(NDList outputs, NDArray labels) {
        return CrossEntropy.causalLm(outputs.head(), labels);
    }

    @Override
    public long itemCount(Batch batch) {
        return batch.labelCount(1);
    }

    /** With virtual tokens in front, even the first label has a position before it to be scored from. */
    @Override
    public long itemCount(Batch batch, NDList outputs) {
        int prepended = CrossEntropy.prependedPositions(outputs.head().getShape(),
                new Shape(batch.size(), batch.sequenceLength()));
        return batch.labelCount(prepended > 0 ? 0 : 1);
    }

    @Override
    public NDArray correctCount(NDList outputs, NDArray labels) {
        return CrossEntropy.causalLmCorrect(outputs.head(), labels);
    }

    @Override
    public boolean tokenLevel() {
        return true;
    }
}
