package io.github.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.cli.registry.RegistryLocation;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.review.ReviewSheet;
import io.github.peft4j.review.ReviewedSystem;
import io.github.peft4j.train.data.DataRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code review make}: answers each prompt with the base model, the adapter and (for A/B) a second
 * adapter, and writes a blinded review sheet: {@code review.jsonl} (everything, including which
 * label is which model: keep it) and {@code review.html} (the page to send to reviewers).
 *
 * <pre>{@code
 * peft4j review make --adapter support:3 --prompts assets/data/support/eval.jsonl --limit 40
 * peft4j review make --adapter support:4 --against support@production --prompts questions.txt
 * }</pre>
 */
@Command(name = "make", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a blinded review sheet (review.jsonl) and the page for reviewers (review.html).")
final class ReviewMakeCommand implements Callable<Integer> {

    /** Prompts generated together. */
    private static final int BATCH = 8;

    @Option(names = "--adapter", required = true, paramLabel = "REF|DIR",
            description = "the adapter under review: a directory or a registry version (name, name:N, name@alias)")
    String adapter;

    @Option(names = "--against", paramLabel = "REF|DIR", description = "a second adapter for an A/B review (the baseline)")
    String against;

    @Option(names = "--prompts", required = true, paramLabel = "FILE",
            description = "JSONL data (prompt/completion or messages; the answers are shown as references) or .txt, one question a line")
    Path prompts;

    @Option(names = "--limit", description = "review the first N prompts only (default: all)")
    int limit;

    @Option(names = "--output", description = "where review.jsonl and review.html go (default: ${DEFAULT-VALUE})")
    Path output = Path.of("runs/review");

    @Option(names = "--seed", description = "blinding seed (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--max-new-tokens", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens = 60;

    @Mixin
    ModelOptions base;

    @Mixin
    RegistryLocation registry;

    @Mixin
    StrictDataOption data;

    @Override
    public Integer call() {
        List<ReviewSheet.Prompt> questions = readPrompts();
        Inputs.requireDir(base.model, "model directory");
        List<ReviewAdapters.Resolved> adapters = new ArrayList<>();
        adapters.add(ReviewAdapters.resolve(adapter, ReviewedSystem.CANDIDATE, registry, base.model,
                output.resolve("adapters").resolve(ReviewedSystem.CANDIDATE)));
        if (against != null) {
            adapters.add(ReviewAdapters.resolve(against, ReviewedSystem.BASELINE, registry, base.model,
                    output.resolve("adapters").resolve(ReviewedSystem.BASELINE)));
        }
        GenerationConfig decoding = GenerationConfig.greedy(maxNewTokens);
        Map<ReviewedSystem, List<String>> outputs = new LinkedHashMap<>();
        outputs.put(new ReviewedSystem(ReviewedSystem.BASE, base.model.toString(), null), answer(null, questions, decoding));
        for (ReviewAdapters.Resolved a : adapters) {
            outputs.put(a.system(), answer(a.dir(), questions, decoding));
        }
        ObjectNode meta = new ObjectMapper().createObjectNode();
        meta.put("model", base.model.toString());
        meta.put("base_fingerprint", BaseModelFingerprint.of(base.model).value());
        meta.put("prompts", prompts.toString());
        meta.put("decoding", "greedy");
        meta.put("max_new_tokens", maxNewTokens);
        ReviewSheet sheet = ReviewSheet.blind(questions, outputs, seed, meta);
        sheet.writeTo(output);
        System.out.printf("review %s: %d prompts, systems %s%nwrote %s (the key to the blinding: keep it) and %s (send it to reviewers)%n",
                sheet.id(), questions.size(), outputs.keySet().stream().map(s -> s.name() + "=" + s.source()).toList(),
                output.resolve(ReviewSheet.JSONL_FILE), output.resolve(ReviewSheet.HTML_FILE));
        return 0;
    }

    /** Every prompt answered by the base with the adapter in {@code dir} (none: the base alone), greedily. */
    private List<String> answer(Path dir, List<ReviewSheet.Prompt> questions, GenerationConfig decoding) {
        List<String> out = new ArrayList<>();
        try (ModelOptions.Loaded loaded = base.load(dir)) {
            HfTokenizer tokenizer = loaded.base().tokenizer().orElseThrow();
            for (int from = 0; from < questions.size(); from += BATCH) {
                List<String> texts = new ArrayList<>();
                for (ReviewSheet.Prompt q : questions.subList(from, Math.min(questions.size(), from + BATCH))) {
                    texts.add(ChatFormat.prompt(tokenizer, q.prompt()));
                }
                out.addAll(Answers.generate(loaded.model(), tokenizer, texts, decoding));
            }
        }
        return out;
    }

    private List<ReviewSheet.Prompt> readPrompts() {
        Inputs.requireFile(prompts, "prompts file");
        List<ReviewSheet.Prompt> out = new ArrayList<>();
        if (prompts.getFileName().toString().endsWith(".txt")) {
            try {
                Files.readAllLines(prompts).stream().filter(l -> !l.isBlank()).forEach(l -> out.add(new ReviewSheet.Prompt(l.strip(), null)));
            } catch (IOException e) {
                throw new UserError("cannot read the prompts file " + prompts + ": " + e.getMessage());
            }
        } else {
            for (DataRecord r : data.read(prompts)) {
                String question = ChatFormat.question(r);
                String reference = Samples.reference(r);
                if (question != null) {
                    out.add(new ReviewSheet.Prompt(question, reference.isEmpty() ? null : reference));
                }
            }
        }
        if (out.isEmpty()) {
            throw new UserError(prompts + " holds no question to review (expected prompt/completion or messages records, or .txt lines)");
        }
        return limit > 0 && limit < out.size() ? out.subList(0, limit) : out;
    }
}
