package io.github.peft4j.core.testtuner;

import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftMethod;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.targeting.TargetMatcher;

/** A test-only tuner registered through the SPI (src/test/resources/META-INF/services). */
public final class DeltaMethod implements PeftMethod {

    public static final String TYPE = "TEST_DELTA";

    @Override
    public String peftType() {
        return TYPE;
    }

    @Override
    public Class<DeltaConfig> configClass() {
        return DeltaConfig.class;
    }

    @Override
    public void inject(InjectionContext model, String adapterName, PeftConfig config) {
        DeltaConfig c = (DeltaConfig) config;
        for (String path : model.selectTargets(TargetMatcher.builder().targets(c.targetModules()).build())) {
            model.tunerLayerAt(path, DeltaLayer.class, DeltaLayer::new).addAdapter(adapterName, c.r(), c.scale(), model.manager());
        }
    }
}
