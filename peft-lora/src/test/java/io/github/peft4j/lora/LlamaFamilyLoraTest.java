package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.lora.init.InitLoraWeights;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.LlamaConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LoRA on the Llama-family architectures by their Hugging Face module names (Phi-3's fused
 * {@code qkv_proj} and {@code gate_up_proj} adapted whole, as PEFT does): the saved keys and shapes are
 * PEFT's, the adapter changes the output, and the merged checkpoint computes what the adapted model did.
 */
class LlamaFamilyLoraTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> models() {
        List<String> split = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
        return Stream.of(
                Arguments.of(LlamaConfig.tiny("phi3").build(), List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
                        Map.of("self_attn.qkv_proj", 64 + 2 * 32, "mlp.gate_up_proj", 2 * 128)),
                Arguments.of(LlamaConfig.tiny("qwen3").build(), split, Map.of("self_attn.k_proj", 2 * 16)),
                Arguments.of(LlamaConfig.tiny("gemma2").build(), split, Map.of("self_attn.q_proj", 4 * 16)),
                Arguments.of(LlamaConfig.tiny("gemma3_text").build(), split, Map.of("mlp.up_proj", 128)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void loraTargetsTheHfModuleNames(LlamaConfig config, List<String> targets, Map<String, Integer> outWidths) {
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = ModelFactory.create(config, manager, 5)) {
            NDArray ids = manager.create(new long[] {1, 7, 3, 9, 4, 2, 8, 5}, new Shape(2, 4));
            float[] baseLogits = logits(base.block(), ids);
            PeftModel model = PeftModel.create(base.block(), LoraConfig.builder().r(4).loraAlpha(8)
                    .targetModules(TargetModules.names(targets.toArray(String[]::new)))
                    .initLoraWeights(InitLoraWeights.FALSE).build());
            Map<String, NDArray> saved = new TreeMap<>(model.savedStateDict("default"));
            assertEquals(2 * config.numLayers() * targets.size(), saved.size(), saved.keySet().toString());
            outWidths.forEach((module, width) -> {
                String prefix = "base_model.model.model.layers.1." + module;
                assertEquals(new Shape(4, 64), saved.get(prefix + ".lora_A.weight").getShape(), prefix);
                assertEquals(new Shape(width, 4), saved.get(prefix + ".lora_B.weight").getShape(), prefix);
            });
            float[] adapted = logits(model, ids);
            assertFalse(Arrays.equals(baseLogits, adapted), "the adapter must change the output");

            Block merged = model.mergeAndUnload();
            HfModels.save(merged, tmp);
            try (PretrainedModel reloaded = HfModels.load(tmp, manager)) {
                assertEquals(List.of(), reloaded.loadReport().unexpected());
                assertArrayEquals(adapted, logits(reloaded.block(), ids), 1e-4f);
            }
            model.close();
        }
    }

    private static float[] logits(Block block, NDArray ids) {
        try (NDManager scope = ids.getManager().newSubManager()) {
            NDArray x = ids.duplicate();
            x.attach(scope);
            return block.forward(new ParameterStore(scope, false), new NDList(x), false).head().toFloatArray();
        }
    }
}
