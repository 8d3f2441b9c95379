package io.github.peft4j.cli;

import io.github.peft4j.cli.registry.RegistryLocation;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.registry.AdapterReview;
import io.github.peft4j.review.ReviewSummary;
import io.github.peft4j.review.ReviewedSystem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code review summarize}: win rates (ties count half, 95% Wilson interval), acceptance rates and
 * flag counts from the reviewers' verdicts; writes {@code summary.json} and, with {@code --record},
 * stores it with the candidate's registry version, where promotion gates read it.
 *
 * <pre>{@code
 * peft4j review summarize --verdicts ann.jsonl --verdicts bob.jsonl --review runs/review/review.jsonl
 * peft4j review summarize --verdicts all.jsonl --review runs/review/review.jsonl --record      # the reviewed support:N
 * }</pre>
 */
@Command(name = "summarize", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Win rate with a 95% Wilson interval (ties count half), acceptance and flags per system; JSON and text.")
final class ReviewSummarizeCommand implements Callable<Integer> {

    @Mixin
    VerdictInputs inputs;

    @Option(names = "--out", paramLabel = "FILE", description = "the JSON summary (default: summary.json beside review.jsonl)")
    Path out;

    @Option(names = "--json", description = "print the JSON summary instead of the text")
    boolean json;

    @Option(names = "--record", arity = "0..1", fallbackValue = "", paramLabel = "REF",
            description = "store the summary with a registry version (default: the version reviewed as the candidate)")
    String record;

    @Option(names = "--by", paramLabel = "WHO", description = "who records the review (default: the user name)")
    String by;

    @Mixin
    RegistryLocation registry;

    @Override
    public Integer call() {
        VerdictInputs.Loaded review = inputs.load();
        ReviewSummary summary = ReviewSummary.of(review.sheet(), review.verdicts());
        String document = summary.toJson().toPrettyString() + "\n";
        Path target = out != null ? out : review.sheetFile().toAbsolutePath().getParent().resolve("summary.json");
        AtomicFiles.write(target, document.getBytes(StandardCharsets.UTF_8));
        System.out.print(json ? document : summary.toText());
        if (record != null) {
            String ref = record.isEmpty() ? candidateRef(review) : record;
            AdapterReview stored = registry.open().recordReview(ref, summary.toJson(), by);
            System.out.printf("recorded the review with %s in %s (review #%d)%n", stored.ref(), registry.location(), stored.id());
        }
        if (!json) {
            System.out.println("wrote " + target);
        }
        return 0;
    }

    private static String candidateRef(VerdictInputs.Loaded review) {
        ReviewedSystem candidate = review.sheet().system(ReviewedSystem.CANDIDATE);
        if (candidate == null || Files.isDirectory(Path.of(candidate.source()))) {
            throw new UserError("the candidate of this review is " + (candidate == null ? "missing" : "the directory " + candidate.source())
                    + ", not a registry version; name the version it was pushed as: --record NAME:N");
        }
        return candidate.source();
    }
}
