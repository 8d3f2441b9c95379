package io.github.peft4j.cli;

import picocli.CommandLine.Command;

/**
 * {@code peft4j review}: human review of adapters (docs/human-feedback.md). {@code make} writes a
 * blinded review sheet and the page reviewers open; {@code summarize} turns their saved verdicts
 * into win rates, acceptance rates and flag counts, and records them with the registry version
 * that promotion gates check; {@code pairs} turns them into preference pairs for DPO.
 *
 * <pre>{@code
 * peft4j review make --adapter support:3 --prompts assets/data/support/eval.jsonl
 * peft4j review summarize --verdicts ~/Downloads/verdicts.jsonl --review runs/review/review.jsonl --record
 * peft4j review pairs --verdicts ~/Downloads/verdicts.jsonl --review runs/review/review.jsonl
 * }</pre>
 */
@Command(name = "review", mixinStandardHelpOptions = true,
        description = "Human review of adapters: blinded review sheets, verdict summaries (win rate, acceptance, flags), preference pairs.",
        subcommands = {ReviewMakeCommand.class, ReviewSummarizeCommand.class, ReviewPairsCommand.class})
final class ReviewCommand {
}
