package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import io.github.peft4j.core.tuner.ForwardCall;

/**
 * PEFT's {@code DoraEmbeddingVariant.forward}: with s = m / ||W + scaling·(BA)ᵀ|| per embedding
 * dimension (detached), the output so far becomes s·result + s·embed(ids, Aᵀ)·Bᵀ·scaling; the term
 * added is therefore (s − 1)·result + s·lora.
 *
 * <pre>{@code
 * LoraVariant v = new DoraEmbeddingVariant(loraEmbedding, "default");
 * }</pre>
 */
final class DoraEmbeddingVariant extends DoraVariant {

    DoraEmbeddingVariant(LoraEmbedding layer, String adapter) {
        super(layer, adapter);
    }

    @Override
    public NDArray delta(ForwardCall call, NDArray resultSoFar) {
        NDArray a = layer.tensor(call, adapter, layer.nameOfA(adapter));
        NDArray b = layer.tensor(call, adapter, layer.nameOfB(adapter));
        NDArray magnitude = layer.tensor(call, adapter, nameOfMagnitude(adapter));
        NDArray weight = call.value(layer.baseWeight());
        NDArray loraWeight = LoraLayer.local(layer.deltaOf(a, b, scaling()), resultSoFar).stopGradient();
        NDArray norm = norm(loraWeight.add(weight.toType(loraWeight.getDataType(), false))).stopGradient();
        NDArray scale = LoraLayer.local(magnitude.div(norm), resultSoFar);
        NDArray lora = layer.loraTerm(call, adapter);
        return resultSoFar.mul(scale.sub(1)).add(lora.mul(scale).toType(resultSoFar.getDataType(), false));
    }
}
