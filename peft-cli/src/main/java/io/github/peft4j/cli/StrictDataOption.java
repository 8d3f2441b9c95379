package io.github.peft4j.cli;

import picocli.CommandLine.Option;

/**
 * {@code --strict}: any bad line of a JSONL data file fails the run, naming the file and line
 * (issue 24). Without it bad lines are skipped and counted by reason on stderr.
 *
 * <pre>{@code
 * peft4j train --data train.jsonl --strict
 * // peft4j train: train.jsonl: 'line 5': not valid JSON: Unexpected end-of-input ... (column 16)
 * }</pre>
 *
 * <p>A command takes it with one line, {@code @Mixin StrictDataOption strict;}: picocli calls the
 * setter on every parse (with {@code false} when the option is absent), and {@link SupportData}
 * reads the data of the command being run.
 */
final class StrictDataOption {

    @Option(names = "--strict", defaultValue = "false", description = "fail on the first bad line of a JSONL"
            + " data file, naming file and line (default: skip bad lines and count them by reason)")
    void strict(boolean strict) {
        SupportData.strict(strict);
    }
}
