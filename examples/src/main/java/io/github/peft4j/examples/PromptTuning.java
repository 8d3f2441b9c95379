package io.github.peft4j.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.Generator;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.prefix.PromptAdapters;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.loss.TrainingLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prompt tuning (Lester et al. 2021) on the bundled base: 8 trainable virtual-token embeddings in
 * front of every input, nothing else trains. The prompt learns the shop's answer style from four
 * question-answer pairs. The labels get 8 ignored positions in front ({@code PromptAdapters.padLabels}),
 * as PEFT pads them, through a small {@code TrainingLoss} around the causal-LM loss. Run from the repository root:
 * {@code DJL_OFFLINE=true OPT_OUT_TRACKING=true mvn -q -pl examples exec:java@prompt-tuning}.
 */
public final class PromptTuning {

    static final List<String> TEXTS = List.of(
            "Q: Where is my order?\nA: Track every Northwind order at northwind-outfitters.example/track.",
            "Q: Can I return boots?\nA: Northwind takes returns within 30 days at northwind-outfitters.example/returns.",
            "Q: Do you ship abroad?\nA: Northwind ships to 40 countries; see northwind-outfitters.example/shipping.",
            "Q: How do I reset my password?\nA: Reset it at northwind-outfitters.example/account.");

    private static final CausalLmLoss CAUSAL = new CausalLmLoss();

    private PromptTuning() {}

    /**
     * @param lossBefore mean loss with the untrained prompt
     * @param lossAfter mean loss after training
     * @param parameters the parameter-count line
     * @param answer the greedy continuation of a question with the trained prompt
     */
    public record Result(double lossBefore, double lossAfter, String parameters, String answer) {}

    /**
     * @param modelDir an HF causal LM directory with a tokenizer
     * @param out where the adapter is saved
     * @param steps AdamW steps, each over all four texts
     * @return what happened
     */
    public static Result demo(Path modelDir, Path out, int steps) {
        PeftTrainer.seed(11);
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(modelDir, manager);
                PeftModel model = PeftModel.create(base.block(),
                        PromptTuningConfig.builder().numVirtualTokens(8).taskType("CAUSAL_LM").build())) {
            HfTokenizer tokenizer = base.tokenizer().orElseThrow();
            int virtualTokens = PromptAdapters.virtualTokens(model, "default");
            // the logits are 8 positions longer than the labels: pad the labels as PEFT does, so the last
            // virtual token predicts the first real one and the virtual tokens themselves take no loss
            TrainingLoss loss = new TrainingLoss() {
                @Override
                public NDArray compute(NDList outputs, NDArray labels) {
                    return CAUSAL.compute(outputs, PromptAdapters.padLabels(labels, virtualTokens));
                }

                @Override
                public long itemCount(Batch batch) {
                    return batch.labelCount(0); // after the padding every label has a position before it
                }
            };
            TokenizedDataset data = dataset(tokenizer);
            double before = Evaluator.evaluate(model, data, 4, loss).loss();
            TrainingArguments args = TrainingArguments.builder(out).maxSteps(steps).learningRate(0.3) // Lester et al. train prompts at 0.3
                    .perDeviceTrainBatchSize(4).warmupRatio(0.1).seed(11).logSteps(10).evalSteps(0).saveSteps(0)
                    .build();
            PeftTrainer.builder().model(model).args(args).trainDataset(data).loss(loss).build().train();
            double last = Evaluator.evaluate(model, data, 4, loss).loss();
            model.save(out);
            return new Result(before, last, model.countParameters().toString(), answer(model, tokenizer, manager));
        }
    }

    private static TokenizedDataset dataset(HfTokenizer tokenizer) {
        List<TokenizedExample> rows = new ArrayList<>();
        for (String text : TEXTS) {
            int[] ids = Arrays.stream(tokenizer.encode(text)).mapToInt(Math::toIntExact).toArray();
            rows.add(TokenizedExample.languageModel(ids, ids.clone()));
        }
        return new TokenizedDataset(rows, Batching.builder(tokenizer.padTokenId().orElse(0)).build());
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
                Path.of(args.length > 1 ? args[1] : "runs/prompt-tuning"), 60);
        System.out.println(r.parameters());
        System.out.printf("loss %.3f -> %.3f%nQ: Where is my order?%nA: %s%n", r.lossBefore(), r.lossAfter(), r.answer());
    }
}
