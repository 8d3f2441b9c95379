package io.github.peft4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.models.CausalLM;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.train.optim.Gradients;
import io.github.peft4j.train.testing.GradientRun;
import io.github.peft4j.train.testing.RandomAdapters;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chunked loss against {@link CausalLmLoss}: the same value and the same adapter gradients. */
class ChunkedCausalLmLossTest {

    // row 0 scores from the second token on (a prompt of one), row 1 is padded after 5 tokens
    static final long[] IDS = {5, 17, 3, 99, 42, 8, 61, 2, 11, 4, 7, 120, 0, 0};
    static final long[] MASK = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    static final long[] LABELS = {-100, 17, 3, 99, 42, 8, 61, 2, 11, -100, 7, 120, -100, -100};

    static ModelConfig llama(boolean tied) {
        return LlamaConfig.tiny().tieWordEmbeddings(tied).build();
    }

    static ModelConfig gemma2() {
        return LlamaConfig.tiny("gemma2").attnLogitSoftcapping(2.0).finalLogitSoftcapping(3.0).build();
    }

    /** A model with random adapters (B non-zero, so every adapter tensor gets a gradient). */
    static PeftModel adapted(ModelConfig config, NDManager m, String... targets) {
        return RandomAdapters.lowRank(config, m, 0, targets);
    }

    static GradientRun run(PeftModel peft, NDManager m, TrainingObjectiveLike loss, NDArray... moreLeaves) {
        List<Parameter> params = peft.trainableParameters();
        Gradients.zero(params);
        ParameterStore ps = new ParameterStore(m, false);
        try (NDManager bm = m.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDList inputs = new NDList(bm.create(IDS, new Shape(2, 7)), bm.create(MASK, new Shape(2, 7)));
            NDArray labels = bm.create(LABELS, new Shape(2, 7));
            // GPT-2's dropout draws the same masks in both runs
            Engine.getInstance().setRandomSeed(3);
            NDArray value = loss.compute(peft, ps, inputs, labels);
            gc.backward(value);
            return GradientRun.read(value.getFloat(), params, moreLeaves);
        }
    }

    interface TrainingObjectiveLike {
        NDArray compute(Block model, ParameterStore ps, NDList inputs, NDArray labels);
    }

    static final TrainingObjectiveLike ORDINARY =
            (model, ps, inputs, labels) -> new CausalLmLoss().compute(model.forward(ps, inputs, true), labels);

    static TrainingObjectiveLike chunked(int rows) {
        return (model, ps, inputs, labels) -> CausalLmLoss.chunked(rows).loss(model, ps, inputs, labels, true);
    }

    static void assertSameAsOrdinary(ModelConfig config, String... targets) {
        try (NDManager m = NDManager.newBaseManager(); PeftModel peft = adapted(config, m, targets)) {
            GradientRun expected = run(peft, m, ORDINARY);
            for (int rows : new int[] {1, 3, 5, 64}) {
                assertSameRun(expected, run(peft, m, chunked(rows)), rows);
            }
        }
    }

    static void assertSameRun(GradientRun expected, GradientRun actual, int rows) {
        assertTrue(expected.loss() > 1, "a random model's loss: " + expected.loss());
        GradientRun.assertSame(expected, actual, rows + " rows");
    }

    /** Prompt tuning's virtual tokens in front: the labels get ignored positions in front, as PEFT pads them. */
    @Test
    void virtualTokensInFront() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel peft = adapted(llama(false), m, "q_proj", "v_proj")) {
            NDArray[] prompts = new NDArray[2];
            GradientRun[] runs = new GradientRun[2];
            for (int k = 0; k < 2; k++) {
                Engine.getInstance().setRandomSeed(21);
                prompts[k] = m.randomNormal(new Shape(1, 3, 64));
                prompts[k].setRequiresGradient(true);
                try (ForwardContext.Scope s = ForwardContext.empty()
                        .with(VirtualTokens.KEY, new VirtualTokens(prompts[k])).activate()) {
                    runs[k] = run(peft, m, k == 0 ? ORDINARY : chunked(4), prompts[k]);
                }
            }
            assertSameRun(runs[0], runs[1], 4);
        }
    }

    @Test
    void llamaUntiedHead() {
        assertSameAsOrdinary(llama(false), "q_proj", "v_proj", "down_proj");
    }

    @Test
    void llamaTiedHead() {
        assertSameAsOrdinary(llama(true), "q_proj", "v_proj", "down_proj");
    }

    @Test
    void gemma2WithFinalLogitSoftcapping() {
        assertSameAsOrdinary(gemma2(), "q_proj", "v_proj", "up_proj");
    }

    @Test
    void gpt2() {
        assertSameAsOrdinary(Gpt2Config.tiny().build(), "c_attn", "c_fc");
    }

    @Test
    void refusesAHeadThatTrains() {
        try (NDManager m = NDManager.newBaseManager()) {
            Block plain = ModelFactory.create(llama(false), m, 7).block();
            assertEquals("the lm_head weight requires gradient (the base model is not frozen, or the tied embeddings"
                    + " train); the chunked loss needs a frozen head, use CausalLmLoss",
                    ChunkedCausalLmLoss.unsupportedReason(plain).orElseThrow());
            try (PeftModel onHead = adapted(llama(false), m, "q_proj", "lm_head")) {
                assertTrue(ChunkedCausalLmLoss.unsupportedReason(onHead).orElseThrow()
                        .startsWith("lm_head is a LowRankLayer, not the frozen base head"));
            }
            try (PeftModel tied = adapted(llama(true), m, "q_proj")) {
                assertTrue(ChunkedCausalLmLoss.unsupportedReason(tied).isEmpty());
                CausalLM.find(tied).orElseThrow().wordEmbeddings().freeze(false);
                PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                        () -> run(tied, m, chunked(4)));
                assertTrue(e.getMessage().startsWith("the word embeddings the lm_head is tied to"), e.getMessage());
            }
        }
    }
}
