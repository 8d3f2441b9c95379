package io.github.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QloraTrainingTest {

    @TempDir
    Path tmp;

    @Test
    void nf4BaseShrinksAndLoraStillLearns() {
        QloraTraining.Result r = QloraTraining.demo(Path.of("../assets/base-model"), tmp, 6);
        // 4 layers x 7 projections (the head is tied to the embedding and stays F32)
        assertEquals(28, r.quantizedLayers());
        assertEquals(0, r.before().quantizedBytes());
        assertTrue(r.after().quantizedBytes() > 0);
        // NF4 with double-quantized scales is about 4.1-4.2 bits a weight: well under a third of F32
        long f32Linear = r.before().fullPrecisionBytes() - r.after().fullPrecisionBytes();
        assertTrue(r.after().quantizedBytes() * 3 < f32Linear, r.after().table());
        assertTrue(r.after().adapterBytes() > 0 && r.after().optimizerBytes() == 2 * r.after().adapterBytes(),
                r.after().table());
        assertTrue(r.lossAfter() < r.lossBefore(), r.lossBefore() + " -> " + r.lossAfter());
    }
}
