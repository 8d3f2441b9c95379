package io.github.peft4j.train.testing;

import io.github.peft4j.core.BasePeftMethod;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.targeting.TargetMatcher;

/** The test tuner, registered in src/test/resources/META-INF/services. */
public final class LowRankMethod extends BasePeftMethod<LowRankConfig> {

    public static final String TYPE = "TEST_LOW_RANK";

    public LowRankMethod() {
        super(TYPE, LowRankConfig.class);
    }

    @Override
    protected void injectAdapter(InjectionContext model, String adapterName, LowRankConfig c) {
        for (String path : model.selectTargets(TargetMatcher.builder().targets(c.targetModules()).build())) {
            model.tunerLayerAt(path, LowRankLayer.class, LowRankLayer::new).addAdapter(adapterName, c, model.manager());
        }
    }
}
