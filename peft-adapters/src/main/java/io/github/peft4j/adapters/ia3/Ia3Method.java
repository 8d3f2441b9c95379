package io.github.peft4j.adapters.ia3;

import ai.djl.nn.Block;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftMethod;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * (IA)³ as PEFT's {@code IA3Model}: wraps every targeted linear layer in an {@link Ia3Layer}.
 * Files use PEFT's layout exactly: {@code peft_type} {@code "IA3"}, tensors
 * {@code base_model.model.<path>.ia3_l} of shape [out, 1] or [1, in].
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(llama, Ia3Config.builder().build());
 * // wraps k_proj, v_proj (output scaling) and down_proj (input scaling) in every layer
 * }</pre>
 */
public final class Ia3Method implements PeftMethod {

    private static final Logger LOG = LoggerFactory.getLogger(Ia3Method.class);

    @Override
    public String peftType() {
        return Ia3Config.PEFT_TYPE;
    }

    @Override
    public Class<Ia3Config> configClass() {
        return Ia3Config.class;
    }

    @Override
    public void inject(PeftModel model, String adapterName, PeftConfig config) {
        Ia3Config c = (Ia3Config) config;
        if (c.modulesToSave() != null && !c.modulesToSave().isEmpty()) {
            throw new PeftCompatibilityException("(IA)^3 adapter '" + adapterName + "': modules_to_save "
                    + c.modulesToSave() + " is not supported by peft4j yet; train and save those modules separately");
        }
        String modelType = model.baseModelInfo().map(BaseModelInfo::modelType).orElse(null);
        TargetModules targets = c.targetModules() != null ? c.targetModules() : Ia3Defaults.targetModules(modelType);
        TargetModules feedforward =
                c.feedforwardModules() != null ? c.feedforwardModules() : Ia3Defaults.feedforwardModules(modelType);
        TargetMatcher matcher = TargetMatcher.builder().targets(targets).exclude(c.excludeModules()).build();
        for (String path : model.selectTargets(matcher)) {
            boolean ff = isFeedforward(feedforward, path);
            Block block = model.modules().get(path);
            Ia3Layer layer;
            if (block instanceof Ia3Layer existing) {
                layer = existing;
            } else if (block instanceof TunerLayer other) {
                throw new PeftCompatibilityException("(IA)^3 cannot adapt " + path + ": it is already wrapped by "
                        + other.getClass().getSimpleName() + " (one tuner type per module)");
            } else {
                layer = model.replaceModule(path, Ia3Layer::new);
            }
            warnOnLayout(c, layer.linear(), path);
            layer.addAdapter(adapterName, ff, c.initIa3Weights(), model.manager());
        }
    }

    /** PEFT's {@code _check_target_module_feedforward}: regex full match, or plain {@code endswith}. */
    static boolean isFeedforward(TargetModules feedforward, String path) {
        if (feedforward.isRegex()) {
            return feedforward.matches(path);
        }
        if (feedforward.isAllLinear()) {
            return false; // PEFT full-matches the literal string "all-linear", which no module path equals
        }
        List<String> names = feedforward.names();
        return names.stream().anyMatch(path::endsWith);
    }

    private static void warnOnLayout(Ia3Config c, LinearLike linear, String path) {
        if (c.fanInFanOut() != linear.fanInFanOut()) {
            LOG.warn("fan_in_fan_out is {} but {} stores its weight {}; using the layer's layout",
                    c.fanInFanOut(), path, linear.fanInFanOut() ? "[in, out]" : "[out, in]");
        }
    }
}
