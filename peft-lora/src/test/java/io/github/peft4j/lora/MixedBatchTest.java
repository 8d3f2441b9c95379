package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.hooks.AdapterRouting;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PEFT's {@code adapter_names}: row i of a mixed batch equals the model with row i's adapter alone. */
@SuppressWarnings("try") // disableAdapters() handles are held, not used
class MixedBatchTest {

    private static final int VOCAB = 13;
    private static final int SEQ = 5;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(23);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private PeftModel threeAdapters() {
        PeftModel model = PeftModel.create(ToyModels.causalLm(manager, VOCAB, 8, 2, 4), LoraConfig.builder()
                .r(2).initLoraWeights(false).targetModules("q_proj", "v_proj", "embed_tokens").build(), "sql");
        model.addAdapter("chat", LoraConfig.builder().r(4).loraAlpha(4).initLoraWeights(false)
                .targetModules("v_proj", "down_proj").build());
        // targets no layer that 'chat' shares with 'sql' only partly: each layer sees only some of the names
        model.addAdapter("code", LoraConfig.builder().r(3).initLoraWeights(false).targetModules("o_proj").build());
        return model;
    }

    private double[] row(double[] all, int i) {
        int width = all.length / 6;
        return Arrays.copyOfRange(all, i * width, (i + 1) * width);
    }

    @Test
    void eachRowEqualsItsAdapterAlone() {
        try (PeftModel model = threeAdapters()) {
            List<String> names = List.of("chat", AdapterRouting.BASE, "sql", "code", "chat", "sql");
            NDArray ids = manager.randomInteger(0, VOCAB, new Shape(names.size(), SEQ), DataType.INT64);
            double[] mixed = Ref.vec(model.forward(new ParameterStore(manager, false), new NDList(ids), names).head());
            model.setActiveAdapters("sql");
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                double[] alone;
                if (name.equals(AdapterRouting.BASE)) {
                    try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                        alone = Ref.run(model, ids);
                    }
                } else {
                    model.setActiveAdapters(name);
                    alone = Ref.run(model, ids);
                }
                double diff = Ref.maxAbsDiff(row(alone, i), row(mixed, i));
                assertTrue(diff < 1e-5, "row " + i + " (" + name + ") differs by " + diff);
            }
        }
    }

    @Test
    void peftsErrorsForMergedAdaptersDoraAndRowCounts() {
        try (PeftModel model = threeAdapters()) {
            NDArray ids = manager.randomInteger(0, VOCAB, new Shape(2, SEQ), DataType.INT64);
            ParameterStore ps = new ParameterStore(manager, false);
            assertThrows(PeftConfigException.class, () -> model.forward(ps, new NDList(ids), List.of("sql")));
            assertThrows(PeftConfigException.class, () -> model.forward(ps, new NDList(ids), List.of("sql", "nope")));
            model.merge(List.of("chat"));
            assertThrows(PeftCompatibilityException.class, () -> model.forward(ps, new NDList(ids), List.of("sql", "chat")));
            model.unmerge();
            model.addAdapter("dora", LoraConfig.builder().useDora(true).targetModules("q_proj").build());
            assertThrows(PeftCompatibilityException.class, () -> model.forward(ps, new NDList(ids), List.of("dora", "sql")));
            model.forward(ps, new NDList(ids), List.of("sql", "chat")); // still fine without the DoRA adapter
        }
    }
}
