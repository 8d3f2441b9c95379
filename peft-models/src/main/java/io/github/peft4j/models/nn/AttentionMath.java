package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.tuner.Tensors;

/**
 * Scaled dot-product attention composed from matMul and softmax (the PyTorch engine has no fused
 * kernel), plus the head reshapes every architecture needs. Shapes: {@code [B, heads, T, D]}.
 *
 * <pre>{@code
 * NDArray q = AttentionMath.splitHeads(qProj.forward(ps, x, training, params).head(), heads, headDim);
 * NDArray out = AttentionMath.mergeHeads(AttentionMath.attend(q, AttentionMath.repeatKv(k, 2),
 *         AttentionMath.repeatKv(v, 2), bias, scale, 0, false));
 * }</pre>
 */
public final class AttentionMath {

    private AttentionMath() {}

    /**
     * @param x [B, T, heads * headDim]
     * @param heads the number of heads
     * @param headDim the head size
     * @return [B, heads, T, headDim]
     */
    public static NDArray splitHeads(NDArray x, int heads, int headDim) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3);
    }

    /**
     * @param x [B, heads, T, headDim]
     * @return [B, T, heads * headDim]
     */
    public static NDArray mergeHeads(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
    }

    /**
     * transformers' {@code repeat_kv}: each key/value head serves {@code groups} query heads.
     *
     * @param kv [B, kvHeads, S, D]
     * @param groups query heads per key/value head
     * @return [B, kvHeads * groups, S, D]
     */
    public static NDArray repeatKv(NDArray kv, int groups) {
        if (groups == 1) {
            return kv;
        }
        Shape s = kv.getShape();
        return kv.expandDims(2)
                .broadcast(new Shape(s.get(0), s.get(1), groups, s.get(2), s.get(3)))
                .reshape(s.get(0), s.get(1) * groups, s.get(2), s.get(3));
    }

    /**
     * {@code softmax(q k^T * scale + bias) v}, with dropout on the probabilities while training.
     *
     * @param q [B, H, T, D]
     * @param k [B, H, S, D]
     * @param v [B, H, S, D]
     * @param bias additive mask broadcastable to [B, H, T, S] (0 where allowed, large negative elsewhere)
     * @param scale the score scale (usually {@code 1/sqrt(D)})
     * @param dropout the attention dropout probability
     * @param training whether the model is training
     * @return [B, H, T, D]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, float scale, double dropout,
            boolean training) {
        return attend(q, k, v, bias, scale, 0f, dropout, training);
    }

    /**
     * As {@link #attend(NDArray, NDArray, NDArray, NDArray, float, double, boolean)}, with Gemma 2's
     * soft-capping of the scaled scores before the mask: {@code cap * tanh(scores / cap)}.
     *
     * @param q [B, H, T, D]
     * @param k [B, H, S, D]
     * @param v [B, H, S, D]
     * @param bias additive mask broadcastable to [B, H, T, S]
     * @param scale the score scale
     * @param softcap the cap, or 0 for none
     * @param dropout the attention dropout probability
     * @param training whether the model is training
     * @return [B, H, T, D]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, float scale, float softcap,
            double dropout, boolean training) {
        // the scope frees the scores (autograd keeps the probabilities) as soon as the attention is done
        return LayerScope.one(() -> {
            // Scaled and masked in place: autograd keeps matMul's inputs, not its output, so one
            // [B, H, T, S] array serves where PyTorch's eager code allocates three. An engine-owned scale:
            // DJL's mul(Number) frees its scalar before backward reads it.
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).muli(Tensors.scalar(q, scale));
            if (softcap > 0) {
                scores = SoftCapping.apply(scores, softcap);
            }
            scores.addi(bias);
            NDArray probs = Dropout.apply(scores.softmax(-1), dropout, training);
            return probs.matMul(v);
        });
    }
}
