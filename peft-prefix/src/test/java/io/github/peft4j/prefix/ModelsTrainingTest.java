package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.models.CrossEntropy;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningInit;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderReparameterizationType;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Training through the real blocks: each method memorises a few sequences; prompt tuning on BERT classifies. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelsTrainingTest {

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

    static Stream<Arguments> cases() {
        ModelConfig llama = LlamaConfig.tiny().build();
        ModelConfig gpt2 = Gpt2Config.tiny().dropout(0).build(); // a deterministic loss curve
        return Stream.of(
                Arguments.of("llama prompt tuning", llama, PromptTuningConfig.builder().numVirtualTokens(4).build()),
                Arguments.of("llama prefix", llama, PrefixTuningConfig.builder().numVirtualTokens(4).build()),
                Arguments.of("llama P-tuning LSTM", llama, PromptEncoderConfig.builder().numVirtualTokens(4)
                        .encoderHiddenSize(16).encoderReparameterizationType(PromptEncoderReparameterizationType.LSTM)
                        .build()),
                Arguments.of("gpt2 prompt tuning", gpt2, PromptTuningConfig.builder().numVirtualTokens(8).build()),
                Arguments.of("gpt2 projected prefix", gpt2, PrefixTuningConfig.builder().numVirtualTokens(4)
                        .prefixProjection(true).encoderHiddenSize(32).build()),
                Arguments.of("gpt2 P-tuning MLP", gpt2, PromptEncoderConfig.builder().numVirtualTokens(8)
                        .encoderHiddenSize(32).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void languageModellingLossFallsByHalf(String name, ModelConfig config, PeftConfig method) {
        Engine.getInstance().setRandomSeed(17);
        NDArray ids = manager.randomInteger(0, config.vocabSize(), new Shape(2, 6), DataType.INT64);
        try (PretrainedModel base = ModelsEndToEndTest.model(config, manager, 11);
                PeftModel peft = PeftModel.create(base.block(), method)) {
            // causal LM labels are the inputs (shifted inside the loss), -100 on the virtual positions
            NDArray labels = PromptAdapters.padLabels(ids, PromptAdapters.virtualTokens(peft, "default"));
            List<Float> losses = TinyTraining.train(peft, ids, labels, 150, 0.05f, CrossEntropy::causalLm);
            float first = losses.get(0);
            float last = losses.get(losses.size() - 1);
            assertTrue(last <= first / 2, name + ": losses " + losses);
        }
    }

    @Test
    void promptTuningOnBertClassifiesAndReloads() {
        BertConfig config = BertConfig.tiny().numLabels(2).dropout(0).build();
        Engine.getInstance().setRandomSeed(19);
        NDArray ids = manager.randomInteger(1, config.vocabSize(), new Shape(8, 6), DataType.INT64);
        NDArray labels = manager.create(new long[] {0, 1, 1, 0, 1, 0, 0, 1});
        float[] trained;
        try (PretrainedModel base = ModelsEndToEndTest.model(config, manager, 13);
                PeftModel peft = PeftModel.create(base.block(), PromptTuningConfig.builder().numVirtualTokens(4)
                        .taskType("SEQ_CLS").promptTuningInit(PromptTuningInit.SAMPLE_VOCAB).build())) {
            assertEquals(4 * 32, peft.countParameters().trainable());
            List<Float> losses = TinyTraining.train(peft, ids, labels, 150, 0.05f, CrossEntropy::mean);
            assertTrue(losses.get(losses.size() - 1) <= losses.get(0) / 2, "losses " + losses);
            trained = peft.forward(new ParameterStore(manager, false), new NDList(ids), false).head().toFloatArray();
            assertEquals(8 * 2, trained.length, "one logit pair per sequence");
            peft.save(tmp);
        }
        try (PretrainedModel base = ModelsEndToEndTest.model(config, manager, 13);
                PeftModel loaded = PeftModel.fromPretrained(base.block(), tmp)) {
            assertArrayEquals(trained, loaded.forward(new ParameterStore(manager, false), new NDList(ids), false)
                    .head().toFloatArray(), 1e-5f);
        }
    }

    @Test
    void modulesToSaveTrainsTheClassifierBesideThePromptAndSavesItUnderItsOwnKeys() throws Exception {
        BertConfig config = BertConfig.tiny().numLabels(2).dropout(0).build();
        Engine.getInstance().setRandomSeed(23);
        NDArray ids = manager.randomInteger(1, config.vocabSize(), new Shape(8, 6), DataType.INT64);
        NDArray labels = manager.create(new long[] {0, 1, 1, 0, 1, 0, 0, 1});
        Path dir = tmp.resolve("with-head");
        float[] trained;
        float[] headBefore;
        try (PretrainedModel base = ModelsEndToEndTest.model(config, manager, 13);
                PeftModel peft = PeftModel.create(base.block(), PromptTuningConfig.builder().numVirtualTokens(4)
                        .taskType("SEQ_CLS").modulesToSave(List.of("classifier")).build())) {
            assertEquals(4 * 32 + 32 * 2 + 2, peft.countParameters().trainable(), "prompt + classifier copy");
            Parameter head = ModuleTree.of(peft.baseModel()).parameters().get("classifier.base_layer.weight");
            headBefore = head.getArray().toFloatArray();
            List<Float> losses = TinyTraining.train(peft, ids, labels, 40, 0.05f, CrossEntropy::mean);
            assertTrue(losses.get(losses.size() - 1) < losses.get(0), "losses " + losses);
            assertArrayEquals(headBefore, head.getArray().toFloatArray(), 0f, "the base classifier stays frozen");
            trained = peft.forward(new ParameterStore(manager, false), new NDList(ids), false).head().toFloatArray();
            peft.save(dir);
        }
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            assertEquals(List.of("base_model.model.classifier.bias", "base_model.model.classifier.weight",
                    "prompt_embeddings"), file.names().stream().sorted().toList());
        }
        try (PretrainedModel base = ModelsEndToEndTest.model(config, manager, 13);
                PeftModel loaded = PeftModel.fromPretrained(base.block(), dir)) {
            assertArrayEquals(trained, loaded.forward(new ParameterStore(manager, false), new NDList(ids), false)
                    .head().toFloatArray(), 0f);
        }
    }
}
