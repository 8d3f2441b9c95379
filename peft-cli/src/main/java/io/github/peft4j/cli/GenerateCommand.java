package io.github.peft4j.cli;

import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Continues a prompt with the base model, or with an adapter on top of it.
 *
 * <pre>{@code
 * peft4j generate "How long do I have to return a jacket?"                 # base model
 * peft4j generate --adapter runs/latest "How long do I have to return a jacket?"
 * peft4j generate --raw "The capital of France is"
 * }</pre>
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Answer a question (the model's chat template) or continue a text (--raw), with or without an adapter.")
final class GenerateCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "PROMPT", description = "the question or text (words are joined)")
    List<String> words;

    @Mixin
    ModelOptions base;

    @Option(names = "--adapter", description = "adapter directory (adapter_config.json + adapter_model.safetensors)")
    Path adapter;

    @Option(names = "--raw", description = "continue the text as is, without the chat template")
    boolean raw;

    @Option(names = "--max-new-tokens", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens = 60;

    @Option(names = "--temperature", description = "sample at this temperature; 0 = greedy (default: ${DEFAULT-VALUE})")
    double temperature = 0;

    @Option(names = "--top-p", description = "nucleus sampling (default: ${DEFAULT-VALUE})")
    double topP = 0.9;

    @Option(names = "--seed", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Override
    public Integer call() {
        String text = String.join(" ", words);
        GenerationConfig config = temperature > 0
                ? GenerationConfig.builder().maxNewTokens(maxNewTokens).doSample(true).temperature(temperature)
                        .topP(topP).seed(seed).build()
                : GenerationConfig.greedy(maxNewTokens);
        try (ModelOptions.Loaded loaded = base.load(adapter)) {
            HfTokenizer tokenizer = loaded.base().tokenizer().orElseThrow();
            String prompt = raw ? text : ChatFormat.prompt(tokenizer, text);
            String answer = Answers.generate(loaded.model(), tokenizer, List.of(prompt), config).get(0);
            System.out.println(raw ? text + " " + answer : answer);
        }
        return 0;
    }
}
