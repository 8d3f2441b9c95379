package io.github.peft4j.bench;

import io.github.peft4j.core.AdapterTensor;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import java.util.List;
import java.util.Map;

/**
 * The peer's models built through peft-models: a Llama-style decoder (RMSNorm eps 1e-5, RoPE theta
 * 10000, SwiGLU, untied head, no biases) or a GPT-2-style one (fused {@code c_attn}, gelu-tanh,
 * untied head), random weights, no dropout in the model; and the peer's LoRA targets.
 *
 * <pre>{@code
 * try (BenchModel m = BenchModel.create(BenchOptions.parse("--arch", "gpt2"), manager)) {
 *     Block block = m.block();     // a PeftModel for LoRA training, else the base model
 * }
 * }</pre>
 */
public final class BenchModel implements AutoCloseable {

    private final PretrainedModel base;
    private final PeftModel peft;
    private final long baseParameters;

    private BenchModel(PretrainedModel base, PeftModel peft, long baseParameters) {
        this.base = base;
        this.peft = peft;
        this.baseParameters = baseParameters;
    }

    /**
     * @param o the workload
     * @param manager the parent manager of every weight
     * @return the model: LoRA-wrapped for {@code --mode train} without {@code --full}; for the floors
     *     the base with every weight frozen ({@code fwd}, {@code fwdbwd}) or trainable
     *     ({@code fwdbwd_full}, {@code --full})
     */
    public static BenchModel create(BenchOptions o, NDManager manager) {
        PretrainedModel base = ModelFactory.create(config(o), manager, o.seed());
        Block block = base.block();
        long baseParameters = count(block);
        if (o.lora()) {
            LoraConfig lora = LoraConfig.builder()
                    .r(o.rank())
                    .loraAlpha(o.alpha())
                    .loraDropout(o.loraDropout())
                    .targetModules(targets(o).toArray(String[]::new))
                    .build();
            return new BenchModel(base, PeftModel.create(block, lora), baseParameters);
        }
        boolean trainAll = o.full() || o.mode().equals("fwdbwd_full");
        block.freezeParameters(!trainAll);
        if (o.mode().equals("fwdbwd")) {
            // autograd must reach back through every layer: the peer detaches the embedding output and
            // makes it require grad; here the embedding table does, which adds one small scatter-add
            String table = o.arch().equals("llama") ? "model.embed_tokens.weight" : "transformer.wte.weight";
            ModuleTree.of(block).parameters().get(table).freeze(false);
        }
        return new BenchModel(base, null, baseParameters);
    }

    /**
     * @param o the workload
     * @return the transformers-style configuration of the peer's model
     */
    public static ModelConfig config(BenchOptions o) {
        ModelConfig.Builder<?, ?> arch = o.arch().equals("llama")
                ? LlamaConfig.builder().numKeyValueHeads(o.heads()).rmsNormEps(1e-5).ropeTheta(10000.0)
                : Gpt2Config.builder().layerNormEps(1e-5).dropout(0);
        return arch.vocabSize(o.vocab())
                .hiddenSize(o.dim())
                .intermediateSize(o.ffn())
                .numLayers(o.layers())
                .numAttentionHeads(o.heads())
                .maxPositionEmbeddings(o.seq())
                .tieWordEmbeddings(false)
                .build();
    }

    /**
     * @param o the workload
     * @return the peer's LoRA target names for its architecture and {@code --targets}
     */
    public static List<String> targets(BenchOptions o) {
        boolean all = o.targets().equals("all");
        if (o.arch().equals("llama")) {
            return all ? List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
                    : List.of("q_proj", "v_proj");
        }
        return all ? List.of("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj") : List.of("attn.c_attn");
    }

    /** @return the block to run: the {@link PeftModel} when training LoRA, else the base model */
    public Block block() {
        return peft != null ? peft : base.block();
    }

    /** @return the LoRA-wrapped model, or {@code null} when no LoRA is trained */
    public PeftModel peft() {
        return peft;
    }

    /** @return the base model's root block */
    public Block baseBlock() {
        return base.block();
    }

    /** @return parameters of the base model before any adapter */
    public long baseParameters() {
        return baseParameters;
    }

    /** @return parameters of the model as run (base plus adapters) */
    public long totalParameters() {
        return peft != null ? peft.countParameters().all() : baseParameters;
    }

    /** @return the number of wrapped LoRA layers */
    public int loraWrapped() {
        return peft == null ? 0 : peft.tunerLayers().size();
    }

    /** @return the parameters that receive gradients, by their Hugging Face keys */
    public Map<String, Parameter> trainable() {
        Map<String, Parameter> out = new java.util.LinkedHashMap<>();
        if (peft != null) {
            for (AdapterTensor t : peft.tensors(PeftModel.DEFAULT_ADAPTER)) {
                if (t.parameter().requiresGradient()) {
                    out.put(t.key(), t.parameter());
                }
            }
            return out;
        }
        ModuleTree.of(base.block()).parameters().forEach((k, p) -> {
            if (p.requiresGradient() && p.isInitialized()) {
                out.put(k, p);
            }
        });
        return out;
    }

    private static long count(Block block) {
        long n = 0;
        for (Parameter p : ModuleTree.of(block).parameters().values()) {
            if (p.isInitialized()) {
                n += p.getArray().size();
            }
        }
        return n;
    }

    /** Closes the adapters and the base weights. */
    @Override
    public void close() {
        if (peft != null) {
            peft.close();
        }
        base.close();
    }
}
