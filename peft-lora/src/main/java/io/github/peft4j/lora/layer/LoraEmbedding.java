package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.module.EmbeddingLike;
import io.github.peft4j.core.tuner.ForwardCall;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.lora.init.InitLoraWeights;
import io.github.peft4j.lora.init.LoraInit;

/**
 * LoRA on an embedding table, PEFT's {@code lora.Embedding}:
 * {@code y = base(ids) + (embed(ids, Aᵀ) · Bᵀ)·scaling} with {@code lora_embedding_A} [r, num_embeddings]
 * and {@code lora_embedding_B} [embedding_dim, r] (no dropout, as in PEFT). Merging adds
 * {@code (B·A)ᵀ·scaling} to the [num_embeddings, embedding_dim] table; DoRA adapters scale each
 * embedding dimension by magnitude / norm ({@link DoraEmbeddingVariant}).
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(base, LoraConfig.builder().targetModules("embed_tokens").build());
 * LoraEmbedding e = (LoraEmbedding) model.modules().get("model.embed_tokens");
 * }</pre>
 */
public final class LoraEmbedding extends LoraLayer {

    private final EmbeddingLike embedding;

    /**
     * @param baseLayer the embedding layer being adapted
     * @param embedding its weight view
     */
    LoraEmbedding(Block baseLayer, EmbeddingLike embedding) {
        super(baseLayer);
        this.embedding = embedding;
    }

    @Override
    Parameter baseWeight() {
        return embedding.weight();
    }

    /** Embedding dimensions are the "outputs" of DoRA's magnitude: axis 1 of [num, dim]. */
    @Override
    int outAxis() {
        return 1;
    }

    @Override
    String nameOfA(String adapterName) {
        return "lora_embedding_A." + adapterName;
    }

    @Override
    String nameOfB(String adapterName) {
        return "lora_embedding_B." + adapterName;
    }

    @Override
    DoraVariant doraVariant(String adapterName) {
        return new DoraEmbeddingVariant(this, adapterName);
    }

    /** PEFT's {@code Embedding.update_layer}. */
    @Override
    public void addAdapter(String adapterName, LoraSettings s, InitLoraWeights init, NDManager manager) {
        if (s.loraBias()) {
            // PEFT fails here too: lora_embedding_B is a bare tensor with no bias to initialise
            throw new PeftCompatibilityException("lora_bias=True is not supported for embedding layers");
        }
        LoraInit.Tensors t = LoraInit.embedding(init, s.r(), embedding.numEmbeddings(), embedding.embeddingDim(),
                manager, adapterDType());
        addAB(adapterName, t.a(), t.b());
        startVariant(adapterName, s);
    }

    /** (B·A)ᵀ·scaling: [num_embeddings, embedding_dim]. */
    @Override
    NDArray deltaOf(NDArray a, NDArray b, double scaling) {
        NDArray delta = b.matMul(a);
        delta.muli(Tensors.scalar(delta, scaling)); // in place: one temporary, not two
        return delta.transpose();
    }

    /** embed(ids, Aᵀ)·Bᵀ·scaling. */
    @Override
    NDArray loraTerm(ForwardCall call, String name) {
        NDArray ids = call.input();
        NDArray a = tensor(call, name, nameOfA(name));
        NDArray b = tensor(call, name, nameOfB(name));
        NDArray afterA = lookup(ids, local(a.transpose(), ids));
        NDArray up = afterA.matMul(local(b.transpose(), ids));
        return up.mul(Tensors.scalar(up, settings(name).scaling())); // engine-owned, see Tensors.scalar
    }

    private static NDArray lookup(NDArray ids, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).head();
    }
}
