package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.GenerationResult;
import io.github.peft4j.models.generation.Generator;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderReparameterizationType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * The three methods on peft-models' Llama (grouped-query attention: 4 heads, 2 key/value heads) and
 * GPT-2 blocks: KV-cache generation equals the full forward at every step, save → load reproduces it,
 * and the config is completed from the real model.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelsEndToEndTest {

    static final List<long[]> PROMPTS = List.of(new long[] {3, 4, 5, 6}, new long[] {9, 10});
    static final int STEPS = 4;

    @TempDir
    Path tmp;

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    static Stream<PeftConfig> methods() {
        return Stream.of(
                PromptTuningConfig.builder().numVirtualTokens(3).build(),
                PrefixTuningConfig.builder().numVirtualTokens(3).build(),
                PrefixTuningConfig.builder().numVirtualTokens(3).prefixProjection(true).encoderHiddenSize(16).build(),
                PromptEncoderConfig.builder().numVirtualTokens(3).encoderHiddenSize(16).build(),
                PromptEncoderConfig.builder().numVirtualTokens(3).encoderHiddenSize(8)
                        .encoderReparameterizationType(PromptEncoderReparameterizationType.LSTM).build());
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (ModelConfig model : List.of(LlamaConfig.tiny().build(), Gpt2Config.tiny().build())) {
            methods().forEach(m -> out.add(Arguments.of(model.modelType() + " " + describe(m), model, m)));
        }
        return out.stream();
    }

    static String describe(PeftConfig c) {
        if (c instanceof PrefixTuningConfig p && p.prefixProjection()) {
            return "PREFIX_TUNING projected";
        }
        if (c instanceof PromptEncoderConfig p) {
            return "P_TUNING " + p.encoderReparameterizationType();
        }
        return c.peftType();
    }

    /** Weights of the scale of a trained model (HF's N(0, 0.02) init makes every output nearly uniform). */
    static PretrainedModel model(ModelConfig config, NDManager manager, long seed) {
        PretrainedModel model = ModelFactory.create(config, manager, seed);
        Random random = new Random(seed);
        for (Parameter p : ModuleTree.of(model.block()).parameters().values()) {
            NDArray a = p.getArray();
            if (a.getShape().dimension() == 2) {
                float[] v = new float[Math.toIntExact(a.size())];
                double std = 1 / Math.sqrt(config.hiddenSize());
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (random.nextGaussian() * std);
                }
                a.set(v);
            }
        }
        return model;
    }

    private static GenerationConfig traced() {
        return GenerationConfig.builder().maxNewTokens(STEPS).eosTokenIds(-1).outputLogits(true).build();
    }

    private float[] lastLogits(Block model, long[] sequence, int vocab) {
        try (NDManager sub = manager.newSubManager()) {
            float[] all = model.forward(new ParameterStore(sub, false), new NDList(sub.create(new long[][] {sequence})),
                    false).head().toFloatArray();
            return Arrays.copyOfRange(all, all.length - vocab, all.length);
        }
    }

    static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cachedGenerationEqualsTheFullForwardAndSurvivesSaveAndLoad(String name, ModelConfig config,
            PeftConfig method) {
        int vocab = config.vocabSize();
        GenerationResult adapted;
        try (PretrainedModel base = model(config, manager, 7);
                PeftModel peft = PeftModel.create(base.block(), method)) {
            PromptLearningConfig filled = (PromptLearningConfig) peft.config("default");
            if (filled instanceof PrefixTuningConfig) {
                assertEquals(base.causalLm().headDim() * base.causalLm().numKeyValueHeads(), filled.tokenDim());
                assertEquals(base.causalLm().numKeyValueHeads(), filled.numAttentionHeads());
            } else {
                assertEquals(config.hiddenSize(), filled.tokenDim());
            }
            adapted = Generator.generate(peft, PROMPTS, traced());
            GenerationResult plain;
            try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
                plain = Generator.generate(peft, PROMPTS, traced());
            }
            assertTrue(maxDiff(plain.logits().get(0)[0], adapted.logits().get(0)[0]) > 1e-3,
                    "the adapter changes the first step");
            for (int step = 0; step < STEPS; step++) {
                for (int r = 0; r < PROMPTS.size(); r++) {
                    long[] seq = concat(PROMPTS.get(r), Arrays.copyOf(adapted.tokens().get(r), step));
                    double diff = maxDiff(adapted.logits().get(step)[r], lastLogits(peft, seq, vocab));
                    assertTrue(diff < 1e-4, name + ": step " + step + " row " + r + " differs by " + diff);
                }
            }
            peft.save(tmp);
        }
        try (PretrainedModel base = model(config, manager, 7);
                PeftModel loaded = PeftModel.fromPretrained(base.block(), tmp)) {
            GenerationResult again = Generator.generate(loaded, PROMPTS, traced());
            for (int r = 0; r < PROMPTS.size(); r++) {
                assertArrayEquals(adapted.tokens().get(r), again.tokens().get(r));
                for (int step = 0; step < STEPS; step++) {
                    assertTrue(maxDiff(adapted.logits().get(step)[r], again.logits().get(step)[r]) < 1e-5);
                }
            }
        }
    }

    @Test
    void twoThreadsGenerateWithTwoPromptAdaptersOfOneLlama() throws Exception {
        LlamaConfig config = LlamaConfig.tiny().build();
        try (PretrainedModel base = model(config, manager, 9); PeftModel peft = PeftModel.wrap(base.block())) {
            peft.addAdapter("support", PromptTuningConfig.builder().numVirtualTokens(3).build());
            peft.addAdapter("billing", PrefixTuningConfig.builder().numVirtualTokens(5).build());
            Map<String, GenerationResult> expected = new HashMap<>();
            for (String adapter : List.of("support", "billing")) {
                peft.setActiveAdapters(adapter);
                expected.put(adapter, Generator.generate(peft, PROMPTS, traced()));
            }
            peft.setActiveAdapters("support"); // model state the explicit calls must ignore
            CyclicBarrier start = new CyclicBarrier(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<List<GenerationResult>>> runs = new ArrayList<>();
                for (String adapter : List.of("support", "billing")) {
                    runs.add(pool.submit(() -> {
                        JniUtils.setGradMode(false);
                        start.await();
                        List<GenerationResult> out = new ArrayList<>();
                        for (int i = 0; i < 5; i++) {
                            try (NDManager call = manager.newSubManager()) {
                                ForwardContext ctx = PromptAdapters.context(peft, adapter,
                                        new ParameterStore(call, false), PROMPTS.size(), call, ForwardContext.empty());
                                try (ForwardContext.Scope scope = ctx.activate()) {
                                    out.add(Generator.generate(peft.baseModel(), PROMPTS, traced()));
                                }
                            }
                        }
                        return out;
                    }));
                }
                int i = 0;
                for (String adapter : List.of("support", "billing")) {
                    GenerationResult want = expected.get(adapter);
                    for (GenerationResult got : runs.get(i++).get()) {
                        for (int r = 0; r < PROMPTS.size(); r++) {
                            assertArrayEquals(want.tokens().get(r), got.tokens().get(r), adapter);
                            for (int step = 0; step < STEPS; step++) {
                                assertArrayEquals(want.logits().get(step)[r], got.logits().get(step)[r], 1e-6f, adapter);
                            }
                        }
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
