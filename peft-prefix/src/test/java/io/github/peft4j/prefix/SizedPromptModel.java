package io.github.peft4j.prefix;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import io.github.peft4j.core.hooks.PromptLearningModel;

/**
 * The sizes a prompt-learning method reads from its model ({@code num_layers}, {@code hidden_size},
 * heads, key/value heads, head size), held once for the test models that report them; children are
 * initialised in order of addition.
 */
abstract class SizedPromptModel extends AbstractBlock implements PromptLearningModel {

    final int layers;
    final int hidden;
    final int heads;
    final int kvHeads;
    final int headDim;

    SizedPromptModel(int layers, int hidden, int heads, int kvHeads, int headDim) {
        this.layers = layers;
        this.hidden = hidden;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
    }

    @Override
    public int numLayers() {
        return layers;
    }

    @Override
    public int hiddenSize() {
        return hidden;
    }

    @Override
    public int numAttentionHeads() {
        return heads;
    }

    @Override
    public int numKeyValueHeads() {
        return kvHeads;
    }

    @Override
    public int headDim() {
        return headDim;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }
}
