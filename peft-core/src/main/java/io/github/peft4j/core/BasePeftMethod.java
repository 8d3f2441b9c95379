package io.github.peft4j.core;

/**
 * The usual way to write a {@link PeftMethod}: name the {@code peft_type} and config class once, and
 * receive the config already typed. Layer tuners write {@link #injectAdapter} and nothing else.
 *
 * <pre>{@code
 * public final class DeltaMethod extends BasePeftMethod<DeltaConfig> {
 *     public DeltaMethod() { super("TEST_DELTA", DeltaConfig.class); }
 *     protected void injectAdapter(InjectionContext model, String adapter, DeltaConfig config) {
 *         for (String path : model.selectTargets(TargetMatcher.builder().targets(config.targetModules()).build())) {
 *             model.tunerLayerAt(path, DeltaLayer.class, DeltaLayer::new).addAdapter(adapter, config, model.manager());
 *         }
 *     }
 * }
 * }</pre>
 *
 * @param <C> the method's config class
 */
public abstract class BasePeftMethod<C extends PeftConfig> implements PeftMethod {

    private final String peftType;
    private final Class<C> configClass;

    /**
     * @param peftType the {@code peft_type} this method handles
     * @param configClass the config class read from {@code adapter_config.json} for it
     */
    protected BasePeftMethod(String peftType, Class<C> configClass) {
        this.peftType = peftType;
        this.configClass = configClass;
    }

    @Override
    public final String peftType() {
        return peftType;
    }

    @Override
    public final Class<C> configClass() {
        return configClass;
    }

    @Override
    public final PeftConfig prepareConfig(InjectionContext model, PeftConfig config) {
        return prepare(model, configClass.cast(config));
    }

    @Override
    public final void inject(InjectionContext model, String adapterName, PeftConfig config) {
        injectAdapter(model, adapterName, configClass.cast(config));
    }

    /**
     * {@link PeftMethod#prepareConfig} with the config typed; the default returns it unchanged.
     *
     * @param model the model the adapter is added to
     * @param config the caller's config, validated
     * @return the config the model stores, injects and saves (a copy when anything changes)
     */
    protected C prepare(InjectionContext model, C config) {
        return config;
    }

    /**
     * {@link PeftMethod#inject} with the config typed.
     *
     * @param model the model
     * @param adapterName the new adapter's name
     * @param config its prepared config
     */
    protected abstract void injectAdapter(InjectionContext model, String adapterName, C config);
}
