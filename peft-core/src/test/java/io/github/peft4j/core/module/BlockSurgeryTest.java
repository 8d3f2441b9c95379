package io.github.peft4j.core.module;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.ToyModels;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockSurgeryTest {

    /** Multiplies its child's output by 10, so a forward through it is recognisable. */
    static final class TimesTen extends AbstractBlock {
        final Block inner;

        TimesTen(Block inner) {
            this.inner = addChildBlock("base_layer", inner);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean t, PairList<String, Object> p) {
            return new NDList(inner.forward(ps, in, t, p).singletonOrThrow().mul(10));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] in) {
            return inner.getOutputShapes(in);
        }
    }

    private static float[] run(Block block, NDArray x) {
        return block.forward(new ParameterStore(x.getManager(), false), new NDList(x), false)
                .singletonOrThrow().toFloatArray();
    }

    private static float[] times10(float[] v) {
        float[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= 10;
        }
        return out;
    }

    @Test
    void sequentialBlockForwardUsesTheNewChild() {
        try (NDManager m = NDManager.newBaseManager()) {
            SequentialBlock seq = new SequentialBlock();
            Linear first = Linear.builder().setUnits(3).build();
            seq.add(first).add(new LambdaBlock(l -> new NDList(l.singletonOrThrow().add(1))));
            seq.initialize(m, DataType.FLOAT32, new Shape(2, 4));
            NDArray x = m.randomNormal(new Shape(2, 4));
            float[] before = run(first, x);
            BlockSurgery.replace(seq, first, new TimesTen(first));
            float[] after = run(seq, x);
            float[] expected = times10(before);
            for (int i = 0; i < expected.length; i++) {
                expected[i] += 1;
            }
            assertArrayEquals(expected, after, 1e-5f);
            assertSame(first, ((TimesTen) ModuleTree.of(seq).get("0")).inner);
        }
    }

    @Test
    void parallelBlockForwardUsesTheNewChild() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear a = Linear.builder().setUnits(2).optBias(false).build();
            Linear b = Linear.builder().setUnits(2).optBias(false).build();
            ParallelBlock par = new ParallelBlock(
                    outs -> new NDList(outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow())), List.of(a, b));
            par.initialize(m, DataType.FLOAT32, new Shape(1, 3));
            NDArray x = m.randomNormal(new Shape(1, 3));
            float[] ya = run(a, x);
            float[] yb = run(b, x);
            BlockSurgery.replace(par, b, new TimesTen(b));
            float[] y = run(par, x);
            assertArrayEquals(new float[] {ya[0] + 10 * yb[0], ya[1] + 10 * yb[1]}, y, 1e-5f);
        }
    }

    @Test
    void finalFieldAndArrayFieldParentsUseTheNewChild() {
        try (NDManager m = NDManager.newBaseManager()) {
            ToyModels.ToyModel model = ToyModels.llamaLike(m, 4, 1, 3);
            ModuleTree tree = ModuleTree.of(model);
            NDArray x = m.randomNormal(new Shape(2, 3, 4));
            Block q = tree.get("model.layers.0.self_attn.q_proj");
            Block down = tree.get("model.layers.0.mlp.down_proj");
            float[] before = run(model, x);
            BlockSurgery.replace(model, "model.layers.0.self_attn.q_proj", new TimesTen(q));
            BlockSurgery.replace(model, "model.layers.0.mlp.down_proj", new TimesTen(down));
            float[] after = run(model, x);
            // Forward changed, so both the final field and the array element now hold the wrappers.
            org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(before, after));
            ModuleTree now = ModuleTree.of(model);
            assertSame(q, now.get("model.layers.0.self_attn.q_proj.base_layer"));
            assertSame(down, now.get("model.layers.0.mlp.down_proj.base_layer"));
            // Undo: put the originals back and the output is bit-identical.
            BlockSurgery.replace(model, "model.layers.0.self_attn.q_proj", q);
            BlockSurgery.replace(model, "model.layers.0.mlp.down_proj", down);
            assertArrayEquals(before, run(model, x));
        }
    }

    /** Holds its child in a field typed {@code Linear}. */
    static final class Typed extends AbstractBlock {
        final Linear proj;

        Typed() {
            proj = addChildBlock("proj", Linear.builder().setUnits(2).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean t, PairList<String, Object> p) {
            return proj.forward(ps, in, t, p);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] in) {
            return proj.getOutputShapes(in);
        }
    }

    @Test
    void incompatibleFieldTypeFailsAndLeavesTheTreeIntact() {
        Typed parent = new Typed();
        Linear old = parent.proj;
        PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                () -> BlockSurgery.replace(parent, old, new TimesTen(old)));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("Typed.proj"), e.getMessage());
        assertSame(old, parent.proj);
        assertSame(old, ModuleTree.of(parent).get("proj"));
    }
}
