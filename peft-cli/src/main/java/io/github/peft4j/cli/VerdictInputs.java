package io.github.peft4j.cli;

import io.github.peft4j.review.ReviewSheet;
import io.github.peft4j.review.Verdict;
import io.github.peft4j.review.VerdictFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The inputs of {@code review summarize} and {@code review pairs}: the verdict files reviewers
 * saved, and the sheet they judged ({@code review.jsonl}, which holds the key to the blinding).
 *
 * <pre>{@code
 * @Mixin VerdictInputs in;
 * VerdictInputs.Loaded review = in.load();
 * }</pre>
 */
final class VerdictInputs {

    @Option(names = "--verdicts", required = true, paramLabel = "FILE",
            description = "verdicts saved by the review page; repeat for several reviewers")
    List<Path> verdicts;

    @Option(names = "--review", paramLabel = "FILE",
            description = "the review.jsonl the page was made with (default: review.jsonl beside the first verdict file)")
    Path review;

    /**
     * @param sheetFile the review.jsonl
     * @param sheet the sheet
     * @param verdicts the verdicts of every file, checked against the sheet
     */
    record Loaded(Path sheetFile, ReviewSheet sheet, List<Verdict> verdicts) {}

    Loaded load() {
        verdicts.forEach(v -> Inputs.requireFile(v, "verdict file"));
        Path sheetFile = review;
        if (sheetFile == null) {
            Path beside = verdicts.get(0).toAbsolutePath().getParent().resolve(ReviewSheet.JSONL_FILE);
            if (!Files.isRegularFile(beside)) {
                throw new UserError("no " + ReviewSheet.JSONL_FILE + " beside " + verdicts.get(0)
                        + "; pass --review with the review.jsonl that peft4j review make wrote");
            }
            sheetFile = beside;
        }
        ReviewSheet sheet = ReviewSheet.read(Inputs.requireFile(sheetFile, "review sheet"));
        return new Loaded(sheetFile, sheet, VerdictFile.readAll(verdicts, sheet));
    }
}
