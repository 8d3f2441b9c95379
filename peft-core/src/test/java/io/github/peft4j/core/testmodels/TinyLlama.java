package io.github.peft4j.core.testmodels;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.BaseModelInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A tiny {@code LlamaForCausalLM} with Hugging Face's module paths: {@code model.embed_tokens},
 * {@code model.layers.<i>.{input_layernorm,post_attention_layernorm}} (RMSNorm, weight only),
 * {@code model.layers.<i>.self_attn.{q,k,v,o}_proj}, {@code model.layers.<i>.mlp.{gate,up,down}_proj}
 * (DJL Linear without bias), {@code model.norm}, {@code lm_head}. Causal attention without rotary
 * embeddings (positions do not matter to tuners). Input int64 ids [B, T]; output logits [B, T, vocab].
 *
 * <pre>{@code
 * TinyLlama llama = TinyLlama.create(manager, 16, 16, 2, 2, 32, 42);
 * }</pre>
 */
public final class TinyLlama extends Module implements BaseModelInfo {

    private final Block model;
    private final Block lmHead;

    private TinyLlama(NDManager manager, int vocab, int dim, int layers, int heads, int intermediate) {
        model = addChildBlock("model", new LlamaModel(manager, vocab, dim, layers, heads, intermediate));
        lmHead = addChildBlock("lm_head", linear(manager, dim, vocab, false));
    }

    /**
     * @param manager the manager for the weights
     * @param vocab vocabulary size
     * @param dim hidden size
     * @param layers number of decoder layers
     * @param heads attention heads
     * @param intermediate MLP size
     * @param seed the engine seed
     * @return the model
     */
    public static TinyLlama create(NDManager manager, int vocab, int dim, int layers, int heads, int intermediate, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        return new TinyLlama(manager, vocab, dim, layers, heads, intermediate);
    }

    @Override
    public String modelType() {
        return "llama";
    }

    @Override
    public Optional<String> outputEmbeddingsPath() {
        return Optional.of("lm_head");
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
        return lmHead.forward(ps, model.forward(ps, in, training, p), training, p);
    }

    static final class LlamaModel extends Module {
        private final Block embedTokens;
        private final Block layers;
        private final Block norm;

        LlamaModel(NDManager manager, int vocab, int dim, int n, int heads, int intermediate) {
            embedTokens = addChildBlock("embed_tokens", new Embedding(manager, vocab, dim));
            List<Block> blocks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                blocks.add(new DecoderLayer(manager, dim, heads, intermediate));
            }
            layers = addChildBlock("layers", new ModuleList(blocks));
            norm = addChildBlock("norm", Norm.rmsNorm(manager, dim));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDList x = embedTokens.forward(ps, in, training, p);
            return norm.forward(ps, layers.forward(ps, x, training, p), training, p);
        }
    }

    static final class DecoderLayer extends Module {
        private final Block inputLayernorm;
        private final Block selfAttn;
        private final Block postAttentionLayernorm;
        private final Block mlp;

        DecoderLayer(NDManager manager, int dim, int heads, int intermediate) {
            inputLayernorm = addChildBlock("input_layernorm", Norm.rmsNorm(manager, dim));
            selfAttn = addChildBlock("self_attn", new LlamaAttention(manager, dim, heads));
            postAttentionLayernorm = addChildBlock("post_attention_layernorm", Norm.rmsNorm(manager, dim));
            mlp = addChildBlock("mlp", new LlamaMlp(manager, dim, intermediate));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray x = in.singletonOrThrow();
            NDArray a = selfAttn.forward(ps, inputLayernorm.forward(ps, in, training, p), training, p).singletonOrThrow();
            NDArray h = x.add(a);
            NDList normed = postAttentionLayernorm.forward(ps, new NDList(h), training, p);
            return new NDList(h.add(mlp.forward(ps, normed, training, p).singletonOrThrow()));
        }
    }

    static final class LlamaAttention extends Module {
        private final Block qProj;
        private final Block kProj;
        private final Block vProj;
        private final Block oProj;
        private final int heads;

        LlamaAttention(NDManager manager, int dim, int heads) {
            this.heads = heads;
            qProj = addChildBlock("q_proj", linear(manager, dim, dim, false));
            kProj = addChildBlock("k_proj", linear(manager, dim, dim, false));
            vProj = addChildBlock("v_proj", linear(manager, dim, dim, false));
            oProj = addChildBlock("o_proj", linear(manager, dim, dim, false));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray q = qProj.forward(ps, in, training, p).singletonOrThrow();
            NDArray k = kProj.forward(ps, in, training, p).singletonOrThrow();
            NDArray v = vProj.forward(ps, in, training, p).singletonOrThrow();
            return oProj.forward(ps, new NDList(Attention.attend(q, k, v, heads, true)), training, p);
        }
    }

    static final class LlamaMlp extends Module {
        private final Block gateProj;
        private final Block upProj;
        private final Block downProj;

        LlamaMlp(NDManager manager, int dim, int intermediate) {
            gateProj = addChildBlock("gate_proj", linear(manager, dim, intermediate, false));
            upProj = addChildBlock("up_proj", linear(manager, dim, intermediate, false));
            downProj = addChildBlock("down_proj", linear(manager, intermediate, dim, false));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray g = gateProj.forward(ps, in, training, p).singletonOrThrow();
            NDArray gate = g.mul(Activation.sigmoid(g)); // not Activation.swish: its mul(Number) breaks backward
            NDArray up = upProj.forward(ps, in, training, p).singletonOrThrow();
            return downProj.forward(ps, new NDList(gate.mul(up)), training, p);
        }
    }
}
