package io.github.peft4j.adapters.bottleneck;

import ai.djl.nn.Block;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftMethod;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.function.Function;

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
public final class BottleneckMethod implements PeftMethod {

    @Override
    public String peftType() {
        return BottleneckConfig.PEFT_TYPE;
    }

    @Override
    public Class<BottleneckConfig> configClass() {
        return BottleneckConfig.class;
    }

    @Override
    public void inject(PeftModel model, String adapterName, PeftConfig config) {
        BottleneckConfig c = (BottleneckConfig) config;
        NonLinearity act = NonLinearity.of(c.nonLinearity());
        BottleneckLayer.Spec spec = new BottleneckLayer.Spec(c.isParallel(), act, (float) c.scaling());
        for (BottleneckPlacement.Site site : BottleneckPlacement.sites(model, c)) {
            BottleneckLayer layer = wrap(model, site.path(), BottleneckLayer.class, BottleneckLayer::new);
            long inFeatures = layer.outFeatures();
            if (site.inputPath() != null) {
                BottleneckInputTap tap = wrap(model, site.inputPath(), BottleneckInputTap.class, BottleneckInputTap::new);
                layer.useInput(tap, site.inputPath());
                inFeatures = LinearLike.of(tap.baseLayer()).map(LinearLike::inFeatures).orElseThrow(() ->
                        new PeftCompatibilityException("the parallel adapter's input module " + site.inputPath()
                                + " must be linear to tell its input size, not " + tap.baseLayer().getClass().getName()));
            }
            layer.addAdapter(adapterName, spec, inFeatures, c.bottleneckSizeFor(layer.outFeatures()), c.initWeights(),
                    model.manager());
        }
    }

    private static <L extends TunerLayer> L wrap(PeftModel model, String path, Class<L> type, Function<Block, L> make) {
        Block block = model.modules().get(path);
        if (type.isInstance(block)) {
            return type.cast(block);
        }
        if (block instanceof TunerLayer other) {
            throw new PeftCompatibilityException("bottleneck adapters cannot use " + path + ": it is already wrapped by "
                    + other.getClass().getSimpleName() + " (one tuner type per module)");
        }
        return model.replaceModule(path, make);
    }
}
