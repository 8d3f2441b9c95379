package io.github.peft4j.bitfit;

import ai.djl.nn.Block;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.BasePeftMethod;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.ArrayList;
import java.util.List;

/**
 * BitFit as a {@link PeftMethod}: wraps each selected module in a {@link BitFitLayer}. Files use
 * the PEFT directory layout with {@code peft_type} {@value BitFitConfig#PEFT_TYPE} and one tensor
 * per module under the module's own bias name, {@code base_model.model.<path>.bias} (the keys PEFT
 * writes for {@code bias="all"}), so the trained biases also load straight into the base model.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(bert, BitFitConfig.builder().build());
 * model.countParameters(); // trainable = the sum of every bias size
 * }</pre>
 */
public final class BitFitMethod extends BasePeftMethod<BitFitConfig> {

    /** For {@link java.util.ServiceLoader}, which finds this method through META-INF/services. */
    public BitFitMethod() {
        super(BitFitConfig.PEFT_TYPE, BitFitConfig.class);
    }

    @Override
    protected void injectAdapter(InjectionContext model, String adapterName, BitFitConfig c) {
        TargetModules targets = c.targetModules() != null ? c.targetModules() : TargetModules.regex(".+");
        List<String> matched = model.selectTargets(TargetMatcher.builder().targets(targets).exclude(c.excludeModules()).build());
        String head = model.baseModelInfo().flatMap(BaseModelInfo::outputEmbeddingsPath).orElse(null);
        List<String> chosen = new ArrayList<>();
        List<String> biasless = new ArrayList<>();
        for (String path : matched) {
            if (chosen.stream().anyMatch(p -> path.startsWith(p + "."))) {
                continue; // inside a module already tuned
            }
            Block block = model.modules().get(path);
            Block inner = block instanceof TunerLayer layer ? layer.baseLayer() : block;
            if (BitFitLayer.biasOf(inner).isPresent()) {
                chosen.add(path);
            } else if (LinearLike.of(inner).isPresent()) {
                if (c.addMissingBiases() && (c.targetModules() != null || !path.equals(head))) {
                    chosen.add(path);
                } else if (c.targetModules() != null) {
                    biasless.add(path);
                }
            }
        }
        if (!biasless.isEmpty()) {
            throw new PeftConfigException("BitFit targets linear layers without a bias: " + biasless
                    + "; set add_missing_biases to give them a zero-initialised one");
        }
        if (chosen.isEmpty()) {
            throw new PeftConfigException("BitFit found no bias to train among " + matched.size() + " matched modules"
                    + " (for models without biases, such as the Llama family, set add_missing_biases); modules: "
                    + ModuleTree.summarize(model.modules().paths()));
        }
        for (String path : chosen) {
            model.tunerLayerAt(path, BitFitLayer.class, BitFitLayer::new).addAdapter(adapterName, model.manager());
        }
    }
}
