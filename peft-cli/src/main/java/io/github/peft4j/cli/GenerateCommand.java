package io.github.peft4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.generation.GenerationConfig;
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
        description = "Answer a question (chat template) or continue a text (--raw), with or without an adapter.")
final class GenerateCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "PROMPT", description = "the question or text (words are joined)")
    List<String> words;

    @Option(names = "--model", description = "base model directory (default: ${DEFAULT-VALUE})")
    Path model = BaseModels.BUNDLED;

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

    @Option(names = "--threads", description = "engine threads")
    int threads;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() {
        Offline.threads(threads);
        String text = String.join(" ", words);
        GenerationConfig config = temperature > 0
                ? GenerationConfig.builder().maxNewTokens(maxNewTokens).doSample(true).temperature(temperature)
                        .topP(topP).seed(seed).build()
                : GenerationConfig.greedy(maxNewTokens);
        try (NDManager manager = device.newManager();
                PretrainedModel base = BaseModels.loadCausalLm(model, manager)) {
            Block block = base.block();
            PeftModel peft = adapter == null ? null : Adapters.load(base, adapter);
            try {
                String prompt = raw ? text : ChatFormat.prompt(text);
                String answer = Answers.generate(peft == null ? block : peft, base.tokenizer().orElseThrow(),
                        List.of(prompt), config).get(0);
                System.out.println(raw ? text + " " + answer : answer);
            } finally {
                if (peft != null) {
                    peft.close();
                }
            }
        }
        return 0;
    }
}
