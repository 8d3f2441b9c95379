package io.github.peft4j.cli;

import io.github.peft4j.train.data.DataRecord;
import java.nio.file.Path;
import java.util.List;
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
 * <p>A command takes it as a mixin and reads its data through it.
 */
final class StrictDataOption {

    @Option(names = "--strict", description = "fail on the first bad line of a JSONL"
            + " data file, naming file and line (default: skip bad lines and count them by reason)")
    boolean strict;

    /**
     * @param jsonl a JSONL file of chats or prompt/completion pairs
     * @return its records, read strictly when {@code --strict} was given
     */
    List<DataRecord> read(Path jsonl) {
        return SupportData.read(jsonl, strict);
    }
}
