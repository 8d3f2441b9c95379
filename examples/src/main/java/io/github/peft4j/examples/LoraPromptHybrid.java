package io.github.peft4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.CrossEntropy;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.prefix.PromptAdapters;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hybrid the product brief describes: a LoRA adapter for the domain and a small soft prompt on
 * the same base, trained together, saved as two adapter directories and loaded back. Run from the
 * repository root: {@code DJL_OFFLINE=true OPT_OUT_TRACKING=true mvn -q -pl examples exec:java@hybrid}.
 */
public final class LoraPromptHybrid {

    private LoraPromptHybrid() {}

    /**
     * @param gradientNorms per adapter tensor, the norm of its gradient in the first step
     * @param losses the loss at each step
     * @param saved the logits of the trained hybrid
     * @param reloaded the logits after loading both directories onto a fresh base
     */
    public record Result(Map<String, Float> gradientNorms, float[] losses, float[] saved, float[] reloaded) {}

    /**
     * @param modelDir an HF causal LM directory
     * @param out where the two adapters are written ({@code out/domain}, {@code out/style})
     * @param steps SGD steps
     * @return what happened
     */
    public static Result demo(Path modelDir, Path out, int steps) {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(modelDir, manager);
                PeftModel model = PeftModel.create(base.block(),
                        LoraConfig.builder().r(8).loraAlpha(16).targetModules("q_proj", "v_proj").build(), "domain")) {
            model.addAdapter("style", PromptTuningConfig.builder().numVirtualTokens(4).build());
            model.setActiveAdapters("domain", "style"); // both contribute and both train

            NDArray ids = manager.create(new long[] {12, 300, 41, 7, 95, 1200, 33, 8, 64, 510, 2, 77}, new ai.djl.ndarray.types.Shape(2, 6));
            NDArray labels = PromptAdapters.padLabels(ids, PromptAdapters.virtualTokens(model, "style"));
            Map<String, Float> gradientNorms = new LinkedHashMap<>();
            float[] losses = new float[steps];
            ParameterStore ps = new ParameterStore(manager, false);
            for (int step = 0; step < steps; step++) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = ids.duplicate();
                    x.attach(scope);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = model.forward(ps, new NDList(x), true).head();
                        NDArray loss = CrossEntropy.causalLm(logits, labels);
                        losses[step] = loss.getFloat();
                        gc.backward(loss);
                    }
                    for (String adapter : model.adapterNames()) {
                        for (Map.Entry<String, Parameter> e : model.adapterParameters(adapter).entrySet()) {
                            NDArray w = e.getValue().getArray();
                            NDArray g = w.getGradient();
                            if (step == 0) {
                                gradientNorms.put(e.getKey(), g.norm().getFloat());
                            }
                            w.subi(g.mul(0.05f));
                            g.muli(0);
                            g.close();
                        }
                    }
                }
            }
            model.save(out); // neither adapter is "default": out/domain and out/style
            float[] saved = logits(model, ids);
            try (PretrainedModel fresh = HfModels.load(modelDir, manager);
                    PeftModel loaded = PeftModel.wrap(fresh.block())) {
                loaded.loadAdapter(out.resolve("domain"), "domain", false);
                loaded.loadAdapter(out.resolve("style"), "style", false);
                loaded.setActiveAdapters("domain", "style");
                return new Result(gradientNorms, losses, saved, logits(loaded, ids));
            }
        }
    }

    private static float[] logits(PeftModel model, NDArray ids) {
        try (NDManager scope = ids.getManager().newSubManager()) {
            NDArray x = ids.duplicate();
            x.attach(scope);
            return model.forward(new ParameterStore(scope, false), new NDList(x), false).head().toFloatArray();
        }
    }

    /** @param args [model dir] [output dir] */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Result r = demo(Path.of(args.length > 0 ? args[0] : "assets/base-model"),
                Path.of(args.length > 1 ? args[1] : "runs/hybrid"), 20);
        r.gradientNorms().forEach((k, v) -> System.out.printf("grad %-60s %.4g%n", k, v));
        System.out.printf("loss %.3f -> %.3f; reloaded logits equal: %s%n", r.losses()[0],
                r.losses()[r.losses().length - 1], java.util.Arrays.equals(r.saved(), r.reloaded()));
    }
}
