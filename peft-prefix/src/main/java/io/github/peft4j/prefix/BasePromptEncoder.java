package io.github.peft4j.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.tuner.Tensors;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What PEFT's {@code BasePromptEncoder} subclasses share: a table {@code embedding.weight} of one row
 * per virtual token, optionally followed by a network ({@link #reparameterized()}), whose output for
 * the rows {@code 0..n-1} is what the model receives and what is saved as {@code prompt_embeddings}.
 *
 * <p>Tensor names are PEFT's module paths inside the encoder ({@code embedding.weight},
 * {@code transform.0.weight}, {@code mlp_head.2.bias}, {@code lstm_head.weight_ih_l0_reverse}).
 * The tensors are never changed by a forward call, so one encoder serves any number of threads.
 * An encoder is the per-adapter state of its {@link PromptLearningMethod}.
 *
 * <pre>{@code
 * final class TableOnly extends BasePromptEncoder {
 *     TableOnly(int rows, int width, NDManager m) { add(EMBEDDING, m.randomNormal(new Shape(rows, width))); }
 *     protected boolean reparameterized() { return false; }
 * }
 * }</pre>
 */
public abstract class BasePromptEncoder {

    /** The key of the single tensor of a PEFT prompt-learning adapter file. */
    static final String SAVED_KEY = "prompt_embeddings";

    /** The virtual-token table's name, PEFT's {@code embedding.weight}. */
    protected static final String EMBEDDING = "embedding.weight";

    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    /**
     * @param name the tensor's name inside the encoder
     * @param array its value
     * @return the new parameter
     */
    protected final Parameter add(String name, NDArray array) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optArray(array).build();
        if (parameters.put(name, p) != null) {
            throw new IllegalStateException("tensor " + name + " added twice");
        }
        return p;
    }

    /** @return every tensor, by its name inside the encoder, in PEFT's order */
    final Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** @return the virtual-token table */
    final Parameter embedding() {
        return parameters.get(EMBEDDING);
    }

    /** @return the number of rows the encoder produces */
    final int rows() {
        return Math.toIntExact(embedding().getArray().getShape().get(0));
    }

    /** @return whether a network sits between the table and the output (PEFT's training-only heads) */
    protected abstract boolean reparameterized();

    /**
     * The encoder's output for the rows {@code 0..rows-1}, as PEFT's {@code prompt_encoder(arange(n))}.
     *
     * @param ps the forward call's parameter store
     * @param manager the manager of the forward call's inputs; the result and every temporary attach to it
     * @param training whether this is a training forward (dropout)
     * @return [rows, width]
     */
    final NDArray output(ParameterStore ps, NDManager manager, boolean training) {
        NDArray ids = manager.arange(0, rows(), 1, DataType.INT64);
        NDArray table = ps.getValue(embedding(), manager.getDevice(), training);
        NDArray x = ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
        return reparameterized() ? head(ps, x, training) : x;
    }

    /**
     * @param ps the parameter store
     * @param x the looked-up rows, [rows, token_dim]
     * @param training whether this is a training forward
     * @return the network's output, attached to x's manager
     */
    protected NDArray head(ParameterStore ps, NDArray x, boolean training) {
        return x;
    }

    /**
     * PEFT's {@code get_prompt_embedding_to_save}: the output without gradient, in {@code manager}.
     *
     * @param manager the manager for the result
     * @return [rows, width]
     */
    final NDArray promptEmbeddingsToSave(NDManager manager) {
        if (!reparameterized()) {
            return embedding().getArray();
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray out = output(new ParameterStore(scratch, false), scratch, false).stopGradient();
            out.attach(manager);
            return out;
        }
    }

    /**
     * PEFT's {@code _load_adapter_state_dict}: the saved output goes into the table. An encoder with
     * a network in front of its output cannot take it: that output cannot be inverted to the
     * network's parameters.
     *
     * @param saved the file's {@code prompt_embeddings}
     * @param source the file, for messages
     */
    final void loadPromptEmbeddings(NDArray saved, Path source) {
        if (reparameterized()) {
            throw new PeftCompatibilityException(source + ": " + SAVED_KEY + " is the output of a trained prompt encoder"
                    + " and cannot be loaded into the encoder network of an adapter in training mode"
                    + " (inference_mode=false); load the adapter from its directory, which uses the saved output"
                    + " directly (it can still be trained)");
        }
        Shape want = embedding().getArray().getShape();
        if (!want.equals(saved.getShape())) {
            throw new PeftFormatException(source, SAVED_KEY, "expected shape " + want + " but found "
                    + saved.getShape());
        }
        Tensors.assign(embedding().getArray(), saved);
    }
}
