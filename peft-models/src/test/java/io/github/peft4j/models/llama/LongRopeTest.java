package io.github.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfigs;
import io.github.peft4j.models.config.RopeScaling;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Phi-3's longrope against cos/sin computed here in float64 from transformers' formulas. */
class LongRopeTest {

    static final List<Double> SHORT = List.of(1.0, 1.25, 2.5, 4.0);
    static final List<Double> LONG = List.of(2.0, 5.0, 11.0, 31.0);
    static final double THETA = 10000;
    static final int DIM = 8;

    /** cos(p / (ext_i * theta^(2i/d))) * sqrt(1 + ln(max / original) / ln(original)), both halves. */
    static double[][][] expected(int positions, List<Double> ext, int original, int max) {
        double scale = Math.sqrt(1 + Math.log((double) max / original) / Math.log(original));
        double[][][] out = new double[2][positions][DIM];
        for (int p = 0; p < positions; p++) {
            for (int j = 0; j < DIM; j++) {
                int i = j % (DIM / 2);
                double angle = p / (ext.get(i) * Math.pow(THETA, 2.0 * i / DIM));
                out[0][p][j] = Math.cos(angle) * scale;
                out[1][p][j] = Math.sin(angle) * scale;
            }
        }
        return out;
    }

    @Test
    void shortFactorsUpToTheOriginalLengthLongFactorsBeyond() {
        RopeScaling longrope = RopeScaling.longrope(SHORT, LONG, 8, 64);
        assertEquals(8.0, longrope.factor());
        assertEquals(Math.sqrt(2), longrope.attentionFactor(), 1e-12);   // 1 + ln 8 / ln 8
        RotaryEmbedding rotary = new RotaryEmbedding(THETA, longrope, DIM);
        try (NDManager m = NDManager.newBaseManager()) {
            for (int length : new int[] {8, 9, 20}) {
                long[] ids = new long[length];
                for (int p = 0; p < length; p++) {
                    ids[p] = p;
                }
                NDArray[] cosSin = rotary.cosSin(m.create(ids, new Shape(1, length)));
                double[][][] want = expected(length, length > 8 ? LONG : SHORT, 8, 64);
                float[] cos = cosSin[0].toFloatArray();
                float[] sin = cosSin[1].toFloatArray();
                double worst = 0;
                for (int p = 0; p < length; p++) {
                    for (int j = 0; j < DIM; j++) {
                        worst = Math.max(worst, Math.abs(cos[p * DIM + j] - want[0][p][j]));
                        worst = Math.max(worst, Math.abs(sin[p * DIM + j] - want[1][p][j]));
                    }
                }
                assertTrue(worst < 2e-6, length + " positions: max |djl - float64| = " + worst);
            }
            // one new position at 8 (a decode step after a prompt of 8) is past the original length: long
            NDArray[] step = rotary.cosSin(m.create(new long[] {8}, new Shape(1, 1)));
            assertEquals(expected(9, LONG, 8, 64)[0][8][1], step[0].toFloatArray()[1], 2e-6);
        }
    }

    @Test
    void phi3ConfigReadsLongropeAndItsOldNameSu() {
        ObjectNode json = PythonJson.mapper().createObjectNode();
        json.put("model_type", "phi3").put("hidden_size", 32).put("num_attention_heads", 4)
                .put("max_position_embeddings", 131072).put("original_max_position_embeddings", 4096);
        ObjectNode rope = json.putObject("rope_scaling");
        rope.put("type", "su");
        SHORT.forEach(rope.putArray("short_factor")::add);
        LONG.forEach(rope.putArray("long_factor")::add);
        LlamaConfig config = (LlamaConfig) ModelConfigs.parse(json, Path.of("config.json"));
        RopeScaling s = config.ropeScaling();
        assertEquals("longrope", s.type());
        assertEquals(4096, s.originalMaxPositionEmbeddings());
        assertEquals(32.0, s.factor());
        assertEquals(Math.sqrt(1 + Math.log(32) / Math.log(4096)), s.attentionFactor(), 1e-12);
        assertEquals(s, LlamaConfig.tiny("phi3").hiddenSize(32).numAttentionHeads(4).maxPositionEmbeddings(131072)
                .ropeScaling(RopeScaling.longrope(SHORT, LONG, 4096, 131072)).build().ropeScaling());

        rope.putArray("long_factor").add(1.0);
        PeftFormatException e = assertThrows(PeftFormatException.class,
                () -> ModelConfigs.parse(json, Path.of("config.json")));
        assertTrue(e.getMessage().contains("4 numbers each"), e.getMessage());
    }
}
