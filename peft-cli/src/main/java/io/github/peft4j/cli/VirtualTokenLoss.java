package io.github.peft4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.prefix.PromptAdapters;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.loss.TrainingLoss;

/**
 * A causal-LM loss for prompt tuning and P-tuning, whose logits are {@code n} virtual tokens longer
 * than the labels while the adapter is on: the labels get {@code n} ignored positions in front, as
 * PEFT pads them, so the last virtual token predicts the first real one. With the adapters disabled
 * (the "before" evaluation) it is the plain causal-LM loss.
 */
final class VirtualTokenLoss implements TrainingLoss {

    private final TrainingLoss causal;
    private final PeftModel model;
    private final int virtualTokens;

    /**
     * @param causal the causal-LM loss
     * @param model the model whose active prompt adapter prepends the tokens
     * @param adapterName that adapter
     */
    VirtualTokenLoss(TrainingLoss causal, PeftModel model, String adapterName) {
        this.causal = causal;
        this.model = model;
        this.virtualTokens = PromptAdapters.virtualTokens(model, adapterName);
    }

    private int padding() {
        return model.adaptersDisabled() ? 0 : virtualTokens;
    }

    @Override
    public NDArray compute(NDList outputs, NDArray labels) {
        return causal.compute(outputs, PromptAdapters.padLabels(labels, padding()));
    }

    @Override
    public long itemCount(Batch batch) {
        // with padding in front even the first label has a predecessor to be scored from
        return padding() > 0 ? batch.labelCount(0) : causal.itemCount(batch);
    }

    @Override
    public NDArray correctCount(NDList outputs, NDArray labels) {
        return causal.correctCount(outputs, PromptAdapters.padLabels(labels, padding()));
    }

    @Override
    public boolean tokenLevel() {
        return causal.tokenLevel();
    }
}
