package io.github.peft4j.bitfit.lntuning;

import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.BasePeftMethod;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.targeting.TargetModules;

/**
 * LN-tuning as PEFT's {@code LNTuningModel}: wraps each targeted module in an
 * {@link LnTuningLayer}. Files are PEFT's: {@code peft_type} {@code "LN_TUNING"} and tensors
 * {@code base_model.model.<path>.ln_tuning_layers.weight} / {@code .bias}. {@code modules_to_save}
 * is core's (trained copies saved as {@code base_model.model.<path>.weight}); its modules are not
 * targeted, as in PEFT.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(gpt2, LnTuningConfig.builder().build()); // ln_1, ln_2, ln_f
 * }</pre>
 */
public final class LnTuningMethod extends BasePeftMethod<LnTuningConfig> {

    /** For {@link java.util.ServiceLoader}, which finds this method through META-INF/services. */
    public LnTuningMethod() {
        super(LnTuningConfig.PEFT_TYPE, LnTuningConfig.class);
    }

    @Override
    protected void injectAdapter(InjectionContext model, String adapterName, LnTuningConfig c) {
        TargetModules targets = c.targetModules() != null
                ? c.targetModules()
                : LnTuningDefaults.targetModules(model.baseModelInfo().map(BaseModelInfo::modelType).orElse(null));
        TargetMatcher matcher = TargetMatcher.builder()
                .targets(targets).exclude(c.excludeModules()).modulesToSave(c.modulesToSave()).build();
        for (String path : model.selectTargets(matcher)) {
            model.tunerLayerAt(path, LnTuningLayer.class, LnTuningLayer::new).addAdapter(adapterName, model.manager());
        }
    }
}
