package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDList;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;

/**
 * A tuner's forward for a mixed batch in one pass over all rows (Punica's BGMV for LoRA: each row's
 * A and B gathered, one batched matmul), for forwards whose rows' floats must not depend on which
 * other rows share the batch, nor on how many use the same adapter: a batched decode step of a
 * server. Under {@link #KEY} a {@link BaseTunerLayer} runs its base layer once on all rows and asks
 * an implementation that {@link #supports} every adapter the rows name (see {@link GatheredBatch}).
 * Implementations are found with {@link java.util.ServiceLoader}, as {@code PeftMethod}s are.
 *
 * <pre>{@code
 * ForwardContext ctx = ForwardContext.empty().with(AdapterRouting.KEY, routing).with(RowGather.KEY, true);
 * boolean batched = GatheredBatch.supportsAdapter(peftModel.tunerLayers(), "acme");
 * }</pre>
 */
public interface RowGather {

    /** The context key: present (true) when the forward's rows must be computed in one pass. */
    ForwardContext.Key<Boolean> KEY = new ForwardContext.Key<>("gathered_rows", Boolean.class);

    /**
     * @param layer a tuner layer
     * @param adapter an adapter it holds
     * @return whether {@link #forward} computes that adapter's rows of that layer
     */
    boolean supports(TunerLayer layer, String adapter);

    /**
     * The layer's output: the base layer on all rows plus each row's adapter term, every matmul
     * shaped independently of how the rows are grouped.
     *
     * @param layer the layer
     * @param call the forward call (all rows)
     * @param routing one adapter per row; the layer may hold only some of them (the others are base rows)
     * @return the output, rows in order
     */
    NDList forward(BaseTunerLayer layer, ForwardCall call, AdapterRouting routing);
}
