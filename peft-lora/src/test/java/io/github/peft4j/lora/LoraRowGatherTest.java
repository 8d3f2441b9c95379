package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.tuner.GatheredBatch;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.generation.DecodeBatch;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.SequenceDecoder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LoRA rows of batched decode steps (Punica's BGMV): each row's floats are its own, bit for bit. */
class LoraRowGatherTest {

    private static final List<long[]> PROMPTS = List.of(new long[] {5, 17, 33, 2, 9}, new long[] {60, 7},
            new long[] {1, 2, 3, 4, 5, 6, 7}, new long[] {11}, new long[] {40, 41, 42}, new long[] {8, 9});
    /** Ranks 2, 4 and 3; 'code' targets layers the others do not; base rows among them. */
    private static final List<String> ROUTES = List.of("sql", "chat", AdapterRouting.BASE, "code", "sql", "chat");

    private NDManager manager;
    private PretrainedModel base;
    private PeftModel model;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(29);
        base = ModelFactory.create(LlamaConfig.tiny().build(), manager, 21);
        model = PeftModel.create(base.block(), LoraConfig.builder().r(2).loraAlpha(8).initLoraWeights(false)
                .targetModules("q_proj", "v_proj").build(), "sql");
        model.addAdapter("chat", LoraConfig.builder().r(4).loraAlpha(4).initLoraWeights(false)
                .targetModules("v_proj", "down_proj").build());
        model.addAdapter("code", LoraConfig.builder().r(3).initLoraWeights(false).targetModules("o_proj").build());
    }

    @AfterEach
    void tearDown() {
        model.close();
        base.close();
        manager.close();
    }

    private List<SequenceDecoder> prefilled(List<Integer> rows) {
        List<SequenceDecoder> out = new ArrayList<>();
        for (int r : rows) {
            ForwardContext ctx = ForwardContext.empty().with(AdapterRouting.KEY, new AdapterRouting(List.of(ROUTES.get(r))));
            SequenceDecoder d = new SequenceDecoder(model, ctx,
                    GenerationConfig.builder().maxNewTokens(64).eosTokenIds(-1).build());
            d.prefill(PROMPTS.get(r));
            out.add(d);
        }
        return out;
    }

    @Test
    void eachAdaptersRowIsTheRowAloneBitForBit() {
        DecodeBatch batch = new DecodeBatch(model, 8);
        List<SequenceDecoder> together = prefilled(List.of(0, 1, 2, 3, 4, 5));
        List<SequenceDecoder> shuffled = prefilled(List.of(3, 5, 0, 2, 4, 1));
        float[][] all = batch.stepLogits(together);
        float[][] other = batch.stepLogits(shuffled);
        List<Integer> order = List.of(3, 5, 0, 2, 4, 1);
        for (int r = 0; r < PROMPTS.size(); r++) {
            List<SequenceDecoder> alone = prefilled(List.of(r));
            float[] single = batch.stepLogits(alone)[0];
            assertArrayEquals(single, all[r], "row " + r + " (" + ROUTES.get(r) + ") among others");
            assertArrayEquals(single, other[order.indexOf(r)], "row " + r + " among other neighbours");
            alone.forEach(SequenceDecoder::close);
        }
        together.forEach(SequenceDecoder::close);
        shuffled.forEach(SequenceDecoder::close);
    }

    @Test
    void batchedGreedyTokensAreThoseOfTheMixedBatchPath() {
        DecodeBatch batch = new DecodeBatch(model, 8);
        List<SequenceDecoder> batched = prefilled(List.of(0, 1, 2, 3, 4, 5));
        List<SequenceDecoder> perRow = prefilled(List.of(0, 1, 2, 3, 4, 5));
        for (int step = 0; step < 6; step++) {
            long[] next = batch.next(batched);
            for (int r = 0; r < PROMPTS.size(); r++) {
                assertTrue(next[r] == perRow.get(r).next(), "row " + r + " step " + step);
            }
        }
        batched.forEach(SequenceDecoder::close);
        perRow.forEach(SequenceDecoder::close);
    }

    @Test
    void doraAndLoraBiasAdaptersAreDecodedAlone() {
        model.addAdapter("dora", LoraConfig.builder().r(2).useDora(true).targetModules("q_proj").build());
        model.addAdapter("biased", LoraConfig.builder().r(2).loraBias(true).targetModules("q_proj").build());
        assertTrue(GatheredBatch.supportsAdapter(model.tunerLayers(), "sql"));
        assertTrue(GatheredBatch.supportsAdapter(model.tunerLayers(), "code"));
        assertFalse(GatheredBatch.supportsAdapter(model.tunerLayers(), "dora"));
        assertFalse(GatheredBatch.supportsAdapter(model.tunerLayers(), "biased"));
    }
}
