package io.github.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.CausalLM;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.TestSupport;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.generation.DecodeBatch;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.GenerationResult;
import io.github.peft4j.models.generation.Generator;
import io.github.peft4j.models.generation.KvCache;
import io.github.peft4j.models.generation.SequenceDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A decoder {@code BertLMHeadModel} (is_decoder) generates with a KV cache as its full forward computes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BertGenerationTest {

    static final double TOLERANCE = 1e-5;
    static final List<long[]> PROMPTS = List.of(new long[] {5, 17, 33, 2, 9, 41, 8}, new long[] {12, 3},
            new long[] {7, 7, 30, 19});

    private NDManager manager;
    private PretrainedModel model;
    private int vocab;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
        BertConfig config = BertConfig.tiny().isDecoder(true).dropout(0).build();
        vocab = config.vocabSize();
        model = ModelFactory.create(config, BertLMHeadModel.ARCHITECTURE, manager, 31);
        TestSupport.randomize(model.block(), 32);
    }

    @AfterAll
    void tearDown() {
        model.close();
        manager.close();
    }

    /** The last position's logits of a plain forward (no cache) of each row. */
    private float[] fullLastLogits(long[] ids) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray logits = model.block().forward(new ParameterStore(sub, false),
                    new NDList(sub.create(ids, new Shape(1, ids.length))), false).head();
            return logits.get(":, -1, :").toFloatArray();
        }
    }

    static GenerationConfig traced(int tokens) {
        return GenerationConfig.builder().maxNewTokens(tokens).eosTokenIds(-1).outputLogits(true).build();
    }

    @Test
    void everyCachedStepGivesTheLogitsOfTheFullForward() {
        assertTrue(CausalLM.find(model.block()).isPresent());
        for (long[] prompt : PROMPTS) {
            GenerationResult out = Generator.generate(model.block(), List.of(prompt), traced(6));
            long[] generated = out.tokens().get(0);
            assertEquals(6, generated.length);
            for (int step = 0; step < 6; step++) {
                long[] seen = Arrays.copyOf(prompt, prompt.length + step);
                System.arraycopy(generated, 0, seen, prompt.length, step);
                double diff = TestSupport.maxAbsDiff(out.logits().get(step)[0], fullLastLogits(seen));
                assertTrue(diff < TOLERANCE, "step " + step + ": " + diff);
                assertTrue(diff > 0 || step == 0, "suspicious exact equality at step " + step);
            }
        }
    }

    @Test
    void aCacheExtendedByHandGivesEveryPositionOfTheFullForward() {
        long[] ids = {5, 17, 33, 2, 9, 41, 8, 11};
        try (NDManager sub = manager.newSubManager(); KvCache cache = new KvCache(sub)) {
            ParameterStore ps = new ParameterStore(sub, false);
            NDArray full = model.block().forward(ps, new NDList(sub.create(ids, new Shape(1, ids.length))), false).head();
            ForwardContext ctx = ForwardContext.empty().with(KvCache.KEY, cache);
            List<NDArray> parts = new ArrayList<>();
            parts.add(model.block().forward(ps, new NDList(sub.create(Arrays.copyOf(ids, 5), new Shape(1, 5))), false,
                    ctx.addTo(null)).head());
            for (int t = 5; t < ids.length; t++) {
                parts.add(model.block().forward(ps, new NDList(sub.create(new long[] {ids[t]}, new Shape(1, 1))), false,
                        ctx.addTo(null)).head());
            }
            assertEquals(ids.length, cache.length());
            NDArray stepwise = new NDList(parts).stream().reduce((a, b) -> a.concat(b, 1)).orElseThrow();
            double diff = TestSupport.maxAbsDiff(full.toFloatArray(), stepwise.toFloatArray());
            assertTrue(diff < TOLERANCE, "cached vs full: " + diff);
        }
    }

    @Test
    void leftPaddedBatchEqualsOneByOne() {
        GenerationResult batch = Generator.generate(model.block(), PROMPTS, traced(5));
        for (int r = 0; r < PROMPTS.size(); r++) {
            GenerationResult single = Generator.generate(model.block(), List.of(PROMPTS.get(r)), traced(5));
            assertArrayEquals(single.tokens().get(0), batch.tokens().get(r), "row " + r);
            for (int step = 0; step < 5; step++) {
                double diff = TestSupport.maxAbsDiff(single.logits().get(step)[0], batch.logits().get(step)[r]);
                assertTrue(diff < TOLERANCE, "row " + r + " step " + step + ": " + diff);
            }
        }
    }

    @Test
    void batchedDecodeStepsGiveTheSequentialLogits() {
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(8).eosTokenIds(-1).build();
        DecodeBatch batch = new DecodeBatch(model.block(), 4);
        List<SequenceDecoder> rows = new ArrayList<>();
        for (long[] p : PROMPTS) {
            SequenceDecoder d = new SequenceDecoder(model.block(), ForwardContext.empty(), greedy);
            d.prefill(p);
            rows.add(d);
        }
        float[][] step = batch.stepLogits(rows);
        for (int r = 0; r < PROMPTS.size(); r++) {
            GenerationResult ref = Generator.generate(model.block(), List.of(PROMPTS.get(r)), traced(2));
            double diff = TestSupport.maxAbsDiff(step[r], ref.logits().get(1)[0]);
            assertTrue(diff < 1e-4, "row " + r + ": " + diff);
        }
        rows.forEach(SequenceDecoder::close);
    }

    @Test
    void aBidirectionalModelRefusesToGenerate() {
        try (PretrainedModel bidirectional = ModelFactory.create(BertConfig.tiny().build(), BertLMHeadModel.ARCHITECTURE,
                manager, 3)) {
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> Generator.generate(bidirectional.block(), List.of(PROMPTS.get(0)), traced(2)));
            assertTrue(e.getMessage().contains("is_decoder"), e.getMessage());
        }
    }
}
