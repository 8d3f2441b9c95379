package io.github.peft4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The held-out data {@code train} reports on and {@code eval} measures, one set of options for
 * both so that their numbers compare: domain JSONL, general text (to see forgetting) and the
 * sequence length both are cut at.
 *
 * <pre>{@code
 * peft4j eval --eval my-eval.jsonl --general-eval none --seq-len 256
 * }</pre>
 */
final class EvalDataOptions {

    @Option(names = "--eval", description = "held-out domain JSONL (default: ${DEFAULT-VALUE})")
    Path eval = Path.of("assets/data/support/eval.jsonl");

    @Option(names = "--general-eval", description = "general text, one paragraph per line, to measure forgetting"
            + " (default: ${DEFAULT-VALUE}; 'none' to skip)")
    String generalEval = "assets/corpus/general-eval.txt";

    @Option(names = "--seq-len", description = "longest example in tokens; longer ones are cut"
            + " (default: ${DEFAULT-VALUE})")
    int seqLen = 128;

    /** @return the domain JSONL, checked to exist */
    Path evalFile() {
        return Inputs.requireFile(eval, "eval data");
    }

    /** @return the general text, checked to exist, or {@code null} for {@code none} */
    Path generalFile() {
        return generalEval.equals("none") ? null : Inputs.requireFile(Path.of(generalEval), "general eval text");
    }
}
