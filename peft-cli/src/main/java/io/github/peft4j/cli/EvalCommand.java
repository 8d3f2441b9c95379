package io.github.peft4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.data.DataPipeline;
import io.github.peft4j.train.data.HfTextTokenizer;
import io.github.peft4j.train.data.JsonlReader;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.CausalLmLoss;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Loss, perplexity and token accuracy of the base model, or base + adapter, on chat JSONL and on
 * general text.
 *
 * <pre>{@code
 * peft4j eval --adapter runs/latest
 * }</pre>
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate the base model or base + adapter on domain JSONL and general text.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", description = "base model directory (default: ${DEFAULT-VALUE})")
    Path model = BaseModels.BUNDLED;

    @Option(names = "--adapter", description = "adapter directory; without it the base model is measured")
    Path adapter;

    @Option(names = "--eval", description = "domain JSONL (default: ${DEFAULT-VALUE})")
    Path eval = Path.of("assets/data/support/eval.jsonl");

    @Option(names = "--general-eval", description = "general text, one paragraph per line"
            + " (default: ${DEFAULT-VALUE}; 'none' to skip)")
    String generalEval = "assets/corpus/general-eval.txt";

    @Option(names = "--seq-len", description = "(default: ${DEFAULT-VALUE})")
    int seqLen = 128;

    @Option(names = "--batch", description = "(default: ${DEFAULT-VALUE})")
    int batch = 16;

    @Option(names = "--threads", description = "engine threads")
    int threads;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() {
        Offline.threads(threads);
        Inputs.requireFile(eval, "eval data");
        Path general = generalEval.equals("none") ? null : Inputs.requireFile(Path.of(generalEval), "general eval text");
        try (NDManager manager = device.newManager();
                PretrainedModel base = BaseModels.loadCausalLm(model, manager);
                HfTextTokenizer tokenizer = HfTextTokenizer.load(model)) {
            TokenizedDataset domain = DataPipeline.builder(tokenizer)
                    .curator(Curator.defaults()).skipBadLines(true)
                    .tokenization(t -> t.chatTemplate(ChatFormat.TEMPLATE).addEos(false).maxLength(seqLen))
                    .build()
                    .prepare(ChatFormat.asChats(JsonlReader.builder().skipBadLines(true).build().read(eval).records()), 0)
                    .train();
            PeftModel peft = adapter == null ? null : Adapters.load(base, adapter);
            try {
                Block block = peft == null ? base.block() : peft;
                print("domain", Evaluator.evaluate(block, domain, batch, new CausalLmLoss()));
                if (general != null) {
                    TokenizedDataset text = TextChunks.dataset(TextChunks.readLines(general), tokenizer, seqLen,
                            tokenizer.eosTokenId().orElse(0));
                    print("general text", Evaluator.evaluate(block, text, batch, new CausalLmLoss()));
                }
            } finally {
                if (peft != null) {
                    peft.close();
                }
            }
        }
        return 0;
    }

    private static void print(String what, EvalResult r) {
        System.out.printf("%-13s loss %.4f  perplexity %.2f  token accuracy %.3f  (%d tokens)%n", what, r.loss(),
                r.perplexity(), r.accuracy(), r.items());
    }
}
