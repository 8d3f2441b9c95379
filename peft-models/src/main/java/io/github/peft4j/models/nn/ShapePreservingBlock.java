package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;

/**
 * A block whose output has its first input's shape, as most transformer sub-modules (norms,
 * attention, layers, encoders) have. By default every child, in the order it was added, is
 * initialised on that shape too; a block whose children see other shapes overrides
 * {@link #initializeChildBlocks}.
 *
 * <pre>{@code
 * public final class MyNorm extends ShapePreservingBlock {   // no getOutputShapes to write
 *     ...
 * }
 * }</pre>
 */
public abstract class ShapePreservingBlock extends AbstractBlock {

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes[0]);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
