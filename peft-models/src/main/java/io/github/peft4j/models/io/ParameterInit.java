package io.github.peft4j.models.io;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.HfModel;
import java.util.function.BiFunction;

/**
 * Initialises a model's whole block tree, each parameter by an initialiser chosen from its Hugging
 * Face key: a checkpoint reader when loading, {@link HfInitializer} for a fresh model. DJL computes
 * every parameter's shape from the configuration and hands it to the initialiser, so a loaded tensor
 * is checked against the shape the architecture expects.
 *
 * <pre>{@code
 * ParameterInit.initialize(model, manager, (key, owner) -> HfInitializer.of(model, key, owner, seed));
 * }</pre>
 */
public final class ParameterInit {

    private ParameterInit() {}

    /**
     * @param model the root block, not yet initialised
     * @param manager the manager of the weights
     * @param initializers the initialiser of a parameter, from its key and the block owning it
     */
    public static void initialize(HfModel model, NDManager manager,
            BiFunction<String, Block, Initializer> initializers) {
        Block block = model.asBlock();
        for (ModuleTree.Module m : ModuleTree.of(block).modules().values()) {
            for (Pair<String, Parameter> p : m.block().getDirectParameters()) {
                String name = p.getValue().getName();
                String key = m.path().isEmpty() ? name : m.path() + "." + name;
                p.getValue().setInitializer(initializers.apply(key, m.block()));
            }
        }
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
    }
}
