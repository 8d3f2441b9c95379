package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code output_hidden_states}: numLayers + 1 states [B, T, H], the first the embedding output, the
 * last exactly what the head reads; asking for them leaves the logits unchanged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HiddenStatesTest {

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of(LlamaConfig.tiny().numLayers(3).build(), null, "lm_head"),
                Arguments.of(LlamaConfig.tiny().tieWordEmbeddings(true).build(), null, "lm_head"),
                Arguments.of(Gpt2Config.tiny().build(), null, "lm_head"),
                Arguments.of(BertConfig.tiny().numLayers(3).build(), "BertForMaskedLM", "cls"),
                Arguments.of(BertConfig.tiny().build(), null, "pooler+classifier"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("models")
    void lastStateIsWhatTheHeadReads(ModelConfig config, String architecture, String head) {
        try (PretrainedModel model = ModelFactory.create(config, architecture, manager, 5);
                NDManager sub = manager.newSubManager()) {
            TestSupport.randomize(model.block(), 6);
            Batches batch = Batches.random(config.vocabSize(), new int[] {5, 3}, architecture == null, 7);
            ParameterStore ps = new ParameterStore(sub, false);
            NDList inputs = batch.inputs(sub);
            HiddenStates.Output out = HiddenStates.forward(model.block(), ps, inputs, false);
            NDArray plain = model.block().forward(ps, inputs, false).head();

            assertEquals(1, out.outputs().size());
            assertArrayEquals(plain.toFloatArray(), out.logits().toFloatArray(), 0f, "the request changes nothing");
            List<NDArray> states = out.hiddenStates();
            assertEquals(config.numLayers() + 1, states.size());
            for (NDArray s : states) {
                assertEquals(new Shape(2, 5, config.hiddenSize()), s.getShape());
            }
            NDArray last = states.get(states.size() - 1);
            NDArray fromLast = head(model.block(), head, ps, last);
            assertArrayEquals(out.logits().toFloatArray(), fromLast.toFloatArray(), 0f);
            for (int i = 1; i < states.size(); i++) {
                assertTrue(states.get(i).sub(states.get(i - 1)).abs().max().getFloat() > 1e-3,
                        "state " + i + " differs from state " + (i - 1));
            }
        }
    }

    private static NDArray head(Block model, String head, ParameterStore ps, NDArray last) {
        ModuleTree tree = ModuleTree.of(model);
        if (head.equals("pooler+classifier")) {
            NDArray pooled = tree.get("bert.pooler").forward(ps, new NDList(last), false).head();
            return tree.get("classifier").forward(ps, new NDList(pooled), false).head();
        }
        return tree.get(head).forward(ps, new NDList(last), false).head();
    }

    @Test
    void firstStateIsTheEmbeddingOutput() {
        try (PretrainedModel llama = ModelFactory.create(LlamaConfig.tiny().build(), manager, 1);
                PretrainedModel gpt2 = ModelFactory.create(Gpt2Config.tiny().dropout(0).build(), manager, 2);
                NDManager sub = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(sub, false);
            NDArray ids = sub.create(new long[][] {{3, 9, 27, 81}});
            NDArray first = HiddenStates.forward(llama.block(), ps, new NDList(ids), false).hiddenStates().get(0);
            NDArray embed = ModuleTree.of(llama.block()).get("model.embed_tokens").forward(ps, new NDList(ids), false).head();
            assertArrayEquals(embed.toFloatArray(), first.toFloatArray(), 0f);

            first = HiddenStates.forward(gpt2.block(), ps, new NDList(ids), false).hiddenStates().get(0);
            ModuleTree tree = ModuleTree.of(gpt2.block());
            NDArray wte = tree.get("transformer.wte").forward(ps, new NDList(ids), false).head();
            NDArray wpe = tree.get("transformer.wpe").forward(ps, new NDList(sub.arange(4L).expandDims(0)), false).head();
            assertArrayEquals(wte.add(wpe).toFloatArray(), first.toFloatArray(), 1e-7f);
        }
    }

    @Test
    void aBlockThatIsNoModelIsRefused() {
        Linear linear = Linear.builder().setUnits(2).build();
        try (NDManager sub = manager.newSubManager()) {
            assertThrows(PeftCompatibilityException.class, () -> HiddenStates.forward(linear,
                    new ParameterStore(sub, false), new NDList(sub.ones(new Shape(1, 2))), false));
        }
    }
}
