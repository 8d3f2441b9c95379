package io.github.peft4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.files.AtomicDirectory;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.optim.PeftOptimizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoint directories {@code checkpoint-<step>/}: the trained weights (adapter layout), the
 * optimizer state ({@code optimizer.safetensors}), {@code trainer_state.json} and
 * {@code training_args.json}. A checkpoint is written into a hidden temporary directory and renamed
 * into place, so a crash never leaves a half-written {@code checkpoint-N}.
 */
final class Checkpoints {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

    static final String PREFIX = "checkpoint-";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String ARGS_FILE = "training_args.json";
    private static final Pattern NAME = Pattern.compile(PREFIX + "(\\d+)");

    private Checkpoints() {}

    static Path write(Path outputDir, int step, TrainableModel model, PeftOptimizer optimizer, CheckpointState state,
            TrainingArguments args) {
        Path target = outputDir.resolve(PREFIX + step);
        AtomicDirectory.write(target, "checkpoint", tmp -> {
            model.save(tmp);
            Map<String, NDArray> opt = optimizer.stateTensors();
            SafetensorsWriter.write(tmp.resolve(OPTIMIZER_FILE), opt, Map.of(
                    "format", "pt", "optimizer", optimizer.name(), "step", Long.toString(optimizer.stepCount())));
            AtomicFiles.write(tmp.resolve(CheckpointState.FILE), state.toJson().getBytes(StandardCharsets.UTF_8));
            AtomicFiles.write(tmp.resolve(ARGS_FILE), args.toJson().getBytes(StandardCharsets.UTF_8));
        });
        return target;
    }


    /**
     * The data position and per-step seeds only mean the same thing under the same order of
     * batches: resuming needs the arguments that decide it unchanged.
     *
     * @param checkpoint a checkpoint directory
     * @param args this run's arguments
     * @throws PeftConfigException naming the argument that differs
     */
    static void checkSameArgs(Path checkpoint, TrainingArguments args) {
        Path file = checkpoint.resolve(ARGS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new PeftFormatException(file, null, "missing: cannot check that the training arguments match");
        }
        JsonNode saved;
        JsonNode now;
        try {
            saved = PythonJson.mapper().readTree(file.toFile());
            now = PythonJson.mapper().readTree(args.toJson());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
        for (String key : List.of("seed", "per_device_train_batch_size", "gradient_accumulation_steps", "shuffle",
                "optim")) {
            if (!now.path(key).asText().equals(saved.path(key).asText())) {
                throw new PeftConfigException(file + ": '" + key + "' was " + saved.path(key)
                        + " in the checkpoint but is " + now.path(key) + " now; resuming exactly needs the same value");
            }
        }
    }

    static CheckpointState readState(Path checkpoint) {
        Path file = checkpoint.resolve(CheckpointState.FILE);
        if (!Files.isRegularFile(file)) {
            throw new PeftFormatException(file, null, "missing: " + checkpoint + " is not a peft4j checkpoint");
        }
        try {
            return CheckpointState.fromJson(PythonJson.mapper().readTree(file.toFile()), file);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
    }

    static void loadOptimizer(Path checkpoint, PeftOptimizer optimizer, NDManager scratch) {
        Path file = checkpoint.resolve(OPTIMIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new PeftFormatException(file, null, "missing: the checkpoint has no optimizer state");
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            String name = f.metadata().get("optimizer");
            if (!optimizer.name().equals(name)) {
                throw new PeftFormatException(file, "optimizer", "the checkpoint was written by " + name
                        + " but the training arguments ask for " + optimizer.name());
            }
            String step = f.metadata().get("step");
            if (step == null) {
                throw new PeftFormatException(file, "step", "missing from the metadata");
            }
            optimizer.loadState(f.loadAll(scratch), Long.parseLong(step), file);
        }
    }

    /**
     * @param outputDir an output directory
     * @return its checkpoints, oldest (lowest step) first
     */
    static List<Path> list(Path outputDir) {
        if (!Files.isDirectory(outputDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(Files::isDirectory)
                    .filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(Checkpoints::step))
                    .toList();
        } catch (IOException e) {
            throw new PeftFormatException(outputDir, null, "cannot list: " + e.getMessage(), e);
        }
    }

    static long step(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    static Optional<Path> latest(Path outputDir) {
        List<Path> all = list(outputDir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Deletes the oldest checkpoints beyond {@code keep}, never the one of {@code protectedStep}. */
    static void prune(Path outputDir, int keep, int protectedStep) {
        if (keep <= 0) {
            return;
        }
        List<Path> all = new ArrayList<>(list(outputDir));
        int excess = all.size() - keep;
        for (Path p : all) {
            if (excess <= 0) {
                break;
            }
            if (step(p) == protectedStep) {
                continue;
            }
            try {
                AtomicDirectory.deleteTree(p);
                excess--;
                LOG.debug("deleted old checkpoint {}", p);
            } catch (IOException e) {
                LOG.warn("{}: could not delete old checkpoint", p, e);
            }
        }
    }

    /**
     * Checks that a checkpoint can be resumed by a run with this data size, these arguments and this schedule.
     *
     * @return the checkpoint's state
     * @throws PeftConfigException naming what differs
     */
    static CheckpointState checkResumable(Path checkpoint, int trainSize, TrainingArguments args, LrSchedule schedule) {
        CheckpointState st = readState(checkpoint);
        if (st.trainSize() != trainSize) {
            throw new PeftConfigException(checkpoint.resolve(CheckpointState.FILE) + ": the checkpoint was written for "
                    + st.trainSize() + " training sequences, but this dataset has " + trainSize
                    + "; resume with the same data");
        }
        checkSameArgs(checkpoint, args);
        if (!st.schedule().equals(schedule)) {
            throw new PeftConfigException(checkpoint.resolve(CheckpointState.FILE) + ": the checkpoint's learning-rate"
                    + " schedule was " + describe(st.schedule()) + ", this run's is " + describe(schedule)
                    + "; resuming needs the same max_steps, learning_rate, warmup and lr_scheduler_type."
                    + " To train further, start a new run from the adapter instead");
        }
        return st;
    }

    private static String describe(LrSchedule s) {
        return s.type().name().toLowerCase(java.util.Locale.ROOT) + " from " + s.baseLearningRate() + " over "
                + s.totalSteps() + " steps with " + s.warmupSteps() + " warmup";
    }
}
