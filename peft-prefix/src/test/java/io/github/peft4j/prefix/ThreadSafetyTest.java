package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two threads, two prompt adapters, one model: each thread gets its own adapter's outputs. */
class ThreadSafetyTest {

    private static final int ROUNDS = 40;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void twoThreadsWithTwoPromptAdaptersGetTheirOwnResults() throws Exception {
        ToyPromptModel base = ToyPromptModel.small(manager, 31);
        try (PeftModel model = PeftModel.wrap(base)) {
            model.addAdapter("support", PromptTuningConfig.builder().numVirtualTokens(3).build());
            model.addAdapter("billing", PrefixTuningConfig.builder().numVirtualTokens(5).build());
            model.setActiveAdapters("support"); // model state: must not leak into explicit calls
            Engine.getInstance().setRandomSeed(3);
            long[][] supportIds = {{1, 2, 3, 4}, {5, 6, 7, 8}};
            long[][] billingIds = {{9, 10, 11}};
            float[] support = PromptAdapters.forward(model, "support", new ParameterStore(manager, false),
                    new NDList(manager.create(supportIds)), false).head().toFloatArray();
            float[] billing = PromptAdapters.forward(model, "billing", new ParameterStore(manager, false),
                    new NDList(manager.create(billingIds)), false).head().toFloatArray();
            assertEquals(2 * (3 + 4) * 12, support.length, "prompt tuning: 3 virtual + 4 real positions");
            assertEquals(3 * 12, billing.length, "prefix tuning keeps the length");
            float[] plainBilling;
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                plainBilling = model.forward(new ParameterStore(manager, false),
                        new NDList(manager.create(billingIds)), false).head().toFloatArray();
            }
            assertEquals(false, java.util.Arrays.equals(billing, plainBilling), "the prefix changes the outputs");

            CyclicBarrier start = new CyclicBarrier(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<List<float[]>> a = pool.submit(run(model, "support", supportIds, start));
                Future<List<float[]>> b = pool.submit(run(model, "billing", billingIds, start));
                for (float[] out : a.get()) {
                    assertArrayEquals(support, out, 0f);
                }
                for (float[] out : b.get()) {
                    assertArrayEquals(billing, out, 0f);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private Callable<List<float[]>> run(PeftModel model, String adapter, long[][] ids, CyclicBarrier start) {
        return () -> {
            ai.djl.pytorch.jni.JniUtils.setGradMode(false); // inference on a worker thread
            start.await();
            List<float[]> out = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                try (NDManager call = manager.newSubManager()) {
                    ParameterStore ps = new ParameterStore(call, false);
                    out.add(PromptAdapters.forward(model, adapter, ps, new NDList(call.create(ids)), false).head()
                            .toFloatArray());
                }
            }
            return out;
        };
    }

    @Test
    void aContextMadeCurrentServesCallsOfTheBaseModel() {
        try (PeftModel model = PeftModel.wrap(ToyPromptModel.small(manager, 31))) {
            model.addAdapter("support", PromptTuningConfig.builder().numVirtualTokens(3).build());
            model.addAdapter("billing", PrefixTuningConfig.builder().numVirtualTokens(5).build());
            long[][] ids = {{1, 2, 3}, {4, 5, 6}};
            for (String adapter : new String[] {"support", "billing"}) {
                float[] expected = PromptAdapters.forward(model, adapter, new ParameterStore(manager, false),
                        new NDList(manager.create(ids)), false).head().toFloatArray();
                try (NDManager call = manager.newSubManager()) {
                    ParameterStore ps = new ParameterStore(call, false);
                    ForwardContext ctx = PromptAdapters.context(model, adapter, ps, 2, call,
                            ForwardContext.empty());
                    try (ForwardContext.Scope scope = ctx.activate()) {
                        assertArrayEquals(expected, model.baseModel().forward(ps, new NDList(call.create(ids)), false)
                                .head().toFloatArray(), 0f, adapter);
                    }
                }
            }
        }
    }

    @Test
    void explicitCallsNeedAPromptAdapter() {
        try (PeftModel model = PeftModel.create(ToyPromptModel.small(manager, 31),
                PromptTuningConfig.builder().numVirtualTokens(2).build())) {
            assertThrows(PeftConfigException.class, () -> PromptAdapters.forward(model, "nope",
                    new ParameterStore(manager, false), new NDList(manager.zeros(new Shape(1, 2), DataType.INT64)),
                    false));
        }
    }
}
