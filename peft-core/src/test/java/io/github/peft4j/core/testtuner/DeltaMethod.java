package io.github.peft4j.core.testtuner;

import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftMethod;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.targeting.TargetMatcher;
import java.util.List;

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
        List<String> paths = model.selectTargets(TargetMatcher.builder().targets(c.targetModules()).build());
        for (String path : paths) {
            ModuleTree tree = model.modules();
            DeltaLayer layer = tree.get(path) instanceof DeltaLayer existing
                    ? existing
                    : model.replaceModule(path, DeltaLayer::new);
            layer.addAdapter(adapterName, c.r(), c.scale(), model.manager());
        }
    }
}
