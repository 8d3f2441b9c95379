package io.github.peft4j.lora;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Holders for LoRA tests that build their own trees: a skeleton {@link Node} whose paths are
 * Hugging Face's (saved, never run) and {@link Single}, one layer under a root. The models live in
 * peft-core's test-jar ({@code ToyModels}, {@code testmodels}).
 */
final class TestBlocks {

    private TestBlocks() {}

    /** A composite block with named children and no forward of its own. */
    abstract static class Composite extends AbstractBlock {
        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            throw new UnsupportedOperationException("initialise children explicitly");
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    /** A container of named children, for trees that are only saved, never run. */
    static final class Node extends Composite {
        <B extends Block> B add(String name, B child) {
            return addChildBlock(name, child);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            throw new UnsupportedOperationException("skeleton");
        }
    }

    /**
     * A root holding one layer as child {@code layer}, with a forward, for single-layer tests.
     */
    static final class Single extends AbstractBlock {
        final Block layer;

        Single(Block layer) {
            this.layer = addChildBlock("layer", layer);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return layer.forward(ps, in, training, p);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            layer.initialize(manager, dataType, inputShapes);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return layer.getOutputShapes(inputShapes);
        }
    }
}
