package io.github.peft4j.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Values of transformers' get_*_schedule_with_warmup lambdas, worked out by hand. */
class LrScheduleTest {

    @Test
    void linearWithWarmup() {
        LrSchedule s = LrSchedule.of(LrSchedule.Type.LINEAR, 1.0, 2, 10);
        double[] expected = {0.0, 0.5, 1.0, 7 / 8.0, 6 / 8.0, 5 / 8.0, 4 / 8.0, 3 / 8.0, 2 / 8.0, 1 / 8.0, 0.0, 0.0};
        for (int step = 0; step < expected.length; step++) {
            assertEquals(expected[step], s.factor(step), 1e-15, "step " + step);
        }
        assertEquals(2e-4 * 0.75, LrSchedule.of(LrSchedule.Type.LINEAR, 2e-4, 2, 10).learningRate(4), 1e-18);
    }

    @Test
    void cosineWithWarmup() {
        LrSchedule s = LrSchedule.of(LrSchedule.Type.COSINE, 1.0, 2, 10);
        assertEquals(0.0, s.factor(0), 0);
        assertEquals(0.5, s.factor(1), 0);
        assertEquals(1.0, s.factor(2), 1e-15);
        // progress 2/8: 0.5 (1 + cos(pi/4))
        assertEquals(0.5 * (1 + Math.sqrt(0.5)), s.factor(4), 1e-12);
        assertEquals(0.5, s.factor(6), 1e-12);
        assertEquals(0.0, s.factor(10), 1e-15);
    }

    @Test
    void constantWithAndWithoutWarmup() {
        LrSchedule warm = LrSchedule.of(LrSchedule.Type.CONSTANT, 3.0, 4, 10);
        assertEquals(0.0, warm.learningRate(0), 0);
        assertEquals(0.75, warm.learningRate(1), 1e-15);
        assertEquals(3.0, warm.learningRate(4), 0);
        assertEquals(3.0, warm.learningRate(9), 0);
        LrSchedule flat = LrSchedule.of(LrSchedule.Type.CONSTANT, 3.0, 0, 10);
        assertEquals(3.0, flat.learningRate(0), 0);
    }

    @Test
    void decayRuleExcludesBiasesAndNorms() {
        DecayRule rule = DecayRule.defaults();
        assertEquals(true, rule.decays("model.layers.0.self_attn.q_proj.lora_A.default.weight"));
        assertEquals(false, rule.decays("model.layers.0.mlp.down_proj.bias"));
        assertEquals(false, rule.decays("transformer.h.0.ln_1.weight"));
        assertEquals(false, rule.decays("transformer.ln_f.weight"));
        assertEquals(false, rule.decays("model.layers.0.input_layernorm.weight"));
        assertEquals(false, rule.decays("model.norm.weight"));
        assertEquals(false, rule.decays("bert.encoder.layer.0.attention.output.LayerNorm.weight"));
        assertEquals(true, rule.decays("model.layers.0.mlp.linear.weight"));
        assertEquals(true, DecayRule.all().decays("x.bias"));
    }
}
