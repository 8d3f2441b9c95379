package io.github.peft4j.models.generation;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Random;

/**
 * Picks the next token from one row of logits, in Java: transformers' repetition penalty, then
 * {@code argmax} for greedy decoding, else transformers' warpers in their order (temperature, top-k,
 * top-p) and a draw from the softmax with a seeded generator, so a seed gives the same text on every
 * engine and device.
 */
final class TokenChooser {

    private final GenerationConfig config;
    private final Random random;

    TokenChooser(GenerationConfig config) {
        this.config = config;
        this.random = new Random(config.seed());
    }

    int choose(float[] logits, int offset, int vocab) {
        return choose(logits, offset, vocab, List.of());
    }

    /**
     * @param logits the step's logits, rows side by side
     * @param offset where this row's start
     * @param vocab the vocabulary size
     * @param seen the row's tokens so far (prompt and generated), for the repetition penalty
     * @return the chosen token
     */
    int choose(float[] logits, int offset, int vocab, Collection<Long> seen) {
        double penalty = config.repetitionPenalty();
        if (!config.doSample() && (penalty == 1.0 || seen.isEmpty())) {
            return argMax(logits, offset, vocab);
        }
        double[] scores = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            scores[i] = logits[offset + i];
        }
        if (penalty != 1.0) {
            penalize(scores, seen, penalty);
        }
        if (!config.doSample()) {
            return argMax(scores);
        }
        for (int i = 0; i < vocab; i++) {
            scores[i] /= config.temperature();
        }
        if (config.topK() > 0 && config.topK() < vocab) {
            keepTopK(scores, config.topK());
        }
        if (config.topP() < 1.0) {
            keepTopP(scores, config.topP());
        }
        return sample(scores);
    }

    /**
     * transformers' RepetitionPenaltyLogitsProcessor: each token already present, once, has its score
     * divided by the penalty when positive and multiplied by it when negative.
     */
    static void penalize(double[] scores, Collection<Long> seen, double penalty) {
        for (long token : new HashSet<>(seen)) {
            if (token >= 0 && token < scores.length) {
                int t = (int) token;
                scores[t] = scores[t] < 0 ? scores[t] * penalty : scores[t] / penalty;
            }
        }
    }

    static int argMax(double[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }

    static int argMax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    /** transformers' TopKLogitsWarper: drop scores below the k-th largest (ties kept). */
    static void keepTopK(double[] scores, int k) {
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        double threshold = sorted[sorted.length - k];
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < threshold) {
                scores[i] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * transformers' TopPLogitsWarper: sort ascending, drop the tokens whose cumulative probability
     * is at most {@code 1 - topP}, always keeping the most likely one.
     */
    static void keepTopP(double[] scores, double topP) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        double[] probs = softmax(scores);
        double cumulative = 0;
        for (int rank = 0; rank < order.length - 1; rank++) {
            cumulative += probs[order[rank]];
            if (cumulative <= 1 - topP) {
                scores[order[rank]] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    private int sample(double[] scores) {
        double[] probs = softmax(scores);
        double u = random.nextDouble();
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last;
    }

    static double[] softmax(double[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            max = Math.max(max, s);
        }
        double[] out = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            out[i] = scores[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(scores[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= sum;
        }
        return out;
    }
}
