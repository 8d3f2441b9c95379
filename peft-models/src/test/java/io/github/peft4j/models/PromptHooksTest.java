package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.GenerationResult;
import io.github.peft4j.models.generation.Generator;
import io.github.peft4j.models.reference.BertReference;
import io.github.peft4j.models.reference.Gpt2Reference;
import io.github.peft4j.models.reference.LlamaReference;
import io.github.peft4j.models.reference.RowInput;
import io.github.peft4j.models.reference.Weights;
import io.github.peft4j.models.testtuner.TestPromptConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The prompt-method hooks: virtual-token embeddings and per-layer key/value prefixes given in the
 * forward context change the forward exactly as the reference equations with {@code inputs_embeds}
 * and {@code past_key_values} say, directly and through a PeftModel, and in cached generation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PromptHooksTest {

    static final int VIRTUAL = 3;

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    static Stream<Arguments> configs() {
        return Stream.of(Arguments.of("llama GQA", LlamaConfig.tiny().build()),
                Arguments.of("gpt2", Gpt2Config.tiny().build()),
                Arguments.of("bert", BertConfig.tiny().numLabels(2).build()));
    }

    private static double[][] gaussian(Random random, int rows, int cols, double std) {
        double[][] out = new double[rows][cols];
        for (double[] row : out) {
            for (int i = 0; i < cols; i++) {
                row[i] = random.nextGaussian() * std;
            }
        }
        return out;
    }

    private NDArray array(double[][] values) {
        float[] flat = new float[values.length * values[0].length];
        for (int r = 0; r < values.length; r++) {
            for (int c = 0; c < values[0].length; c++) {
                flat[r * values[0].length + c] = (float) values[r][c];
            }
        }
        return manager.create(flat, new Shape(values.length, values[0].length));
    }

    private float[] forwardWith(Block block, NDList inputs, ForwardContext ctx) {
        try (NDManager sub = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(sub, false);
            return block.forward(ps, inputs, false, ctx.addTo(null)).head().toFloatArray();
        }
    }

    private Function<RowInput, double[]> referenceOf(PretrainedModel model) {
        Weights w = Weights.of(model.block());
        ModelConfig c = model.config();
        if (c instanceof LlamaConfig l) {
            LlamaReference ref = new LlamaReference(l, w);
            return row -> flatten(ref.forward(row));
        }
        if (c instanceof Gpt2Config g) {
            Gpt2Reference ref = new Gpt2Reference(g, w);
            return row -> flatten(ref.forward(row));
        }
        BertReference ref = new BertReference((BertConfig) c, w);
        return ref::forward;
    }

    private static double[] flatten(double[][] rows) {
        double[] out = new double[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * rows[0].length, rows[0].length);
        }
        return out;
    }

    /** Compares each row's output with the reference, skipping positions whose mask is 0. */
    private static void assertRowsMatch(float[] out, List<RowInput> rows, Function<RowInput, double[]> reference,
            int perPosition, boolean causal) {
        int per = out.length / rows.size();
        for (int r = 0; r < rows.size(); r++) {
            double[] expected = reference.apply(rows.get(r));
            assertEquals(per, expected.length);
            long[] mask = rows.get(r).mask;
            for (int i = 0; i < per; i++) {
                int position = i / perPosition - (causal ? expected.length / perPosition - mask.length : 0);
                if (causal && position >= 0 && mask[position] == 0) {
                    continue;
                }
                assertEquals(expected[i], out[r * per + i], 1e-5, "row " + r + " element " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void virtualTokensArePrependedEmbeddings(String name, ModelConfig config) {
        try (PretrainedModel model = ModelFactory.create(config, manager, 31)) {
            TestSupport.randomize(model.block(), 32);
            boolean causal = config.isCausalLm();
            double[][] prompts = gaussian(new Random(33), VIRTUAL, config.hiddenSize(), 1 / Math.sqrt(config.hiddenSize()));
            Batches batch = Batches.random(config.vocabSize(), new int[] {5, 3}, causal, 34);
            ForwardContext ctx = ForwardContext.empty().with(VirtualTokens.KEY,
                    new VirtualTokens(array(prompts).expandDims(0)));
            float[] out = forwardWith(model.block(), batch.inputs(manager), ctx);
            int perPosition = causal ? config.vocabSize() : 2;
            assertEquals(2 * (causal ? (VIRTUAL + 5) * config.vocabSize() : 2), out.length,
                    "outputs cover the virtual positions");
            List<RowInput> rows = batch.rowInputs();
            rows.forEach(r -> r.virtual(prompts));
            assertRowsMatch(out, rows, referenceOf(model), perPosition, causal);

            // a mask that already has ones for the virtual tokens (as PEFT builds it) gives the same
            NDList extended = new NDList(batch.idsArray(manager),
                    manager.ones(new Shape(2, VIRTUAL), batch.maskArray(manager).getDataType())
                            .concat(batch.maskArray(manager), 1));
            assertArrayEquals(out, forwardWith(model.block(), extended, ctx));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void prefixesAreAPastCacheOfEveryLayer(String name, ModelConfig config) {
        try (PretrainedModel model = ModelFactory.create(config, manager, 41)) {
            TestSupport.randomize(model.block(), 42);
            boolean causal = config.isCausalLm();
            PromptLearningModel lm = (PromptLearningModel) model.block();
            int layers = lm.numLayers();
            int kv = lm.numKeyValueHeads();
            int d = lm.headDim();
            Random random = new Random(43);
            double[][][][] pastK = new double[layers][kv][][];
            double[][][][] pastV = new double[layers][kv][][];
            List<NDArray> keys = new ArrayList<>();
            List<NDArray> values = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                NDList k = new NDList();
                NDList v = new NDList();
                for (int h = 0; h < kv; h++) {
                    pastK[l][h] = gaussian(random, VIRTUAL, d, 1);
                    pastV[l][h] = gaussian(random, VIRTUAL, d, 1);
                    k.add(array(pastK[l][h]));
                    v.add(array(pastV[l][h]));
                }
                keys.add(stackHeads(k));
                values.add(stackHeads(v));
            }
            Batches batch = Batches.random(config.vocabSize(), new int[] {5, 3}, causal, 44);
            ForwardContext ctx = ForwardContext.empty().with(PrefixKeyValues.KEY, new PrefixKeyValues(keys, values));
            float[] out = forwardWith(model.block(), batch.inputs(manager), ctx);
            List<RowInput> rows = batch.rowInputs();
            rows.forEach(r -> r.past(pastK, pastV));
            assertRowsMatch(out, rows, referenceOf(model), causal ? config.vocabSize() : 2, causal);
        }
    }

    /** [kv, n, d] stacked and given a batch axis of 1: [1, kv, n, d]. */
    private static NDArray stackHeads(NDList heads) {
        return ai.djl.ndarray.NDArrays.stack(heads, 0).expandDims(0);
    }

    @ParameterizedTest(name = "prefix={0}")
    @ValueSource(booleans = {false, true})
    @SuppressWarnings("try")
    void promptAdaptersWorkThroughPeftModelAndCachedGeneration(boolean prefix) {
        LlamaConfig config = LlamaConfig.tiny().build();
        try (PretrainedModel base = ModelFactory.create(config, manager, 51)) {
            TestSupport.randomize(base.block(), 52);
            List<long[]> prompts = List.of(new long[] {3, 4, 5, 6}, new long[] {9, 10});
            GenerationConfig traced = GenerationConfig.builder().maxNewTokens(4).eosTokenIds(-1).outputLogits(true).build();
            GenerationResult plain = Generator.generate(base.block(), prompts, traced);
            try (PeftModel peft = PeftModel.create(base.block(),
                    TestPromptConfig.builder().prefix(prefix).numVirtualTokens(VIRTUAL).build())) {
                GenerationResult adapted = Generator.generate(peft, prompts, traced);
                assertTrue(TestSupport.maxAbsDiff(plain.logits().get(0)[0], adapted.logits().get(0)[0]) > 1e-3,
                        "the adapter changes the output");
                // every cached step equals the full forward of the PeftModel (hooks applied at the prompt step only)
                for (int step = 0; step < 4; step++) {
                    for (int r = 0; r < prompts.size(); r++) {
                        long[] seq = concat(prompts.get(r), Arrays.copyOf(adapted.tokens().get(r), step));
                        float[] full = TestSupport.forward(peft, manager, new NDList(manager.create(new long[][] {seq})));
                        float[] last = Arrays.copyOfRange(full, full.length - config.vocabSize(), full.length);
                        double diff = TestSupport.maxAbsDiff(adapted.logits().get(step)[r], last);
                        assertTrue(diff < 1e-5, "step " + step + " row " + r + ": " + diff);
                    }
                }
                try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
                    GenerationResult disabled = Generator.generate(peft, prompts, traced);
                    for (int r = 0; r < prompts.size(); r++) {
                        assertArrayEquals(plain.tokens().get(r), disabled.tokens().get(r));
                        for (int step = 0; step < 4; step++) {
                            assertArrayEquals(plain.logits().get(step)[r], disabled.logits().get(step)[r]);
                        }
                    }
                }
            }
        }
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
