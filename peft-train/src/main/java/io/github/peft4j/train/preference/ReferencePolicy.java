package io.github.peft4j.train.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.tuner.NoGrad;
import java.util.Collections;
import java.util.Objects;

/**
 * Where a preference or KL objective gets the reference model's logits: from the model being
 * trained itself, run without gradient either with its adapters disabled (the base model, PEFT and
 * TRL's trick: no second copy of the model) or with another, frozen adapter in place of the trained
 * one (the version an incremental refresh starts from). The forward is an inference forward
 * (dropout off).
 *
 * <pre>{@code
 * ReferencePolicy base = ReferencePolicy.base();
 * ReferencePolicy previous = ReferencePolicy.adapter("reference");   // loaded with loadAdapter(dir, "reference", false)
 * NDArray refLogits = base.logits(peft, ps, inputs);
 * }</pre>
 */
// NoGrad and DisabledAdapters are held for their effect on the forward inside the block
@SuppressWarnings("try")
public abstract class ReferencePolicy {

    private ReferencePolicy() {}

    /**
     * @param model the model being trained, a {@link PeftModel}
     * @param ps the parameter store
     * @param inputs {@code input_ids} and {@code attention_mask}
     * @return the reference's logits, without gradient, in the manager of the inputs
     */
    public final NDArray logits(Block model, ParameterStore ps, NDList inputs) {
        if (!(model instanceof PeftModel peft)) {
            throw new PeftConfigException("the reference model is the trained model with its adapters disabled or"
                    + " replaced: the model must be a PeftModel, not " + model.getClass().getSimpleName());
        }
        try (NoGrad off = NoGrad.enter(inputs.head().getManager().getEngine())) {
            return forward(peft, ps, inputs).head();
        }
    }

    abstract NDList forward(PeftModel model, ParameterStore ps, NDList inputs);

    /** @return the base model: the trained model with its adapters disabled */
    public static ReferencePolicy base() {
        return new ReferencePolicy() {
            @Override
            NDList forward(PeftModel model, ParameterStore ps, NDList inputs) {
                try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                    return model.forward(ps, inputs, false);
                }
            }

            @Override
            public String toString() {
                return "the base model (adapters disabled)";
            }
        };
    }

    /**
     * @param adapterName a frozen adapter of the model, not the one being trained (load it with
     *     {@code model.loadAdapter(dir, name, false)})
     * @return the model with that adapter in place of the active ones
     */
    public static ReferencePolicy adapter(String adapterName) {
        Objects.requireNonNull(adapterName, "adapterName");
        return new ReferencePolicy() {
            @Override
            NDList forward(PeftModel model, ParameterStore ps, NDList inputs) {
                if (model.activeAdapters().contains(adapterName)) {
                    throw new PeftConfigException("the reference adapter '" + adapterName + "' is active: it would be"
                            + " trained; keep it inactive (active: " + model.activeAdapters() + ")");
                }
                int rows = Math.toIntExact(inputs.head().getShape().get(0));
                return model.forward(ps, inputs, Collections.nCopies(rows, adapterName));
            }

            @Override
            public String toString() {
                return "adapter '" + adapterName + "'";
            }
        };
    }
}
