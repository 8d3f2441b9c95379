package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.module.LinearLike;
import java.util.Optional;

/**
 * An output head that reuses the input embedding matrix ({@code tie_word_embeddings}):
 * {@code logits = h W_embed^T}. It owns no parameter, so the shared matrix is counted, saved and
 * trained once, under the embedding's name, as transformers does. As a {@link LinearLike} it exposes
 * that matrix ([vocab, hidden] = [out, in]).
 *
 * <pre>{@code
 * TiedLmHead lmHead = new TiedLmHead(wte.weight(), vocabSize);
 * }</pre>
 */
public final class TiedLmHead extends AbstractBlock implements LinearLike {

    private final Parameter tied;
    private final int vocabSize;

    /**
     * @param tied the embedding matrix, [vocab, hidden]
     * @param vocabSize the vocabulary size
     */
    public TiedLmHead(Parameter tied, int vocabSize) {
        this.tied = tied;
        this.vocabSize = vocabSize;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.head();
        NDArray w = ps.getValue(tied, h.getDevice(), training);
        return h.getNDArrayInternal().linear(h, w, null);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1).add(vocabSize)};
    }

    @Override
    public Parameter weight() {
        return tied;
    }

    @Override
    public Optional<Parameter> bias() {
        return Optional.empty();
    }

    @Override
    public boolean fanInFanOut() {
        return false;
    }
}
