package io.github.peft4j.cli;

import ai.djl.nn.Block;
import io.github.peft4j.train.data.TextTokenizer;
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
 * general text. Adapters of every method evaluate alike; prompt tuning's virtual tokens are lined up
 * with the labels by the library's {@link CausalLmLoss}.
 *
 * <pre>{@code
 * peft4j eval --adapter runs/latest
 * }</pre>
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate the base model or base + adapter on domain JSONL and general text.")
final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions base;

    @Option(names = "--adapter", description = "adapter directory; without it the base model is measured")
    Path adapter;

    @Mixin
    EvalDataOptions evalData;

    @Option(names = "--batch", description = "(default: ${DEFAULT-VALUE})")
    int batch = 16;

    @Override
    public Integer call() {
        Path eval = evalData.evalFile();
        Path general = evalData.generalFile();
        int seqLen = evalData.seqLen;
        try (ModelOptions.Loaded loaded = base.load(adapter)) {
            TextTokenizer tokenizer = TextTokenizer.of(loaded.base().tokenizer().orElseThrow());
            TokenizedDataset domain = SupportData.pipeline(tokenizer, seqLen)
                    .prepare(SupportData.asChats(SupportData.read(eval)), 0).train();
            Block model = loaded.model();
            print("domain", Evaluator.evaluate(model, domain, batch, new CausalLmLoss()));
            if (general != null) {
                print("general text", Evaluator.evaluate(model, SupportData.generalText(general, tokenizer, seqLen),
                        batch, new CausalLmLoss()));
            }
        }
        return 0;
    }

    private static void print(String what, EvalResult r) {
        System.out.printf("%-13s loss %.4f  perplexity %.2f  token accuracy %.3f  (%d tokens)%n", what, r.loss(),
                r.perplexity(), r.accuracy(), r.items());
    }
}
