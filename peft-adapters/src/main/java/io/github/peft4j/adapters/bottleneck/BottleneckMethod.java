package io.github.peft4j.adapters.bottleneck;

import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.BasePeftMethod;
import io.github.peft4j.core.module.LinearLike;

/**
 * Bottleneck adapters (Houlsby, Pfeiffer, parallel) as a {@link PeftMethod}: wraps the output
 * projections {@link BottleneckPlacement} finds in {@link BottleneckLayer}s and, for parallel
 * adapters, the sub-blocks' first modules in {@link BottleneckInputTap}s. Files use the PEFT
 * directory layout with {@code peft_type} {@value BottleneckConfig#PEFT_TYPE} and tensors
 * {@code base_model.model.<path>.adapter_down.weight} [m, in], {@code ...adapter_down.bias} [m],
 * {@code ...adapter_up.weight} [out, m], {@code ...adapter_up.bias} [out].
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(gpt2, BottleneckConfig.builder().preset("parallel").build());
 * }</pre>
 */
public final class BottleneckMethod extends BasePeftMethod<BottleneckConfig> {

    private static final String TUNER = "bottleneck adapters";

    /** For {@link java.util.ServiceLoader}, which finds this method through META-INF/services. */
    public BottleneckMethod() {
        super(BottleneckConfig.PEFT_TYPE, BottleneckConfig.class);
    }

    @Override
    protected void injectAdapter(InjectionContext model, String adapterName, BottleneckConfig c) {
        NonLinearity act = NonLinearity.of(c.nonLinearity());
        BottleneckLayer.Spec spec = new BottleneckLayer.Spec(c.isParallel(), act, (float) c.scaling());
        for (BottleneckPlacement.Site site : BottleneckPlacement.sites(model, c)) {
            BottleneckLayer layer =
                    model.tunerLayerAt(site.path(), BottleneckLayer.class, BottleneckLayer::new);
            long inFeatures = layer.outFeatures();
            if (site.inputPath() != null) {
                BottleneckInputTap tap = model.tunerLayerAt(site.inputPath(), BottleneckInputTap.class, BottleneckInputTap::new);
                layer.useInput(tap, site.inputPath());
                inFeatures = LinearLike.of(tap.baseLayer()).map(LinearLike::inFeatures).orElseThrow(() ->
                        new PeftCompatibilityException("the parallel adapter's input module " + site.inputPath()
                                + " must be linear to tell its input size, not " + tap.baseLayer().getClass().getName()));
            }
            layer.addAdapter(adapterName, spec, inFeatures, c.bottleneckSizeFor(layer.outFeatures()), c.initWeights(),
                    model.manager());
        }
    }
}
