package consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What a new user does first: load a Hugging Face model, add LoRA, run a forward, offline. */
class LoraForwardTest {

    @Test
    void loraForwardOnTheBundledBase() {
        Path dir = Path.of(System.getProperty("peft4j.base.model"));
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(dir, manager);
                PeftModel model = PeftModel.create(base.block(),
                        LoraConfig.builder().r(8).loraAlpha(16).targetModules("q_proj", "v_proj").build())) {
            long[] ids = base.tokenizer().orElseThrow().encode("Where is my order?");
            NDArray input = manager.create(ids).reshape(1, ids.length);

            float[] adapted = logits(model, input, new Shape(1, ids.length, 4096));
            float[] baseOnly;
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                baseOnly = logits(model, input, new Shape(1, ids.length, 4096));
            }
            // PEFT's default init (B = 0) makes a fresh adapter a no-op, bit for bit
            assertArrayEquals(baseOnly, adapted);
            // hidden 256, 2 of 4 heads for k/v (128): q_proj 8*256 + 256*8, v_proj 8*256 + 128*8, 4 layers
            assertEquals(4 * (8 * 256 + 256 * 8 + 8 * 256 + 128 * 8), model.countParameters().trainable());

            model.addAdapter("random", LoraConfig.builder().r(8).loraAlpha(16).targetModules("q_proj", "v_proj")
                    .initLoraWeights(false).build());
            model.setActiveAdapters("random");
            float[] changed = logits(model, input, new Shape(1, ids.length, 4096));
            double diff = 0;
            for (int i = 0; i < changed.length; i++) {
                assertTrue(Float.isFinite(changed[i]), "logit " + i);
                diff = Math.max(diff, Math.abs(changed[i] - baseOnly[i]));
            }
            assertTrue(diff > 1e-4, "a random B changes the logits, max |diff| " + diff);
        }
    }

    private static float[] logits(PeftModel model, NDArray input, Shape expected) {
        try (NDManager scope = input.getManager().newSubManager()) {
            NDArray out = model.forward(new ParameterStore(scope, false), new NDList(input), false).head();
            assertEquals(expected, out.getShape());
            return out.toFloatArray();
        }
    }
}
