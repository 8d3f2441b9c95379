package io.github.peft4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.CausalLmLoss;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.Generator;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.prefix.PromptAdapters;
import io.github.peft4j.prefix.PromptTuningConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * Prompt tuning (Lester et al. 2021) on the bundled base: 8 trainable virtual-token embeddings in
 * front of every input, nothing else trains. The prompt learns the shop's answer style from four
 * question-answer pairs. The labels get 8 ignored positions in front ({@code PromptAdapters.padLabels}),
 * as PEFT pads them. Run from the repository root:
 * {@code DJL_OFFLINE=true OPT_OUT_TRACKING=true mvn -q -pl examples exec:java@prompt-tuning}.
 */
public final class PromptTuning {

    static final List<String> TEXTS = List.of(
            "Q: Where is my order?\nA: Track every Northwind order at northwind-outfitters.example/track.",
            "Q: Can I return boots?\nA: Northwind takes returns within 30 days at northwind-outfitters.example/returns.",
            "Q: Do you ship abroad?\nA: Northwind ships to 40 countries; see northwind-outfitters.example/shipping.",
            "Q: How do I reset my password?\nA: Reset it at northwind-outfitters.example/account.");

    private PromptTuning() {}

    /**
     * @param lossBefore mean loss with the untrained prompt
     * @param lossAfter mean loss after training
     * @param parameters the parameter-count line
     * @param answer the greedy continuation of a question with the trained prompt
     */
    public record Result(float lossBefore, float lossAfter, String parameters, String answer) {}

    /**
     * @param modelDir an HF causal LM directory with a tokenizer
     * @param out where the adapter is saved
     * @param steps SGD steps over all four texts
     * @return what happened
     */
    public static Result demo(Path modelDir, Path out, int steps) {
        Engine.getInstance().setRandomSeed(11);
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(modelDir, manager);
                PeftModel model = PeftModel.create(base.block(),
                        PromptTuningConfig.builder().numVirtualTokens(8).taskType("CAUSAL_LM").build())) {
            HfTokenizer tokenizer = base.tokenizer().orElseThrow();
            int virtualTokens = PromptAdapters.virtualTokens(model, "default");
            ParameterStore ps = new ParameterStore(manager, false);
            float before = Float.NaN;
            float last = Float.NaN;
            for (int step = 0; step < steps; step++) {
                float sum = 0;
                for (String text : TEXTS) {
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray ids = scope.create(tokenizer.encode(text)).reshape(new Shape(1, -1));
                        // the last virtual token predicts the first real one; the virtual tokens themselves take no loss
                        NDArray labels = PromptAdapters.padLabels(ids, virtualTokens);
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray logits = model.forward(ps, new NDList(ids), true).head(); // [1, 8 + T, V]
                            NDArray loss = CausalLmLoss.compute(logits, labels);
                            sum += loss.getFloat();
                            gc.backward(loss);
                        }
                        for (Parameter p : model.trainableParameters()) {
                            NDArray w = p.getArray();
                            NDArray g = w.getGradient();
                            w.subi(g.mul(0.5f));
                            g.muli(0);
                            g.close();
                        }
                    }
                }
                last = sum / TEXTS.size();
                if (step == 0) {
                    before = last;
                }
            }
            model.save(out);
            return new Result(before, last, model.countParameters().toString(), answer(model, tokenizer, manager));
        }
    }

    /** Generation runs the base model with the adapter's virtual tokens made current on this thread. */
    private static String answer(PeftModel model, HfTokenizer tokenizer, NDManager manager) {
        List<long[]> prompts = List.of(tokenizer.encode("Q: Where is my order?\nA:"));
        try (NDManager scope = manager.newSubManager()) {
            ForwardContext ctx = PromptAdapters.context(model, "default", new ParameterStore(scope, false),
                    prompts.size(), scope, ForwardContext.empty());
            try (ForwardContext.Scope active = ctx.activate()) {
                long[] tokens = Generator.generate(model.baseModel(), prompts, GenerationConfig.greedy(16)).tokens().get(0);
                return tokenizer.decode(tokens, true).strip();
            }
        }
    }

    /** @param args [model dir] [output dir] */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Result r = demo(Path.of(args.length > 0 ? args[0] : "assets/base-model"),
                Path.of(args.length > 1 ? args[1] : "runs/prompt-tuning"), 30);
        System.out.println(r.parameters());
        System.out.printf("loss %.3f -> %.3f%nQ: Where is my order?%nA: %s%n", r.lossBefore(), r.lossAfter(), r.answer());
    }
}
