package io.github.peft4j.core.testtuner;

import io.github.peft4j.core.BasePeftMethod;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.targeting.TargetMatcher;

/** A test-only tuner registered through the SPI (src/test/resources/META-INF/services). */
public final class DeltaMethod extends BasePeftMethod<DeltaConfig> {

    public static final String TYPE = "TEST_DELTA";

    public DeltaMethod() {
        super(TYPE, DeltaConfig.class);
    }

    @Override
    protected void injectAdapter(InjectionContext model, String adapterName, DeltaConfig c) {
        for (String path : model.selectTargets(TargetMatcher.builder().targets(c.targetModules()).build())) {
            model.tunerLayerAt(path, DeltaLayer.class, DeltaLayer::new).addAdapter(adapterName, c.r(), c.scale(), model.manager());
        }
    }
}
