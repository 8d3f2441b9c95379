package io.github.peft4j.bench.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
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
 * Merging a LoRA adapter into a {@code features × features} linear layer and taking it out again
 * ({@link PeftModel#merge()} + {@link PeftModel#unmerge()}), against the bare tensor work that pair
 * needs: {@code W += s·B·A; W -= s·B·A} on NDArrays of the same shapes ({@link #rawAddSubtract}).
 *
 * <pre>{@code
 * peft-bench/run-jmh.sh MergeBench
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MergeBench {

    @Param("1024")
    public int features;

    @Param("8")
    public int rank;

    private NDManager manager;
    private PeftModel model;
    private NDArray weight;
    private NDArray loraA;
    private NDArray loraB;
    private NDArray scale;

    @Setup
    public void setUp() {
        manager = NDManager.newBaseManager();
        Block base = new SequentialBlock().add(Linear.builder().setUnits(features).build());
        base.initialize(manager, DataType.FLOAT32, new Shape(1, features));
        model = PeftModel.create(base, LoraConfig.builder().r(rank).loraAlpha(2 * rank).initLoraWeights(false)
                .targetModules("0").build());
        weight = manager.randomNormal(0f, 0.02f, new Shape(features, features), DataType.FLOAT32);
        loraA = manager.randomNormal(0f, 0.02f, new Shape(rank, features), DataType.FLOAT32);
        loraB = manager.randomNormal(0f, 0.02f, new Shape(features, rank), DataType.FLOAT32);
        // An engine-side scalar, as the layer keeps its scaling.
        scale = manager.create(2f);
    }

    @TearDown
    public void tearDown() {
        model.close();
        manager.close();
    }

    /** @return the number of merged adapters while merged (1) */
    @Benchmark
    public int mergeUnmerge() {
        model.merge();
        int merged = model.tunerLayers().get(0).mergedAdapters().size();
        model.unmerge();
        return merged;
    }

    /** @return the weight, changed in place and restored */
    @Benchmark
    public NDArray rawAddSubtract() {
        try (NDArray delta = loraB.matMul(loraA)) {
            delta.muli(scale);
            weight.addi(delta);
        }
        try (NDArray delta = loraB.matMul(loraA)) {
            delta.muli(scale);
            weight.subi(delta);
        }
        return weight;
    }

    /** @return the wrapped model, for checks */
    PeftModel model() {
        return model;
    }
}
