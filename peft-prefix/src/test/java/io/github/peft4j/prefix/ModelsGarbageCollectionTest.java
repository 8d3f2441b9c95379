package io.github.peft4j.prefix;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link GarbageCollectionGradientTest} through peft-models' blocks: the gradient of a prompt or
 * prefix flows back through every layer (RMSNorm, RoPE, attention scaling, GELU), so those must not
 * keep DJL's freed Number scalars for the backward pass either.
 */
class ModelsGarbageCollectionTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    static Stream<Arguments> cases() {
        PeftConfig prompt = PromptTuningConfig.builder().numVirtualTokens(3).build();
        PeftConfig prefix = PrefixTuningConfig.builder().numVirtualTokens(3).build();
        ModelConfig llama = LlamaConfig.tiny().build();
        ModelConfig gpt2 = Gpt2Config.tiny().dropout(0).build();
        ModelConfig bert = BertConfig.tiny().numLabels(2).dropout(0).build();
        return Stream.of(Arguments.of("llama prompt", llama, prompt), Arguments.of("llama prefix", llama, prefix),
                Arguments.of("gpt2 prompt", gpt2, prompt), Arguments.of("gpt2 prefix", gpt2, prefix),
                Arguments.of("bert prompt", bert, prompt));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsThroughTheModelDoNotDependOnGarbageCollection(String name, ModelConfig config,
            PeftConfig method) {
        try (PretrainedModel base = ModelsEndToEndTest.model(config, manager, 5)) {
            GarbageCollectionGradientTest.assertSameGradients(base.block(), method, manager,
                    new NDList(manager.create(new long[][] {{1, 2, 3, 4}, {5, 6, 7, 8}})));
        }
    }
}
