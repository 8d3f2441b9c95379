package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.CheckpointedLayers;
import io.github.peft4j.models.nn.HiddenStateRecorder;
import io.github.peft4j.models.nn.ModuleList;
import io.github.peft4j.models.nn.ShapePreservingBlock;

/**
 * BERT's {@code encoder}: the layers {@code layer.<i>}. Inputs: {@code (hidden, bias)}; outputs:
 * {@code (hidden)}, then the hidden states when requested (each layer's input, then the last output).
 *
 * <pre>{@code
 * Block encoder = ModuleTree.of(model).get("bert.encoder");
 * }</pre>
 */
public final class BertEncoder extends ShapePreservingBlock {

    private final ModuleList<BertLayer> layer;

    BertEncoder(BertConfig config) {
        layer = addChildBlock("layer", new ModuleList<>());
        for (int i = 0; i < config.numLayers(); i++) {
            layer.add(new BertLayer(config, i));
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        HiddenStateRecorder states = HiddenStateRecorder.of(params);
        NDArray hidden = inputs.get(0);
        CheckpointedLayers stack = CheckpointedLayers.of(params, training);
        for (int i = 0; i < layer.size(); i++) {
            states.record(hidden);
            hidden = stack.forward(layer.get(i), ps, new NDList(hidden, inputs.get(1)), training, params);
        }
        hidden = stack.output(hidden);
        states.record(hidden);
        return states.appendTo(new NDList(hidden));
    }
}
