package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.llama.LlamaForCausalLM;
import io.github.peft4j.models.reference.LlamaReference;
import io.github.peft4j.models.reference.RowInput;
import io.github.peft4j.models.reference.Weights;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checkpoints of the Llama-family architectures, written as transformers saves them (a
 * {@code config.json} text and random tensors under the Hugging Face key names spelled out here),
 * load tensor for tensor and give, on a left-padded batch, the logits of a float64 forward computed
 * from the raw safetensors tensors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlamaFamilyCheckpointsTest {

    static final int V = 64;
    static final int H = 32;
    static final int I = 48;

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    /** What a model type's layers hold, as transformers names it. */
    record Layout(String modelType, String extraConfig, int layers, int heads, int kvHeads, int headDim,
            boolean fused, boolean qkNorm, boolean gemmaNorms, boolean tied, boolean qkvBias) {

        String config() {
            return "{\"model_type\": \"" + modelType + "\", \"vocab_size\": " + V + ", \"hidden_size\": " + H
                    + ", \"intermediate_size\": " + I + ", \"num_hidden_layers\": " + layers
                    + ", \"num_attention_heads\": " + heads + ", \"num_key_value_heads\": " + kvHeads
                    + ", \"head_dim\": " + headDim + ", \"rms_norm_eps\": 1e-06, \"tie_word_embeddings\": " + tied
                    + ", \"max_position_embeddings\": 64" + extraConfig + "}";
        }

        Map<String, long[]> tensors() {
            Map<String, long[]> t = new LinkedHashMap<>();
            t.put("model.embed_tokens.weight", TestCheckpoints.shape(V, H));
            for (int i = 0; i < layers; i++) {
                String p = "model.layers." + i + ".";
                if (fused) {
                    t.put(p + "self_attn.qkv_proj.weight", TestCheckpoints.shape((heads + 2L * kvHeads) * headDim, H));
                } else {
                    t.put(p + "self_attn.q_proj.weight", TestCheckpoints.shape((long) heads * headDim, H));
                    t.put(p + "self_attn.k_proj.weight", TestCheckpoints.shape((long) kvHeads * headDim, H));
                    t.put(p + "self_attn.v_proj.weight", TestCheckpoints.shape((long) kvHeads * headDim, H));
                    if (qkvBias) {
                        t.put(p + "self_attn.q_proj.bias", TestCheckpoints.shape((long) heads * headDim));
                        t.put(p + "self_attn.k_proj.bias", TestCheckpoints.shape((long) kvHeads * headDim));
                        t.put(p + "self_attn.v_proj.bias", TestCheckpoints.shape((long) kvHeads * headDim));
                    }
                }
                t.put(p + "self_attn.o_proj.weight", TestCheckpoints.shape(H, (long) heads * headDim));
                if (qkNorm) {
                    t.put(p + "self_attn.q_norm.weight", TestCheckpoints.shape(headDim));
                    t.put(p + "self_attn.k_norm.weight", TestCheckpoints.shape(headDim));
                }
                if (fused) {
                    t.put(p + "mlp.gate_up_proj.weight", TestCheckpoints.shape(2L * I, H));
                } else {
                    t.put(p + "mlp.gate_proj.weight", TestCheckpoints.shape(I, H));
                    t.put(p + "mlp.up_proj.weight", TestCheckpoints.shape(I, H));
                }
                t.put(p + "mlp.down_proj.weight", TestCheckpoints.shape(H, I));
                t.put(p + "input_layernorm.weight", TestCheckpoints.shape(H));
                t.put(p + "post_attention_layernorm.weight", TestCheckpoints.shape(H));
                if (gemmaNorms) {
                    t.put(p + "pre_feedforward_layernorm.weight", TestCheckpoints.shape(H));
                    t.put(p + "post_feedforward_layernorm.weight", TestCheckpoints.shape(H));
                }
            }
            t.put("model.norm.weight", TestCheckpoints.shape(H));
            if (!tied) {
                t.put("lm_head.weight", TestCheckpoints.shape(V, H));
            }
            return t;
        }
    }

    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of("Qwen3ForCausalLM", new Layout("qwen3", "", 2, 4, 2, 16, false, true, false, false, false)),
                Arguments.of("Qwen3ForCausalLM", new Layout("qwen3", ", \"use_sliding_window\": true,"
                        + " \"sliding_window\": 3, \"max_window_layers\": 1", 2, 4, 2, 8, false, true, false, true, false)),
                Arguments.of("Qwen2ForCausalLM", new Layout("qwen2", ", \"use_sliding_window\": true,"
                        + " \"sliding_window\": 2, \"max_window_layers\": 1", 2, 4, 2, 8, false, false, false, false, true)),
                Arguments.of("MistralForCausalLM", new Layout("mistral", ", \"sliding_window\": 3", 2, 4, 1, 8,
                        false, false, false, false, false)),
                Arguments.of("Phi3ForCausalLM", new Layout("phi3", ", \"partial_rotary_factor\": 0.5,"
                        + " \"sliding_window\": 4", 2, 4, 4, 8, true, false, false, false, false)),
                Arguments.of("Phi3ForCausalLM", new Layout("phi3", ", \"hidden_act\": \"silu\"", 2, 4, 2, 8,
                        true, false, false, false, false)),
                Arguments.of("Gemma2ForCausalLM", new Layout("gemma2", ", \"sliding_window\": 3,"
                        + " \"query_pre_attn_scalar\": 16, \"attn_logit_softcapping\": 2.0,"
                        + " \"final_logit_softcapping\": 3.0", 2, 4, 2, 8, false, false, true, true, false)),
                Arguments.of("Gemma2ForCausalLM", new Layout("gemma2", "", 2, 2, 1, 16, false, false, true, true, false)),
                Arguments.of("Gemma3ForCausalLM", new Layout("gemma3_text", ", \"sliding_window\": 3,"
                        + " \"sliding_window_pattern\": 3, \"rope_theta\": 1000000.0, \"rope_local_base_freq\": 10.0",
                        3, 4, 2, 8, false, true, true, true, false)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("layouts")
    void loadsTensorForTensorAndMatchesTheReference(String architecture, Layout layout, @TempDir Path tmp)
            throws Exception {
        Path file = TestCheckpoints.write(tmp, layout.config(), layout.tensors(), 17);
        try (PretrainedModel model = HfModels.load(tmp, manager)) {
            assertInstanceOf(LlamaForCausalLM.class, model.block());
            assertEquals(architecture, model.model().architecture());
            assertEquals(List.of(), model.loadReport().unexpected());
            assertEquals(List.of(), model.loadReport().newlyInitialized());
            assertEquals(new TreeSet<>(layout.tensors().keySet()),
                    new TreeSet<>(ModuleTree.of(model.block()).parameters().keySet()), "one parameter per HF tensor");

            LlamaConfig config = (LlamaConfig) model.config();
            Batches batch = Batches.random(V, new int[] {7, 5, 2}, true, 11);
            assertMatches(new LlamaReference(config, Weights.fromSafetensors(file)), model, batch);
        }
    }

    /**
     * Phi-3 with longrope: original 16 keeps the batch (7 positions) on the short factors, original 4
     * puts the whole batch on the long ones (the largest position decides, as transformers does);
     * cos/sin carry sqrt(1 + ln(64 / original) / ln(original)).
     */
    @ParameterizedTest(name = "original_max_position_embeddings {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {16, 4})
    void phi3LongRopeMatchesTheReference(int original, @TempDir Path tmp) throws Exception {
        Layout phi3 = new Layout("phi3", ", \"original_max_position_embeddings\": " + original
                + ", \"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1.0, 1.3, 2.1, 3.7],"
                + " \"long_factor\": [1.5, 4.0, 9.0, 20.0]}", 2, 4, 2, 8, true, false, false, false, false);
        Path file = TestCheckpoints.write(tmp, phi3.config(), phi3.tensors(), 23);
        try (PretrainedModel model = HfModels.load(tmp, manager)) {
            LlamaConfig config = (LlamaConfig) model.config();
            assertEquals("longrope", config.ropeScaling().type());
            assertEquals(Math.sqrt(1 + Math.log(64.0 / original) / Math.log(original)),
                    config.ropeScaling().attentionFactor(), 1e-12);
            Batches batch = Batches.random(V, new int[] {7, 5, 2}, true, 11);
            assertMatches(new LlamaReference(config, Weights.fromSafetensors(file)).ropeSequenceLength(batch.length()),
                    model, batch);
        }
    }

    /** The model's logits on the batch equal the reference's on every real position, within 1e-5. */
    private void assertMatches(LlamaReference ref, PretrainedModel model, Batches batch) {
        float[] logits = TestSupport.forward(model.block(), manager, batch.inputs(manager));
        int t = batch.length();
        double worst = 0;
        for (int r = 0; r < batch.rows(); r++) {
            double[][] expected = ref.forward(batch.rowInputs().get(r));
            for (int i = 0; i < t; i++) {
                for (int v = 0; batch.mask[r][i] == 1 && v < V; v++) {
                    worst = Math.max(worst, Math.abs(expected[i][v] - logits[(r * t + i) * V + v]));
                }
            }
        }
        assertTrue(worst < 1e-5, "max |djl - reference| = " + worst);
        assertTrue(worst > 0, "suspicious exact equality");
    }

    @Test
    void gemmaHiddenStatesStartScaledAndEndWhereTheCappedHeadReads(@TempDir Path tmp) throws Exception {
        Layout gemma2 = new Layout("gemma2", ", \"final_logit_softcapping\": 3.0", 2, 4, 2, 8, false, false, true,
                true, false);
        TestCheckpoints.write(tmp, gemma2.config(), gemma2.tensors(), 19);
        try (PretrainedModel model = HfModels.load(tmp, manager); NDManager sub = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(sub, false);
            NDArray ids = sub.create(new long[][] {{5, 9, 13, 2}});
            HiddenStates.Output out = HiddenStates.forward(model.block(), ps, new NDList(ids), false);
            List<NDArray> states = out.hiddenStates();
            assertEquals(3, states.size());
            ModuleTree tree = ModuleTree.of(model.block());
            NDArray embed = tree.get("model.embed_tokens").forward(ps, new NDList(ids), false).head();
            assertArrayEquals(embed.mul((float) Math.sqrt(H)).toFloatArray(), states.get(0).toFloatArray(), 1e-6f);
            NDArray raw = tree.get("lm_head").forward(ps, new NDList(states.get(2)), false).head();
            float[] capped = raw.div(3f).tanh().mul(3f).toFloatArray();
            assertArrayEquals(capped, out.logits().toFloatArray(), 1e-6f);
            assertTrue(out.logits().abs().max().getFloat() < 3f, "final soft-capping bounds the logits");
        }
    }
}
