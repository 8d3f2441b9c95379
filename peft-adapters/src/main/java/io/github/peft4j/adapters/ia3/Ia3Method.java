package io.github.peft4j.adapters.ia3;

import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.BasePeftMethod;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.targeting.TargetModules;
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
public final class Ia3Method extends BasePeftMethod<Ia3Config> {

    private static final Logger LOG = LoggerFactory.getLogger(Ia3Method.class);

    /** For {@link java.util.ServiceLoader}, which finds this method through META-INF/services. */
    public Ia3Method() {
        super(Ia3Config.PEFT_TYPE, Ia3Config.class);
    }

    /**
     * PEFT's {@code _prepare_adapter_config}: a {@code null} {@code target_modules} or
     * {@code feedforward_modules} becomes PEFT's default for the base model's {@code model_type},
     * so the saved config names what was applied and any reader applies the same adapter. A default
     * {@code feedforward_modules} is cut to the entries listed in a given {@code target_modules}
     * (PEFT's reader requires a subset) when that marks the same modules.
     */
    @Override
    protected Ia3Config prepare(InjectionContext model, Ia3Config c) {
        if (c.targetModules() != null && c.feedforwardModules() != null) {
            return c;
        }
        String modelType = model.baseModelInfo().map(BaseModelInfo::modelType).orElse(null);
        TargetModules targets = c.targetModules() != null ? c.targetModules() : Ia3Defaults.targetModules(modelType);
        if (c.feedforwardModules() != null) {
            return c.withModules(targets, c.feedforwardModules());
        }
        TargetModules feedforward = Ia3Defaults.feedforwardModules(modelType);
        if (!targets.isNames() || targets.names().containsAll(feedforward.names())) {
            return c.withModules(targets, feedforward);
        }
        TargetModules listed = TargetModules.names(feedforward.names().stream().filter(targets.names()::contains).toList());
        Ia3Config resolved = c.withModules(targets, listed);
        for (String path : model.selectTargets(resolved.matcher())) {
            if (isFeedforward(feedforward, path) != isFeedforward(listed, path)) {
                throw new PeftConfigException("Please specify `feedforward_modules` in the (IA)^3 config: PEFT's default "
                        + feedforward.names() + " for model_type '" + modelType + "' marks " + path
                        + " as feed-forward but is not a subset of `target_modules` " + targets.names());
            }
        }
        return resolved;
    }

    @Override
    protected void injectAdapter(InjectionContext model, String adapterName, Ia3Config c) {
        for (String path : model.selectTargets(c.matcher())) {
            Ia3Layer layer = model.tunerLayerAt(path, Ia3Layer.class, Ia3Layer::new);
            warnOnLayout(c, layer.linear(), path);
            layer.addAdapter(adapterName, isFeedforward(c.feedforwardModules(), path), c.initIa3Weights(), model.manager());
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
