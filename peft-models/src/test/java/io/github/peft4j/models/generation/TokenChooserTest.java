package io.github.peft4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The warpers against hand-computed distributions over four logits [1, 2, 3, 4]. */
class TokenChooserTest {

    static final float[] LOGITS = {1, 2, 3, 4};

    private static double[] frequencies(GenerationConfig config, int draws) {
        TokenChooser chooser = new TokenChooser(config);
        double[] counts = new double[4];
        for (int i = 0; i < draws; i++) {
            counts[chooser.choose(LOGITS, 0, 4)]++;
        }
        for (int i = 0; i < 4; i++) {
            counts[i] /= draws;
        }
        return counts;
    }

    private static GenerationConfig.Builder sampling() {
        return GenerationConfig.builder().doSample(true).topK(0).seed(5);
    }

    @Test
    void greedyTakesTheLargest() {
        assertEquals(3, new TokenChooser(GenerationConfig.greedy(1)).choose(LOGITS, 0, 4));
        assertEquals(1, TokenChooser.argMax(new float[] {0, 5, 5, 1}, 0, 4), "first of equal maxima, as torch");
    }

    @Test
    void plainSamplingFollowsTheSoftmax() {
        // softmax([1,2,3,4]) = [0.0321, 0.0871, 0.2369, 0.6439]
        double[] f = frequencies(sampling().build(), 40_000);
        assertEquals(0.0321, f[0], 0.006);
        assertEquals(0.0871, f[1], 0.008);
        assertEquals(0.2369, f[2], 0.01);
        assertEquals(0.6439, f[3], 0.01);
    }

    @Test
    void temperatureFlattens() {
        // softmax([1,2,3,4] / 2) = [0.1015, 0.1674, 0.2760, 0.4551]
        double[] f = frequencies(sampling().temperature(2).build(), 40_000);
        assertEquals(0.1015, f[0], 0.008);
        assertEquals(0.4551, f[3], 0.01);
    }

    @Test
    void topKKeepsTheKLargest() {
        // softmax([3, 4]) = [0.2689, 0.7311]
        double[] f = frequencies(sampling().topK(2).build(), 40_000);
        assertEquals(0, f[0]);
        assertEquals(0, f[1]);
        assertEquals(0.2689, f[2], 0.01);
    }

    @Test
    void topPDropsTheUnlikelyTail() {
        // ascending cumulative probabilities 0.032, 0.119, 0.356, 1.0: top_p 0.7 drops those <= 0.3
        double[] f = frequencies(sampling().topP(0.7).build(), 40_000);
        assertEquals(0, f[0]);
        assertEquals(0, f[1]);
        assertEquals(0.2689, f[2], 0.01);
        // top_p 0.5 drops those <= 0.5: only the largest remains
        f = frequencies(sampling().topP(0.5).build(), 1_000);
        assertEquals(1.0, f[3]);
    }
}
