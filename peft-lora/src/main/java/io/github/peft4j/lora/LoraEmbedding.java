package io.github.peft4j.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.module.EmbeddingLike;
import io.github.peft4j.core.tuner.Tensors;
import java.util.Optional;

/**
 * LoRA on an embedding table, PEFT's {@code lora.Embedding}:
 * {@code y = base(ids) + (embed(ids, Aᵀ) · Bᵀ)·scaling} with {@code lora_embedding_A} [r, num_embeddings]
 * and {@code lora_embedding_B} [embedding_dim, r] (no dropout, as in PEFT). Merging adds
 * {@code (B·A)ᵀ·scaling} to the [num_embeddings, embedding_dim] table; DoRA adapters scale each
 * embedding dimension by magnitude / norm.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(base, LoraConfig.builder().targetModules("embed_tokens").build());
 * LoraEmbedding e = (LoraEmbedding) model.modules().get("model.embed_tokens");
 * }</pre>
 */
public final class LoraEmbedding extends LoraLayer {

    /** Embedding dimensions are the "outputs" of DoRA's magnitude: axis 1 of [num, dim]. */
    private static final int OUT_AXIS = 1;

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

    @Override
    String nameOfA(String adapterName) {
        return "lora_embedding_A." + adapterName;
    }

    @Override
    String nameOfB(String adapterName) {
        return "lora_embedding_B." + adapterName;
    }

    /** PEFT's {@code Embedding.update_layer}. */
    void addAdapter(String adapterName, LoraSettings s, InitLoraWeights init, NDManager manager) {
        if (s.r() <= 0) {
            throw new PeftConfigException("`r` should be a positive integer value but the value passed is " + s.r());
        }
        if (s.loraBias()) {
            // PEFT fails here too: lora_embedding_B is a bare tensor with no bias to initialise
            throw new PeftCompatibilityException("lora_bias=True is not supported for embedding layers");
        }
        LoraInit.Tensors t = LoraInit.embedding(init, s.r(), embedding.numEmbeddings(), embedding.embeddingDim(),
                manager, adapterDType());
        addAdapterParameter(adapterName, nameOfA(adapterName), t.a());
        addAdapterParameter(adapterName, nameOfB(adapterName), t.b());
        putSettings(adapterName, s);
        if (s.useDora()) {
            NDArray magnitude;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray w = baseWeight().getArray().toType(adapterDType(), false);
                magnitude = Dora.norm(w.add(deltaOf(t.a(), t.b(), s.scaling())), OUT_AXIS);
                NDScope.unregister(magnitude);
            }
            addAdapterParameter(adapterName, nameOfMagnitude(adapterName), magnitude);
        }
    }

    /** (B·A)ᵀ·scaling: [num_embeddings, embedding_dim]. */
    @Override
    NDArray deltaOf(NDArray a, NDArray b, double scaling) {
        NDArray delta = b.matMul(a);
        delta.muli(Tensors.scalar(delta, scaling)); // in place: one temporary, not two
        return delta.transpose();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList baseOut = baseLayer().forward(ps, inputs, training, params);
        if (adaptersDisabled()) {
            return baseOut;
        }
        NDArray ids = inputs.head();
        NDArray result = baseOut.head();
        Optional<AdapterRouting> routing = routing(params);
        if (routing.isPresent()) {
            checkRouting(ids.getShape().get(0), routing.get(), training);
            return new NDList(mixedBatch(ids, result, routing.get(), (name, rows) -> loraTerm(ps, name, rows, false)));
        }
        for (String name : adaptersForForward()) {
            if (settings(name).useDora()) {
                result = doraStep(ps, name, ids, result, training);
            } else {
                result = result.add(loraTerm(ps, name, ids, training).toType(result.getDataType(), false));
            }
        }
        return new NDList(result);
    }

    /** embed(ids, Aᵀ)·Bᵀ·scaling. */
    private NDArray loraTerm(ParameterStore ps, String name, NDArray ids, boolean training) {
        Device device = ids.getDevice();
        NDArray a = value(ps, name, nameOfA(name), device, training);
        NDArray b = value(ps, name, nameOfB(name), device, training);
        NDArray afterA = lookup(ids, local(a.transpose(), ids));
        NDArray up = afterA.matMul(local(b.transpose(), ids));
        return up.mul(Tensors.scalar(up, settings(name).scaling())); // engine-owned, see Tensors.scalar
    }

    private static NDArray lookup(NDArray ids, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).head();
    }

    /**
     * PEFT's {@code DoraEmbeddingVariant.forward}: with s = m / ||W + scaling·(BA)ᵀ|| per embedding
     * dimension (detached), the output so far becomes s·result + s·embed(ids, Aᵀ)·Bᵀ·scaling.
     */
    private NDArray doraStep(ParameterStore ps, String name, NDArray ids, NDArray resultSoFar, boolean training) {
        LoraSettings s = settings(name);
        Device device = ids.getDevice();
        NDArray a = value(ps, name, nameOfA(name), device, training);
        NDArray b = value(ps, name, nameOfB(name), device, training);
        NDArray magnitude = value(ps, name, nameOfMagnitude(name), device, training);
        NDArray weight = ps.getValue(baseWeight(), device, training);
        NDArray loraWeight = local(deltaOf(a, b, s.scaling()), resultSoFar).stopGradient();
        NDArray norm = Dora.norm(loraWeight.add(weight.toType(loraWeight.getDataType(), false)), OUT_AXIS)
                .stopGradient();
        NDArray scale = local(magnitude.div(norm), resultSoFar);
        NDArray lora = loraTerm(ps, name, ids, training);
        return resultSoFar.mul(scale).add(lora.mul(scale).toType(resultSoFar.getDataType(), false));
    }

    @Override
    void mergeOne(String adapterName) {
        LoraSettings s = settings(adapterName);
        NDArray w = baseWeight().getArray();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray delta = deltaOf(loraA(adapterName), loraB(adapterName), s.scaling()).toType(w.getDataType(), false);
            if (s.useDora()) {
                NDArray merged = w.add(delta);
                NDArray norm = Dora.norm(merged, OUT_AXIS);
                NDScope.unregister(norm);
                cacheMergedNorm(adapterName, norm);
                NDArray factor = adapterArray(adapterName, nameOfMagnitude(adapterName)).div(norm);
                Tensors.assign(w, merged.mul(Dora.alongOutputs(factor, OUT_AXIS)));
            } else {
                w.addi(delta);
            }
        }
    }

    @Override
    void unmergeOne(String adapterName) {
        LoraSettings s = settings(adapterName);
        NDArray w = baseWeight().getArray();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray delta = deltaOf(loraA(adapterName), loraB(adapterName), s.scaling()).toType(w.getDataType(), false);
            if (s.useDora()) {
                try (NDArray norm = takeMergedNorm(adapterName)) {
                    NDArray factor = adapterArray(adapterName, nameOfMagnitude(adapterName)).div(norm);
                    Tensors.assign(w, w.div(Dora.alongOutputs(factor, OUT_AXIS)).sub(delta));
                }
            } else {
                w.subi(delta);
            }
        }
    }
}
