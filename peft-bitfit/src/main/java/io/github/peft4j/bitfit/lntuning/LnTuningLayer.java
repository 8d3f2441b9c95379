package io.github.peft4j.bitfit.lntuning;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.bitfit.ParameterCopyLayer;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.module.ModuleTree;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PEFT's {@code LNTuningLayer}: each adapter is a trained copy of every parameter of the wrapped
 * module, held as {@code ln_tuning_layers.<adapter>.<name>} ({@code ln_tuning_layers.default.weight},
 * {@code ln_tuning_layers.default.bias}) and saved as {@code ln_tuning_layers.<name>}, exactly
 * PEFT's keys. The base module itself is never changed by training.
 *
 * <pre>{@code
 * LnTuningLayer layer = model.tunerLayerAt("model.norm", LnTuningLayer.class, LnTuningLayer::new);
 * layer.addAdapter("default", model.manager());
 * }</pre>
 */
public final class LnTuningLayer extends ParameterCopyLayer {

    private static final String PREFIX = "ln_tuning_layers.";

    private final Map<String, Parameter> baseParameters;

    /**
     * @param base the module to tune (its parameters are copied per adapter)
     * @throws PeftConfigException if it has no parameters
     */
    public LnTuningLayer(Block base) {
        super(base);
        this.baseParameters = new LinkedHashMap<>(ModuleTree.of(base).parameters());
        if (baseParameters.isEmpty()) {
            throw new PeftConfigException("LN-tuning copies a module's parameters, but " + base.getClass().getName()
                    + " has none");
        }
    }

    /**
     * @param adapterName the adapter
     * @param manager the model's manager
     */
    @Override
    public void addAdapter(String adapterName, NDManager manager) {
        for (Map.Entry<String, Parameter> e : baseParameters.entrySet()) {
            NDArray copy = e.getValue().getArray().duplicate();
            copy.attach(manager);
            addAdapterParameter(adapterName, key(adapterName, e.getKey()), copy);
        }
    }

    private static String key(String adapterName, String parameterPath) {
        return PREFIX + adapterName + "." + parameterPath;
    }

    @Override
    protected String tunerName() {
        return "LN tuning";
    }

    @Override
    protected Map<Parameter, Parameter> copies(String adapterName) {
        Map<Parameter, Parameter> out = new IdentityHashMap<>();
        Map<String, Parameter> mine = adapterParameters(adapterName);
        baseParameters.forEach((path, p) -> out.put(p, mine.get(key(adapterName, path))));
        return out;
    }
}
