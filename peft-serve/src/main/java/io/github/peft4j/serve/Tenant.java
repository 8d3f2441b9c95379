package io.github.peft4j.serve;

import java.util.Set;

/**
 * Who a request comes from (found by its API key) and what it may use: adapter names
 * ({@code support}, not versions: every version and alias of an allowed name is allowed), the base
 * model, and whether it may load and unload adapters at run time.
 *
 * <pre>{@code
 * Tenant acme = new Tenant("acme", Set.of("acme-support"), true, false);
 * Tenant ops = Tenant.admin("ops");
 * }</pre>
 *
 * @param name the tenant's name (written to the request log)
 * @param adapters the adapter names it may use; {@code "*"} allows every adapter
 * @param base whether it may use the base model without adapter
 * @param admin whether it may call {@code /v1/load_lora_adapter} and {@code /v1/unload_lora_adapter}
 */
public record Tenant(String name, Set<String> adapters, boolean base, boolean admin) {

    /** The tenant of every request when no API keys are configured. */
    public static final Tenant ANONYMOUS = admin("anonymous");

    /** @param name its name @return a tenant allowed everything */
    public static Tenant admin(String name) {
        return new Tenant(name, Set.of("*"), true, true);
    }

    /** @param adapters adapter names */
    public Tenant {
        adapters = Set.copyOf(adapters);
    }

    /**
     * @param adapterName an adapter's name (without version or alias)
     * @return whether this tenant may use it
     */
    public boolean allows(String adapterName) {
        return adapters.contains("*") || adapters.contains(adapterName);
    }
}
