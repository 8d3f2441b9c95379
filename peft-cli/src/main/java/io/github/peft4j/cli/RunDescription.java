package io.github.peft4j.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.TrainingData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a {@code train} run was, as {@code report.json}'s {@code run} and {@code report.md}'s "Run"
 * table hold it: the method, the adapter's settings as saved, every training argument, the seed
 * and the fingerprint of the curated training data, enough to repeat the run.
 *
 * <pre>{@code
 * Map<String, Object> run = RunDescription.of("lora", out, args, train, s -> s.put("seq_len", 128));
 * }</pre>
 */
final class RunDescription {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> TREE = new TypeReference<>() {};

    private RunDescription() {}

    /**
     * @param method the {@code --method}
     * @param adapterDir the saved adapter (its {@code adapter_config.json} is read)
     * @param args the training arguments
     * @param train the curated training data
     * @param command adds the command's own settings (data files, sequence length...)
     * @return the description, keys in a stable order
     */
    static Map<String, Object> of(String method, Path adapterDir, TrainingArguments args, TrainingData train,
            Consumer<Map<String, Object>> command) {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("method", method);
        run.put("seed", args.seed());
        run.put("data_fingerprint", train.fingerprint());
        run.put("train_sequences", train.size());
        Map<String, Object> settings = new LinkedHashMap<>();
        command.accept(settings);
        run.put("command", settings);
        Path config = adapterDir.resolve("adapter_config.json");
        try {
            run.put("adapter_config", JSON.readValue(config.toFile(), TREE));
            run.put("training_args", JSON.readValue(args.toJson(), TREE));
        } catch (IOException e) {
            throw new PeftFormatException(config, null, "cannot read back for the report: " + e.getMessage(), e);
        }
        return run;
    }
}
