package io.github.peft4j.examples;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.quant.MemoryReport;
import io.github.peft4j.quant.QuantizationConfig;
import io.github.peft4j.quant.QuantizationType;
import io.github.peft4j.quant.Quantizer;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainResult;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.CausalLmLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * QLoRA-style training: the bundled base is quantized to 4-bit NormalFloat with double-quantized
 * block scales, then LoRA adapters on every linear layer train in F32 on top of it. Prints where the
 * memory goes. Run from the repository root:
 * {@code DJL_OFFLINE=true OPT_OUT_TRACKING=true mvn -q -pl examples exec:java@qlora}.
 */
public final class QloraTraining {

    private QloraTraining() {}

    /**
     * @param before memory of the F32 base as loaded
     * @param after memory of the NF4 base with the adapter and AdamW state
     * @param quantizedLayers how many linear layers became NF4
     * @param lossBefore loss of the quantized base (adapter off) on the training texts
     * @param lossAfter loss with the trained adapter
     */
    public record Result(MemoryReport before, MemoryReport after, int quantizedLayers, double lossBefore,
            double lossAfter) {}

    /**
     * @param modelDir an HF causal LM directory with a tokenizer
     * @param out the trainer's output directory
     * @param steps optimizer steps
     * @return memory and loss before and after
     */
    public static Result demo(Path modelDir, Path out, int steps) {
        PeftTrainer.seed(5);
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(modelDir, manager)) {
            MemoryReport before = MemoryReport.ofBase(base.block());
            List<String> quantized = Quantizer.quantize(base.block(),
                    QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build());
            TokenizedDataset data = dataset(base.tokenizer().orElseThrow());
            try (PeftModel model = PeftModel.create(base.block(),
                    LoraConfig.builder().r(8).loraAlpha(16).targetModules("all-linear").taskType("CAUSAL_LM").build())) {
                EvalResult start;
                try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                    start = Evaluator.evaluate(model, data, 4, new CausalLmLoss());
                }
                TrainingArguments args = TrainingArguments.builder(out).maxSteps(steps).learningRate(1e-2)
                        .perDeviceTrainBatchSize(4).perDeviceEvalBatchSize(4).warmupRatio(0.1).seed(5)
                        .logSteps(10).evalSteps(0).saveSteps(0).build();
                TrainResult result = PeftTrainer.builder().model(model).args(args).trainDataset(data).build().train();
                EvalResult end = Evaluator.evaluate(model, data, 4, new CausalLmLoss());
                MemoryReport after = MemoryReport.of(model, MemoryReport.adamStateBytes(model.trainableParameters()));
                model.save(out);
                return new Result(before, after, quantized.size(), start.loss(), end.loss());
            }
        }
    }

    private static TokenizedDataset dataset(HfTokenizer tokenizer) {
        List<TokenizedExample> rows = new ArrayList<>();
        for (String text : PromptTuning.TEXTS) {
            int[] ids = Arrays.stream(tokenizer.encode(text)).mapToInt(Math::toIntExact).toArray();
            rows.add(TokenizedExample.languageModel(ids, ids.clone()));
        }
        return new TokenizedDataset(rows, Batching.builder(tokenizer.padTokenId().orElse(0)).build());
    }

    /** @param args [model dir] [output dir] */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Result r = demo(Path.of(args.length > 0 ? args[0] : "assets/base-model"),
                Path.of(args.length > 1 ? args[1] : "runs/qlora"), 40);
        System.out.println("F32 base as loaded:\n" + r.before().table());
        System.out.printf("%d linear layers quantized to NF4; with LoRA r=8 and AdamW state:%n%s%n", r.quantizedLayers(),
                r.after().table());
        System.out.printf("loss %.3f -> %.3f%n", r.lossBefore(), r.lossAfter());
    }
}
