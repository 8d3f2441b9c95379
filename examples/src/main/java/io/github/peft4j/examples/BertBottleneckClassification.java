package io.github.peft4j.examples;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.DoubleNode;
import io.github.peft4j.adapters.bottleneck.BottleneckConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.ClassificationLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Sequence classification with bottleneck adapters (Pfeiffer: one adapter after each feed-forward
 * block) on a small randomly initialised BERT. The task: does the sentence contain the "positive"
 * token or the "negative" one, here and there among random filler? The encoder, pooler and classifier stay
 * frozen. A frozen head of a fresh model barely moves its logits, and bottleneck adapters do not take
 * PEFT's {@code modules_to_save}, so a second, small LoRA adapter on the classifier trains with them
 * (both active at once). Run from the repository root:
 * {@code DJL_OFFLINE=true OPT_OUT_TRACKING=true mvn -q -pl examples exec:java@bert-bottleneck}.
 */
public final class BertBottleneckClassification {

    private static final int CLS = 1;
    private static final int POSITIVE = 7;
    private static final int NEGATIVE = 8;
    private static final int FIRST_FILLER = 10;

    private BertBottleneckClassification() {}

    /**
     * @param accuracyBefore eval accuracy before training (both adapters start as the identity)
     * @param accuracyAfter eval accuracy after training
     * @param lossBefore eval loss before
     * @param lossAfter eval loss after
     * @param parameters the parameter-count line
     */
    public record Result(double accuracyBefore, double accuracyAfter, double lossBefore, double lossAfter,
            String parameters) {}

    /**
     * @param out the trainer's output directory (adapter, metrics)
     * @param steps optimizer steps
     * @param examples training examples (the eval set is half as many)
     * @return accuracy and loss before and after
     */
    public static Result demo(Path out, int steps, int examples) {
        // vocab 128, hidden 32, 2 layers; weights wider than BERT's 0.02 stand in for pretrained ones,
        // whose activations carry the input through the frozen layers
        BertConfig config = BertConfig.tiny().numLabels(2).dropout(0)
                .set("initializer_range", DoubleNode.valueOf(0.3)).build();
        Random random = new Random(3);
        TokenizedDataset train = dataset(examples, config.vocabSize(), random);
        TokenizedDataset eval = dataset(examples / 2, config.vocabSize(), random);
        ClassificationLoss loss = new ClassificationLoss();

        PeftTrainer.seed(3);
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel bert = ModelFactory.create(config, manager, 3);
                PeftModel model = PeftModel.create(bert.block(),
                        BottleneckConfig.builder().preset("pfeiffer").reductionFactor(2).build(), "adapters")) {
            model.addAdapter("head", LoraConfig.builder().r(4).loraAlpha(8).targetModules("classifier").build());
            model.setActiveAdapters("adapters", "head");
            EvalResult before = Evaluator.evaluate(model, eval, 16, loss);
            TrainingArguments args = TrainingArguments.builder(out).maxSteps(steps).learningRate(1e-2)
                    .perDeviceTrainBatchSize(16).perDeviceEvalBatchSize(16).warmupRatio(0.1).seed(3)
                    .logSteps(10).evalSteps(0).saveSteps(0).build();
            PeftTrainer.builder().model(model).args(args).trainDataset(train).loss(loss).build().train();
            EvalResult after = Evaluator.evaluate(model, eval, 16, loss);
            return new Result(before.accuracy(), after.accuracy(), before.loss(), after.loss(),
                    model.countParameters().toString());
        }
    }

    /** [CLS] + 7 filler tokens, up to three of which are replaced by the class's marker token. */
    private static TokenizedDataset dataset(int n, int vocab, Random random) {
        List<TokenizedExample> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            int[] ids = new int[8];
            ids[0] = CLS;
            for (int t = 1; t < ids.length; t++) {
                ids[t] = FIRST_FILLER + random.nextInt(vocab - FIRST_FILLER);
            }
            for (int k = 0; k < 3; k++) {
                ids[1 + random.nextInt(ids.length - 1)] = label == 1 ? POSITIVE : NEGATIVE;
            }
            rows.add(TokenizedExample.classification(ids, label));
        }
        return new TokenizedDataset(rows, Batching.builder(0).build());
    }

    /** @param args [output dir] */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Result r = demo(Path.of(args.length > 0 ? args[0] : "runs/bert-bottleneck"), 150, 256);
        System.out.println(r.parameters());
        System.out.printf("eval accuracy %.2f -> %.2f, loss %.3f -> %.3f%n", r.accuracyBefore(), r.accuracyAfter(),
                r.lossBefore(), r.lossAfter());
    }
}
