package io.github.peft4j.bitfit.lntuning;

import ai.djl.nn.Block;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftMethod;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.core.tuner.TunerLayer;

/**
 * LN-tuning as PEFT's {@code LNTuningModel}: wraps each targeted module in an
 * {@link LnTuningLayer}. Files are PEFT's: {@code peft_type} {@code "LN_TUNING"} and tensors
 * {@code base_model.model.<path>.ln_tuning_layers.weight} / {@code .bias}.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(gpt2, LnTuningConfig.builder().build()); // ln_1, ln_2, ln_f
 * }</pre>
 */
public final class LnTuningMethod implements PeftMethod {

    @Override
    public String peftType() {
        return LnTuningConfig.PEFT_TYPE;
    }

    @Override
    public Class<LnTuningConfig> configClass() {
        return LnTuningConfig.class;
    }

    @Override
    public void inject(PeftModel model, String adapterName, PeftConfig config) {
        LnTuningConfig c = (LnTuningConfig) config;
        if (c.modulesToSave() != null && !c.modulesToSave().isEmpty()) {
            throw new PeftCompatibilityException("LN-tuning adapter '" + adapterName + "': modules_to_save "
                    + c.modulesToSave() + " is not supported by peft4j yet; train and save those modules separately");
        }
        TargetModules targets = c.targetModules() != null
                ? c.targetModules()
                : LnTuningDefaults.targetModules(model.baseModelInfo().map(BaseModelInfo::modelType).orElse(null));
        for (String path : model.selectTargets(TargetMatcher.builder().targets(targets).exclude(c.excludeModules()).build())) {
            Block block = model.modules().get(path);
            LnTuningLayer layer;
            if (block instanceof LnTuningLayer existing) {
                layer = existing;
            } else if (block instanceof TunerLayer other) {
                throw new PeftCompatibilityException("LN-tuning cannot tune " + path + ": it is already wrapped by "
                        + other.getClass().getSimpleName() + " (one tuner type per module)");
            } else {
                layer = model.replaceModule(path, LnTuningLayer::new);
            }
            layer.addAdapter(adapterName, model.manager());
        }
    }
}
