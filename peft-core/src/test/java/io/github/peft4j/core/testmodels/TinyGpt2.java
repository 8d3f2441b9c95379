package io.github.peft4j.core.testmodels;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.tuner.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A tiny {@code GPT2LMHeadModel} with Hugging Face's module paths: {@code transformer.{wte,wpe}},
 * {@code transformer.h.<i>.{ln_1,ln_2}}, {@code transformer.h.<i>.attn.{c_attn,c_proj}} and
 * {@code transformer.h.<i>.mlp.{c_fc,c_proj}} ({@link Conv1D}, weights [in, out]),
 * {@code transformer.ln_f}, {@code lm_head} (DJL Linear without bias). Pre-LN blocks, causal
 * attention, gelu-tanh. Input int64 ids [B, T]; output logits [B, T, vocab].
 *
 * <pre>{@code
 * TinyGpt2 gpt2 = TinyGpt2.create(manager, 16, 16, 2, 2, 8, 42);
 * }</pre>
 */
public final class TinyGpt2 extends Module implements BaseModelInfo {

    private final Block transformer;
    private final Block lmHead;

    private TinyGpt2(NDManager manager, int vocab, int dim, int layers, int heads, int positions) {
        transformer = addChildBlock("transformer", new Transformer(manager, vocab, dim, layers, heads, positions));
        lmHead = addChildBlock("lm_head", linear(manager, dim, vocab, false));
    }

    /**
     * @param manager the manager for the weights
     * @param vocab vocabulary size
     * @param dim hidden size (the MLP is 4 × dim)
     * @param layers number of blocks
     * @param heads attention heads
     * @param positions longest sequence
     * @param seed the engine seed
     * @return the model
     */
    public static TinyGpt2 create(NDManager manager, int vocab, int dim, int layers, int heads, int positions, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        return new TinyGpt2(manager, vocab, dim, layers, heads, positions);
    }

    @Override
    public String modelType() {
        return "gpt2";
    }

    @Override
    public Optional<String> outputEmbeddingsPath() {
        return Optional.of("lm_head");
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
        return lmHead.forward(ps, transformer.forward(ps, in, training, p), training, p);
    }

    static NDArray geluNew(NDArray x) {
        NDArray inner = x.add(x.mul(x).mul(x).mul(Tensors.scalar(x, 0.044715))).mul(Tensors.scalar(x, Math.sqrt(2 / Math.PI)));
        return x.mul(inner.tanh().add(Tensors.scalar(x, 1))).mul(Tensors.scalar(x, 0.5));
    }

    static final class Transformer extends Module {
        private final Block wte;
        private final Block wpe;
        private final Block h;
        private final Block lnF;

        Transformer(NDManager manager, int vocab, int dim, int layers, int heads, int positions) {
            wte = addChildBlock("wte", new Embedding(manager, vocab, dim));
            wpe = addChildBlock("wpe", new Embedding(manager, positions, dim));
            List<Block> blocks = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                blocks.add(new Gpt2Block(manager, dim, heads));
            }
            h = addChildBlock("h", new ModuleList(blocks));
            lnF = addChildBlock("ln_f", Norm.layerNorm(manager, dim));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray ids = in.singletonOrThrow();
            NDArray positions = ids.getManager().arange(0, (int) ids.getShape().get(1), 1, DataType.INT64).expandDims(0);
            NDArray x = wte.forward(ps, in, training, p).singletonOrThrow()
                    .add(wpe.forward(ps, new NDList(positions), training, p).singletonOrThrow());
            return lnF.forward(ps, h.forward(ps, new NDList(x), training, p), training, p);
        }
    }

    static final class Gpt2Block extends Module {
        private final Block ln1;
        private final Block attn;
        private final Block ln2;
        private final Block mlp;

        Gpt2Block(NDManager manager, int dim, int heads) {
            ln1 = addChildBlock("ln_1", Norm.layerNorm(manager, dim));
            attn = addChildBlock("attn", new Gpt2Attention(manager, dim, heads));
            ln2 = addChildBlock("ln_2", Norm.layerNorm(manager, dim));
            mlp = addChildBlock("mlp", new Gpt2Mlp(manager, dim));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray x = in.singletonOrThrow();
            NDArray a = attn.forward(ps, ln1.forward(ps, in, training, p), training, p).singletonOrThrow();
            NDArray h = x.add(a);
            NDArray m = mlp.forward(ps, ln2.forward(ps, new NDList(h), training, p), training, p).singletonOrThrow();
            return new NDList(h.add(m));
        }
    }

    static final class Gpt2Attention extends Module {
        private final Block cAttn;
        private final Block cProj;
        private final int heads;

        Gpt2Attention(NDManager manager, int dim, int heads) {
            this.heads = heads;
            cAttn = addChildBlock("c_attn", new Conv1D(manager, dim, 3 * dim));
            cProj = addChildBlock("c_proj", new Conv1D(manager, dim, dim));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDList qkv = cAttn.forward(ps, in, training, p).singletonOrThrow().split(3, 2);
            NDArray out = Attention.attend(qkv.get(0), qkv.get(1), qkv.get(2), heads, true);
            return cProj.forward(ps, new NDList(out), training, p);
        }
    }

    static final class Gpt2Mlp extends Module {
        private final Block cFc;
        private final Block cProj;

        Gpt2Mlp(NDManager manager, int dim) {
            cFc = addChildBlock("c_fc", new Conv1D(manager, dim, 4 * dim));
            cProj = addChildBlock("c_proj", new Conv1D(manager, 4 * dim, dim));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray h = geluNew(cFc.forward(ps, in, training, p).singletonOrThrow());
            return cProj.forward(ps, new NDList(h), training, p);
        }
    }
}
