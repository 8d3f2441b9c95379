package io.github.peft4j.models.testtuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.BasePeftMethod;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.core.hooks.VirtualTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A test-only prompt method (src/test/resources/META-INF/services): random virtual-token
 * embeddings [n, hidden], or random prefixes [layers * 2, kv_heads, n, head_dim], handed to the
 * model through the forward context exactly as prompt tuning and prefix tuning will.
 */
public final class TestPromptMethod extends BasePeftMethod<TestPromptConfig> {

    public static final String TYPE = "TEST_PROMPT";

    public TestPromptMethod() {
        super(TYPE, TestPromptConfig.class);
    }

    @Override
    protected void injectAdapter(InjectionContext model, String adapterName, TestPromptConfig c) {
        PromptLearningModel lm = (PromptLearningModel) model.baseModel();
        int n = c.numVirtualTokens();
        Shape shape = c.prefix()
                ? new Shape(2L * lm.numLayers(), lm.numKeyValueHeads(), n, lm.headDim())
                : new Shape(n, lm.hiddenSize());
        Random random = new Random(c.seed());
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * (c.prefix() ? 1.0 : 1.0 / Math.sqrt(lm.hiddenSize())));
        }
        NDArray array = model.manager().create(values, shape);
        Parameter p = Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).optArray(array).build();
        String key = "prompt_encoder." + adapterName + (c.prefix() ? ".prefix.weight" : ".embedding.weight");
        model.registerAdapterTensor(adapterName, key, c.prefix() ? "prefix_key_values" : "prompt_embeddings", p);
    }

    @Override
    public ForwardContext contributeToForward(InjectionContext model, String adapterName, ParameterStore ps,
            NDList inputs, boolean training, ForwardContext context) {
        TestPromptConfig c = (TestPromptConfig) model.config(adapterName);
        NDArray ids = inputs.head();
        NDManager m = ids.getManager();
        NDArray table = ps.getValue(model.tensors(adapterName).get(0).parameter(), ids.getDevice(), training);
        if (!c.prefix()) {
            NDArray prompts = owned(table.expandDims(0), m);
            return context.with(VirtualTokens.KEY, new VirtualTokens(prompts));
        }
        int layers = Math.toIntExact(table.getShape().get(0) / 2);
        List<NDArray> keys = new ArrayList<>();
        List<NDArray> values = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            keys.add(owned(table.get(2 * i).expandDims(0), m));
            values.add(owned(table.get(2 * i + 1).expandDims(0), m));
        }
        return context.with(PrefixKeyValues.KEY, new PrefixKeyValues(keys, values));
    }

    private static NDArray owned(NDArray fresh, NDManager m) {
        fresh.attach(m);
        return fresh;
    }
}
