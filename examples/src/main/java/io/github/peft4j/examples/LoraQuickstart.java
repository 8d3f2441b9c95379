package io.github.peft4j.examples;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.data.DataPipeline;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.eval.ComparisonReport;
import io.github.peft4j.train.loss.CausalLmLoss;
import java.nio.file.Path;

/**
 * The main job in a few lines: LoRA-fine-tune the bundled base model on the support data and
 * compare the held-out loss before and after. Run from the repository root:
 * {@code DJL_OFFLINE=true OPT_OUT_TRACKING=true mvn -q -pl examples exec:java@quickstart}.
 */
public final class LoraQuickstart {

    private LoraQuickstart() {}

    /** @param args [model dir] [data.jsonl] [output dir] [steps] */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Path modelDir = Path.of(args.length > 0 ? args[0] : "assets/base-model");
        Path data = Path.of(args.length > 1 ? args[1] : "assets/data/support/train.jsonl");
        Path out = Path.of(args.length > 2 ? args[2] : "runs/quickstart");
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 100;

        PeftTrainer.seed(42);
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(modelDir, manager);
                PeftModel model = PeftModel.create(base.block(), LoraConfig.builder()
                        .r(16).loraAlpha(32).targetModules(TargetModules.allLinear()).build())) {

            DataPipeline.Prepared prepared = DataPipeline.builder(TextTokenizer.of(base.tokenizer().orElseThrow()))
                    .curator(Curator.defaults())          // dedup + PII placeholders
                    .evalFraction(0.1).seed(42).build()
                    .prepare(data);

            TrainingArguments training = TrainingArguments.builder(out)
                    .maxSteps(steps).learningRate(3e-3).warmupRatio(0.1).perDeviceTrainBatchSize(8).build();
            PeftTrainer.builder().model(model).args(training)
                    .trainDataset(prepared.train()).build().train();     // writes the adapter to `out`

            ComparisonReport.Measurements m =
                    ComparisonReport.measure(model, prepared.eval(), null, 16, new CausalLmLoss());
            System.out.println(model.countParameters());
            System.out.printf("held-out loss: base %.3f -> adapted %.3f%n", m.domainBefore().loss(),
                    m.domainAfter().loss());
        }
    }
}
