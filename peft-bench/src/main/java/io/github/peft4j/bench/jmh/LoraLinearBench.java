package io.github.peft4j.bench.jmh;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One training step's worth of work for a single linear layer: forward, {@code sum()} as the loss,
 * backward. {@link #plainLinear} trains the layer's own weight and bias (the baseline);
 * {@link #loraLinear} runs the same layer wrapped by peft-lora through {@link PeftModel}, base frozen,
 * gradients for {@code lora_A}/{@code lora_B} only. The input does not require a gradient in either,
 * as for a model's first layer.
 *
 * <pre>{@code
 * peft-bench/run-jmh.sh LoraLinearBench
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LoraLinearBench {

    /** Rows of the input: batch × sequence length flattened, 8 · 128. */
    @Param("1024")
    public int tokens;

    @Param("256")
    public int features;

    @Param("8")
    public int rank;

    private NDManager manager;
    private Block plain;
    private PeftModel lora;
    private NDArray input;

    @Setup
    public void setUp() {
        manager = NDManager.newBaseManager();
        Shape inShape = new Shape(tokens, features);
        plain = oneLinearLayer();
        plain.initialize(manager, DataType.FLOAT32, inShape);

        Block base = oneLinearLayer();
        base.initialize(manager, DataType.FLOAT32, inShape);
        // initLoraWeights(false): B starts non-zero, so the adapter path is not multiplying by zeros.
        lora = PeftModel.create(base, LoraConfig.builder().r(rank).loraAlpha(2 * rank).initLoraWeights(false)
                .targetModules("0").build());
        input = manager.randomNormal(0f, 1f, inShape, DataType.FLOAT32);
    }

    private SequentialBlock oneLinearLayer() {
        return new SequentialBlock().add(Linear.builder().setUnits(features).build());
    }

    @TearDown
    public void tearDown() {
        lora.close();
        manager.close();
    }

    /** @return the loss, read back so that the step is complete */
    @Benchmark
    public float plainLinear() {
        return step(plain);
    }

    /** @return the loss, read back so that the step is complete */
    @Benchmark
    public float loraLinear() {
        return step(lora);
    }

    private float step(Block block) {
        try (NDScope scope = new NDScope();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = block.forward(new ParameterStore(manager, false), new NDList(input), true).head();
            NDArray loss = y.sum();
            gc.backward(loss);
            return loss.getFloat();
        }
    }

    /** @return the wrapped model, for checks */
    PeftModel loraModel() {
        return lora;
    }

    /** @return the input, for checks */
    NDArray input() {
        return input;
    }

    /** @return the plain layer's block, for checks */
    Block plainModel() {
        return plain;
    }
}
