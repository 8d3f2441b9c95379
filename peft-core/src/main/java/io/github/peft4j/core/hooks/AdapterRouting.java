package io.github.peft4j.core.hooks;

import java.util.List;

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

    /** @param adapterNames one name per batch row */
    public AdapterRouting {
        adapterNames = List.copyOf(adapterNames);
    }
}
