package io.github.peft4j.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.adapters.bottleneck.BottleneckConfig;
import io.github.peft4j.adapters.ia3.Ia3Config;
import io.github.peft4j.bitfit.BitFitConfig;
import io.github.peft4j.bitfit.lntuning.LnTuningConfig;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderReparameterizationType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One saved adapter per tuner type and init option, each with random (non-identity) tensors, for
 * the multi-tenant isolation and fuzz tests: a tenant whose adapter is an identity would hide a leak.
 *
 * <pre>{@code
 * Map<String, Path> dirs = TenantAdapters.saveAll(BUNDLED, tmp);   // name -> adapter directory
 * }</pre>
 */
final class TenantAdapters {

    private TenantAdapters() {}

    /**
     * @return every tuner type and init option by tenant name; one tuner type per module (peft4j
     *     wraps a module with one tuner type), so the types share the base's modules out: LoRA's
     *     variants q/k/v, IA3 gate, bottleneck (Pfeiffer) after the MLP, BitFit o/up, LN-tuning norms
     */
    static Map<String, PeftConfig> configs() {
        Map<String, PeftConfig> c = new LinkedHashMap<>();
        c.put("lora", LoraConfig.builder().r(4).targetModules("q_proj", "v_proj").build());
        c.put("lora-gaussian", LoraConfig.builder().r(2).targetModules("k_proj").initLoraWeights("gaussian").build());
        c.put("lora-rslora", LoraConfig.builder().r(4).targetModules("v_proj").useRslora(true).build());
        c.put("dora", LoraConfig.builder().r(2).targetModules("q_proj").useDora(true).build());
        c.put("lora-pissa", LoraConfig.builder().r(2).targetModules("k_proj").initLoraWeights("pissa").build());
        c.put("lora-olora", LoraConfig.builder().r(2).targetModules("v_proj").initLoraWeights("olora").build());
        c.put("ia3", Ia3Config.builder().targetModules("gate_proj").feedforwardModules("gate_proj")
                .taskType("CAUSAL_LM").build());
        c.put("bottleneck", BottleneckConfig.builder().preset(BottleneckConfig.DEFAULT_PRESET).build());
        c.put("bitfit", BitFitConfig.builder().targetModules("o_proj", "up_proj").addMissingBiases(true).build());
        c.put("ln-tuning", LnTuningConfig.builder().targetModules("input_layernorm", "norm").build());
        c.put("prefix", PrefixTuningConfig.builder().numVirtualTokens(3).taskType("CAUSAL_LM").build());
        c.put("prefix-projection", PrefixTuningConfig.builder().numVirtualTokens(2).prefixProjection(true)
                .encoderHiddenSize(16).taskType("CAUSAL_LM").build());
        c.put("prompt", PromptTuningConfig.builder().numVirtualTokens(4).taskType("CAUSAL_LM").build());
        c.put("ptuning-mlp", PromptEncoderConfig.builder().numVirtualTokens(3).encoderHiddenSize(16)
                .taskType("CAUSAL_LM").build());
        c.put("ptuning-lstm", PromptEncoderConfig.builder().numVirtualTokens(2).encoderHiddenSize(8)
                .encoderReparameterizationType(PromptEncoderReparameterizationType.LSTM).taskType("CAUSAL_LM").build());
        return c;
    }

    /**
     * Creates each adapter on a fresh copy of the base (PiSSA and OLoRA rewrite the base they are
     * created on), saves it, and replaces its saved tensors with random values of the same shapes.
     *
     * @param model the base model directory
     * @param dir where to save, one sub-directory per tenant
     * @return tenant name to adapter directory
     */
    static Map<String, Path> saveAll(Path model, Path dir) {
        Map<String, Path> dirs = new LinkedHashMap<>();
        int seed = 1;
        for (Map.Entry<String, PeftConfig> e : configs().entrySet()) {
            Path out = dir.resolve(e.getKey());
            try (NDManager manager = NDManager.newBaseManager();
                    PretrainedModel base = BaseModels.loadCausalLm(model, manager);
                    PeftModel peft = PeftModel.create(base.block(), e.getValue())) {
                peft.save(out);
            }
            randomize(out.resolve("adapter_model.safetensors"), seed++);
            dirs.put(e.getKey(), out);
        }
        return dirs;
    }

    /** Adds N(0, 0.05²) noise to every saved tensor: no tenant stays an identity (IA3 at 1, LoRA B at 0). */
    static void randomize(Path file, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (String name : f.names()) {
                    NDArray t = f.load(name, m);
                    tensors.put(name, t.add(m.randomNormal(0f, 0.05f, t.getShape(), t.getDataType())));
                }
            }
            SafetensorsWriter.write(file, tensors, SafetensorsWriter.PT_METADATA);
        }
    }

    /**
     * @param model a loaded base
     * @return a copy of every parameter's values, by parameter id (an emptied tuner wrapper stays
     *     in the tree, as in PEFT, so the names change while the parameters must not)
     */
    static Map<String, float[]> snapshot(PretrainedModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var p : model.block().getParameters()) {
            Parameter parameter = p.getValue();
            out.put(parameter.getId(), parameter.getArray().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
        }
        return out;
    }
}
