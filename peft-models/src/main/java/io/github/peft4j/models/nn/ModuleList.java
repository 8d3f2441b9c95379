package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code torch.nn.ModuleList}: holds blocks under the names {@code 0}, {@code 1}, ... so that their
 * paths are {@code model.layers.3...} as in Hugging Face. The owner runs the blocks itself (layers
 * take more than one input), so forwarding the list as a whole is not supported.
 *
 * <pre>{@code
 * ModuleList<LlamaDecoderLayer> layers = new ModuleList<>();
 * layers.add(new LlamaDecoderLayer(config, 0));
 * }</pre>
 *
 * @param <T> the element type
 */
public final class ModuleList<T extends Block> extends AbstractBlock {

    private final List<T> items = new ArrayList<>();

    /**
     * @param block the next element, named by its index
     * @return the block
     */
    public T add(T block) {
        addChildBlock(Integer.toString(items.size()), block);
        items.add(block);
        return block;
    }

    /**
     * The element at {@code index} as the tree holds it now: after block surgery replaced it (a
     * tuner wrapping a whole layer) this returns the replacement.
     *
     * @param index the position
     * @return the block
     */
    public Block get(int index) {
        return children.valueAt(index);
    }

    /** @return the number of elements */
    public int size() {
        return items.size();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException("a ModuleList is run by its owner, element by element");
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block block : children.values()) {
            block.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
