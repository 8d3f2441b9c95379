package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.reference.BertReference;
import io.github.peft4j.models.reference.Gpt2Reference;
import io.github.peft4j.models.reference.LlamaReference;
import io.github.peft4j.models.reference.RowInput;
import io.github.peft4j.models.reference.Weights;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tuners replace modules by path (core's block surgery); the replacement must be what the forward
 * runs. A wrapper that doubles a projection's output must give the reference forward with that
 * projection's weight and bias doubled.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlockSurgeryCompatibilityTest {

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    static Stream<Arguments> targets() {
        return Stream.of(
                Arguments.of(LlamaConfig.tiny().attentionBias(true).build(), "model.layers.1.self_attn.q_proj"),
                Arguments.of(LlamaConfig.tiny().build(), "model.layers.0.self_attn.v_proj"),
                Arguments.of(LlamaConfig.tiny().build(), "model.layers.0.mlp.down_proj"),
                Arguments.of(LlamaConfig.tiny().build(), "lm_head"),
                Arguments.of(Gpt2Config.tiny().build(), "transformer.h.1.attn.c_attn"),
                Arguments.of(Gpt2Config.tiny().build(), "transformer.h.0.mlp.c_fc"),
                Arguments.of(BertConfig.tiny().build(), "bert.encoder.layer.1.attention.self.value"),
                Arguments.of(BertConfig.tiny().build(), "classifier"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("targets")
    void aReplacedProjectionIsTheOneThatRuns(ModelConfig config, String path) {
        try (PretrainedModel model = ModelFactory.create(config, manager, 71)) {
            TestSupport.randomize(model.block(), 72);
            Weights plain = Weights.of(model.block());
            Weights doubled = plain.scaled(path + ".weight", 2);
            if (doubled.has(path + ".bias")) {
                doubled = doubled.scaled(path + ".bias", 2);
            }
            Block original = ModuleTree.of(model.block()).get(path);
            Doubled wrapper = new Doubled(original);
            BlockSurgery.replace(model.block(), path, wrapper);
            assertSame(wrapper, ModuleTree.of(model.block()).get(path));

            long[] ids = {3, 14, 15, 92, 65};
            float[] out = TestSupport.forward(model.block(), manager, new NDList(manager.create(new long[][] {ids})));
            double[] expected = reference(config, doubled, new RowInput(ids));
            double diff = TestSupport.maxAbsDiff(out, expected);
            assertTrue(diff < 1e-5, path + ": " + diff);
            assertTrue(TestSupport.maxAbsDiff(out, reference(config, plain, new RowInput(ids))) > 1e-3,
                    "doubling changes the output");
        }
    }

    private static double[] reference(ModelConfig config, Weights w, RowInput row) {
        if (config instanceof LlamaConfig l) {
            return flatten(new LlamaReference(l, w).forward(row));
        }
        if (config instanceof Gpt2Config g) {
            return flatten(new Gpt2Reference(g, w).forward(row));
        }
        return new BertReference((BertConfig) config, w).forward(row);
    }

    private static double[] flatten(double[][] rows) {
        double[] out = new double[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * rows[0].length, rows[0].length);
        }
        return out;
    }

    /** A stand-in adapter layer: the wrapped projection's output, doubled. */
    static final class Doubled extends AbstractBlock {
        private final Block base;

        Doubled(Block base) {
            this.base = addChildBlock("base_layer", base);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
            return new NDList(base.forward(ps, in, training, params).head().mul(2));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return base.getOutputShapes(inputShapes);
        }
    }
}
