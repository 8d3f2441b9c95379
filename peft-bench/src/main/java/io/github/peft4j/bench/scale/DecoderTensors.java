package io.github.peft4j.bench.scale;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.config.ModelConfigs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The state dict of a Llama-style decoder (Llama, SmolLM, Qwen2) as transformers names and orders it,
 * computed from {@code config.json} alone: nothing is allocated, so the full-size models can be
 * counted and a checkpoint streamed tensor by tensor.
 *
 * <pre>{@code
 * List<DecoderTensors.Tensor> dict = DecoderTensors.of(PublishedModel.QWEN2_5_0_5B.config());
 * long params = DecoderTensors.parameterCount(dict);       // 494,032,768
 * }</pre>
 */
public final class DecoderTensors {

    private DecoderTensors() {}

    /**
     * One tensor of the state dict.
     *
     * @param name the transformers key, e.g. {@code model.layers.0.self_attn.q_proj.weight}
     * @param shape its dimensions, {@code [out, in]} for a linear weight
     * @param norm whether it is a norm weight (initialised to ones, as transformers does)
     */
    public record Tensor(String name, long[] shape, boolean norm) {

        /** @return the number of elements */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /**
     * @param config a {@code config.json} of model_type llama, mistral or qwen2
     * @return the tensors in state-dict order: embedding, each layer's attention, MLP and norms, final
     *     norm, and {@code lm_head.weight} unless the head is tied (then it is not saved, as in
     *     transformers' {@code save_pretrained})
     * @throws PeftConfigException for a Llama-family variant with other tensors (q/k norms, fused
     *     projections, Gemma's extra norms)
     */
    public static List<Tensor> of(ObjectNode config) {
        ModelConfig parsed = ModelConfigs.parse(config.deepCopy(), Path.of("config.json"));
        if (!(parsed instanceof LlamaConfig c) || c.qkNorm() || c.fusedProjections() || c.gemma().isPresent()) {
            throw new PeftConfigException("only the plain Llama / Qwen2 decoder layout is written, not "
                    + parsed.modelType());
        }
        long hidden = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long ffn = c.intermediateSize();
        List<Tensor> out = new ArrayList<>();
        out.add(new Tensor("model.embed_tokens.weight", new long[] {c.vocabSize(), hidden}, false));
        for (int i = 0; i < c.numLayers(); i++) {
            String attn = "model.layers." + i + ".self_attn.";
            linear(out, attn + "q_proj", q, hidden, c.qkvBias());
            linear(out, attn + "k_proj", kv, hidden, c.qkvBias());
            linear(out, attn + "v_proj", kv, hidden, c.qkvBias());
            linear(out, attn + "o_proj", hidden, q, c.oProjBias());
            String mlp = "model.layers." + i + ".mlp.";
            linear(out, mlp + "gate_proj", ffn, hidden, c.mlpBias());
            linear(out, mlp + "up_proj", ffn, hidden, c.mlpBias());
            linear(out, mlp + "down_proj", hidden, ffn, c.mlpBias());
            out.add(new Tensor("model.layers." + i + ".input_layernorm.weight", new long[] {hidden}, true));
            out.add(new Tensor("model.layers." + i + ".post_attention_layernorm.weight", new long[] {hidden}, true));
        }
        out.add(new Tensor("model.norm.weight", new long[] {hidden}, true));
        if (!c.tieWordEmbeddings()) {
            out.add(new Tensor("lm_head.weight", new long[] {c.vocabSize(), hidden}, false));
        }
        return out;
    }

    /**
     * @param tensors a state dict
     * @return its parameter count
     */
    public static long parameterCount(List<Tensor> tensors) {
        return tensors.stream().mapToLong(Tensor::elements).sum();
    }

    private static void linear(List<Tensor> out, String path, long outFeatures, long inFeatures, boolean bias) {
        out.add(new Tensor(path + ".weight", new long[] {outFeatures, inFeatures}, false));
        if (bias) {
            out.add(new Tensor(path + ".bias", new long[] {outFeatures}, false));
        }
    }
}
