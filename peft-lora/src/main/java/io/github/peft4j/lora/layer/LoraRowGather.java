package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.tuner.BaseTunerLayer;
import io.github.peft4j.core.tuner.ForwardCall;
import io.github.peft4j.core.tuner.RowGather;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain LoRA on linear layers for a gathered batch (Punica's BGMV): the base layer runs once on all
 * rows; each row's A and B are stacked into {@code [rows, r, in]} and {@code [rows, out, r]} and
 * two batched matmuls give every row its own {@code x·Aᵀ·Bᵀ}, each batch element an independent
 * matmul whose shape does not depend on the other rows; then each row's scaling. Rows of different
 * ranks go in one batched matmul per rank (no zero-padding of ranks, which would change a row's
 * summation length with its neighbours). Base rows, and rows whose adapter this layer does not hold,
 * ride in the first rank's matmul with zero A and B, so their term is zero.
 * DoRA, {@code lora_bias} and LoRA on embeddings are not supported: their rows are decoded alone.
 *
 * <pre>{@code
 * ForwardContext ctx = ForwardContext.empty().with(AdapterRouting.KEY, routing).with(RowGather.KEY, true);
 * // every LoraLinear of the model now computes its mixed batch through this class
 * }</pre>
 */
public final class LoraRowGather implements RowGather {

    @Override
    public boolean supports(TunerLayer layer, String adapter) {
        if (!(layer instanceof LoraLinear lora) || !lora.adapterNames().contains(adapter)) {
            return false;
        }
        LoraSettings s = lora.settings(adapter);
        return !s.useDora() && !s.loraBias();
    }

    @Override
    public NDList forward(BaseTunerLayer layer, ForwardCall call, AdapterRouting routing) {
        LoraLinear lora = (LoraLinear) layer;
        NDList base = layer.baseLayer().forward(call.parameterStore(), call.inputs(), call.training(), call.params());
        NDArray y = base.head();
        NDArray x = call.input();
        if (x.getShape().dimension() != 3) {
            throw new IllegalArgumentException("a gathered LoRA batch takes [rows, tokens, in] inputs; got " + x.getShape());
        }
        List<String> names = routing.adapterNames();
        Map<Integer, List<Integer>> byRank = new LinkedHashMap<>();
        for (int row = 0; row < names.size(); row++) {
            if (lora.hasAdapter(names.get(row))) {
                byRank.computeIfAbsent(lora.settings(names.get(row)).r(), r -> new ArrayList<>()).add(row);
            }
        }
        List<Integer> first = byRank.values().iterator().next();
        for (int row = 0; row < names.size(); row++) {
            if (!lora.hasAdapter(names.get(row))) {
                first.add(row);
            }
        }
        NDArray delta = byRank.size() == 1 ? rowTerms(lora, call, x, names) : regroup(lora, call, x, names, byRank);
        NDList out = new NDList(y.add(delta.toType(y.getDataType(), false)));
        out.addAll(base.subNDList(1));
        return out;
    }

    /** Each rank group on its rows, then the rows put back in order. */
    private static NDArray regroup(LoraLinear lora, ForwardCall call, NDArray x, List<String> names,
            Map<Integer, List<Integer>> byRank) {
        NDManager m = x.getManager();
        NDList parts = new NDList();
        long[] order = new long[names.size()];
        int filled = 0;
        for (List<Integer> rows : byRank.values()) {
            long[] index = rows.stream().mapToLong(Integer::longValue).toArray();
            NDArray picked = x.get(new NDIndex("{}", m.create(index)));
            parts.add(rowTerms(lora, call, picked, rows.stream().map(names::get).toList()));
            for (long row : index) {
                order[filled++] = row;
            }
        }
        long[] inverse = new long[order.length];
        for (int position = 0; position < order.length; position++) {
            inverse[(int) order[position]] = position;
        }
        return NDArrays.concat(parts, 0).get(new NDIndex("{}", m.create(inverse)));
    }

    /**
     * @param x the rows' inputs, [n, T, in]
     * @param names the adapter of each row of {@code x} (held by the layer, all with one rank, or not held)
     * @return [n, T, out] each row's {@code x·Aᵀ·Bᵀ·scaling}, zero for rows whose adapter the layer lacks
     */
    private static NDArray rowTerms(LoraLinear lora, ForwardCall call, NDArray x, List<String> rowNames) {
        int n = (int) x.getShape().get(0);
        String any = rowNames.stream().filter(lora::hasAdapter).findFirst().orElseThrow();
        NDArray aLike = lora.tensor(call, any, lora.nameOfA(any));
        NDArray bLike = lora.tensor(call, any, lora.nameOfB(any));
        NDArray zeroA = null;
        NDArray zeroB = null;
        NDList as = new NDList(n);
        NDList bs = new NDList(n);
        float[] scales = new float[n];
        for (int i = 0; i < n; i++) {
            String name = rowNames.get(i);
            if (lora.hasAdapter(name)) {
                as.add(lora.tensor(call, name, lora.nameOfA(name)));
                bs.add(lora.tensor(call, name, lora.nameOfB(name)));
                scales[i] = (float) lora.settings(name).scaling();
            } else {
                zeroA = zeroA == null ? LoraLayer.local(aLike.zerosLike(), x) : zeroA;
                zeroB = zeroB == null ? LoraLayer.local(bLike.zerosLike(), x) : zeroB;
                as.add(zeroA);
                bs.add(zeroB);
            }
        }
        NDArray a = LoraLayer.local(NDArrays.stack(as), x);     // [n, r, in]
        NDArray b = LoraLayer.local(NDArrays.stack(bs), x);     // [n, out, r]
        NDArray h = x.toType(a.getDataType(), false);
        NDArray up = h.batchMatMul(a.transpose(0, 2, 1)).batchMatMul(b.transpose(0, 2, 1));
        NDArray scale = x.getManager().create(scales, new Shape(n, 1, 1)).toType(up.getDataType(), false);
        return up.mul(scale);
    }
}
