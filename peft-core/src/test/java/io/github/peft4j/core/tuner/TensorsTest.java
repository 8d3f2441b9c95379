package io.github.peft4j.core.tuner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.peft4j.core.testmodels.TunerChecks;
import org.junit.jupiter.api.Test;

class TensorsTest {

    @Test
    void scalarFactorsKeepTheirValueUntilBackward() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(4));
            x.setRequiresGradient(true);
            for (int trial = 0; trial < 5; trial++) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = x.mul(Tensors.scalar(x, 0.5)).sum();
                    TunerChecks.churnDirectMemory(); // with x.mul(0.5f) the gradient is read from freed memory here
                    gc.backward(y);
                }
                assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, x.getGradient().toFloatArray(), "trial " + trial);
                x.getGradient().muli(0);
            }
        }
    }

    @Test
    void scalarHasTheDtypeAndManagerOfItsNeighbour() {
        try (NDManager m = NDManager.newBaseManager(); NDManager sub = m.newSubManager()) {
            NDArray like = sub.zeros(new Shape(2), DataType.FLOAT64);
            NDArray s = Tensors.scalar(like, 0.25);
            assertEquals(DataType.FLOAT64, s.getDataType());
            assertEquals(new Shape(), s.getShape());
            assertEquals(sub, s.getManager());
            assertEquals(0.25, s.getDouble());
        }
    }

    @Test
    void assignCopiesSoTheTargetNeverSharesTheSourcesMemory() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray target = m.zeros(new Shape(3));
            target.setRequiresGradient(true);
            NDArray source = m.create(new float[] {1, 2, 3}); // backed by a Java direct buffer, like a mapped file
            Tensors.assign(target, source);
            source.addi(10);
            assertArrayEquals(new float[] {1, 2, 3}, target.toFloatArray());
            assertTrue(target.hasGradient());
            NDArray ints = m.create(new int[] {4, 5, 6});
            Tensors.assign(target, ints);
            assertEquals(DataType.FLOAT32, target.getDataType());
            assertArrayEquals(new float[] {4, 5, 6}, target.toFloatArray());
            assertThrows(IllegalArgumentException.class, () -> Tensors.assign(target, m.zeros(new Shape(2))));
        }
    }
}
