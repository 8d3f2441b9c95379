package io.github.peft4j.core.testmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.module.ModuleTree;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The test models have Hugging Face's paths and parameter names, and run. */
class TestModelsTest {

    private static NDArray run(Block model, NDManager m) {
        TinyTraining.Dataset data = TinyTraining.signalTokens(m, 4, 8, 16, 3);
        return model.forward(new ParameterStore(m, false), new NDList(data.ids()), false).singletonOrThrow();
    }

    @Test
    void bertHasHuggingFacePathsAndClassifies() {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyBert bert = TinyBert.create(m, TinyBert.Dims.small(), 1);
            Set<String> params = ModuleTree.of(bert).parameters().keySet();
            for (String p : List.of("bert.embeddings.word_embeddings.weight", "bert.embeddings.LayerNorm.bias",
                    "bert.encoder.layer.1.attention.self.query.weight", "bert.encoder.layer.0.attention.output.dense.bias",
                    "bert.encoder.layer.0.attention.output.LayerNorm.weight", "bert.encoder.layer.1.intermediate.dense.weight",
                    "bert.encoder.layer.1.output.dense.weight", "bert.encoder.layer.1.output.LayerNorm.bias",
                    "bert.pooler.dense.weight", "classifier.bias")) {
                assertTrue(params.contains(p), p + " in " + params);
            }
            // 16*16 + 8*16 + 32 ; per layer 3*(272) + 272 + 32 + 16*32+32 + 32*16+16 + 32 ; pooler 272 ; classifier 34
            long expected = 256 + 128 + 32 + 2 * (4 * 272 + 32 + 544 + 528 + 32) + 272 + 34;
            long actual = ModuleTree.of(bert).parameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            assertEquals(expected, actual);
            assertEquals(new Shape(4, 2), run(bert, m).getShape());
        }
    }

    @Test
    void gpt2AndLlamaRun() {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyGpt2 gpt2 = TinyGpt2.create(m, 16, 16, 2, 2, 8, 1);
            assertTrue(ModuleTree.of(gpt2).find("transformer.h.1.mlp.c_proj").isPresent());
            assertEquals(new Shape(4, 8, 16), run(gpt2, m).getShape());
            TinyLlama llama = TinyLlama.create(m, 16, 16, 2, 2, 24, 1);
            assertTrue(ModuleTree.of(llama).find("model.layers.1.self_attn.o_proj").isPresent());
            assertTrue(ModuleTree.of(llama).find("model.norm").isPresent());
            assertEquals(new Shape(4, 8, 16), run(llama, m).getShape());
        }
    }
}
