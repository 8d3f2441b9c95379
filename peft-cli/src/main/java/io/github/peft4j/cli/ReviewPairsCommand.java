package io.github.peft4j.cli;

import io.github.peft4j.review.PreferencePairs;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code review pairs}: the reviewers' preferences as DPO data, TRL's {@code prompt} /
 * {@code chosen} / {@code rejected} JSONL (plain strings, or {@code --conversational} message lists).
 *
 * <pre>{@code
 * peft4j review pairs --verdicts all.jsonl --review runs/review/review.jsonl --out prefs.jsonl
 * }</pre>
 */
@Command(name = "pairs", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Preference pairs (TRL prompt/chosen/rejected JSONL) from the verdicts: the preferred output over each other one.")
final class ReviewPairsCommand implements Callable<Integer> {

    @Mixin
    VerdictInputs inputs;

    @Option(names = "--out", paramLabel = "FILE", description = "the pairs (default: prefs.jsonl beside review.jsonl)")
    Path out;

    @Option(names = "--conversational", description = "prompt, chosen and rejected as lists of chat messages")
    boolean conversational;

    @Override
    public Integer call() {
        VerdictInputs.Loaded review = inputs.load();
        List<PreferencePairs.Pair> pairs = PreferencePairs.of(review.sheet(), review.verdicts());
        Path target = out != null ? out : review.sheetFile().toAbsolutePath().getParent().resolve("prefs.jsonl");
        PreferencePairs.write(pairs, target, conversational);
        System.out.printf("wrote %d preference pairs from %d verdicts to %s%n", pairs.size(), review.verdicts().size(), target);
        return 0;
    }
}
