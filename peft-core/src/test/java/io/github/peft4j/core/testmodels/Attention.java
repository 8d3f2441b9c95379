package io.github.peft4j.core.testmodels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.tuner.Tensors;

/** Multi-head scaled dot-product attention, composed from DJL ops. */
final class Attention {

    private Attention() {}

    /**
     * @param q queries [B, T, D]
     * @param k keys [B, T, D]
     * @param v values [B, T, D]
     * @param heads number of heads
     * @param causal whether position t may only attend to positions up to t
     * @return [B, T, D]
     */
    static NDArray attend(NDArray q, NDArray k, NDArray v, int heads, boolean causal) {
        Shape s = q.getShape();
        long b = s.get(0);
        long t = s.get(1);
        long d = s.get(2);
        long hd = d / heads;
        NDArray qh = q.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray kh = k.reshape(b, t, heads, hd).transpose(0, 2, 3, 1);
        NDArray vh = v.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray scores = qh.matMul(kh).div(Tensors.scalar(q, Math.sqrt(hd)));
        if (causal) {
            NDArray r = q.getManager().arange((int) t);
            NDArray future = r.expandDims(1).lt(r.expandDims(0)).toType(DataType.FLOAT32, false).mul(-1e9f);
            scores = scores.add(future);
        }
        return scores.softmax(-1).matMul(vh).transpose(0, 2, 1, 3).reshape(b, t, d);
    }
}
