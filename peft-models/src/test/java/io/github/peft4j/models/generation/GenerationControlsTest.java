package io.github.peft4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.TestSupport;
import io.github.peft4j.models.config.LlamaConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** transformers' repetition penalty and stop strings in {@link Generator} and {@link SequenceDecoder}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenerationControlsTest {

    private static final List<long[]> PROMPTS = List.of(new long[] {5, 17, 33, 2, 9}, new long[] {60, 7});
    /** Two letters per token, so that a stop string can end inside a token. */
    private static final Function<long[], String> LETTERS = ids -> {
        StringBuilder text = new StringBuilder();
        for (long id : ids) {
            text.append((char) ('a' + id % 26)).append((char) ('A' + id / 26 % 26));
        }
        return text.toString();
    };

    private NDManager manager;
    private PretrainedModel model;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
        model = ModelFactory.create(LlamaConfig.tiny().build(), manager, 31);
        TestSupport.randomize(model.block(), 32);
    }

    @AfterAll
    void tearDown() {
        model.close();
        manager.close();
    }

    private static GenerationConfig.Builder greedy(int tokens) {
        return GenerationConfig.builder().maxNewTokens(tokens).eosTokenIds(-1).outputLogits(true);
    }

    @Test
    void penaltyDividesPositiveAndMultipliesNegativeScoresOfSeenTokensOnce() {
        double[] scores = {2.0, -2.0, 1.0, 3.0};
        TokenChooser.penalize(scores, List.of(0L, 1L, 0L, 0L), 2.0);
        assertArrayEquals(new double[] {1.0, -4.0, 1.0, 3.0}, scores, 0.0);
    }

    @Test
    void eachGreedyStepIsTheArgmaxOfThePenalizedLogits() {
        long[] prompt = PROMPTS.get(0);
        GenerationResult plain = Generator.generate(model.block(), List.of(prompt), greedy(12).build());
        GenerationResult out = Generator.generate(model.block(), List.of(prompt), greedy(12).repetitionPenalty(3.0).build());
        List<Long> seen = new ArrayList<>();
        Arrays.stream(prompt).forEach(seen::add);
        long[] tokens = out.tokens().get(0);
        for (int step = 0; step < tokens.length; step++) {
            float[] raw = out.logits().get(step)[0];
            double[] scores = new double[raw.length];
            for (int i = 0; i < raw.length; i++) {
                scores[i] = raw[i];
            }
            TokenChooser.penalize(scores, seen, 3.0);
            assertEquals(TokenChooser.argMax(scores), tokens[step], "step " + step);
            seen.add(tokens[step]);
        }
        assertFalse(Arrays.equals(plain.tokens().get(0), tokens), "the penalty changes this greedy continuation");
    }

    @Test
    void thePenaltyIgnoresPaddingSoABatchDecodesLikeSingleRows() {
        GenerationConfig config = greedy(8).repetitionPenalty(1.8).build();
        GenerationResult batch = Generator.generate(model.block(), PROMPTS, config);
        for (int r = 0; r < PROMPTS.size(); r++) {
            GenerationResult single = Generator.generate(model.block(), List.of(PROMPTS.get(r)), config);
            assertArrayEquals(single.tokens().get(0), batch.tokens().get(r), "row " + r);
            try (SequenceDecoder decoder = new SequenceDecoder(model.block(), ForwardContext.empty(), config)) {
                long[] stepwise = new long[8];
                stepwise[0] = decoder.prefill(PROMPTS.get(r));
                for (int i = 1; i < 8; i++) {
                    stepwise[i] = decoder.next();
                }
                assertArrayEquals(single.tokens().get(0), stepwise, "SequenceDecoder row " + r);
            }
        }
    }

    @Test
    void aStopStringEndsTheRowAtTheTokenThatCompletesIt() {
        GenerationResult free = Generator.generate(model.block(), PROMPTS, greedy(10).build());
        long[] row0 = free.tokens().get(0);
        String text = LETTERS.apply(row0);
        // from the middle of token 2 into token 3: the stop string overhangs both ends of tokens
        String stop = text.substring(5, 7);
        int first = text.indexOf(stop);
        int stopToken = (first + stop.length() - 1) / 2;
        GenerationResult stopped = Generator.generate(model.block(), PROMPTS,
                greedy(10).stopStrings("zzzzzz", stop).build(), LETTERS);
        assertArrayEquals(Arrays.copyOf(row0, stopToken + 1), stopped.tokens().get(0));
        assertEquals(GenerationResult.FinishReason.STOP_STRING, stopped.finishReasons().get(0));
        long[] row1 = stopped.tokens().get(1);
        boolean row1Stops = LETTERS.apply(row1).contains(stop);
        assertEquals(row1Stops ? GenerationResult.FinishReason.STOP_STRING : GenerationResult.FinishReason.LENGTH,
                stopped.finishReasons().get(1));
        assertTrue(row1Stops || row1.length == 10);
    }

    @Test
    void aStopStringCountsOnlyOnceItIsCompleted() {
        StopStrings stop = StopStrings.of(List.of("bAcA"), LETTERS);
        assertFalse(stop.completedBy(new long[] {1}));        // "bA"
        assertTrue(stop.completedBy(new long[] {1, 2}));      // "bAcA"
        assertFalse(stop.completedBy(new long[] {1, 2, 3}));  // complete before token 3: not again
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(PeftConfigException.class, () -> GenerationConfig.builder().repetitionPenalty(0).build());
        assertThrows(PeftConfigException.class, () -> GenerationConfig.builder().stopStrings("").build());
        PeftConfigException e = assertThrows(PeftConfigException.class, () -> Generator.generate(model.block(),
                PROMPTS, greedy(3).stopStrings("x").build()));
        assertTrue(e.getMessage().contains("tokenizer"), e.getMessage());
    }
}
