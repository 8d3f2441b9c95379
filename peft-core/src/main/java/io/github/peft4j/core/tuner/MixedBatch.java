package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.AdapterRouting;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Forward for mixed-adapter batches (PEFT's {@code adapter_names}): the rows of a batch are grouped
 * by the adapter their {@link AdapterRouting} names, each group is computed on its own rows, and
 * the results are put back in the original row order. This is PEFT's {@code _mixed_batch_forward}
 * for any tuner layer; {@link BaseTunerLayer} runs every tuner's forward through it.
 *
 * <pre>{@code
 * Optional<AdapterRouting> routing = ForwardContext.current(params).get(AdapterRouting.KEY);
 * if (routing.isPresent()) {
 *     NDList y = MixedBatch.apply(inputs, routing.get(),
 *             (adapter, rows) -> AdapterRouting.BASE.equals(adapter) ? base(rows) : adapted(adapter, rows));
 * }
 * }</pre>
 */
public final class MixedBatch {

    private MixedBatch() {}

    /**
     * @param routing one adapter name per row
     * @return the rows of each name, names in order of first appearance
     */
    public static Map<String, long[]> rowsByAdapter(AdapterRouting routing) {
        Map<String, List<Long>> lists = new LinkedHashMap<>();
        List<String> names = routing.adapterNames();
        for (int row = 0; row < names.size(); row++) {
            lists.computeIfAbsent(names.get(row), k -> new ArrayList<>()).add((long) row);
        }
        Map<String, long[]> out = new LinkedHashMap<>();
        lists.forEach((name, rows) -> out.put(name, rows.stream().mapToLong(Long::longValue).toArray()));
        return out;
    }

    /**
     * Computes {@code perAdapter} once per adapter on that adapter's rows and reassembles the
     * batch. Every input and every output must have the batch on axis 0.
     *
     * @param inputs the layer's inputs; rows are taken from each of them
     * @param routing one adapter name per row ({@value AdapterRouting#BASE} for the base model)
     * @param perAdapter the layer's outputs for one adapter and the inputs restricted to its rows
     * @return the outputs, rows in the original order
     * @throws PeftCompatibilityException if the routing does not have one name per row
     */
    public static NDList apply(NDList inputs, AdapterRouting routing, BiFunction<String, NDList, NDList> perAdapter) {
        long batch = inputs.head().getShape().get(0);
        if (routing.adapterNames().size() != batch) {
            throw new PeftCompatibilityException("mixed batch: " + routing.adapterNames().size()
                    + " adapter names for a batch of " + batch + " rows; give exactly one name per row");
        }
        Map<String, long[]> groups = rowsByAdapter(routing);
        if (groups.size() == 1) {
            return perAdapter.apply(groups.keySet().iterator().next(), inputs);
        }
        List<NDList> parts = new ArrayList<>();
        long[] order = new long[(int) batch];
        int filled = 0;
        for (Map.Entry<String, long[]> group : groups.entrySet()) {
            NDArray index = inputs.head().getManager().create(group.getValue()).toDevice(inputs.head().getDevice(), false);
            NDList rows = new NDList();
            for (NDArray input : inputs) {
                rows.add(input.get(new NDIndex("{}", index)));
            }
            parts.add(perAdapter.apply(group.getKey(), rows));
            for (long row : group.getValue()) {
                order[filled++] = row;
            }
        }
        long[] inverse = new long[order.length];
        for (int position = 0; position < order.length; position++) {
            inverse[(int) order[position]] = position;
        }
        NDList out = new NDList();
        for (int k = 0; k < parts.get(0).size(); k++) {
            NDList piece = new NDList();
            for (NDList part : parts) {
                piece.add(part.get(k));
            }
            NDArray stacked = NDArrays.concat(piece, 0);
            NDArray back = stacked.getManager().create(inverse).toDevice(stacked.getDevice(), false);
            out.add(stacked.get(new NDIndex("{}", back)));
        }
        return out;
    }
}
