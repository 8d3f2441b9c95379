package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.targeting.ModuleKind;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.gpt2.Conv1D;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Parameter names and order are those of the transformers classes' named_parameters(). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModuleStructureTest {

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    private static List<String> names(Block block) {
        return new ArrayList<>(ModuleTree.of(block).parameters().keySet());
    }

    @Test
    void llamaNamesAndShapes() {
        try (PretrainedModel m = ModelFactory.create(LlamaConfig.tiny().build(), manager, 1)) {
            List<String> expected = new ArrayList<>(List.of("model.embed_tokens.weight"));
            for (int i = 0; i < 2; i++) {
                String p = "model.layers." + i + ".";
                for (String s : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm")) {
                    expected.add(p + s + ".weight");
                }
            }
            expected.add("model.norm.weight");
            expected.add("lm_head.weight");
            assertEquals(expected, names(m.block()));
            Map<String, Parameter> params = ModuleTree.of(m.block()).parameters();
            // 4 query heads of 16, 2 key/value heads of 16
            assertEquals(List.of(64L, 64L), shape(params, "model.layers.0.self_attn.q_proj.weight"));
            assertEquals(List.of(32L, 64L), shape(params, "model.layers.0.self_attn.k_proj.weight"));
            assertEquals(List.of(128L, 64L), shape(params, "model.layers.1.mlp.up_proj.weight"));
            assertEquals(List.of(64L, 128L), shape(params, "model.layers.1.mlp.down_proj.weight"));
            assertEquals(List.of(128L, 64L), shape(params, "lm_head.weight"));
            assertInstanceOf(Linear.class, ModuleTree.of(m.block()).get("model.layers.1.self_attn.v_proj"));
        }
    }

    @Test
    void qwen2HasBiasesOnQkvOnly() {
        try (PretrainedModel m = ModelFactory.create(LlamaConfig.tiny("qwen2").numLayers(1).build(), manager, 1)) {
            List<String> attn = names(m.block()).stream().filter(n -> n.contains("self_attn")).toList();
            assertEquals(List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
                    "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.k_proj.bias",
                    "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.v_proj.bias",
                    "model.layers.0.self_attn.o_proj.weight"), attn);
        }
    }

    @Test
    void gpt2NamesConv1dAndTiedHead() {
        try (PretrainedModel m = ModelFactory.create(Gpt2Config.tiny().numLayers(1).build(), manager, 1)) {
            assertEquals(List.of("transformer.wte.weight", "transformer.wpe.weight",
                    "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias",
                    "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias",
                    "transformer.h.0.attn.c_proj.weight", "transformer.h.0.attn.c_proj.bias",
                    "transformer.h.0.ln_2.weight", "transformer.h.0.ln_2.bias",
                    "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_fc.bias",
                    "transformer.h.0.mlp.c_proj.weight", "transformer.h.0.mlp.c_proj.bias",
                    "transformer.ln_f.weight", "transformer.ln_f.bias"), names(m.block()));
            ModuleTree tree = ModuleTree.of(m.block());
            Block cAttn = tree.get("transformer.h.0.attn.c_attn");
            assertInstanceOf(Conv1D.class, cAttn);
            LinearLike linear = LinearLike.of(cAttn).orElseThrow();
            assertTrue(linear.fanInFanOut());
            assertEquals(32, linear.inFeatures());
            assertEquals(96, linear.outFeatures());
            assertEquals(List.of(32L, 128L), shape(tree.parameters(), "transformer.h.0.mlp.c_fc.weight"));
            LinearLike head = LinearLike.of(tree.get("lm_head")).orElseThrow();
            assertSame(tree.parameters().get("transformer.wte.weight"), head.weight(), "lm_head is tied to wte");
            assertEquals(ModuleKind.OUTPUT_HEAD_LINEAR, ModuleKind.of(tree.get("lm_head"), true));
            assertEquals(ModuleKind.LINEAR, ModuleKind.of(cAttn, false));
            assertEquals(ModuleKind.EMBEDDING, ModuleKind.of(tree.get("transformer.wte"), false));
        }
    }

    @Test
    void bertNamesAndClassifierHead() {
        try (PretrainedModel m = ModelFactory.create(BertConfig.tiny().numLayers(1).numLabels(3).build(), manager, 1)) {
            String l = "bert.encoder.layer.0.";
            List<String> expected = new ArrayList<>(List.of("bert.embeddings.word_embeddings.weight",
                    "bert.embeddings.position_embeddings.weight", "bert.embeddings.token_type_embeddings.weight",
                    "bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias"));
            for (String s : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
                    "output.LayerNorm")) {
                expected.add(l + s + ".weight");
                expected.add(l + s + ".bias");
            }
            expected.addAll(List.of("bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight",
                    "classifier.bias"));
            assertEquals(expected, names(m.block()));
            assertEquals(List.of(3L, 32L), shape(ModuleTree.of(m.block()).parameters(), "classifier.weight"));
            assertEquals("classifier", m.model().outputEmbeddingsPath().orElseThrow());
        }
    }

    @Test
    void moreThanNineLayersKeepTheirIndices() {
        try (PretrainedModel m = ModelFactory.create(LlamaConfig.tiny().numLayers(11).hiddenSize(8).numAttentionHeads(2)
                .numKeyValueHeads(1).intermediateSize(8).vocabSize(8).build(), manager, 1)) {
            ModuleTree tree = ModuleTree.of(m.block());
            assertTrue(tree.find("model.layers.10.mlp.down_proj").isPresent(), tree.paths().toString());
            assertTrue(tree.find("model.layers.9.self_attn.q_proj").isPresent());
        }
    }

    @Test
    void factoryIsDeterministicAndInitialisesAsTransformers() {
        Gpt2Config config = Gpt2Config.tiny().numLayers(8).hiddenSize(64).build();
        try (PretrainedModel a = ModelFactory.create(config, manager, 7);
                PretrainedModel b = ModelFactory.create(config, manager, 7);
                PretrainedModel c = ModelFactory.create(config, manager, 8)) {
            Map<String, Parameter> pa = ModuleTree.of(a.block()).parameters();
            Map<String, Parameter> pb = ModuleTree.of(b.block()).parameters();
            Map<String, Parameter> pc = ModuleTree.of(c.block()).parameters();
            for (String key : pa.keySet()) {
                assertEquals(List.of(toList(pa.get(key))), List.of(toList(pb.get(key))), key);
            }
            assertNotEquals(toList(pa.get("transformer.wte.weight")), toList(pc.get("transformer.wte.weight")));
            assertEquals(0.02, std(pa.get("transformer.h.0.attn.c_attn.weight")), 0.002);
            // GPT-2 scales residual projections by 1/sqrt(2 n_layer) = 1/4
            assertEquals(0.005, std(pa.get("transformer.h.3.mlp.c_proj.weight")), 0.0005);
            assertEquals(List.of(0.0), distinct(pa.get("transformer.h.0.attn.c_attn.bias")));
            assertEquals(List.of(1.0), distinct(pa.get("transformer.h.2.ln_1.weight")));
        }
    }

    private static List<Long> shape(Map<String, Parameter> params, String key) {
        List<Long> out = new ArrayList<>();
        for (long d : params.get(key).getArray().getShape().getShape()) {
            out.add(d);
        }
        return out;
    }

    private static List<Float> toList(Parameter p) {
        List<Float> out = new ArrayList<>();
        for (float f : p.getArray().toFloatArray()) {
            out.add(f);
        }
        return out;
    }

    private static double std(Parameter p) {
        float[] v = p.getArray().toFloatArray();
        double sq = 0;
        for (float f : v) {
            sq += f * f;
        }
        return Math.sqrt(sq / v.length);
    }

    private static List<Double> distinct(Parameter p) {
        List<Double> out = new ArrayList<>();
        for (float f : p.getArray().toFloatArray()) {
            if (!out.contains((double) f)) {
                out.add((double) f);
            }
        }
        return out;
    }
}
