package io.github.peft4j.lora;

import io.github.peft4j.lora.init.InitLoraWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A merged adapter exported as a Hugging Face checkpoint (through peft-models) and loaded back as a
 * plain model computes what the adapted model computed: PEFT's merge_and_unload + save_pretrained.
 */
class MergedExportTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("llama (GQA, [out,in] weights)", LlamaConfig.tiny().vocabSize(48).hiddenSize(32)
                        .intermediateSize(64).numLayers(2).numAttentionHeads(4).numKeyValueHeads(2).build()),
                Arguments.of("gpt2 (Conv1D, fan_in_fan_out)", Gpt2Config.tiny().build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void mergedCheckpointEqualsTheAdaptedModel(String name, ModelConfig config) {
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = ModelFactory.create(config, manager, 5)) {
            NDArray ids = manager.create(new long[] {1, 7, 3, 9, 4, 2, 8, 5}, new Shape(2, 4));
            float[] baseLogits = logits(base.block(), ids);
            PeftModel model = PeftModel.create(base.block(), LoraConfig.builder()
                    .r(4).loraAlpha(8).targetModules(TargetModules.allLinear())
                    .initLoraWeights(InitLoraWeights.FALSE) // random A and B: the adapter changes the output
                    .build());
            float[] adapted = logits(model, ids);
            assertFalse(Arrays.equals(baseLogits, adapted), "the adapter must change the output");

            Block merged = model.mergeAndUnload();
            HfModels.save(merged, tmp);
            try (PretrainedModel reloaded = HfModels.load(tmp, manager)) {
                assertTrue(reloaded.loadReport().unexpected().isEmpty(), "no adapter tensors in the checkpoint");
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
