package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import java.util.HashMap;
import java.util.Map;

/**
 * A block whose output has its first input's shape, as most transformer sub-modules (norms,
 * attention, MLPs, layers, encoders) have. Every child, in the order it was added, is initialised on
 * that shape too, except an {@linkplain #addOutputProjection output projection}, which reads its own
 * width; a block whose children see other shapes overrides {@link #initializeChildBlocks}.
 *
 * <pre>{@code
 * public final class MyMlp extends ShapePreservingBlock {   // no getOutputShapes to write
 *     MyMlp(int hidden, int inner) {
 *         up = addChildBlock("up_proj", Linears.of(inner, false));                      // reads [.., hidden]
 *         down = addOutputProjection("down_proj", Linears.of(hidden, false), inner);   // reads [.., inner]
 *     }
 * }
 * }</pre>
 */
public abstract class ShapePreservingBlock extends AbstractBlock {

    // positions in getChildren() -> the last axis they read; block surgery replaces children in place
    private final Map<Integer, Integer> inputWidths = new HashMap<>();

    /**
     * Adds a child that reads another width than the block's input and maps it back (an output
     * projection after the inner size: {@code o_proj}, {@code down_proj}, GPT-2's {@code mlp.c_proj}).
     *
     * @param name the child's module name
     * @param block the child
     * @param inputWidth the last axis of its input
     * @param <B> its type
     * @return the child
     */
    protected final <B extends Block> B addOutputProjection(String name, B block, int inputWidth) {
        inputWidths.put(getChildren().size(), inputWidth);
        return addChildBlock(name, block);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        for (int i = 0; i < getChildren().size(); i++) {
            Integer width = inputWidths.get(i);
            Shape childIn = width == null ? in : in.slice(0, in.dimension() - 1).add(width);
            getChildren().get(i).getValue().initialize(manager, dataType, childIn);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
