package io.github.peft4j.core.hooks;

import io.github.peft4j.core.PeftConfigException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The adapter each batch row uses, for mixed-adapter batches (PEFT's {@code adapter_names}); the
 * name {@value #BASE} means no adapter for that row.
 *
 * <pre>{@code
 * ForwardContext ctx = ForwardContext.empty()
 *         .with(AdapterRouting.KEY, new AdapterRouting(List.of("retail", "__base__", "clinic")));
 * }</pre>
 *
 * @param adapterNames one name per batch row
 */
public record AdapterRouting(List<String> adapterNames) {

    /** The row name that selects the base model alone. */
    public static final String BASE = "__base__";

    /** The context key. */
    public static final ForwardContext.Key<AdapterRouting> KEY =
            new ForwardContext.Key<>("adapter_names", AdapterRouting.class);

    /**
     * PEFT's {@code _check_forward_args} for {@code adapter_names}: one known name per row.
     *
     * @param adapterNames one name per batch row
     * @param rows the batch size
     * @param known the adapters of the model
     * @return the routing
     * @throws PeftConfigException naming the unknown adapters or the count mismatch
     */
    public static AdapterRouting validated(List<String> adapterNames, long rows, Set<String> known) {
        Set<String> unknown = new TreeSet<>(adapterNames);
        unknown.remove(BASE);
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new PeftConfigException("trying to infer with non-existing adapter(s) " + unknown + "; adapters: "
                    + known + " (use '" + BASE + "' for rows without adapter)");
        }
        if (adapterNames.size() != rows) {
            throw new PeftConfigException("mixed batch: " + adapterNames.size() + " adapter names for a batch of "
                    + rows + " rows; give exactly one name per row");
        }
        return new AdapterRouting(adapterNames);
    }

    /** @param adapterNames one name per batch row */
    public AdapterRouting {
        adapterNames = List.copyOf(adapterNames);
    }
}
