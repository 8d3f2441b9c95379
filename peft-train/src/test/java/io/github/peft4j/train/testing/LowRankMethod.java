package io.github.peft4j.train.testing;

import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftMethod;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.targeting.TargetMatcher;

/** The test tuner, registered in src/test/resources/META-INF/services. */
public final class LowRankMethod implements PeftMethod {

    public static final String TYPE = "TEST_LOW_RANK";

    @Override
    public String peftType() {
        return TYPE;
    }

    @Override
    public Class<LowRankConfig> configClass() {
        return LowRankConfig.class;
    }

    @Override
    public void inject(InjectionContext model, String adapterName, PeftConfig config) {
        LowRankConfig c = (LowRankConfig) config;
        for (String path : model.selectTargets(TargetMatcher.builder().targets(c.targetModules()).build())) {
            model.tunerLayerAt(path, LowRankLayer.class, LowRankLayer::new).addAdapter(adapterName, c, model.manager());
        }
    }
}
