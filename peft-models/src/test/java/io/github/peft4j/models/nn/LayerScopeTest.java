package io.github.peft4j.models.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.models.Batches;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * A forward pass keeps only each layer's output alive, not the layer's temporaries: the arrays left
 * in the caller's manager grow by at most two per extra layer (without the scope, by dozens), and
 * backward through the scoped layers still reaches the embedding.
 */
class LayerScopeTest {

    @Test
    void llamaLayersHandOnOnlyTheirOutputs() {
        assertLiveArraysPerLayerAtMost(2, n -> LlamaConfig.tiny().numLayers(n).build());
    }

    @Test
    void gpt2BlocksHandOnOnlyTheirOutputs() {
        assertLiveArraysPerLayerAtMost(2, n -> Gpt2Config.tiny().numLayers(n).build());
    }

    private static void assertLiveArraysPerLayerAtMost(int limit, IntFunction<ModelConfig> config) {
        long oneLayer = liveArraysAfterTrainingForward(config.apply(1));
        long fourLayers = liveArraysAfterTrainingForward(config.apply(4));
        double perLayer = (fourLayers - oneLayer) / 3.0;
        assertTrue(perLayer <= limit, "arrays kept per extra layer: " + perLayer + " (" + oneLayer + " with one layer, "
                + fourLayers + " with four)");
    }

    private static long liveArraysAfterTrainingForward(ModelConfig config) {
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel model = ModelFactory.create(config, manager, 3)) {
            model.block().getParameters().valueAt(0).getArray().setRequiresGradient(true); // the embedding table
            NDArray table = model.block().getParameters().valueAt(0).getArray();
            try (NDManager step = manager.newSubManager();
                    GradientCollector collector = manager.getEngine().newGradientCollector()) {
                NDList inputs = Batches.random(config.vocabSize(), new int[] {6, 4}, false, 11).inputs(step);
                long before = step.getManagedArrays().size();
                NDArray logits = model.block().forward(new ParameterStore(step, false), inputs, true).head();
                long live = step.getManagedArrays().size() - before;
                collector.backward(logits.sum());
                float gradNorm = table.getGradient().norm().getFloat();
                assertTrue(gradNorm > 0 && Float.isFinite(gradNorm), "embedding gradient norm " + gradNorm);
                assertEquals(3, logits.getShape().dimension());
                return live;
            }
        }
    }
}
