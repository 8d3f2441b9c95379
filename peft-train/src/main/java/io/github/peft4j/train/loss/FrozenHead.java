package io.github.peft4j.train.loss;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.models.CausalLM;
import io.github.peft4j.models.CausalLmWithHead;
import io.github.peft4j.models.nn.TiedLmHead;
import java.util.Optional;

/**
 * The output head of a causal LM when nothing in it trains: its [vocab, hidden] weight and Gemma 2's
 * final soft-cap. Only then may a loss apply the head outside the autograd graph
 * ({@link ChunkedCausalLmLoss}); a head that trains (LoRA on {@code lm_head}, {@code modules_to_save},
 * tied embeddings being trained) needs the ordinary {@link CausalLmLoss}.
 *
 * <pre>{@code
 * Optional<String> why = FrozenHead.whyNot(peft);   // empty when the head is frozen
 * FrozenHead head = FrozenHead.of(peft);
 * }</pre>
 *
 * @param weight the head weight, [vocab, hidden] (the word embeddings when tied)
 * @param softcap the final logit soft-cap, 0 for none
 */
record FrozenHead(Parameter weight, float softcap) {

    /**
     * @param model a peft4j causal LM, or a {@code PeftModel} around one
     * @return its frozen head
     * @throws PeftCompatibilityException saying why the head cannot be applied outside the graph
     */
    static FrozenHead of(Block model) {
        CausalLM lm = CausalLM.find(model).orElseThrow(() -> new PeftCompatibilityException(
                model.getClass().getName() + " is not a peft4j causal LM: the chunked loss needs its final hidden"
                        + " states and head; use CausalLmLoss"));
        if (!(lm instanceof CausalLmWithHead<?> withHead)) {
            throw new PeftCompatibilityException(lm.getClass().getName() + " has no separate lm_head the chunked loss"
                    + " can apply; use CausalLmLoss");
        }
        Block head = withHead.lmHead();
        Parameter weight;
        String what;
        if (head instanceof TiedLmHead tied) {
            weight = tied.weight();
            what = "the word embeddings the lm_head is tied to (" + weight.getName() + ")";
        } else if (head.getClass() == Linear.class && !head.getDirectParameters().contains("bias")) {
            weight = head.getDirectParameters().get("weight");
            what = "the lm_head weight";
        } else {
            throw new PeftCompatibilityException("lm_head is a " + head.getClass().getSimpleName() + ", not the frozen"
                    + " base head (a PEFT method targets it: LoRA on lm_head, or lm_head in modules_to_save), so its"
                    + " weights train; the chunked loss needs a frozen head, use CausalLmLoss");
        }
        if (weight.requiresGradient()) {
            throw new PeftCompatibilityException(what + " requires gradient (the base model is not frozen, or the"
                    + " tied embeddings train); the chunked loss needs a frozen head, use CausalLmLoss");
        }
        return new FrozenHead(weight, withHead.finalLogitSoftcap());
    }

    /**
     * @param model a model block
     * @return why the chunked loss cannot serve it, or empty when it can
     */
    static Optional<String> whyNot(Block model) {
        try {
            of(model);
            return Optional.empty();
        } catch (PeftCompatibilityException e) {
            return Optional.of(e.getMessage());
        }
    }
}
